// Package fullbuild is the production build stage: it builds a fleet (all
// 433 SWT-Bench images, a sample, or one CI matrix shard of them) with fixed
// settings and writes the outputs CI consumes: manifest.jsonl (one line per
// image as it finishes), a log per image, build-summary.json, and buildtune's
// own records.jsonl. A build folder is resumable: a second run into it skips
// every image the first one built or found pushed, and rebuilds the rest.
package fullbuild

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/hostload"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/shard"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// RecordsFile is buildtune's records file inside a build folder.
const RecordsFile = "records.jsonl"

// Options are the settings of one production build.
type Options struct {
	// Setup connects the stack; Setup.Instances are the candidates (a
	// sample or all), Setup.Out the build folder. Run narrows the
	// instances to its shard and to what is left to build before it
	// connects.
	Setup    fleet.Setup
	Strategy string
	Cache    engine.CacheMode
	// CacheFlag names the flag that gave Cache on the command line, as
	// the user typed it (build's --cache or --cache-mode), for messages;
	// "" is --cache-mode.
	CacheFlag string
	Workers   int
	// Batch is the batch size; 0 = stream.
	Batch    int
	Attempts int
	// RetryDelay is the base of the wait between a failed build's attempts
	// (fleet.Options.RetryDelay); 0 retries at once.
	RetryDelay   time.Duration
	SkipExisting bool
	// RemoteCheckTimeout bounds each skip-existing check
	// (fleet.Options.RemoteCheckTimeout); 0 = fleet.DefaultRemoteCheckTimeout.
	RemoteCheckTimeout time.Duration
	// RemoteOptions are given to each skip-existing check
	// (fleet.Options.RemoteOptions): credentials, transport.
	RemoteOptions []remote.Option
	Prune         fleet.PrunePolicy
	// Shard is one shard of a CI matrix; Count 0 builds every instance.
	Shard shard.Spec
	// Durations are expected build seconds by instance (LoadDurations):
	// they balance the shards and order the builds longest first. Nil
	// keeps the input order.
	Durations map[string]float64
	// Proxy, if not the zero value, puts these conditions on the (local)
	// registry through a registry proxy.
	Proxy regproxy.Settings
	// Version is buildtune's version, for the summary.
	Version string
	// StepSummary, if set, is a file (GitHub's $GITHUB_STEP_SUMMARY) that
	// gets a short markdown summary appended.
	StepSummary string
	// OnStart is called once the plan is known and, when there is anything
	// to build, the stack is connected (env is nil otherwise).
	OnStart func(env *fleet.Env, r *Result)
	// OnImage is called after each image's manifest line is written.
	OnImage func(done, total int, o manifest.Output)
	// OnEvent is called with each event of the build as it happens: a
	// daemon leaving or rejoining the pool, a prune.
	OnEvent func(ev *record.Event)
}

// Result is what a build did.
type Result struct {
	Out          string
	ManifestPath string
	SummaryPath  string
	RecordsPath  string
	// Planned counts the instances of this build (its shard), Resumed those
	// an earlier run into the same folder finished, Todo the rest.
	Planned, Resumed, Todo int
	// TornBytes were cut from the end of an interrupted manifest,
	// RecordsTornBytes from the end of its records.jsonl.
	TornBytes, RecordsTornBytes int64
	// PriorWallSeconds is the wall of the earlier runs into the folder
	// (their summary's, each killed one's up to its last summary update),
	// part of Summary.WallSeconds.
	PriorWallSeconds float64
	// StopReason says why the run stopped before its end ("interrupted",
	// or the infrastructure failure), for the job page; "" when it ran
	// to its end.
	StopReason string
	// Trial is this run's totals (zero when there was nothing to build).
	Trial   record.Trial
	Summary manifest.Summary
	// Proxy counts what the registry proxy saw and injected in this run
	// (zero without Options.Proxy): requests, 429/503 answers, drops.
	Proxy regproxy.Stats
}

// Run plans, builds and writes the outputs. The summary is written even
// when the build stops early (an interrupt or an infrastructure failure),
// so the folder always describes what was done; the error is returned
// after it.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	out := o.Setup.Out
	if out == "" {
		return nil, input.Errorf("--out", "no output folder")
	}
	// A shard of a matrix wider than the list may hold no instance: it is
	// a build of nothing (its folder says so, for merge), not an error
	// that fails the matrix.
	plan := Plan(o.Setup.Instances, o.Shard, o.Durations)
	if len(plan) == 0 && o.Shard.Count == 0 {
		return nil, input.Errorf("the instance list", "empty; want at least one instance to build")
	}
	_, statErr := os.Stat(out)
	newOut := errors.Is(statErr, os.ErrNotExist)
	if err := notABuild(out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, input.Bad("--out "+out, fmt.Errorf("creating the build folder: %w", err))
	}
	// The folder is this run's alone until it returns: two builds into
	// one folder would append to one manifest and rewrite one summary,
	// each over the other's. The lock is on the folder itself, so a
	// refused run writes nothing in it, and leaves in place a new folder
	// that the build holding it made.
	release, err := fleet.LockFolder(out)
	switch {
	case errors.Is(err, fleet.ErrInUse):
		return nil, input.Bad("--out "+out, fmt.Errorf("%w: want another folder, or that build to end first", err))
	case err != nil:
		if o.Setup.Warn != nil {
			fmt.Fprintf(o.Setup.Warn, "warning: --out %s: %v: a second build into this folder at the same time would not be refused\n", out, err)
		}
	default:
		defer release()
	}
	res := &Result{Out: out, ManifestPath: filepath.Join(out, manifest.ManifestFile),
		SummaryPath: filepath.Join(out, manifest.SummaryFile), RecordsPath: filepath.Join(out, RecordsFile)}
	// undo removes what this run created when it ends before building
	// (bad input, a stack that does not start): the folder is left as it
	// was.
	var created []string
	for _, p := range []string{res.ManifestPath, res.RecordsPath, res.SummaryPath} {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			created = append(created, p)
		}
	}
	undo := func() {
		if newOut {
			os.RemoveAll(out)
			return
		}
		for _, p := range created {
			os.Remove(p)
		}
	}
	shardSpec := ""
	if o.Shard.Count > 0 {
		shardSpec = o.Shard.String()
	}
	settings := manifest.Settings{Workers: o.Workers, Batch: o.Batch, CacheMode: string(o.Cache), Strategy: o.Strategy, SDKSha: o.Setup.SDKSha, Shard: shardSpec,
		Workload: workloadID(o.Setup), Instances: ListID(o.Setup.Instances)}
	// What the folder holds is read, and checked to be this build, before
	// anything in it changes (the check that it can be written included):
	// a refused folder is left as it was, its mtimes too.
	prior, _, err := manifest.Read(res.ManifestPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		undo()
		return nil, input.Errorf("--out "+out, "%v: want a build folder to resume, or a new folder", err)
	}
	hadManifest := err == nil
	var prev *manifest.Summary
	if s, err := manifest.ReadSummary(res.SummaryPath); err == nil {
		prev = &s
		if len(s.Shards) > 0 {
			// A merge's folder: resumed, its summary would lose the list
			// of the folders it joined (a later merge takes it for a
			// merge by that list), and records would make it a build's.
			undo()
			return nil, input.Errorf("--out "+out, "holds the merge of %d build folders (its %s lists them), not a build to resume: want a new folder, or the folder of one of those builds",
				len(s.Shards), manifest.SummaryFile)
		}
	} else if len(prior) > 0 && !errors.Is(err, os.ErrNotExist) {
		// A summary that does not read would hide which build the
		// folder holds, and be overwritten.
		undo()
		return nil, input.Errorf("--out "+out, "%v: want the build-summary.json of the build in %s (or none), to resume it", err, res.ManifestPath)
	}
	if err := sameBuild(out, plan, settings, cmp.Or(o.CacheFlag, "--cache-mode"), prior, prev); err != nil {
		undo()
		return nil, err
	}
	if err := writable(out); err != nil {
		// Found before the stack starts, not when the first summary or
		// log is written: an output the build cannot write is the
		// folder's problem (bad input), not a failed build.
		undo()
		return nil, input.Errorf("--out "+out, "%v: want a folder this user can write", err)
	}
	// The folder is this build's. A run killed while it rewrote the summary (after every
	// image, and every 10 s) left the temporary file of that write; nothing else removes it.
	removeStaleTemps(out, manifest.SummaryFile)
	if len(prior) == 0 && prev != nil && !(hadManifest && prev.Total == 0 && prev.Settings == settings && (prev.Planned == 0 || prev.Planned == len(plan))) {
		// No image done: the summary counts (its wall: a run killed
		// before its first image) only when it is this build's, as
		// that run left it; another build's is overwritten.
		prev = nil
	}
	if prev == nil && len(prior) > 0 {
		// Lines of earlier runs but no summary (removed, or written by
		// an older version): their wall is unknown. Their lines' span,
		// first start to last finish, is a lower bound; without it the
		// summary would count this run's time only, and a resume with
		// nothing left would report its images built in no time.
		prev = &manifest.Summary{WallSeconds: manifest.Span(prior).Seconds()}
		if o.Setup.Warn != nil {
			fmt.Fprintf(o.Setup.Warn, "warning: %s has no %s: the earlier runs' wall is taken as their manifest lines' span, %.1fs (a lower bound)\n",
				out, filepath.Base(res.SummaryPath), prev.WallSeconds)
		}
	}
	if prev != nil {
		res.PriorWallSeconds = prev.WallSeconds
	}
	mw, cut, err := manifest.Create(res.ManifestPath)
	if err != nil {
		return nil, fmt.Errorf("opening manifest: %w", err)
	}
	defer mw.Close()
	res.TornBytes = cut
	if prior, _, err = manifest.Read(res.ManifestPath); err != nil {
		return nil, fmt.Errorf("reading manifest to resume: %w", err)
	}
	todo, done := Pending(plan, prior)
	res.Planned, res.Resumed, res.Todo = len(plan), len(done), len(todo)

	recs, err := record.Create(res.RecordsPath)
	if err != nil {
		return nil, fmt.Errorf("opening records: %w", err)
	}
	res.RecordsTornBytes = recs.Cut
	defer recs.Close()

	inPlan := make(map[string]bool, len(plan))
	for _, in := range plan {
		inPlan[in.ID] = true
	}
	// The summary is written when building starts (so that a build
	// killed in any way leaves a folder that says which build it holds:
	// SDK, shard, knobs, planned), kept up to date while it runs (so that
	// a resume after a kill counts the killed run's wall), and written at
	// its end: see summarizer.
	sum := &summarizer{path: res.SummaryPath, start: start, planned: len(plan), inPlan: inPlan, prev: prev, warn: o.Setup.Warn,
		extra: manifest.SummaryExtra{Settings: settings, Versions: manifest.Versions{Buildtune: o.Version}}}
	for _, l := range prior {
		sum.add(l) // the lines so far count from the first write on
	}

	var runErr error
	if len(todo) == 0 {
		if o.OnStart != nil {
			o.OnStart(nil, res)
		}
	} else {
		var started bool
		started, runErr = build(ctx, o, todo, mw, recs, res, sum)
		if !started {
			mw.Close()
			recs.Close()
			undo()
			return nil, runErr // nothing built: the folder is left as it was
		}
	}
	sum.setPrunes(res.Trial.Prunes, res.Trial.PruneSeconds)
	if err := sum.load(res.ManifestPath); err != nil {
		return res, also(runErr, err)
	}
	if res.Summary, err = sum.write(); err != nil {
		return res, also(runErr, fleet.Infra(err))
	}
	res.StopReason = stopReason(runErr)
	if o.StepSummary != "" {
		// The job page's copy: a file that cannot be written is said,
		// and changes nothing of the build's outcome (its exit status
		// says whether images failed).
		if err := appendFile(o.StepSummary, Markdown(res)); err != nil && o.Setup.Warn != nil {
			fmt.Fprintf(o.Setup.Warn, "warning: writing the step summary: %v (the build's manifest and summary are written)\n", err)
		}
	}
	return res, runErr
}

// stopReason is why a run stopped, short, for the job page: its log has
// the whole error.
func stopReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case fleet.IsInfra(err):
		return "infrastructure failure: " + cutText(err.Error(), 200)
	}
	return cutText(err.Error(), 200)
}

// also is the run's error (first) with a failure to write its outputs
// after it, on one line (errors.Join's would take two): both stay
// reachable by errors.Is and errors.As.
func also(runErr, err error) error {
	if runErr == nil {
		return err
	}
	return fmt.Errorf("%w; then %w", runErr, err)
}

// removeStaleTemps removes the temporary files that an atomic write of name in dir
// (.NAME.tmpNNN) leaves when its process is killed before the rename.
func removeStaleTemps(dir, name string) {
	temps, _ := filepath.Glob(filepath.Join(dir, "."+name+".tmp*"))
	for _, p := range temps {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			os.Remove(p)
		}
	}
}

// notABuild refuses (bad input naming --out) a folder that holds records
// but is no build's: a sweep's (its run.json), or one with records.jsonl and
// no manifest.jsonl. This build's records would be appended to them.
func notABuild(out string) error {
	if _, err := os.Stat(filepath.Join(out, sweep.RunInfoFile)); err == nil {
		return input.Errorf("--out "+out, "holds %s: a sweep's folder, whose records this build would join; want a new folder, or a build's folder to resume", sweep.RunInfoFile)
	}
	if _, err := os.Stat(filepath.Join(out, RecordsFile)); err == nil {
		if _, err := os.Stat(filepath.Join(out, manifest.ManifestFile)); errors.Is(err, os.ErrNotExist) {
			return input.Errorf("--out "+out, "holds %s and no %s: not a build's folder, and this build would join its records; want a new folder, or a build's folder to resume", RecordsFile, manifest.ManifestFile)
		}
	}
	return nil
}

// sameBuild refuses (bad input naming --out) a folder whose manifest lines
// are no part of this build: another SDK commit's (its summary says), another
// shard's (its summary or its lines say), another cell's (other workers,
// batch, cache mode or strategy: its summary says), or images this build
// does not plan (another sample, seed, instance list, or shard balance).
// Resuming over them would pass their lines for images this build never
// made, report this build's settings for images built with others, or drop
// them from the summary. A folder without a summary (an older build's)
// is checked by its lines alone. cacheFlag names the cache mode's flag as
// given (--cache or --cache-mode).
func sameBuild(out string, plan []workload.Instance, now manifest.Settings, cacheFlag string, prior []manifest.Output, prev *manifest.Summary) error {
	if len(prior) == 0 {
		return nil
	}
	shardSpec, sdkSha := now.Shard, now.SDKSha
	label := func(s string) string {
		if s == "" {
			return "every instance (no shard)"
		}
		return "shard " + s
	}
	wrongShard := func(was string) error {
		return input.Errorf("--out "+out, "holds the build of %s, and this one is of %s: want a new folder, or the same --shard to resume", label(was), label(shardSpec))
	}
	if prev != nil {
		if was := prev.Settings.SDKSha; was != "" && sdkSha != "" && was != sdkSha {
			return input.Errorf("--out "+out, "holds a build of SDK %s, and this one is SDK %s: want a new folder, or the same --sdk-sha to resume (without --sdk-sha, the SDK sha follows --seed: give the folder's --seed)", was, sdkSha)
		}
		if was := prev.Settings.Shard; was != shardSpec {
			return wrongShard(was)
		}
		if err := sameKnobs(out, prev.Settings, now, cacheFlag); err != nil {
			return err
		}
		if was := prev.Settings.Workload; was != "" && was != now.Workload {
			is := now.Workload
			if is == "" {
				is = "a custom build"
			}
			return input.Errorf("--out "+out, "holds images of %s, and this build is of %s: want a new folder, or the same --profile to resume", was, is)
		}
	}
	inPlan := make(map[string]bool, len(plan))
	for _, in := range plan {
		inPlan[in.ID] = true
	}
	var other []string
	for _, l := range manifest.Latest(prior) {
		if l.Shard != shardSpec {
			return wrongShard(l.Shard)
		}
		if !inPlan[l.Key()] {
			other = append(other, l.Key())
		}
	}
	if len(other) > 0 {
		some := strings.Join(other[:min(len(other), 3)], ", ")
		if len(other) > 3 {
			some += fmt.Sprintf(" and %d more", len(other)-3)
		}
		what := "images"
		if len(other) == 1 {
			what = "image"
		}
		return input.Errorf("--out "+out, "holds %d %s this build does not plan (%s): want a new folder, or the instances of that build (the same --sample, --seed, --instances or --all, --shard and --durations-from) to resume it", len(other), what, some)
	}
	// Another list whose ids this shard happens to hold the same (an id
	// added or removed that another shard gets) deals the other shards
	// differently: the folder is another build's.
	if prev != nil && prev.Settings.Instances != "" && prev.Settings.Instances != now.Instances {
		return input.Errorf("--out "+out, "holds a build of the instance list %s, and this one is of %s: want a new folder, or the instances of that build (the same --sample, --seed, --instances or --all) to resume it", prev.Settings.Instances, now.Instances)
	}
	// A larger plan holds every image done so far too (--all over a
	// --sample folder): it would turn the folder into another build, and
	// the first one could no longer be resumed. The summary says how many
	// images the folder's build planned.
	if prev != nil && prev.Planned > 0 && prev.Planned != len(plan) {
		return input.Errorf("--out "+out, "holds a build of %d planned images, and this one plans %d: want a new folder, or the instances of that build (the same --sample, --seed, --instances or --all, --shard) to resume it", prev.Planned, len(plan))
	}
	return nil
}

// ListID is Settings.Instances for a build of insts (before sharding): the
// number of distinct ids and the start of the SHA-256 of the sorted ids, one
// per line. Shards of one build name the same list.
func ListID(insts []workload.Instance) string {
	ids := make([]string, 0, len(insts))
	for _, in := range insts {
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id + "\n"))
	}
	return fmt.Sprintf("%d@sha256:%s", len(ids), hex.EncodeToString(h.Sum(nil))[:12])
}

// workloadID is Settings.Workload for a build from s: the fixture
// profile's name and digest, or "" for a custom build.
func workloadID(s fleet.Setup) string {
	if s.Profile == nil || s.Source.Custom() {
		return ""
	}
	d := s.Profile.Digest()
	if len(d) > 12 {
		d = d[:12]
	}
	return "fixtures:" + s.Profile.Name + "@" + d
}

// sameKnobs refuses (bad input naming --out) to resume a build recorded
// with other knobs (--workers, --batch, --cache-mode, --strategy) than
// now's: its summary would report now's settings for images built with
// the recorded ones. Every knob that differs is named, on one line, by the
// flag the user gave: the cache mode by cacheFlag (--cache, its alias, when
// that is what was typed). A summary that records no settings (no workers:
// not a build's) is not checked; neither is a knob it leaves empty.
func sameKnobs(out string, was, now manifest.Settings, cacheFlag string) error {
	if was.Workers == 0 {
		return nil
	}
	cache := func(s string) string {
		if s == "" {
			return string(engine.CacheOff)
		}
		return s
	}
	var flags, had, has []string
	differ := func(flag, w, n string) {
		if w != n {
			flags = append(flags, flag)
			had = append(had, flag+" "+w)
			has = append(has, flag+" "+n)
		}
	}
	differ("--workers", strconv.Itoa(was.Workers), strconv.Itoa(now.Workers))
	differ("--batch", input.BatchLabel(was.Batch), input.BatchLabel(now.Batch))
	if was.CacheMode != "" {
		differ(cacheFlag, cache(was.CacheMode), cache(now.CacheMode))
	}
	if was.Strategy != "" {
		differ("--strategy", was.Strategy, now.Strategy)
	}
	if len(flags) == 0 {
		return nil
	}
	same := strings.Join(flags, ", ")
	if n := len(flags); n > 1 {
		same = strings.Join(flags[:n-1], ", ") + " and " + flags[n-1]
	}
	return input.Errorf("--out "+out, "holds a build with %s, and this one has %s: want a new folder, or the same %s to resume",
		strings.Join(had, " "), strings.Join(has, " "), same)
}

// build connects the stack and builds todo, writing a manifest line and a
// log per image as each finishes. The summary (sum) is written once the
// stack is ready, before the first build, then after each manifest line
// and every summaryEvery until the builds end. It returns whether the
// build started (false: setup or the first summary failed and err says
// why).
func build(ctx context.Context, o Options, todo []workload.Instance, mw *manifest.Writer, recs *record.Writer, res *Result, sum *summarizer) (bool, error) {
	setup := o.Setup
	setup.Instances = todo
	env, err := fleet.Open(ctx, setup)
	if err != nil {
		return false, err
	}
	defer env.Close()
	w := env.Workload
	images, err := describe(w, o.Strategy, o.Cache, todo)
	if err != nil {
		return false, err
	}
	cfg := record.Config{Workers: o.Workers, Batch: o.Batch, CacheMode: string(o.Cache), Strategy: o.Strategy,
		Profile: w.Name, Daemons: len(env.Daemons), BuildKitVersion: env.BuildKitVersion, Host: env.Host}
	// Named as a sweep names the cell, bandwidth cap included, so that
	// validate finds the sweep's cell measured under the same cap.
	cell := sweep.Cell{Workers: o.Workers, Batch: o.Batch, Cache: o.Cache, Strategy: o.Strategy}
	if bw := o.Proxy.BandwidthBytesPerSec; bw > 0 {
		cell.Registry = input.FormatBandwidth(bw)
	}
	cfg.Cell = cell.Name()
	var px *regproxy.Proxy
	if o.Proxy != (regproxy.Settings{}) {
		regAddr := env.Stack.Registry.Addr
		if !stack.Loopback(regAddr) || !strings.HasPrefix(w.Registry, regAddr) {
			return false, input.Errorf("--registry-bandwidth", "registry conditions need the local registry proxy, and registry %s is not on loopback", w.Registry)
		}
		px, err = regproxy.New(regAddr, o.Proxy)
		if err != nil {
			return false, fmt.Errorf("registry proxy: %w", err)
		}
		addr, err := px.Start("127.0.0.1:0")
		if err != nil {
			return false, fmt.Errorf("registry proxy: %w", err)
		}
		defer px.Close()
		wl := *w
		wl.Registry = addr + strings.TrimPrefix(w.Registry, regAddr)
		// Bases come through the proxy too, as in a sweep's cell under
		// the same conditions: a cold daemon pulls each base over the
		// capped link, and validate compares the two.
		if wl.BaseRegistry == "" || wl.BaseRegistry == regAddr {
			wl.BaseRegistry = addr
		}
		w = &wl
		cfg.Registry = o.Proxy.Label()
	}
	sum.setBuildkit(env.BuildKitVersion)
	if res.Summary, err = sum.write(); err != nil {
		return false, err
	}
	if o.OnStart != nil {
		o.OnStart(env, res)
	}
	stopRefresh := sum.every(summaryEvery)
	defer stopRefresh()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var writeErr error
	shardSpec := ""
	if o.Shard.Count > 0 {
		shardSpec = o.Shard.String()
	}
	written := 0
	// The records of each instance's phases so far: its manifest line
	// covers them all, not only the last phase.
	var phaseMu sync.Mutex
	phases := map[string][]*record.Image{}
	// The host's load over the builds, when the stack's processes are
	// known: validate says when a build ran beside other work.
	var load *hostload.Span
	if roots, ok := env.Stack.OwnProcesses(); ok {
		load = hostload.New(roots...).Begin()
	}
	tr, runErr := fleet.Run(ctx, fleet.Options{
		Workload: w, Instances: todo, Strategy: o.Strategy, Cache: o.Cache, Workers: o.Workers, Batch: o.Batch,
		Daemons: env.Daemons, DaemonLimits: env.DaemonLimits, Attempts: o.Attempts, RetryDelay: o.RetryDelay, SkipExisting: o.SkipExisting,
		RemoteCheckTimeout: o.RemoteCheckTimeout, RemoteOptions: o.RemoteOptions, Prune: o.Prune, Config: cfg,
		Run: filepath.Base(res.Out), Out: recs, TraceDir: env.TraceDir, Health: env.Stack.Registry.Ping,
		OnEvent: func(ev *record.Event) {
			if ev.Type == record.EventPrune {
				sum.pruned(ev.Seconds)
			}
			if o.OnEvent != nil {
				o.OnEvent(ev)
			}
		},
		OnRecord: func(rec *record.Image) {
			if rec.Instance == "" {
				return // the shared phases belong to no image
			}
			phaseMu.Lock()
			phases[rec.Instance] = append(phases[rec.Instance], rec)
			phaseMu.Unlock()
		},
		OnStopped: func(_, _ int, rec *record.Image) {
			// Cut by the infrastructure failure that stops the run (no
			// daemon left, the registry down): not a failed build, so
			// no line, as an interrupted image; the resume builds it,
			// and the closing line counts it as not built yet. Its
			// records are in records.jsonl.
			if rec != nil {
				phaseMu.Lock()
				delete(phases, rec.Instance)
				phaseMu.Unlock()
			}
		},
		OnImage: func(_, _ int, rec *record.Image) {
			if rec != nil {
				phaseMu.Lock()
				if all := phases[rec.Instance]; len(all) > 0 && all[len(all)-1] == rec {
					rec = Combine(all)
				}
				delete(phases, rec.Instance)
				phaseMu.Unlock()
			}
			if rec == nil || rec.ErrClass == engine.ErrCanceled {
				return // interrupted: no line, so a resume builds it
			}
			img := images[rec.Instance]
			logPath := filepath.Join(res.Out, "logs", logName(rec.Instance))
			line := ToOutput(rec, img, logPath, shardSpec, time.Now())
			err := writeLog(logPath, line, rec)
			if err == nil {
				err = mw.Write(line)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if writeErr == nil {
					// The output, not the image, failed (a full disk):
					// an infrastructure failure, not a failed build.
					writeErr = fleet.Infra(fmt.Errorf("recording %s: %w", rec.Instance, err))
					cancel()
				}
				return
			}
			written++
			// The summary follows each line, before OnImage: a kill
			// from here on leaves this run's wall so far on disk.
			sum.add(line)
			sum.refresh()
			if o.OnImage != nil {
				o.OnImage(res.Resumed+written, res.Planned, line)
			}
		},
	})
	if px != nil {
		res.Proxy = px.Stats()
		tr.BytesPushed, tr.BytesPulled = res.Proxy.BytesUp, res.Proxy.BytesDown
	}
	if busy, foreign, ok := load.End(); ok {
		tr.HostCPU, tr.ForeignCPU = busy, foreign
	}
	res.Trial = tr
	if err := recs.Write(&tr); err != nil && runErr == nil {
		runErr = fleet.Infra(fmt.Errorf("writing trial record: %w", err))
	}
	mu.Lock()
	defer mu.Unlock()
	if writeErr != nil {
		return true, writeErr
	}
	return true, runErr
}

// describe returns the base image and final tags of each instance, from
// the workload's builds.
func describe(w *workload.Workload, strategy string, cache engine.CacheMode, insts []workload.Instance) (map[string]Image, error) {
	m := make(map[string]Image, len(insts))
	for _, in := range insts {
		builds, err := w.InstanceBuilds(strategy, in, cache)
		if err != nil {
			return nil, fmt.Errorf("builds of %s: %w", in.ID, err)
		}
		for _, b := range builds {
			if b.CacheMode != engine.CacheOff && b.CacheMode != "" && b.CacheTo == "" {
				return nil, input.Errorf("--cache-mode "+string(b.CacheMode), "exports the registry cache, and the %s build of %s has no cache ref to export to (a custom workload's --cache-ref): give one, or --cache-mode off", b.Phase, in.ID)
			}
		}
		img := Image{Instance: in.ID, BaseImage: w.Bases[in.ID]}
		if n := len(builds); n > 0 {
			img.Tags = builds[n-1].Tags
		}
		for _, b := range builds {
			if img.BaseImage == "" && b.BuildArgs["BASE_IMAGE"] != "" {
				img.BaseImage = b.BuildArgs["BASE_IMAGE"]
			}
		}
		m[in.ID] = img
	}
	return m, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writable checks that a build can write into out: create files in it
// (the summary is replaced through a temporary file, logs/ is created),
// append to the manifest and records it holds, and write into its logs/.
// It changes nothing it finds.
func writable(out string) error {
	probe := func(dir string) error {
		f, err := os.CreateTemp(dir, ".buildtune-write-*")
		if err != nil {
			return fmt.Errorf("cannot write in %s: %w", dir, input.PathCause(err))
		}
		f.Close()
		return os.Remove(f.Name())
	}
	if err := probe(out); err != nil {
		return err
	}
	logs := filepath.Join(out, "logs")
	if fi, err := os.Stat(logs); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("cannot write the image logs: %s is not a folder", logs)
		}
		if err := probe(logs); err != nil {
			return err
		}
	}
	for _, name := range []string{manifest.ManifestFile, RecordsFile} {
		p := filepath.Join(out, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cannot append to %s: %w", p, input.PathCause(err))
		}
		f.Close()
	}
	return nil
}
