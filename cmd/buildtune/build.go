package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/record"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
	"github.com/spf13/pflag"
)

// workloadFlags choose what to build: the fixtures sample by default.
type workloadFlags struct {
	sample  int
	all     bool
	seed    int64
	profile string
	sdkSha  string
}

func (w *workloadFlags) register(fs *pflag.FlagSet, defSample int) {
	fs.IntVar(&w.sample, "sample", defSample, "instances to build, a sample stratified by repo")
	fs.BoolVar(&w.all, "all", false, "build all 433 instances (overrides --sample)")
	fs.Int64Var(&w.seed, "seed", 1, "seed of the sample and of every random choice")
	fs.StringVar(&w.profile, "profile", "default", "fixture profile: 'default' or a YAML file")
	fs.StringVar(&w.sdkSha, "sdk-sha", "", "SDK commit the images are tagged with (default: derived from --seed)")
}

func cmdBuild(ctx context.Context, args []string) error {
	var (
		sf        stackFlags
		wf        workloadFlags
		workers   int
		batchS    string
		cacheS    string
		strategyS string
		out       string
		attempts  int
		skip      bool
		trace     bool
		src       sourceFlags
	)
	fs := pflag.NewFlagSet("build", pflag.ContinueOnError)
	wf.register(fs, 6)
	fs.IntVar(&workers, "workers", 2, "parallel builds")
	fs.StringVar(&batchS, "batch", "stream", "batch size (a barrier after each batch, as the real script), or 'stream'")
	fs.StringVar(&cacheS, "cache-mode", "off", "registry cache export: off, min or max")
	fs.StringVar(&strategyS, "strategy", "single", "build strategy: single or three-phase")
	fs.StringVar(&out, "out", "", "output folder (default runs/<timestamp>)")
	fs.IntVar(&attempts, "attempts", 3, "attempts per image")
	fs.BoolVar(&skip, "skip-existing", true, "skip an image whose tag is already in the registry")
	fs.BoolVar(&trace, "trace", false, "keep BuildKit's raw status stream per build in OUT/traces")
	src.register(fs)
	sf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := src.check(); err != nil {
		return err
	}
	if workers < 1 {
		return usagef("--workers %d: want 1 or more", workers)
	}
	batches, err := sweep.ParseBatches(batchS)
	if err != nil || len(batches) != 1 {
		return usagef("--batch %q: want a positive number or 'stream'", batchS)
	}
	cache, err := engine.ParseCacheMode(cacheS)
	if err != nil {
		return usagef("--cache-mode: %v", err)
	}
	strategy, err := workload.ParseStrategy(strategyS)
	if err != nil {
		return usagef("--strategy: %v", err)
	}
	if attempts < 1 {
		return usagef("--attempts %d: want 1 or more", attempts)
	}
	if out == "" {
		out = defaultOut()
	}
	prof, err := fixtures.LoadProfile(wf.profile)
	if err != nil {
		return usagef("--profile: %v", err)
	}
	insts, err := src.universe()
	if err != nil {
		return err
	}
	if !wf.all {
		if insts, err = fixtures.Sample(insts, wf.sample, wf.seed); err != nil {
			return usagef("--sample: %v", err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	disp := newDisplay()
	env, closeEnv, err := sf.connect(ctx, disp)
	if err != nil {
		return err
	}
	defer closeEnv()

	sha := wf.sdkSha
	if sha == "" {
		sha = fixtures.SDKSha(wf.seed, 0)
	}
	src.attachAuth(env.Daemons)
	w, err := src.prepare(ctx, env.Registry.Addr, out, prof, insts, sha)
	if err != nil {
		return err
	}
	recs, err := record.Create(filepath.Join(out, "records.jsonl"))
	if err != nil {
		return err
	}
	defer recs.Close()
	traceDir := ""
	if trace {
		traceDir = filepath.Join(out, "traces")
		if err := os.MkdirAll(traceDir, 0o755); err != nil {
			return fmt.Errorf("trace folder: %w", err)
		}
	}
	bkVersion, _ := env.Daemons[0].Version(ctx)
	host, _ := os.Hostname()
	cfg := record.Config{Workers: workers, Batch: batches[0], CacheMode: string(cache), Strategy: strategy,
		Profile: w.Name, Daemons: len(env.Daemons), BuildKitVersion: bkVersion, Host: host}
	cfg.Cell = sweep.Cell{Workers: workers, Batch: batches[0], Cache: cache, Strategy: strategy}.Name()
	var daemons []sweep.Daemon
	for _, d := range env.Daemons {
		daemons = append(daemons, d)
	}
	disp.Stage(fmt.Sprintf("build %s", cfg.Cell), len(insts))
	tr, runErr := sweep.RunFleet(ctx, sweep.FleetOptions{
		Workload: w, Instances: insts, Strategy: strategy, Cache: cache, Workers: workers, Batch: batches[0],
		Daemons: daemons, Attempts: attempts, SkipExisting: skip, Config: cfg, Run: filepath.Base(out), Out: recs,
		TraceDir: traceDir, Health: env.Registry.Ping,
		OnImage: func(done, total int, rec *record.Image) {
			msg := ""
			if rec != nil {
				msg = fmt.Sprintf("%s %s %.1fs", rec.Instance, rec.Status, rec.WallSeconds)
			}
			disp.Update(done, msg)
		},
	})
	disp.Done()
	if err := recs.Write(&tr); err != nil {
		return err
	}
	fmt.Printf("%d images: %d built, %d skipped, %d failed in %.1fs (%.0f images/hour)\n",
		tr.Images, tr.Built, tr.Skipped, tr.Failed, tr.WallSeconds, tr.ImagesPerHour)
	fmt.Printf("per image (sums): exec %.1fs, image export %.1fs, cache export %.1fs, cache import %.1fs; cached steps %d/%d\n",
		tr.ExecSeconds, tr.ImageExportSeconds, tr.CacheExportSeconds, tr.CacheImportSeconds, tr.CachedSteps, tr.TotalSteps)
	fmt.Printf("records: %s\n", filepath.Join(out, "records.jsonl"))
	if runErr != nil {
		return runErr
	}
	if tr.Failed > 0 {
		return &failedError{fmt.Sprintf("%d of %d images failed; see %s", tr.Failed, tr.Images, filepath.Join(out, "records.jsonl"))}
	}
	return nil
}
