package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/progress"
	"github.com/buildtune/buildtune/internal/record"
	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/sweep"
	"github.com/spf13/pflag"
)

func cmdSweep(ctx context.Context, args []string) error {
	var (
		sf                                       stackFlags
		workersS, batchS, cacheS, strategyS      string
		tempS, bandwidthS, gridFile, out, resume string
		profile                                  string
		reps, sample, attempts                   int
		seed                                     int64
		budget                                   time.Duration
		alpha, perImage                          float64
		latency                                  time.Duration
		errorRate, dropRate                      float64
		pruneThreshold, pruneKeep                string
		trace                                    bool
		src                                      sourceFlags
	)
	def := sweep.DefaultGrid()
	fs := pflag.NewFlagSet("sweep", pflag.ContinueOnError)
	fs.StringVar(&gridFile, "grid", "", "YAML grid file (flags given as well override its keys)")
	fs.StringVar(&workersS, "workers", "", "parallel workers, e.g. 1,2,4")
	fs.StringVar(&batchS, "batch", "", "batch sizes, e.g. 4,8,stream")
	fs.StringVar(&cacheS, "cache-mode", "", "registry cache export modes: off,min,max")
	fs.StringVar(&cacheS, "cache", "", "same as --cache-mode")
	fs.StringVar(&strategyS, "strategy", "", "build strategies: single,three-phase")
	fs.StringVar(&tempS, "temp", "", "trial temperatures: cold,warm (warm = a new SDK sha on the cold trial's state)")
	fs.StringVar(&bandwidthS, "registry-bandwidth", "", "registry bandwidth caps, shared by all connections: e.g. 20MiB/s,unlimited")
	fs.IntVar(&reps, "reps", 0, "repetitions per cell")
	fs.IntVar(&sample, "sample", 0, "instances in the sample (stratified by repo)")
	fs.Int64Var(&seed, "seed", 0, "seed of the sample and the trial order")
	fs.StringVar(&profile, "profile", "", "fixture profile: 'default' or a YAML file")
	fs.DurationVar(&budget, "budget", 0, "time budget: without --reps, an adaptive sweep (successive halving) within it; with --reps, refuses a grid estimated to exceed it")
	fs.Float64Var(&alpha, "alpha", 0, "significance level for dropping cells (default 0.05)")
	fs.Float64Var(&perImage, "per-image-seconds", 0, "per-image build time the estimates assume (default: the sweep package's measured figure)")
	fs.StringVar(&out, "out", "", "output folder (default runs/<timestamp>)")
	fs.StringVar(&resume, "resume", "", "continue the interrupted sweep in this folder")
	fs.IntVar(&attempts, "attempts", 1, "attempts per image (the real script uses 3; 1 measures failures as they are)")
	fs.DurationVar(&latency, "registry-latency", 0, "latency added to every registry request")
	fs.Float64Var(&errorRate, "registry-error-rate", 0, "fraction of registry requests answered 429/503")
	fs.Float64Var(&dropRate, "registry-drop-rate", 0, "fraction of registry connections dropped")
	fs.StringVar(&pruneThreshold, "prune-threshold", "0", "between batches, prune a daemon whose cache reaches this size (e.g. 2GiB; 0 = never)")
	fs.StringVar(&pruneKeep, "prune-keep", "0", "bytes of cache a prune keeps (e.g. 1GiB)")
	fs.BoolVar(&trace, "trace", false, "keep BuildKit's raw status stream per build in OUT/traces")
	src.register(fs)
	sf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	adaptive := budget > 0 && !fs.Changed("reps")

	// The grid: run.json when resuming, else defaults < --grid file < flags.
	var g sweep.Grid
	if resume != "" {
		for _, name := range []string{"workload", "instances", "context", "dockerfile", "target", "base-image", "tag", "cache-ref", "build-arg", "grid", "workers", "batch", "cache-mode", "cache", "strategy", "temp", "registry-bandwidth", "reps", "sample", "seed", "profile", "out"} {
			if fs.Changed(name) {
				return usagef("--resume %s: --%s cannot change a sweep that has started (its settings are in run.json)", resume, name)
			}
		}
		info, err := sweep.ReadRunInfo(resume)
		if err != nil {
			return usagef("--resume %s: %v", resume, err)
		}
		g, out = info.Grid, resume
		saved, err := loadSource(resume)
		if err != nil {
			return usagef("--resume %s: %v", resume, err)
		}
		saved.DockerAuth = src.DockerAuth
		src = *saved
	} else {
		if err := src.check(); err != nil {
			return err
		}
		g = def
		if gridFile != "" {
			if data, err := os.ReadFile(gridFile); err == nil && strings.TrimSpace(string(data)) == "" {
				return usagef("--grid %s: the file is empty; want YAML with keys such as workers, batch, cache, reps", gridFile)
			}
			var err error
			if g, err = sweep.LoadGrid(gridFile); err != nil {
				return usagef("--grid: %v", err)
			}
		}
		var err error
		set := func(name string, fn func(string) error) {
			if err == nil && fs.Changed(name) {
				v, _ := fs.GetString(name)
				if e := fn(v); e != nil {
					err = usagef("--%s: %v", name, e)
				}
			}
		}
		set("workers", func(s string) (e error) { g.Workers, e = sweep.ParseWorkers(s); return })
		set("batch", func(s string) (e error) { g.Batches, e = sweep.ParseBatches(s); return })
		set("cache-mode", func(s string) (e error) { g.Cache, e = sweep.ParseCacheModes(s); return })
		set("cache", func(s string) (e error) { g.Cache, e = sweep.ParseCacheModes(s); return })
		set("strategy", func(s string) (e error) { g.Strategies, e = sweep.ParseStrategies(s); return })
		set("temp", func(s string) (e error) { g.Temps, e = sweep.ParseTemps(s); return })
		set("registry-bandwidth", func(s string) (e error) { g.Registry, e = sweep.ParseBandwidths(s); return })
		if err != nil {
			return err
		}
		if fs.Changed("reps") {
			g.Reps = reps
		}
		if fs.Changed("sample") {
			g.Sample = sample
		}
		if fs.Changed("seed") {
			g.Seed = seed
		}
		if fs.Changed("profile") {
			g.Profile = profile
		}
		if err := g.Validate(); err != nil {
			return usagef("%v", err)
		}
		if out == "" {
			out = defaultOut()
		}
	}
	threshold, err := fixtures.ParseBytes(pruneThreshold)
	if err != nil {
		return usagef("--prune-threshold: %v", err)
	}
	keep, err := fixtures.ParseBytes(pruneKeep)
	if err != nil {
		return usagef("--prune-keep: %v", err)
	}
	proxy := regproxy.Settings{Latency: latency, ErrorRate: errorRate, DropRate: dropRate, Seed: g.Seed}
	if err := proxy.Validate(); err != nil {
		return usagef("registry conditions: %v", err)
	}
	if attempts < 1 {
		return usagef("--attempts %d: want 1 or more", attempts)
	}
	opts := sweep.Options{Grid: g, OutDir: out, Resume: resume != "", Budget: budget, Adaptive: adaptive,
		Alpha: alpha, PerImageSeconds: perImage}
	if resume != "" {
		opts.Grid = sweep.Grid{}
	}
	// Refuse a grid that cannot fit the budget before starting anything.
	if resume == "" && budget > 0 {
		pi := perImage
		if pi == 0 {
			pi = sweep.DefaultPerImageSeconds
		}
		check := g
		if adaptive {
			check.Reps = sweep.DefaultInitialReps
		}
		if err := sweep.CheckBudget(check, pi, sweep.EstimateCores, budget); err != nil {
			return usagef("--budget: %v", err)
		}
	}

	prof, err := fixtures.LoadProfile(g.Profile)
	if err != nil {
		return usagef("--profile: %v", err)
	}
	all, err := src.universe()
	if err != nil {
		return err
	}
	insts, err := fixtures.Sample(all, g.Sample, g.Seed)
	if err != nil {
		return usagef("--sample: %v", err)
	}
	disp := newDisplay()
	env, closeEnv, err := sf.connect(ctx, disp)
	if err != nil {
		return err
	}
	defer closeEnv()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if resume == "" {
		if err := src.save(out); err != nil {
			return err
		}
	}
	src.attachAuth(env.Daemons)
	w, err := src.prepare(ctx, env.Registry.Addr, out, prof, insts, fixtures.SDKSha(g.Seed, 0))
	if err != nil {
		return err
	}
	bkVersion, _ := env.Daemons[0].Version(ctx)
	host, _ := os.Hostname()
	var daemons []sweep.Daemon
	for _, d := range env.Daemons {
		daemons = append(daemons, d)
	}
	traceDir := ""
	if trace {
		traceDir = filepath.Join(out, "traces")
		if err := os.MkdirAll(traceDir, 0o755); err != nil {
			return fmt.Errorf("trace folder: %w", err)
		}
	}
	runner := &sweep.StackRunner{Workload: w, Instances: insts, Daemons: daemons, Registry: env.Registry.Addr,
		Proxy: proxy, Attempts: attempts, Prune: sweep.PrunePolicy{ThresholdBytes: int64(threshold), KeepBytes: int64(keep)},
		Host: host, BuildKitVersion: bkVersion, TraceDir: traceDir, Direct: !stack.Loopback(env.Registry.Addr)}
	opts.Info = sweep.RunInfo{BuildKitVersion: bkVersion, CommandLine: os.Args, Workload: w.Name}
	opts.Progress = &sweepProgress{d: disp}
	opts.Log = &logWriter{d: disp}
	if adaptive {
		disp.Log("sweep: %d cells, adaptive (successive halving) within %s, %v, sample %d, seed %d -> %s", len(g.Cells()), budget, g.Temps, g.Sample, g.Seed, out)
	} else {
		disp.Log("sweep: %d cells x %d reps x %v, sample %d, seed %d -> %s", len(g.Cells()), g.Reps, g.Temps, g.Sample, g.Seed, out)
	}
	sum, runErr := sweep.Run(ctx, opts, runner)
	disp.Done()
	if sum != nil {
		printSweepSummary(out, sum)
	}
	if errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("stopped; what was recorded is in %s; resume with: buildtune sweep --resume %s: %w", out, out, runErr)
	}
	return runErr
}

// printSweepSummary ranks the cells by images/hour from the records and
// writes the ranking to stdout and OUT/summary.md.
func printSweepSummary(out string, sum *sweep.Summary) {
	set, err := record.ReadFile(filepath.Join(out, sweep.RecordsFile))
	if err != nil {
		fmt.Fprintf(os.Stderr, "buildtune: reading records: %v\n", err)
		return
	}
	set = sweep.Latest(set)
	var b strings.Builder
	fmt.Fprintf(&b, "# Sweep %s\n", sum.RunID)
	for _, temp := range []string{sweep.Cold, sweep.Warm} {
		cells := map[string][]float64{}
		for _, t := range set.Trials {
			if t.Temp == temp && !t.Interrupted && t.Error == "" {
				cells[t.Cell] = append(cells[t.Cell], t.ImagesPerHour)
			}
		}
		if len(cells) == 0 {
			continue
		}
		r := analyze.Rank(cells, true, analyze.DefaultAlpha)
		fmt.Fprintf(&b, "\n%s trials, images/hour: median with its 95%% CI; p = Mann-Whitney against the best, Holm-corrected; worse = significantly worse at %.2f\n\n", temp, r.Alpha)
		b.WriteString("| | cell | median | 95% CI | n | p | |\n|---|---|---|---|---|---|---|\n")
		for _, c := range r.Cells {
			mark := ""
			switch {
			case c.Best:
				mark = "best"
			case c.Worse:
				mark = "worse"
			}
			fmt.Fprintf(&b, "| %d | %s | %.1f | %.1f-%.1f | %d | %.3g | %s |\n", c.Position, c.Name, c.Sample.Median, c.Sample.Lo, c.Sample.Hi, c.Sample.N, c.PAdjusted, mark)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "\nNote: %s\n", w)
		}
	}
	fmt.Fprintf(&b, "\n%d trials run, %d resumed, %s elapsed. Records: `%s`.\n", sum.Ran, sum.Resumed, sum.Elapsed.Round(time.Second), filepath.Join(out, sweep.RecordsFile))
	if sum.Stop != "" {
		fmt.Fprintf(&b, "\nAdaptive: %s (best %s).\n", sum.Stop, sum.Best)
		for _, d := range sum.Dropped {
			fmt.Fprintf(&b, "- dropped %s\n", d.String())
		}
	}
	fmt.Print("\n" + b.String())
	path := filepath.Join(out, "summary.md")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "buildtune: writing %s: %v\n", path, err)
		return
	}
	fmt.Printf("summary: %s\n", path)
}

// sweepProgress shows trials and images on the display.
type sweepProgress struct {
	d *progress.Display
}

func (p *sweepProgress) Trial(ev sweep.TrialEvent) {
	if ev.Record == nil {
		p.d.Stage(fmt.Sprintf("trial %d/%d %s %s rep %d (sweep %s elapsed, eta %s)", ev.N, ev.Of, ev.Trial.Cell.Name(),
			ev.Trial.Temp, ev.Trial.Rep, ev.Elapsed.Round(time.Second), ev.ETA.Round(time.Second)), 0)
		return
	}
	p.d.Done()
}

func (p *sweepProgress) Images(t sweep.Trial, done, total int) {
	p.d.Total(total)
	p.d.Update(done, "images")
}

// logWriter sends the sweep's log lines through the display, a whole line
// at a time.
type logWriter struct {
	d   *progress.Display
	mu  sync.Mutex
	buf []byte
}

func (l *logWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		l.d.Log("%s", l.buf[:i])
		l.buf = l.buf[i+1:]
	}
}
