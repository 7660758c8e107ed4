package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
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

func (c *cli) build(ctx context.Context, args []string) error {
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
	fs := c.flags("build")
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
	if err := c.parse(fs, args); err != nil {
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
	insts, err := src.Universe()
	if err != nil {
		return err
	}
	if !wf.all {
		if insts, err = fixtures.Sample(insts, wf.sample, wf.seed); err != nil {
			return usagef("--sample: %v", err)
		}
	}
	sha := wf.sdkSha
	if sha == "" {
		sha = fixtures.SDKSha(wf.seed, 0)
	}
	u, err := sf.use()
	if err != nil {
		return err
	}
	disp := c.newDisplay()
	env, err := fleet.Open(ctx, fleet.Setup{Stack: u, Source: src.Source, Profile: prof, Instances: insts, SDKSha: sha,
		Out: out, Trace: trace, Warn: c.stderr})
	if err != nil {
		return err
	}
	defer env.Close()
	disp.Log("stack: %s; registry %s (%s)", env.Stack.Source, env.Stack.Registry.Addr, env.Stack.Registry.Kind)
	w := env.Workload
	recs, err := record.Create(filepath.Join(out, "records.jsonl"))
	if err != nil {
		return err
	}
	defer recs.Close()
	cfg := record.Config{Workers: workers, Batch: batches[0], CacheMode: string(cache), Strategy: strategy,
		Profile: w.Name, Daemons: len(env.Daemons), BuildKitVersion: env.BuildKitVersion, Host: env.Host}
	cfg.Cell = sweep.Cell{Workers: workers, Batch: batches[0], Cache: cache, Strategy: strategy}.Name()
	disp.Stage(fmt.Sprintf("build %s", cfg.Cell), len(insts))
	tr, runErr := fleet.Run(ctx, fleet.Options{
		Workload: w, Instances: insts, Strategy: strategy, Cache: cache, Workers: workers, Batch: batches[0],
		Daemons: env.Daemons, Attempts: attempts, SkipExisting: skip, Config: cfg, Run: filepath.Base(out), Out: recs,
		TraceDir: env.TraceDir, Health: env.Stack.Registry.Ping,
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
	fmt.Fprintf(c.stdout, "%d images: %d built, %d skipped, %d failed in %.1fs (%.0f images/hour)\n",
		tr.Images, tr.Built, tr.Skipped, tr.Failed, tr.WallSeconds, tr.ImagesPerHour)
	fmt.Fprintf(c.stdout, "per image (sums): exec %.1fs, image export %.1fs, cache export %.1fs, cache import %.1fs; cached steps %d/%d\n",
		tr.ExecSeconds, tr.ImageExportSeconds, tr.CacheExportSeconds, tr.CacheImportSeconds, tr.CachedSteps, tr.TotalSteps)
	fmt.Fprintf(c.stdout, "records: %s\n", filepath.Join(out, "records.jsonl"))
	if runErr != nil {
		return runErr
	}
	if tr.Failed > 0 {
		return &failedError{fmt.Sprintf("%d of %d images failed; see %s", tr.Failed, tr.Images, filepath.Join(out, "records.jsonl"))}
	}
	return nil
}
