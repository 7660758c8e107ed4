// Package fullbuild is the production build stage: it builds a fleet (all
// 433 SWT-Bench images, a sample, or one CI matrix shard of them) with fixed
// settings and writes the outputs CI consumes: manifest.jsonl (one line per
// image as it finishes), a log per image, build-summary.json, and buildtune's
// own records.jsonl. A build folder is resumable: a second run into it skips
// every image the first one built or found pushed, and rebuilds the rest.
package fullbuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
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
	Workers  int
	// Batch is the batch size; 0 = stream.
	Batch    int
	Attempts int
	// RetryDelay is the base of the wait between a failed build's attempts
	// (fleet.Options.RetryDelay); 0 retries at once.
	RetryDelay   time.Duration
	SkipExisting bool
	Prune        fleet.PrunePolicy
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
	_, statErr := os.Stat(out)
	newOut := errors.Is(statErr, os.ErrNotExist)
	if err := notABuild(out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, input.Bad("--out "+out, fmt.Errorf("creating the build folder: %w", err))
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
	plan := Plan(o.Setup.Instances, o.Shard, o.Durations)
	if len(plan) == 0 {
		undo()
		return nil, input.Errorf("--shard", "shard %s of %d instances is empty", o.Shard, len(o.Setup.Instances))
	}
	shardSpec := ""
	if o.Shard.Count > 0 {
		shardSpec = o.Shard.String()
	}
	// What the folder holds is read, and checked to be this build, before
	// anything in it changes: a refused folder is left as it was.
	prior, _, err := manifest.Read(res.ManifestPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		undo()
		return nil, input.Errorf("--out "+out, "%v: want a build folder to resume, or a new folder", err)
	}
	var prev *manifest.Summary
	if len(prior) > 0 {
		s, err := manifest.ReadSummary(res.SummaryPath)
		switch {
		case err == nil:
			prev = &s
		case !errors.Is(err, os.ErrNotExist):
			// A summary that does not read would hide which build the
			// folder holds, and be overwritten.
			undo()
			return nil, input.Errorf("--out "+out, "%v: want the build-summary.json of the build in %s (or none), to resume it", err, res.ManifestPath)
		}
	}
	if err := sameBuild(out, plan, shardSpec, o.Setup.SDKSha, prior, prev); err != nil {
		undo()
		return nil, err
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
	// summarize writes the summary over the latest line of every planned
	// instance: when the build starts (so that a build killed in any way
	// leaves a folder that says which build it holds: SDK, shard,
	// planned) and at its end.
	summarize := func(bkVersion string) error {
		all, _, err := manifest.Read(res.ManifestPath)
		if err != nil {
			return fmt.Errorf("reading manifest to summarize: %w", err)
		}
		var mine []manifest.Output
		for _, l := range all {
			if inPlan[l.Key()] {
				mine = append(mine, l)
			}
		}
		wall := time.Since(start)
		extra := manifest.SummaryExtra{
			Prunes: res.Trial.Prunes, PruneSeconds: res.Trial.PruneSeconds,
			Settings: manifest.Settings{Workers: o.Workers, Batch: o.Batch, CacheMode: string(o.Cache), Strategy: o.Strategy, SDKSha: o.Setup.SDKSha, Shard: shardSpec},
			Versions: manifest.Versions{Buildtune: o.Version, Buildkit: bkVersion},
		}
		if prev != nil {
			// A resumed build: its wall and prunes add to the earlier runs'.
			wall += time.Duration(prev.WallSeconds * float64(time.Second))
			extra.Prunes += prev.Prunes
			extra.PruneSeconds += prev.PruneSeconds
			if extra.Versions.Buildkit == "" {
				extra.Versions.Buildkit = prev.Versions.Buildkit
			}
		}
		res.Summary = manifest.Summarize(mine, wall, extra)
		res.Summary.Planned = len(plan)
		if err := manifest.WriteSummary(res.SummaryPath, res.Summary); err != nil {
			return fmt.Errorf("writing build summary: %w", err)
		}
		return nil
	}

	var runErr error
	bkVersion := ""
	if len(todo) == 0 {
		if o.OnStart != nil {
			o.OnStart(nil, res)
		}
	} else {
		var started bool
		bkVersion, started, runErr = build(ctx, o, todo, mw, recs, res, summarize)
		if !started {
			mw.Close()
			recs.Close()
			undo()
			return nil, runErr // nothing built: the folder is left as it was
		}
	}
	if err := summarize(bkVersion); err != nil {
		return res, errors.Join(runErr, err)
	}
	if o.StepSummary != "" {
		if err := appendFile(o.StepSummary, Markdown(res)); err != nil {
			return res, errors.Join(runErr, fmt.Errorf("writing step summary: %w", err))
		}
	}
	return res, runErr
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
// shard's (its summary or its lines say), or images this build does not plan
// (another sample, seed, instance list, or shard balance). Resuming over
// them would pass their lines for images this build never made, or drop
// them from the summary.
func sameBuild(out string, plan []workload.Instance, shardSpec, sdkSha string, prior []manifest.Output, prev *manifest.Summary) error {
	if len(prior) == 0 {
		return nil
	}
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
			return input.Errorf("--out "+out, "holds a build of SDK %s, and this one is SDK %s: want a new folder, or the same --sdk-sha to resume", was, sdkSha)
		}
		if was := prev.Settings.Shard; was != shardSpec {
			return wrongShard(was)
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
		return input.Errorf("--out "+out, "holds %d images this build does not plan (%s): want a new folder, or the instances of that build (the same --sample, --seed, --instances or --all, --shard and --durations-from) to resume it", len(other), some)
	}
	return nil
}

// build connects the stack and builds todo, writing a manifest line and a
// log per image as each finishes; begin (the summary of the folder so
// far) runs once the stack is ready, before the first build. It returns
// BuildKit's version and whether the build started (false: setup or
// begin failed and err says why).
func build(ctx context.Context, o Options, todo []workload.Instance, mw *manifest.Writer, recs *record.Writer, res *Result, begin func(bkVersion string) error) (string, bool, error) {
	setup := o.Setup
	setup.Instances = todo
	env, err := fleet.Open(ctx, setup)
	if err != nil {
		return "", false, err
	}
	defer env.Close()
	w := env.Workload
	images, err := describe(w, o.Strategy, o.Cache, todo)
	if err != nil {
		return env.BuildKitVersion, false, err
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
			return env.BuildKitVersion, false, input.Errorf("--registry-bandwidth", "registry conditions need the local registry proxy, and registry %s is not on loopback", w.Registry)
		}
		px, err = regproxy.New(regAddr, o.Proxy)
		if err != nil {
			return env.BuildKitVersion, false, fmt.Errorf("registry proxy: %w", err)
		}
		addr, err := px.Start("127.0.0.1:0")
		if err != nil {
			return env.BuildKitVersion, false, fmt.Errorf("registry proxy: %w", err)
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
	if err := begin(env.BuildKitVersion); err != nil {
		return env.BuildKitVersion, false, err
	}
	if o.OnStart != nil {
		o.OnStart(env, res)
	}

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
	tr, runErr := fleet.Run(ctx, fleet.Options{
		Workload: w, Instances: todo, Strategy: o.Strategy, Cache: o.Cache, Workers: o.Workers, Batch: o.Batch,
		Daemons: env.Daemons, DaemonLimits: env.DaemonLimits, Attempts: o.Attempts, RetryDelay: o.RetryDelay, SkipExisting: o.SkipExisting, Prune: o.Prune, Config: cfg,
		Run: filepath.Base(res.Out), Out: recs, TraceDir: env.TraceDir, Health: env.Stack.Registry.Ping, OnEvent: o.OnEvent,
		OnRecord: func(rec *record.Image) {
			if rec.Instance == "" {
				return // the shared phases belong to no image
			}
			phaseMu.Lock()
			phases[rec.Instance] = append(phases[rec.Instance], rec)
			phaseMu.Unlock()
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
					writeErr = fmt.Errorf("recording %s: %w", rec.Instance, err)
					cancel()
				}
				return
			}
			written++
			if o.OnImage != nil {
				o.OnImage(res.Resumed+written, res.Planned, line)
			}
		},
	})
	if px != nil {
		res.Proxy = px.Stats()
		tr.BytesPushed, tr.BytesPulled = res.Proxy.BytesUp, res.Proxy.BytesDown
	}
	res.Trial = tr
	if err := recs.Write(&tr); err != nil && runErr == nil {
		runErr = fmt.Errorf("writing trial record: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if writeErr != nil {
		return env.BuildKitVersion, true, writeErr
	}
	return env.BuildKitVersion, true, runErr
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
