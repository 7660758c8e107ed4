package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/fullbuild"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/shard"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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
	fs.BoolVar(&w.all, "all", false, "build every instance: the 433 SWT-Bench ids, or all of --instances or --workload (overrides --sample)")
	fs.Int64Var(&w.seed, "seed", 1, "seed of the sample and of every random choice")
	fs.StringVar(&w.profile, "profile", "default", "fixture profile: 'default' or a YAML file")
	fs.StringVar(&w.sdkSha, "sdk-sha", "", "SDK commit the images are tagged with (default: derived from --seed)")
}

func (c *cli) build(ctx context.Context, args []string) error {
	var (
		sf            stackFlags
		wf            workloadFlags
		workers       int
		batchS        string
		cacheS        string
		strategyS     string
		out           string
		attempts      int
		retryDelayS   string
		checkTimeoutS string
		skip          bool
		trace         bool
		src           sourceFlags
		shardS        string
		durationsFrom string
		pruneThr      string
		pruneKeep     string
		regBW         string
		regLatency    string
		regErrRate    string
		regDropRate   string
		fromRec       string
	)
	fs := c.flags("build")
	wf.register(fs, 6)
	fs.IntVar(&workers, "workers", 2, "parallel builds")
	fs.StringVar(&batchS, "batch", "stream", "batch size (a barrier after each batch, as the real script), or 'stream'")
	fs.StringVar(&cacheS, "cache-mode", "off", "registry cache export: off, min or max")
	fs.StringVar(&cacheS, "cache", "off", "same as --cache-mode")
	fs.StringVar(&strategyS, "strategy", "single", "build strategy: single or three-phase")
	fs.StringVar(&out, "out", "", "output folder (default runs/<timestamp>); a folder with a manifest.jsonl is resumed")
	fs.IntVar(&attempts, "attempts", 3, "attempts per image")
	fs.StringVar(&retryDelayS, "retry-delay", "2s", "wait before retrying a failed build, growing with each attempt (2s: 2s, 4s, 6s...; at most 1m, or the delay itself if longer); 0 = retry at once")
	fs.BoolVar(&skip, "skip-existing", true, "skip an image whose tag is already in the registry")
	fs.StringVar(&checkTimeoutS, "registry-check-timeout", "30s", "time each --skip-existing check of a tag may take; a check that times out or is refused (not a 404) builds the image anyway and is reported")
	fs.BoolVar(&trace, "trace", false, sweepUsage["trace"])
	fs.StringVar(&fromRec, "from-recommendation", "", "take workers, batch, cache mode and strategy from the recommendation of this analysed sweep (flags given explicitly override it); a build of another workload than the sweep measured (--profile by digest, or the custom build) is refused")
	fs.StringVar(&shardS, "shard", "", "build only shard i/n of the instances (a CI matrix job), e.g. 2/4")
	fs.StringVar(&durationsFrom, "durations-from", "", "earlier build (folder with manifest.jsonl or records.jsonl, or a manifest file): balance shards and build longest first")
	fs.StringVar(&pruneThr, "prune-threshold", "0", pruneThresholdUsage)
	fs.StringVar(&pruneKeep, "prune-keep", "0", pruneKeepUsage)
	fs.StringVar(&regBW, "registry-bandwidth", "unlimited", "bandwidth cap on the local registry, through a proxy (e.g. 20MiB/s)")
	fs.StringVar(&regLatency, "registry-latency", "0s", "latency added to every registry request")
	fs.StringVar(&regErrRate, "registry-error-rate", "0", "fraction of registry requests answered 429/503")
	fs.StringVar(&regDropRate, "registry-drop-rate", "0", "fraction of registry connections dropped")
	src.register(fs)
	sf.register(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.Changed("cache-mode") && fs.Changed("cache") {
		return usagef("--cache and --cache-mode: give one (they are the same flag)")
	}
	if err := emptyValues(fs, buildWants); err != nil {
		return err
	}
	if err := src.check(); err != nil {
		return err
	}
	if err := checkFolderFlag(fs, "out", out); err != nil {
		return err
	}
	if err := checkSDKSha(wf.sdkSha); err != nil {
		return err
	}
	if fs.Changed("from-recommendation") && strings.TrimSpace(fromRec) == "" {
		return input.Errorf("--from-recommendation", "empty value; want the folder of an analysed sweep (with run.json and records.jsonl)")
	}
	var (
		batches  []int
		cache    engine.CacheMode
		strategy string
	)
	// The cache mode's flag as the user typed it, for messages: --cache
	// is --cache-mode's alias.
	cacheFlag := "--cache-mode"
	if fs.Changed("cache") {
		cacheFlag = "--cache"
	}
	knobs := func() error {
		if workers < 1 || workers > input.MaxCount {
			return usagef("--workers %d: want 1 to %d", workers, input.MaxCount)
		}
		var err error
		batches, err = sweep.ParseBatches(batchS)
		if err != nil || len(batches) != 1 {
			return usagef("--batch %q: want a positive number (at most %d) or 'stream'", batchS, input.MaxCount)
		}
		if cache, err = engine.ParseCacheMode(cacheS); err != nil {
			return usagef("%s: %v", cacheFlag, err)
		}
		if strategy, err = workload.ParseStrategy(strategyS); err != nil {
			return usagef("--strategy: %v", err)
		}
		return nil
	}
	// The knobs given are checked before the recommendation is read (an analysis), and again
	// after it fills the others.
	if err := knobs(); err != nil {
		return err
	}
	var err error
	if attempts < 1 || attempts > maxAttempts {
		return usagef("--attempts %d: want 1 or more, at most %d", attempts, maxAttempts)
	}
	retryDelay, err := parseRetryDelay(retryDelayS)
	if err != nil {
		return err
	}
	checkTimeout, err := time.ParseDuration(strings.TrimSpace(checkTimeoutS))
	if err != nil || checkTimeout <= 0 {
		return input.Errorf(fmt.Sprintf("--registry-check-timeout %q", checkTimeoutS), "want a duration above 0, such as 30s or 5s")
	}
	var remoteOpts []remote.Option
	if src.DockerAuth {
		// The same Docker config (DOCKER_CONFIG, credential helpers)
		// that BuildKit's auth provider is given.
		remoteOpts = append(remoteOpts, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	var spec shard.Spec
	if shardS != "" {
		if spec, err = shard.ParseSpec(shardS); err != nil {
			return input.Bad("--shard", err)
		}
	}
	var durations map[string]float64
	if durationsFrom != "" {
		if durations, err = fullbuild.LoadDurations(durationsFrom); err != nil {
			return err
		}
	}
	var prune fleet.PrunePolicy
	if prune.ThresholdBytes, prune.KeepBytes, err = input.PruneSizes(pruneThr, pruneKeep); err != nil {
		return err
	}
	var proxy regproxy.Settings
	if proxy.BandwidthBytesPerSec, err = input.Bandwidth(regBW); err != nil {
		return input.Bad("--registry-bandwidth", err)
	}
	if regLatency != "0" && regLatency != "0s" {
		if proxy.Latency, err = input.Duration(regLatency); err != nil {
			return input.Bad("--registry-latency", err)
		}
	}
	if proxy.ErrorRate, err = input.Fraction(regErrRate); err != nil {
		return input.Bad("--registry-error-rate", err)
	}
	if proxy.DropRate, err = input.Fraction(regDropRate); err != nil {
		return input.Bad("--registry-drop-rate", err)
	}
	proxy.Seed = wf.seed
	if proxy == (regproxy.Settings{Seed: wf.seed}) {
		proxy = regproxy.Settings{}
	} else if err := checkProxy(proxy); err != nil {
		return err
	}
	if out == "" {
		out = defaultOut()
	}
	// The stack creates out before it connects: a build refused before
	// its first line (no buildkitd, a daemon down) leaves no empty folder.
	// A folder refused as in use by another build is that build's, even
	// when it was missing here a moment ago (the other one made it first,
	// and may not have written in it yet): never removed.
	made := missingDirs(out)
	var inUse bool
	defer func() {
		if !inUse {
			made.removeEmpty()
		}
	}()
	prof, err := fixtures.LoadProfile(wf.profile)
	if err != nil {
		return usagef("--profile: %v", err)
	}
	if fromRec != "" {
		// Before anything is built: settings tuned for one workload say
		// nothing of another, which validate would only tell after the
		// build has been paid for.
		if err := c.checkRecommendationWorkload(fromRec, src.Source, prof, fs.Changed("profile")); err != nil {
			return err
		}
	}
	insts, err := universe(src.Source)
	if err != nil {
		return err
	}
	if !wf.all {
		if err := sampleFromList(fs, listFlag(src.Source), len(insts), wf.sample, "the default"); err != nil {
			return err
		}
		if insts, err = fixtures.Sample(insts, wf.sample, wf.seed); err != nil {
			return usagef("--sample: %v", err)
		}
	}
	if fromRec != "" {
		// The recommendation is for the build this runner makes: its
		// instances (this shard's, when sharded) and their repos.
		ids := make([]string, len(insts))
		for i, inst := range insts {
			ids[i] = inst.ID
		}
		target := evidence.Target{Repos: evidence.ReposOf(ids), Name: fmt.Sprintf("the %d instances of this build", len(ids))}
		if shardS != "" {
			ids = shard.Select(ids, spec, durations)
			target = evidence.Target{Repos: evidence.ReposOf(ids), Name: fmt.Sprintf("the %d instances of shard %s", len(ids), spec)}
		}
		if len(ids) == 0 {
			target = evidence.Target{Images: 1}
		}
		if err := c.applyRecommendation(fs, fromRec, target, proxy.BandwidthBytesPerSec, &workers, &batchS, &cacheS, &strategyS); err != nil {
			return err
		}
		if err := knobs(); err != nil {
			return err
		}
	}
	if err := src.CheckCache(cache, cacheFlag+" "+string(cache)); err != nil {
		return err
	}
	if err := src.CheckStrategy(strategy); err != nil {
		return err
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
	var counts struct {
		sync.Mutex
		built, skipped, failed, planned int
	}
	started := time.Now()
	var anonRefused atomic.Bool
	res, runErr := fullbuild.Run(ctx, fullbuild.Options{
		Setup: fleet.Setup{Stack: u, Source: src.Source, Profile: prof, Instances: insts, SDKSha: sha,
			Out: out, Trace: trace, Warn: c.stderr},
		Strategy: strategy, Cache: cache, CacheFlag: cacheFlag, Workers: workers, Batch: batches[0], Attempts: attempts, RetryDelay: retryDelay,
		SkipExisting: skip, RemoteCheckTimeout: checkTimeout, RemoteOptions: remoteOpts, Prune: prune, Shard: spec, Durations: durations, Proxy: proxy,
		Version: version(), StepSummary: os.Getenv("GITHUB_STEP_SUMMARY"),
		OnStart: func(env *fleet.Env, r *fullbuild.Result) {
			if r.TornBytes > 0 {
				disp.Log("manifest: cut a torn last line (%d bytes) left by an interrupted run", r.TornBytes)
			}
			if r.RecordsTornBytes > 0 {
				disp.Log("records: cut a torn last line (%d bytes) left by an interrupted run", r.RecordsTornBytes)
			}
			if r.Resumed > 0 {
				disp.Log("resume: %d of %d images already done in %s", r.Resumed, r.Planned, out)
			}
			if env != nil {
				disp.Log("stack: %s; registry %s (%s)", env.Stack.Source, env.Stack.Registry.Addr, env.Stack.Registry.Kind)
				if env.Stack.Private == nil {
					// The daemons are someone else's: the private stack's
					// shape does not apply, and saying nothing would let a
					// run with one daemon pass for one with --daemons 3.
					for _, f := range []string{"daemons", "max-parallelism", "registry-concurrency", "buildkitd"} {
						if fs.Changed(f) {
							disp.Log("warning: --%s shapes a private stack and is ignored: this build uses the %s (daemons: %d)", f, env.Stack.Source, len(env.Daemons))
						}
					}
				}
			}
			counts.planned = r.Planned - r.Resumed
			disp.StageFrom(fmt.Sprintf("build %s", sweep.Cell{Workers: workers, Batch: batches[0], Cache: cache, Strategy: strategy}.Name()), r.Planned, r.Resumed)
		},
		OnEvent: func(ev *record.Event) {
			if ev.Type == record.EventRemoteCheck && strings.Contains(ev.Message, "anonymous") {
				anonRefused.Store(true) // a 401/403 to a check without credentials
			}
			disp.Log("%s: %s", ev.Type, ev.Message)
		},
		OnImage: func(done, total int, o manifest.Output) {
			counts.Lock()
			defer counts.Unlock()
			switch o.Status {
			case manifest.StatusBuilt:
				counts.built++
			case manifest.StatusSkipped:
				counts.skipped++
			default:
				counts.failed++
			}
			finished := counts.built + counts.skipped + counts.failed
			inFlight := min(workers, counts.planned-finished)
			iph := record.ImagesPerHour(counts.built, time.Since(started).Seconds())
			disp.Update(done, fmt.Sprintf("built %d, skipped %d, failed %d, in flight %d, %.0f images/h; %s %s %.1fs",
				counts.built, counts.skipped, counts.failed, inFlight, iph, o.Instance, o.Status, o.BuildSeconds))
		},
	})
	disp.Done()
	inUse = errors.Is(runErr, fleet.ErrInUse)
	if res == nil {
		return runErr
	}
	if res.Planned == 0 {
		// A CI matrix with more shards than instances: this one has none,
		// which is a build of nothing (its folder, for merge), not an error.
		fmt.Fprintf(c.stdout, "shard %s: no instances (%s over %s); nothing to build\n",
			spec, analyze.Plural(len(insts), "instance"), analyze.Plural(spec.Count, "shard"))
		fmt.Fprintf(c.stdout, "manifest: %s\nsummary: %s\nrecords: %s\n", res.ManifestPath, res.SummaryPath, res.RecordsPath)
		return runErr
	}
	fmt.Fprintln(c.stdout, closingLine(res))
	tr := res.Trial
	sums := "per image (sums)"
	if res.Resumed > 0 {
		// The trial is this run's; build-summary.json's cumulative_*
		// cover the earlier runs' images too.
		sums = "this run's images (sums)"
	}
	fmt.Fprintf(c.stdout, sums+": exec %.1fs, image export %.1fs, cache export %.1fs, cache import %.1fs; cached steps %d/%d\n",
		tr.ExecSeconds, tr.ImageExportSeconds, tr.CacheExportSeconds, tr.CacheImportSeconds, tr.CachedSteps, tr.TotalSteps)
	if p := res.Proxy; p.Requests > 0 {
		fmt.Fprintf(c.stdout, "registry proxy: %d requests, %d answered 429/503, %d dropped, %d upstream errors, %d bytes pushed, %d bytes pulled\n",
			p.Requests, p.Errors, p.Drops, p.UpstreamErrors, p.BytesUp, p.BytesDown)
	}
	if n := tr.RemoteCheckErrors; n > 0 {
		hint := ""
		if !src.DockerAuth && anonRefused.Load() {
			hint = " (the registry refused anonymous checks: --docker-auth sends the Docker config's credentials)"
		}
		fmt.Fprintf(c.stderr, "warning: %s failed (see the remote_check events in %s); those images were built anyway%s\n",
			analyze.Plural(n, "--skip-existing check"), res.RecordsPath, hint)
	}
	fmt.Fprintf(c.stdout, "manifest: %s\nsummary: %s\nrecords: %s\n", res.ManifestPath, res.SummaryPath, res.RecordsPath)
	if runErr != nil {
		return runErr
	}
	if s := res.Summary; s.Failed > 0 {
		return &failedError{fmt.Sprintf("%d of %d images failed%s; see %s", s.Failed, s.Total, failedNames(s.FailedImages), res.ManifestPath)}
	}
	return nil
}

// buildWants are what build's flags that take a name want, for the message refusing one given
// an empty value.
var buildWants = withSourceWants(map[string]string{
	"shard":          "i/n, such as 2/4 (leave the flag out to build every instance)",
	"durations-from": "an earlier build's folder or manifest (leave the flag out to deal the shards round robin)",
	"sdk-sha":        "the SDK commit the images are tagged with (leave the flag out to derive one from --seed)",
})

// emptyValues refuses (bad input) a flag of wants given explicitly with an empty (or blank)
// value. A CI script passes an unset variable that way (--shard "$SHARD"), and taking it as the
// flag left out would build another set of images than asked: every instance on each runner of
// a matrix, round-robin shards on one runner and balanced ones on the next, images tagged with a
// made-up commit, or the fixtures instead of the custom build.
func emptyValues(fs *pflag.FlagSet, wants map[string]string) error {
	var bad error
	fs.Visit(func(f *pflag.Flag) {
		want, ok := wants[f.Name]
		if bad != nil || !ok || strings.TrimSpace(f.Value.String()) != "" {
			return
		}
		bad = input.Errorf("--"+f.Name, "empty value; want %s", want)
	})
	return bad
}

// checkSDKSha refuses an --sdk-sha that cannot be part of an image tag (the
// images are tagged with it): every build would fail after the set-up.
func checkSDKSha(sha string) error {
	if sha == "" {
		return nil
	}
	ok := sha[0] != '.' && sha[0] != '-'
	for _, c := range sha {
		ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-')
	}
	if !ok {
		return input.Errorf(fmt.Sprintf("--sdk-sha %q", sha), "want a commit id: letters, digits, '_', '.' and '-', not starting with '.' or '-' (it goes into the image tags)")
	}
	return nil
}

// parseRetryDelay parses --retry-delay: a Go duration >= 0 (0 = no wait).
func parseRetryDelay(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return 0, input.Errorf(fmt.Sprintf("--retry-delay %q", s), "want a duration of 0 or more, such as 2s or 500ms (0 = retry at once)")
	}
	return d, nil
}

// closingLine is the build's first closing line: its counts, and how many
// of the planned images a stopped run (interrupt, infrastructure) left
// unbuilt, which the manifest's counts do not show.
func closingLine(res *fullbuild.Result) string {
	s := res.Summary
	line := fmt.Sprintf("%d images: %d built, %d skipped, %d failed in %.1fs (%.0f images/hour)",
		s.Total, s.Built, s.Skipped, s.Failed, s.WallSeconds, s.ImagesPerHour)
	if b := res.Trial.WallSeconds; b > 0 && res.Resumed == 0 && res.PriorWallSeconds == 0 && s.WallSeconds > b {
		// What validate compares with a prediction is the building; the
		// rest is set-up (daemon, registry, base images) a CI job pays too.
		line += fmt.Sprintf(" = %.1fs building + %.1fs set-up", b, s.WallSeconds-b)
	}
	if res.Resumed > 0 {
		line += fmt.Sprintf("; %d done by an earlier run", res.Resumed)
	}
	if p := res.PriorWallSeconds; p > 0 {
		// The wall and images/hour are the whole build's, the earlier
		// runs' (killed ones' too) included.
		line += fmt.Sprintf("; %.1fs of the wall in earlier runs", p)
	}
	if left := res.Planned - s.Total; left > 0 {
		line += fmt.Sprintf("; %d of %d not built yet (the run stopped; the same --out resumes it)", left, res.Planned)
	}
	return line
}

// applyRecommendation sets the knobs that were not given explicitly from
// the recommendation of the sweep in dir, for target (the build's own
// instances) under the build's registry bandwidth bw (bytes/s; 0 is
// unlimited).
func (c *cli) applyRecommendation(fs *pflag.FlagSet, dir string, target evidence.Target, bw int64, workers *int, batch, cache, strategy *string) error {
	var af analysisFlags
	af.baseline, af.equivalence, af.seed = evidence.DefaultBaseline.String(), "3%", 1
	a, err := af.analyse(dir)
	if err != nil {
		return fmt.Errorf("--from-recommendation: %w", err)
	}
	// The registry bandwidth is a condition of the sweep, not a setting:
	// the recommendation is the one measured under this build's registry
	// (--registry-bandwidth, unlimited by default).
	cons := evidence.Constraints{Target: target}
	conds := a.Conditions()
	own := "unlimited"
	if bw > 0 {
		own = input.FormatBandwidth(bw)
	}
	match := ""
	for _, cond := range conds {
		n, err := input.Bandwidth(cond)
		if cond == "unlimited" {
			n, err = 0, nil
		}
		if err == nil && n == bw {
			match = cond
		}
	}
	switch {
	case match != "" && len(conds) > 1:
		cons.Registry = match
	case match == "" && len(conds) > 1:
		return input.Errorf("--from-recommendation "+dir, "the sweep measured the registry bandwidths %s, not this build's (%s); "+
			"give --registry-bandwidth as one of them, or --workers, --batch, --cache-mode and --strategy from 'buildtune recommend %s --registry-bandwidth BW'",
			strings.Join(conds, ", "), own, dir)
	case match == "" && len(conds) == 1:
		fmt.Fprintf(c.stderr, "warning: --from-recommendation %s: the sweep measured a registry at %s, this build's is %s: its recommendation may not hold here\n",
			dir, conds[0], own)
	}
	rec, err := a.Recommend(cons)
	if err != nil {
		return fmt.Errorf("--from-recommendation %s: %w", dir, err)
	}
	cfg := rec.Recommended.Config
	if !fs.Changed("workers") {
		*workers = cfg.Workers
	}
	if !fs.Changed("batch") {
		*batch = input.BatchLabel(cfg.Batch)
	}
	if !fs.Changed("cache-mode") && !fs.Changed("cache") {
		*cache = cfg.CacheMode
	}
	if !fs.Changed("strategy") {
		*strategy = cfg.Strategy
	}
	under := ""
	if rec.Registry != "" {
		under = " (registry bandwidth " + rec.Registry + ")"
	}
	fmt.Fprintf(c.stderr, "settings from the recommendation of %s%s for %s: workers=%d batch=%s cache=%s strategy=%s (confident: %v)\n",
		dir, under, cons.Target.Describe(), *workers, *batch, *cache, *strategy, rec.Confident)
	if !rec.Confident {
		why := "the evidence does not single one out"
		if len(rec.Warnings) > 0 {
			why = strings.TrimRight(rec.Warnings[0], ". ")
		}
		fmt.Fprintf(c.stderr, "warning: --from-recommendation %s: no confident recommendation (%s): building with the best so far; more reps in the sweep would settle it\n", dir, why)
	}
	return nil
}

// customDiffers names what builds other images in a one-Dockerfile
// workload (--context) than the sweep's: the Dockerfile (relative to the
// context, so that a sweep run in another checkout still matches), the
// base image template and the build args, each as "--flag SWEPT (this
// build: NOW)". The tag and cache ref templates may differ: they name
// where images go, not what they are.
func customDiffers(swept, now fleet.Source) []string {
	if swept.Context == "" || now.Context == "" {
		return nil
	}
	rel := func(s fleet.Source) string {
		df := s.Dockerfile
		if df == "" {
			return "Dockerfile"
		}
		if r, err := filepath.Rel(s.Context, df); err == nil {
			return r
		}
		return df
	}
	args := func(m map[string]string) string {
		if len(m) == 0 {
			return "none"
		}
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			kv = append(kv, k+"="+m[k])
		}
		return strings.Join(kv, " ")
	}
	var d []string
	if a, b := rel(swept), rel(now); a != b {
		d = append(d, fmt.Sprintf("--dockerfile %s (this build: %s)", a, b))
	}
	if swept.BaseImage != now.BaseImage {
		d = append(d, fmt.Sprintf("--base-image %s (this build: %s)", input.Quote(swept.BaseImage), input.Quote(now.BaseImage)))
	}
	if !maps.Equal(swept.BuildArgs, now.BuildArgs) {
		d = append(d, fmt.Sprintf("--build-arg %s (this build: %s)", args(swept.BuildArgs), args(now.BuildArgs)))
	}
	return d
}

// checkRecommendationWorkload refuses (bad input, before anything is built) a build
// --from-recommendation DIR of another workload than the sweep in DIR measured, which validate
// would refuse only once the build is paid for: the fixtures with another profile (by digest
// when run.json keeps one, else by name), a custom workload of another name or Dockerfile
// target, the fixtures where the sweep built a custom workload, or the reverse. The message
// names both and what to give.
//
// The profile is not taken from the sweep: a recommendation says how to build, never what,
// and the one built-in profile ("default") is already the build's own default; a profile file
// of the sweep's is named in the refusal, to be given as --profile. A run folder without
// run.json cannot be checked (a warning says so); one that is no run folder at all is left to
// the analysis, which says what it wants.
func (c *cli) checkRecommendationWorkload(dir string, src fleet.Source, prof *fixtures.Profile, profileGiven bool) error {
	what := "--from-recommendation " + dir
	if _, err := os.Stat(filepath.Join(dir, sweep.RecordsFile)); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, sweep.RunInfoFile)); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(c.stderr, "warning: %s: no %s: cannot check that this build builds the workload the sweep measured\n", what, sweep.RunInfoFile)
		return nil
	}
	info, err := sweep.ReadRunInfo(dir)
	if err != nil {
		return input.Bad(what, err)
	}
	swept, err := fleet.LoadSource(dir)
	if err != nil {
		return input.Bad(what, err)
	}
	// The sweep's workload as the flags that give it.
	sweptFlags := func() string {
		if swept.Workload != "" {
			return "--workload " + swept.Workload
		}
		return fmt.Sprintf("--context %s and the --dockerfile, --target, --tag, --cache-ref and --build-arg of its %s", swept.Context, fleet.SourceFile)
	}
	sweptName := input.Quote(info.Workload)
	built := ""
	switch {
	case src.Context != "":
		built = "custom:" + filepath.Base(src.Context)
	case src.Workload != "":
		w, err := workload.Load(src.Workload)
		if err != nil {
			return input.Bad("--workload", err)
		}
		built = w.Name
	}
	switch {
	case swept.Custom() && !src.Custom():
		return input.Errorf(what, "the sweep measured the custom workload %s, and this build would build the fixtures (profile %s); want the sweep's workload: %s",
			sweptName, input.Quote(prof.Name), sweptFlags())
	case !swept.Custom() && src.Custom():
		return input.Errorf(what, "the sweep measured the fixtures (profile %s), and this build would build the custom workload %s; want a sweep of this workload to take its settings from",
			sweptName, input.Quote(built))
	case swept.Custom():
		if info.Workload != "" && info.Workload != built || swept.Context != "" && swept.Target != src.Target {
			return input.Errorf(what, "the sweep measured the custom workload %s (target %s), and this build would build %s (target %s); want the sweep's workload (%s), or a sweep of this one",
				sweptName, input.Quote(swept.Target), input.Quote(built), input.Quote(src.Target), sweptFlags())
		}
		if d := customDiffers(*swept, src); len(d) > 0 {
			return input.Errorf(what, "the sweep measured the custom workload %s with %s; want the sweep's (%s), or a sweep of this one",
				sweptName, strings.Join(d, ", "), sweptFlags())
		}
		return nil
	}
	// The fixtures, both: the profile decides what is built.
	sweptProfile := info.Grid.Profile
	if sweptProfile == "" {
		sweptProfile = fixtures.DefaultProfile
	}
	mine := fmt.Sprintf("this build's profile %s", input.Quote(prof.Name))
	if !profileGiven {
		mine += " (the built-in default: no --profile given)"
	}
	switch {
	case info.ProfileDigest != "" && info.ProfileDigest != prof.Digest():
		give := fmt.Sprintf("--profile FILE with the sweep's profile (digest %s)", shortDigest(info.ProfileDigest))
		if p, err := fixtures.LoadProfile(sweptProfile); err == nil && p.Digest() == info.ProfileDigest {
			give = "--profile " + sweptProfile
		}
		return input.Errorf(what, "%s, digest %s, is not the one the sweep measured: %s (%s, digest %s); give %s",
			mine, shortDigest(prof.Digest()), sweptName, sweptProfile, shortDigest(info.ProfileDigest), give)
	case info.ProfileDigest == "" && info.Workload != "" && info.Workload != prof.Name:
		return input.Errorf(what, "%s is not the one the sweep measured: %s (%s); give --profile FILE with the sweep's profile",
			mine, sweptName, sweptProfile)
	}
	return nil
}

// failedNames names a build's failed images for its closing line (exit 1),
// on one line: ": a, b and 3 more; first error (a): ...", or "" when the
// summary lists none. A CI log shows this line, not the manifest.
func failedNames(failed []manifest.Failed) string {
	if len(failed) == 0 {
		return ""
	}
	var names []string
	for _, f := range failed {
		names = append(names, f.Instance)
	}
	out := ": " + someNames(names)
	for _, f := range failed {
		if e := errorLine(f.Error); e != "" {
			return out + fmt.Sprintf("; first error (%s): %s", f.Instance, e)
		}
	}
	return out
}

// someNames joins the first 5 names, then says how many more: "a, b, c, d,
// e and 3 more".
func someNames(names []string) string {
	const most = 5
	out := strings.Join(names[:min(len(names), most)], ", ")
	if len(names) > most {
		out += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return out
}

// errorLine puts a build error (BuildKit's are several lines) on one line
// of at most 300 characters, for a closing message.
func errorLine(e string) string {
	const most = 300
	e = strings.Join(strings.Fields(e), " ")
	if r := []rune(e); len(r) > most {
		e = string(r[:most]) + "…"
	}
	return e
}
