package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/hostload"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/progress"
	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/reports"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/spf13/pflag"
)

func (c *cli) sweep(ctx context.Context, args []string) error {
	var (
		sf                                       stackFlags
		workersS, batchS, cacheS, strategyS      string
		tempS, bandwidthS, gridFile, out, resume string
		profile                                  string
		reps, repsCap, sample, attempts          int
		seed                                     int64
		budget                                   time.Duration
		alpha, perImage                          float64
		equivalence                              string
		latency                                  time.Duration
		errorRate, dropRate                      float64
		pruneThreshold, pruneKeep                string
		trace, warmup                            bool
		configs                                  []string
		src                                      sourceFlags
	)
	def := sweep.DefaultGrid()
	fs := c.flags("sweep")
	fs.StringVar(&gridFile, "grid", "", sweepUsage["grid"])
	fs.StringArrayVar(&configs, "config", nil, "an explicit cell instead of the cross product, e.g. workers=4,batch=15,cache=max; repeatable")
	fs.StringVar(&workersS, "workers", "", fmt.Sprintf("parallel workers, e.g. 1,2,4 (default %s)", gridList(def.Workers)))
	fs.StringVar(&batchS, "batch", "", fmt.Sprintf("batch sizes, e.g. 4,8,stream (default %s)", gridList(batchLabels(def.Batches))))
	fs.StringVar(&cacheS, "cache-mode", "", fmt.Sprintf("registry cache export modes: off,min,max (default %s)", gridList(def.Cache)))
	fs.StringVar(&cacheS, "cache", "", "same as --cache-mode")
	fs.StringVar(&strategyS, "strategy", "", fmt.Sprintf("build strategies: single,three-phase (default %s)", gridList(def.Strategies)))
	fs.StringVar(&tempS, "temp", "", sweepUsage["temp"])
	fs.StringVar(&bandwidthS, "registry-bandwidth", "", fmt.Sprintf("registry bandwidth caps, shared by all connections: e.g. 20MiB/s,unlimited (default %s)", gridList(def.Registry)))
	fs.IntVar(&reps, "reps", 0, sweepUsage["reps"])
	fs.IntVar(&repsCap, "max-reps", 0, sweepUsage["max-reps"])
	fs.IntVar(&sample, "sample", 0, sweepUsage["sample"])
	fs.Int64Var(&seed, "seed", 0, sweepUsage["seed"])
	fs.StringVar(&profile, "profile", "", sweepUsage["profile"])
	durationVar(fs, &budget, "budget", 0, sweepUsage["budget"])
	fs.Float64Var(&alpha, "alpha", 0, "significance level for dropping cells (default 0.05)")
	fs.StringVar(&equivalence, "equivalence", "3%", sweepUsage["equivalence"])
	fs.Float64Var(&perImage, "per-image-seconds", 0, "per-image build time the estimates assume (default: the sweep package's measured figure for the default profile, raised for a --profile of more work per image)")
	fs.StringVar(&out, "out", "", sweepUsage["out"])
	fs.StringVar(&resume, "resume", "", "continue the interrupted sweep in this folder, with the instance ids run.json keeps (instance_list; an edited list file is ignored, with a warning) and its profile, checked by digest (--profile NEWPATH names a moved one)")
	fs.IntVar(&attempts, "attempts", 1, sweepUsage["attempts"])
	durationVar(fs, &latency, "registry-latency", 0, sweepUsage["registry-latency"])
	fs.Float64Var(&errorRate, "registry-error-rate", 0, sweepUsage["registry-error-rate"])
	fs.Float64Var(&dropRate, "registry-drop-rate", 0, sweepUsage["registry-drop-rate"])
	fs.StringVar(&pruneThreshold, "prune-threshold", "0", pruneThresholdUsage)
	fs.StringVar(&pruneKeep, "prune-keep", "0", pruneKeepUsage)
	fs.BoolVar(&trace, "trace", false, sweepUsage["trace"])
	fs.BoolVar(&warmup, "warmup", true, sweepUsage["warmup"])
	src.register(fs)
	sf.register(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := emptyValues(fs, withSourceWants(map[string]string{"grid": "a YAML grid file (leave the flag out for the default grid)"})); err != nil {
		return err
	}
	margin, merr := input.Fraction(equivalence)
	switch {
	case merr != nil || !(margin > 0 && margin < 1):
		return input.Errorf("--equivalence", "%q: want a margin such as 3%% (between 0 and 100%%)", equivalence)
	case budget < 0:
		return usagef("--budget %v: want a positive duration (or 0 for no budget)", budget)
	case alpha < 0 || alpha >= 1 || math.IsNaN(alpha):
		return usagef("--alpha %v: want a significance level between 0 and 1, such as 0.05", alpha)
	case perImage < 0 || math.IsNaN(perImage) || math.IsInf(perImage, 0) || perImage > maxPerImageSeconds:
		return usagef("--per-image-seconds %v: want a finite number of seconds >= 0, at most %d (0 = the measured default)", perImage, maxPerImageSeconds)
	case attempts < 1 || attempts > maxAttempts:
		return usagef("--attempts %d: want 1 or more, at most %d", attempts, maxAttempts)
	}
	// Reps given by the flag or by the grid file make a fixed sweep, which
	// the budget only checks; without either, the budget runs an adaptive
	// one.
	adaptive := budget > 0 && !fs.Changed("reps") && !sweep.GridFileSetsReps(gridFile)
	if fs.Changed("reps") && (reps < 1 || reps > maxReps) {
		return usagef("--reps %d: want 1 or more, at most %d", reps, maxReps)
	}
	if fs.Changed("max-reps") {
		switch {
		case repsCap < sweep.DefaultInitialReps || repsCap > maxReps:
			return usagef("--max-reps %d: want at least %d (an adaptive sweep's first round) and at most %d", repsCap, sweep.DefaultInitialReps, maxReps)
		case resume == "" && !adaptive:
			return usagef("--max-reps %d: applies to an adaptive sweep (--budget without --reps or a grid file's reps); a fixed sweep gives every cell its --reps", repsCap)
		}
	}
	if fs.Changed("resume") && strings.TrimSpace(resume) == "" {
		// An empty value is no resume at all: it would start a new sweep
		// of the default grid where one was meant to be continued.
		return input.Errorf("--resume", "empty value; want the folder of an interrupted sweep (with run.json)")
	}
	if resume == "" {
		if err := checkFolderFlag(fs, "out", out); err != nil {
			return err
		}
	}

	if fs.Changed("cache-mode") && fs.Changed("cache") {
		return usagef("--cache and --cache-mode: give one (they are the same flag)")
	}
	// The grid: run.json when resuming, else defaults < --grid file < flags.
	var (
		// made are the folders of a new sweep's --out that did not exist,
		// removed if left empty; inUse keeps them when another sweep holds
		// the folder.
		made  newDirs
		inUse bool
		g     sweep.Grid
		// started is run.json of the sweep resumed, and givenList the
		// --instances given to the resume (which may only name the list
		// the sweep started with, moved: see resumeInstances).
		started   sweep.RunInfo
		givenList = src.Instances
	)
	if resume != "" {
		// --instances and --profile may name the sweep's own list and
		// profile where they are now (a moved file): checked against
		// run.json below.
		for _, name := range []string{"workload", "context", "dockerfile", "target", "base-image", "tag", "cache-ref", "build-arg", "grid", "config", "workers", "batch", "cache-mode", "cache", "strategy", "temp", "registry-bandwidth", "reps", "max-reps", "sample", "seed", "out"} {
			if fs.Changed(name) {
				return usagef("--resume %s: --%s cannot change a sweep that has started (its settings are in run.json)", resume, name)
			}
		}
		info, err := sweep.ReadRunInfo(resume)
		if err != nil {
			return usagef("--resume %s: %v; want the folder of an interrupted sweep (with run.json)", resume, err)
		}
		if err := info.Grid.Validate(); err != nil {
			return input.Errorf("--resume "+resume, "%s: %v; want the folder of a sweep as buildtune wrote it", filepath.Join(resume, sweep.RunInfoFile), err)
		}
		started = info
		g, out = info.Grid, resume
		// Adaptive or fixed is the sweep's own, as run.json keeps it: a
		// --budget given to the resume of a fixed sweep does not make it
		// adaptive, and a resumed adaptive sweep stays one without it.
		if info.Adaptive {
			adaptive = true
			if budget == 0 {
				budget = time.Duration(info.BudgetSeconds * float64(time.Second))
			}
		} else {
			if budget > 0 {
				fmt.Fprintf(c.stderr, "sweep: --budget %v not applied: the sweep in %s has fixed reps (%d per cell), which a budget does not change\n", budget, resume, info.Grid.Reps)
			}
			adaptive = false
		}
		if !fs.Changed("warmup") {
			// The sweep's own choice: a resume of a sweep started with
			// --warmup=false must not add a warm-up trial.
			warmup = startedWarmup(info)
		}
		saved, err := fleet.LoadSource(resume)
		if err != nil {
			return usagef("--resume %s: %v", resume, err)
		}
		saved.DockerAuth = src.DockerAuth
		src.Source = *saved
	} else {
		if err := src.check(); err != nil {
			return err
		}
		// A profile shapes the generated fixtures only: with a custom
		// workload it was read and then ignored, and the user believed the
		// sweep measured it.
		if src.Custom() && fs.Changed("profile") {
			return input.Errorf("--profile "+profile, "a fixture profile shapes the generated fixtures, and this sweep builds a custom workload (--workload or --context) instead; leave --profile out")
		}
		g = def
		if gridFile != "" {
			if fi, err := os.Stat(gridFile); err == nil && fi.IsDir() {
				return input.Errorf("--grid "+gridFile, "a folder; want a YAML grid file with keys such as workers, batch, cache, reps")
			}
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
		if len(configs) > 0 {
			for _, name := range []string{"workers", "batch", "cache-mode", "cache", "strategy", "registry-bandwidth"} {
				if fs.Changed(name) {
					return usagef("--config and --%s: explicit cells replace the grid's dimensions; give one or the other", name)
				}
			}
			g.Configs = nil
			for _, cs := range configs {
				cell, err := sweep.ParseCell(cs)
				if err != nil {
					return usagef("--config: %v", err)
				}
				g.Configs = append(g.Configs, cell)
			}
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
		// A profile file is recorded by its absolute path, so that
		// --resume from another working folder reads the same file.
		if g.Profile != "" && g.Profile != fixtures.DefaultProfile && !filepath.IsAbs(g.Profile) {
			if abs, err := filepath.Abs(g.Profile); err == nil {
				g.Profile = abs
			}
		}
		if err := g.Validate(); err != nil {
			return gridInputError(fs, gridFile, err)
		}
		if err := checkGridBounds(g, gridFile); err != nil {
			return err
		}
		if out == "" {
			out = defaultOut()
		}
		// Before the stack starts and anything is written into out (the
		// fixtures' context, source.json): a folder that holds a sweep or
		// records is refused as it is.
		if err := sweep.CheckNewOutDir(out); err != nil {
			return input.Errorf("--out", "%v", err)
		}
		// The stack creates out before it connects: if this sweep ends
		// leaving the folders it made empty (no buildkitd, a daemon down,
		// any refusal before run.json), they go, and the same --out can be
		// given again as if this attempt had not been made.
		made = missingDirs(out)
	}
	// A folder refused as in use by another sweep is that sweep's, even
	// when it was missing here a moment ago: never removed.
	defer func() {
		if !inUse {
			made.removeEmpty()
		}
	}()
	threshold, keep, err := input.PruneSizes(pruneThreshold, pruneKeep)
	if err != nil {
		return err
	}
	proxy := regproxy.Settings{Latency: latency, ErrorRate: errorRate, DropRate: dropRate, Seed: g.Seed}
	if err := checkProxy(proxy); err != nil {
		return err
	}
	opts := sweep.Options{Grid: g, OutDir: out, Resume: resume != "", Budget: budget, Adaptive: adaptive,
		Alpha: alpha, EquivalenceMargin: margin, MaxReps: repsCap, PerImageSeconds: perImage, Warmup: warmup}
	if resume != "" {
		opts.Grid = sweep.Grid{}
	}
	profileFrom := "--profile"
	if resume == "" && !fs.Changed("profile") && sweep.GridFileSets(gridFile, "profile") {
		profileFrom = "--grid " + gridFile + ": profile"
	}
	prof, err := c.sweepProfile(resume, started, g.Profile, fs.Changed("profile"), profile, profileFrom)
	if err != nil {
		return err
	}
	// The estimates (the budget's check, the ETA) assume the per-image time
	// of the fixtures' profile unless --per-image-seconds says otherwise; a
	// resumed sweep keeps the figure run.json has.
	if perImage == 0 && resume == "" && !src.Custom() {
		perImage = sweep.ProfilePerImageSeconds(prof)
		opts.PerImageSeconds = perImage
	}
	// A cell that exports the registry cache needs somewhere to export it.
	// And a cell's strategy needs a plan of the workload: a workload
	// file's plans, a one-Dockerfile workload's single.
	for _, c := range g.Cells() {
		from := cacheFrom(fs, resume, gridFile, c.Cache)
		if err := src.CheckCache(c.Cache, from); err != nil {
			return err
		}
		if err := src.CheckStrategy(c.Strategy); err != nil {
			return err
		}
		if err := checkWorkloadCache(src.Source, c, from); err != nil {
			return err
		}
	}
	var all []workload.Instance
	if resume != "" {
		all, err = c.resumeInstances(resume, started.Instances, src.Source, givenList)
	} else {
		all, err = universe(src.Source)
	}
	if err != nil {
		return err
	}
	from := "the default"
	if gridFile != "" && !fs.Changed("sample") && sweep.GridFileSets(gridFile, "sample") {
		from = "--grid " + gridFile
	}
	if resume == "" {
		if err := sampleFromList(fs, listFlag(src.Source), len(all), g.Sample, from); err != nil {
			return err
		}
	} else if err := resumeSample(resume, started, len(all), g.Sample); err != nil {
		return err
	}
	insts, err := fixtures.Sample(all, g.Sample, g.Seed)
	if err != nil {
		if resume != "" {
			// The sample is run.json's: the user gave no --sample.
			return input.Bad("--resume "+resume, fmt.Errorf("%s: %w; want run.json as buildtune wrote it", filepath.Join(resume, sweep.RunInfoFile), err))
		}
		return usagef("--sample: %v", err)
	}
	// Refuse a grid that cannot fit the budget before starting anything,
	// and after every other input is checked: the estimate is of the grid
	// as it would run, so a bad profile, list or sample is named as such
	// rather than as a grid too large for the budget.
	if resume == "" && budget > 0 {
		pi := perImage
		if pi == 0 {
			pi = sweep.DefaultPerImageSeconds
		}
		check := sweep.CheckBudget(g, pi, sweep.EstimateCores, budget)
		if adaptive {
			check = sweep.CheckAdaptiveBudget(g, sweep.DefaultInitialReps, pi, sweep.EstimateCores, budget)
		}
		if check != nil {
			return usagef("--budget: %v", check)
		}
	}
	u, err := sf.use()
	if err != nil {
		return err
	}
	// Fixtures built by daemons of this machine (a private stack or a
	// running `stack up`) must fit its disk: one trial's layers, at least.
	if resume == "" && !src.Custom() && len(u.BuildkitAddrs) == 0 && os.Getenv("BUILDKIT_HOST") == "" {
		if free, err := sweep.DiskFree(os.TempDir()); err == nil {
			if err := sweep.CheckTrialDisk(prof, cmp.Or(g.Profile, fixtures.DefaultProfile), insts, free, os.TempDir()); err != nil {
				return err
			}
		}
	}
	disp := c.newDisplay()
	if resume != "" {
		// A sweep with no trial left to run needs no stack: what resuming
		// it gives (the summary; for prove, the verdict) follows from the
		// records alone.
		sum, err := finishedSweep(ctx, opts)
		if err != nil {
			return err
		}
		if sum != nil {
			disp.Log("sweep: nothing left to build in %s (%d trials recorded); no stack started", out, sum.Resumed)
			c.writeSweepSummary(out, sum)
			return nil
		}
		// Trials are left: their records, the fixtures' context and the
		// summary are written in the folder. One that cannot be written
		// was an "infrastructure failure" (exit 3) once the stack had
		// started.
		if err := checkWritableFolder("--resume", out); err != nil {
			return err
		}
	}
	release, err := lockSweepFolder(out, resume != "", c.stderr)
	if err != nil {
		inUse = errors.Is(err, fleet.ErrInUse)
		return err
	}
	defer release()
	env, err := fleet.Open(ctx, fleet.Setup{Stack: u, Source: src.Source, Profile: prof, Instances: insts,
		SDKSha: fixtures.SDKSha(g.Seed, 0), Out: out, Trace: trace, Warn: c.stderr})
	if err != nil {
		return err
	}
	defer env.Close()
	disp.Log("stack: %s; registry %s (%s)", env.Stack.Source, env.Stack.Registry.Addr, env.Stack.Registry.Kind)
	if resume == "" {
		if err := src.Save(out); err != nil {
			return err
		}
	}
	w := env.Workload
	bkVersion, host := env.BuildKitVersion, env.Host
	runner := &sweep.StackRunner{Workload: w, Instances: insts, Daemons: env.Daemons, DaemonLimits: env.DaemonLimits, Registry: env.Stack.Registry.Addr,
		Proxy: proxy, Attempts: attempts, Prune: fleet.PrunePolicy{ThresholdBytes: int64(threshold), KeepBytes: int64(keep)},
		Host: host, BuildKitVersion: bkVersion, TraceDir: env.TraceDir, Direct: !stack.Loopback(env.Stack.Registry.Addr),
		Health: env.Stack.Registry.Ping}
	if roots, ok := env.Stack.OwnProcesses(); ok {
		runner.Load = hostload.New(roots...)
	}
	opts.Info = sweep.RunInfo{BuildKitVersion: bkVersion, CommandLine: os.Args, Workload: w.Name, Warmup: &warmup,
		Stack: &sweep.StackInfo{Source: env.Stack.Source, Private: env.Stack.Private != nil, RegistryKind: string(env.Stack.Registry.Kind),
			Daemons: len(env.Daemons), PruneThresholdBytes: int64(threshold), PruneKeepBytes: int64(keep)}}
	if env.Stack.Private != nil {
		opts.Info.Stack.MaxParallelism, opts.Info.Stack.RegistryConcurrency = sf.maxParallelism, sf.regConcurrency
	}
	if !src.Custom() {
		opts.Info.ProfileDigest = prof.Digest()
	}
	if resume == "" {
		if opts.Info.Instances, err = instanceList(src.Source, all); err != nil {
			return err
		}
	}
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
		c.writeSweepSummary(out, sum)
	}
	if errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("stopped; what was recorded is in %s; resume with: buildtune sweep --resume %s: %w", out, out, runErr)
	}
	if runErr == nil {
		if msg := sweepFailures(out); msg != "" {
			return &failedError{msg}
		}
	}
	return runErr
}

// lockSweepFolder makes the folder of a sweep (created if missing) this
// process's alone until release: two sweeps into one --out, or two resumes
// of one folder, at the same time both wrote the fixtures' context and
// source.json, and both ran the trials left, each appending its records
// of the same trials among the other's. The lock is fleet.LockFolder's,
// the one a build takes, on the folder itself: a refused sweep writes
// nothing in it. A new sweep's folder is checked again once locked, in
// case another sweep wrote its run.json in it in the meantime. A file
// system without flock is warned about, not refused.
func lockSweepFolder(out string, resume bool, warn io.Writer) (func(), error) {
	flag := "--out "
	if resume {
		flag = "--resume "
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, input.Bad(flag+out, fmt.Errorf("creating the sweep folder: %w", err))
	}
	release, err := fleet.LockFolder(out)
	switch {
	case errors.Is(err, fleet.ErrInUse):
		return nil, input.Bad(flag+out, fmt.Errorf("%w: want another folder, or that sweep or build to end first", err))
	case err != nil:
		fmt.Fprintf(warn, "warning: %s%s: %v: a second sweep into this folder at the same time would not be refused\n", flag, out, err)
		release = func() {}
	}
	if !resume {
		if err := sweep.CheckNewOutDir(out); err != nil {
			release()
			return nil, input.Errorf("--out", "%v", err)
		}
	}
	return release, nil
}

// sweepFailures says how many images failed to build in the sweep's
// latest trials (exit 1, as any command whose builds failed), or "" when
// none did.
func sweepFailures(out string) string {
	set, err := record.ReadFile(filepath.Join(out, sweep.RecordsFile))
	if err != nil {
		return ""
	}
	images, trials, infra, all := 0, 0, 0, 0
	latest := record.Latest(set)
	for _, t := range latest.Trials {
		if t.Interrupted {
			continue
		}
		all++
		if t.Failed > 0 {
			images += t.Failed
			trials++
		}
		if t.InfraFailed > 0 {
			infra++
		}
	}
	if images == 0 {
		return ""
	}
	// A trial with an infrastructure failure (a registry or daemon that
	// did not answer, such as a --cache-ref registry that is down) does
	// not count at all, not even its built images.
	left := ""
	if infra > 0 {
		left = fmt.Sprintf(" (%s with infrastructure failures, a registry or daemon that did not answer: %s left out of the statistics altogether)",
			analyze.Plural(infra, "trial"), map[bool]string{true: "it is", false: "they are"}[infra == 1])
	}
	return fmt.Sprintf("%s failed to build in %d of %d trials%s%s; their errors are in %s, and the statistics count the built images only",
		analyze.Plural(images, "image"), trials, all, left, failedInstances(latest), filepath.Join(out, sweep.RecordsFile))
}

// failedInstances names the instances whose builds failed in set (the
// latest trials' image records), most often first, with the first error
// on one line: ": a (in 2 trials), b (in 1); first error (a): ...", or ""
// when no image record says which failed. An instance that fails in every
// trial (a RUN that exits 1 for it alone) is not a slow cell's noise.
func failedInstances(set *record.Set) string {
	count := map[string]int{}
	var order []string
	first, firstID := "", ""
	for _, im := range set.Images {
		if im.Status != record.StatusFailed {
			continue
		}
		name := im.Instance
		if name == "" {
			// A three-phase plan's shared phase, built once per trial:
			// every instance of its trial failed with it.
			name = "shared phase " + im.Phase
		}
		if count[name] == 0 {
			order = append(order, name)
		}
		count[name]++
		if first == "" && im.Error != "" {
			first, firstID = errorLine(im.Error), name
		}
	}
	if len(order) == 0 {
		return ""
	}
	slices.SortStableFunc(order, func(a, b string) int { return count[b] - count[a] })
	names := make([]string, len(order))
	for i, id := range order {
		unit := ""
		if i == 0 {
			unit = map[bool]string{true: " trial", false: " trials"}[count[id] == 1]
		}
		names[i] = fmt.Sprintf("%s (in %d%s)", id, count[id], unit)
	}
	out := ": " + someNames(names)
	if first != "" {
		out += fmt.Sprintf("; first error (%s): %s", firstID, first)
	}
	return out
}

// cacheFrom names the input a sweep's cache mode came from, for a message
// refusing it: the flag as typed (--cache is --cache-mode's alias), the
// grid file, or the run.json of a resume.
func cacheFrom(fs *pflag.FlagSet, resume, gridFile string, mode engine.CacheMode) string {
	switch {
	case fs.Changed("cache"):
		return "--cache " + string(mode)
	case fs.Changed("cache-mode"):
		return "--cache-mode " + string(mode)
	case resume != "":
		return "--resume " + resume + ": " + filepath.Join(resume, sweep.RunInfoFile)
	case gridFile != "":
		return "--grid " + gridFile
	}
	return "--cache-mode " + string(mode)
}

// checkWorkloadCache refuses a cell that exports the registry cache (mode
// min or max) when a phase of its plan in the workload file has no
// cache_to: every build of that phase would fail ("cache mode min needs a
// cache ref to export to") after the stack started. CheckCache says the
// same of a one-Dockerfile workload without --cache-ref.
//
// from names the input the mode came from (cacheFrom).
func checkWorkloadCache(src fleet.Source, c sweep.Cell, from string) error {
	if src.Workload == "" || c.Cache == engine.CacheOff || c.Cache == "" {
		return nil
	}
	w, err := workload.Load(src.Workload)
	if err != nil {
		return input.Bad("--workload", err)
	}
	if phase, missing := w.NoCacheTo(c.Strategy); missing {
		return input.Errorf(from, "cache mode %s exports the registry cache, and phase %q of plan %s in the workload file %s has no cache_to to export to: give it cache_to, or cache mode off",
			c.Cache, phase, c.Strategy, src.Workload)
	}
	return nil
}

// finishedSweep reports whether resuming the sweep of opts would run no
// trial, and then returns what such a resume sums up. It asks sweep.Run
// itself, so that what is left is decided as the resume decides it (the
// plan, the reps, an adaptive sweep's rounds, drops and budget): Run
// replays the records of a copy of run.json and records.jsonl in a
// temporary folder, with a runner that stops it at the first trial it is
// asked to run. The sweep's own folder is left untouched. Nil means a
// trial is left, or the replay failed before any (the resume proper, with
// its stack, then reports that failure naming the sweep's own folder).
func finishedSweep(ctx context.Context, opts sweep.Options) (*sweep.Summary, error) {
	tmp, err := os.MkdirTemp("", "buildtune-resume-")
	if err != nil {
		return nil, fmt.Errorf("checking what is left of the sweep in %s: %w", opts.OutDir, err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range []string{sweep.RunInfoFile, sweep.RecordsFile} {
		if err := copyFile(filepath.Join(opts.OutDir, name), filepath.Join(tmp, name)); errors.Is(err, os.ErrNotExist) && name == sweep.RecordsFile {
			return nil, nil // no records: everything is left
		} else if err != nil {
			return nil, fmt.Errorf("checking what is left of the sweep in %s: %w", opts.OutDir, err)
		}
	}
	probe := opts
	probe.OutDir, probe.Progress, probe.Log = tmp, nil, nil
	r := &leftProbe{}
	sum, err := sweep.Run(ctx, probe, r)
	if err != nil && !r.asked && errors.Is(err, input.ErrBad) {
		// The folder cannot be resumed as it is (records that do not
		// parse or do not match run.json's plan): said now, before a
		// stack is started for it, naming the sweep's own folder.
		msg := strings.ReplaceAll(err.Error(), tmp, opts.OutDir)
		msg = strings.TrimPrefix(msg, "resuming "+opts.OutDir+": ")
		return nil, input.Errorf("--resume "+opts.OutDir, "%s", msg)
	}
	if r.asked || err != nil || sum == nil {
		return nil, nil
	}
	sum.OutDir = opts.OutDir
	return sum, nil
}

// leftProbe is the runner of finishedSweep: asked for a trial, it notes
// that one is left and stops the replay as an interrupt does.
type leftProbe struct{ asked bool }

func (p *leftProbe) RunTrial(context.Context, sweep.Trial, *record.Writer) (record.Trial, error) {
	p.asked = true
	return record.Trial{}, context.Canceled
}

// copyFile copies the file src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writeSweepSummary ranks the cells from the records and writes the
// ranking to stdout and OUT/summary.md.
func (c *cli) writeSweepSummary(out string, sum *sweep.Summary) {
	recs := filepath.Join(out, sweep.RecordsFile)
	set, err := record.ReadFile(recs)
	if err != nil {
		fmt.Fprintf(c.stderr, "buildtune: reading records: %v\n", err)
		return
	}
	info := reports.SweepInfo{RunID: sum.RunID, Records: recs, Ran: sum.Ran, Resumed: sum.Resumed, Elapsed: sum.Elapsed,
		Stop: sum.Stop, Best: sum.Best}
	for _, d := range sum.Dropped {
		info.Dropped = append(info.Dropped, d.String())
	}
	text := reports.SweepSummary(set, info)
	fmt.Fprint(c.stdout, "\n"+text)
	path := filepath.Join(out, "summary.md")
	if err := record.WriteAtomic(path, []byte(text)); err != nil {
		fmt.Fprintf(c.stderr, "buildtune: writing %s: %v\n", path, err)
		return
	}
	fmt.Fprintf(c.stdout, "summary: %s\n", path)
}

// sweepProgress shows trials and images on the display.
type sweepProgress struct {
	d *progress.Display
}

func (p *sweepProgress) Trial(ev sweep.TrialEvent) {
	if ev.Record == nil {
		p.d.Stage(fmt.Sprintf("trial %d/%d %s %s rep %d (sweep %s elapsed, eta %s), images", ev.N, ev.Of, ev.Trial.Cell.Name(),
			ev.Trial.Temp, ev.Trial.Rep, ev.Elapsed.Round(time.Second), ev.ETA.Round(time.Second)), 0)
		return
	}
	p.d.Done()
	if r := ev.Record; r.ForeignCPU >= evidence.ForeignLoadWarn {
		p.d.Log("trial %d/%d ran beside other work: %.0f%% of the host's CPU went to processes outside buildtune and its stack; its timings are slower for it",
			ev.N, ev.Of, 100*r.ForeignCPU)
	}
}

func (p *sweepProgress) Images(t sweep.Trial, done, total int) {
	p.d.Total(total)
	p.d.Update(done, "")
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

// checkGridBounds refuses counts beyond what a sweep can plan, whether from flags or a --grid
// file (whose numbers bypass the flag parsers): a huge worker count or batch would be allocated
// by the budget's estimate, and huge reps overflow it.
func checkGridBounds(g sweep.Grid, gridFile string) error {
	what := "sweep"
	if gridFile != "" {
		what = "--grid " + gridFile + " or the flags"
	}
	if g.Reps > maxReps {
		return input.Errorf(what, "reps %d: want at most %d", g.Reps, maxReps)
	}
	for _, w := range g.Workers {
		if w > input.MaxCount {
			return input.Errorf(what, "workers %d: want at most %d", w, input.MaxCount)
		}
	}
	for _, b := range g.Batches {
		if b > input.MaxCount {
			return input.Errorf(what, "batch %d: want at most %d", b, input.MaxCount)
		}
	}
	for _, c := range g.Configs {
		if c.Workers > input.MaxCount || c.Batch > input.MaxCount {
			return input.Errorf(what, "config %s: want workers and batch at most %d", c.String(), input.MaxCount)
		}
	}
	return nil
}

// instanceList is what run.json records of the list a sweep draws its
// sample from (--instances FILE, or a workload file's instances): its ids,
// so that recommend, report and analyze predict the full build of that
// list, even once the file is gone. Nil for the SWT-Bench ids of the
// fixtures, whose full build is the default 433 images.
func instanceList(src fleet.Source, all []workload.Instance) (*sweep.InstanceList, error) {
	path := src.Instances
	if path == "" && src.Workload != "" {
		w, err := workload.Load(src.Workload)
		if err != nil {
			return nil, input.Bad("--workload", err)
		}
		if len(w.Instances) > 0 {
			path = src.Workload
		}
	}
	if path == "" {
		return nil, nil
	}
	l := &sweep.InstanceList{Source: path, IDs: make([]string, len(all))}
	for i, in := range all {
		l.IDs[i] = in.ID
	}
	return l, nil
}

// sweepProfile loads the fixture profile of a sweep: path (the grid's, run.json's when resuming;
// from names where a new sweep's came from: --profile, or the --grid file).
// A resumed sweep's records were built from the profile as it was, which run.json keeps by its
// digest only: a file edited since is refused (it would mix two workloads under one name), and
// a file moved since may be given as --profile NEWPATH, which is taken when its digest is
// run.json's (the records keep naming the profile as the sweep started with it).
func (c *cli) sweepProfile(resume string, started sweep.RunInfo, path string, given bool, givenPath, from string) (*fixtures.Profile, error) {
	if resume == "" {
		prof, err := fixtures.LoadProfile(path)
		if err != nil {
			return nil, usagef("%s: %v", from, err)
		}
		return prof, nil
	}
	kept := started.ProfileDigest
	if given {
		if kept == "" {
			return nil, usagef("--resume %s: --profile cannot change a sweep that has started (run.json keeps no profile digest to check it against)", resume)
		}
		prof, err := fixtures.LoadProfile(givenPath)
		if err != nil {
			return nil, input.Bad("--profile", err)
		}
		if d := prof.Digest(); d != kept {
			return nil, input.Errorf("--profile "+givenPath, "digest %s, not the profile the sweep started with (run.json's profile_digest %s); want a copy of %s as it was, or start a new sweep",
				shortDigest(d), shortDigest(kept), cmp.Or(path, fixtures.DefaultProfile))
		}
		return prof, nil
	}
	prof, err := fixtures.LoadProfile(path)
	if err != nil {
		if kept == "" {
			return nil, usagef("--profile: %v", err)
		}
		cause := err // the path once: the message has one line to name it and what to give
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		return nil, input.Bad("--resume "+resume, fmt.Errorf("the sweep's profile %s: %w; if it moved, give --profile NEWPATH (its digest must be run.json's profile_digest %s)", path, cause, shortDigest(kept)))
	}
	if kept != "" && kept != prof.Digest() {
		return nil, input.Errorf("--resume "+resume, "the profile %s has changed since the sweep started (its digest was %s, now %s); want it as it was, or start a new sweep",
			cmp.Or(path, fixtures.DefaultProfile), kept, prof.Digest())
	}
	return prof, nil
}

// resumeSample refuses, as bad input naming --resume dir and its run.json,
// a resumed sweep's sample larger than the listed instances it is drawn
// from (a run.json edited by hand, or damaged): the sample is run.json's,
// never a --sample the resume was given (it refuses one), so
// fixtures.Sample's refusal must not be put as one.
func resumeSample(dir string, info sweep.RunInfo, listed, sample int) error {
	if listed >= sample {
		return nil
	}
	from := fmt.Sprintf("%d instances it is drawn from", listed)
	if info.Instances != nil && len(info.Instances.IDs) > 0 {
		from = fmt.Sprintf("%s of its instance_list", analyze.Plural(listed, "id"))
	}
	return input.Errorf("--resume "+dir, "%s: sample %d, more than the %s; want a sample of 1..%d (run.json as buildtune wrote it)",
		filepath.Join(dir, sweep.RunInfoFile), sample, from, listed)
}

// resumeInstances is the list a resumed sweep draws its sample from: the ids run.json keeps
// (kept, instance_list), so that the resume builds the sample the sweep started with whatever
// became of the list's file since. A list file moved, removed or edited since is not read: an
// edited one gets a warning saying its ids were ignored. An --instances given to the resume
// (given, "" for none) must list the same ids, else it is refused: a started sweep keeps its
// instances. A workload file's instances come with their plans and may carry their own org,
// repo and name: that file must still list the same ids, or the resume is refused, as an edited
// profile is. A sweep whose run.json keeps no list (the SWT-Bench ids, or a sweep made before
// run.json kept it) reads its source as it did.
func (c *cli) resumeInstances(dir string, kept *sweep.InstanceList, src fleet.Source, given string) ([]workload.Instance, error) {
	runJSON := filepath.Join(dir, sweep.RunInfoFile)
	if kept == nil || len(kept.IDs) == 0 {
		if given != "" {
			return nil, usagef("--resume %s: --instances cannot change a sweep that has started (its settings are in run.json)", dir)
		}
		return universe(src)
	}
	ids := kept.IDs
	if given != "" {
		insts, err := loadInstances(fleet.Source{Workload: src.Workload, Instances: given})
		if err != nil {
			return nil, input.Bad("--instances", err)
		}
		if !sameIDs(insts, ids) {
			return nil, input.Errorf("--instances "+given, "%s, not the %s that %s keeps as instance_list, the list the sweep started with; want that list, or no --instances (the resume takes run.json's)",
				analyze.Plural(len(insts), "id"), analyze.Plural(len(ids), "id"), runJSON)
		}
	}
	if src.Instances == "" && src.Workload != "" {
		w, err := workload.Load(src.Workload)
		if err != nil {
			return nil, input.Bad("--workload", err)
		}
		if !sameIDs(w.Instances, ids) {
			return nil, input.Errorf("--resume "+dir, "the workload file %s no longer lists the %s that %s keeps as instance_list (the sweep started with them); want the file as it was, or start a new sweep",
				src.Workload, analyze.Plural(len(ids), "instance"), runJSON)
		}
		return w.Instances, nil
	}
	// An --instances list of a workload file's instances picked among
	// them: each is taken as the file gives it, as the sweep took it.
	var listed map[string]workload.Instance
	if src.Workload != "" {
		w, err := workload.Load(src.Workload)
		if err != nil {
			return nil, input.Bad("--workload", err)
		}
		if len(w.Instances) > 0 {
			listed = make(map[string]workload.Instance, len(w.Instances))
			for _, in := range w.Instances {
				listed[in.ID] = in
			}
		}
	}
	insts := make([]workload.Instance, len(ids))
	for i, id := range ids {
		if listed != nil {
			in, ok := listed[id]
			if !ok {
				return nil, input.Errorf("--resume "+dir, "the workload file %s no longer lists instance %s of the instance_list %s keeps (the sweep started with it); want the file as it was, or start a new sweep",
					src.Workload, input.Quote(id), runJSON)
			}
			insts[i] = in
			continue
		}
		in, err := workload.ParseInstance(id)
		if err != nil {
			return nil, input.Bad("--resume "+dir, fmt.Errorf("%s instance_list: %w", runJSON, err))
		}
		insts[i] = in
	}
	if given == "" && src.Instances != "" {
		if now, err := loadInstances(src); err == nil && !sameIDs(now, ids) {
			fmt.Fprintf(c.stderr, "warning: --resume %s: the instance list %s has changed since the sweep started (%s now); resuming with the %s that %s keeps (instance_list), the list the sweep started with\n",
				dir, src.Instances, analyze.Plural(len(now), "id"), analyze.Plural(len(ids), "id"), runJSON)
		}
	}
	return insts, nil
}

// sameIDs reports whether insts are the instances ids, in any order (the sample is drawn
// from the ids as a set).
func sameIDs(insts []workload.Instance, ids []string) bool {
	have := make([]string, len(insts))
	for i, in := range insts {
		have[i] = in.ID
	}
	slices.Sort(have)
	return slices.Equal(have, slices.Sorted(slices.Values(ids)))
}

// startedWarmup is whether the sweep recorded in info runs a warm-up trial:
// run.json's warmup, else (a run.json written before it was kept) its
// command line's --warmup=VALUE, else the default, true.
func startedWarmup(info sweep.RunInfo) bool {
	if info.Warmup != nil {
		return *info.Warmup
	}
	on := true
	for _, a := range info.CommandLine {
		if v, ok := strings.CutPrefix(a, "--warmup="); ok {
			if b, err := strconv.ParseBool(v); err == nil {
				on = b
			}
		}
	}
	return on
}

// sweepUsage are the help texts of the sweep flags that prove passes on to
// its sweep: one text per flag, so that the two commands' --help say the
// same of the same flag. The defaults named are DefaultGrid's.
var sweepUsage = func() map[string]string {
	def := sweep.DefaultGrid()
	return map[string]string{
		"grid":                "YAML grid file with the keys workers, batch, cache, strategy, temp, registry-bandwidth, reps, sample, seed, profile and configs (flags given as well override its keys)",
		"temp":                fmt.Sprintf("trial temperatures: cold,warm (warm = a new SDK sha on the cold trial's state) (default %s)", gridList(def.Temps)),
		"reps":                fmt.Sprintf("repetitions per cell (default %d; with --budget and no --reps, adaptive)", def.Reps),
		"max-reps":            fmt.Sprintf("the most reps an adaptive sweep gives a cell (default %d, the fixed sweep's); raise it to spend more of the budget telling close cells apart", def.Reps),
		"sample":              fmt.Sprintf("instances in the sample (stratified by repo) (default %d)", def.Sample),
		"seed":                fmt.Sprintf("seed of the sample and the trial order (default %d)", def.Seed),
		"profile":             "fixture profile: 'default' or a YAML file",
		"equivalence":         "margin within which two cells or settings count as equivalent (two one-sided tests); an adaptive sweep stops measuring the cells left once they are within it of the best",
		"budget":              "time budget: without --reps, an adaptive sweep (successive halving) within it; with --reps, refuses a grid estimated to exceed it",
		"out":                 "output folder (default runs/<timestamp>)",
		"attempts":            "attempts per image (the real script uses 3; 1 measures failures as they are)",
		"registry-latency":    "latency added to every registry request",
		"registry-error-rate": "fraction of registry requests answered 429/503",
		"registry-drop-rate":  "fraction of registry connections dropped",
		"trace":               "keep BuildKit's raw status stream per build in OUT/traces",
		"warmup":              "run one warm-up trial first, recorded as such and left out of the statistics",
	}
}()

// The prune flags' help, the same in sweep, prove and build (one prune
// policy, internal/fleet's).
const (
	pruneThresholdUsage = "prune a daemon whose BuildKit cache reaches this size (e.g. 2GiB; 0 = never): between batches, as the real script; in a stream, as soon as it crosses it"
	pruneKeepUsage      = "what a prune keeps (e.g. 1GiB)"
)

// gridList writes a default grid dimension as the flag takes it: a comma list.
func gridList[T any](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ",")
}

// batchLabels are batch sizes as the flag takes them (0 is "stream").
func batchLabels(bs []int) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = input.BatchLabel(b)
	}
	return out
}

// gridInputError names the input each problem of the grid assembled from
// the defaults, --grid and the flags came from: the flag when it was given
// (--sample 0, --temp warm, a --config given twice), else the grid file.
// Validate's own "invalid grid" named none of them.
func gridInputError(fs *pflag.FlagSet, gridFile string, err error) error {
	var ge *sweep.GridError
	if !errors.As(err, &ge) {
		return usagef("%v", err)
	}
	parts := make([]string, 0, len(ge.Problems))
	for _, p := range ge.Problems {
		key, _, _ := strings.Cut(p, " ")
		key = strings.TrimSuffix(key, ":")
		flag := key
		if key == "cache" && fs.Changed("cache-mode") {
			flag = "cache-mode"
		}
		switch {
		case fs.Lookup(flag) != nil && fs.Changed(flag):
			parts = append(parts, "--"+flag+p[len(key):])
		case gridFile != "":
			parts = append(parts, "--grid "+gridFile+": "+p)
		default:
			parts = append(parts, "invalid grid: "+p)
		}
	}
	return usagef("%s", strings.Join(parts, "; "))
}

// checkProxy refuses the registry conditions regproxy.Settings.Validate
// refuses, naming the flag of each (--registry-latency,
// --registry-error-rate, --registry-drop-rate) rather than "registry
// conditions" or "--registry-*".
func checkProxy(p regproxy.Settings) error {
	for _, f := range []struct {
		flag string
		s    regproxy.Settings
	}{
		{"--registry-bandwidth", regproxy.Settings{BandwidthBytesPerSec: p.BandwidthBytesPerSec}},
		{"--registry-latency", regproxy.Settings{Latency: p.Latency}},
		{"--registry-error-rate", regproxy.Settings{ErrorRate: p.ErrorRate}},
		{"--registry-drop-rate", regproxy.Settings{DropRate: p.DropRate}},
	} {
		if err := f.s.Validate(); err != nil {
			return input.Bad(f.flag, err)
		}
	}
	if err := p.Validate(); err != nil {
		return input.Bad("--registry-error-rate and --registry-drop-rate", err)
	}
	return nil
}
