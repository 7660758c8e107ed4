package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// Scheme is one way of building the fleet.
type Scheme struct {
	// Name labels it ("script-w4-b15-max").
	Name string `json:"name"`
	// Buildtune builds with the fleet as `buildtune build` does (stream
	// when Batch is 0, skip-existing, the prune policy checked after each
	// image); otherwise the old script (Script) runs it.
	Buildtune bool             `json:"buildtune"`
	Workers   int              `json:"workers"`
	Batch     int              `json:"batch"`
	Cache     engine.CacheMode `json:"cache"`
	// Strategy is workload.Single ("" too) or workload.ThreePhase.
	Strategy string `json:"strategy,omitempty"`
	// Daemons, when above 0, are fresh buildkitd started for each of the
	// scheme's runs (cold by being new; Env.StartDaemons) instead of the
	// shared daemon, each with buildkitd's maxRegistryConcurrency set to
	// RegistryConcurrency (0 = BuildKit's default, 4). The fleet only.
	Daemons             int `json:"daemons,omitempty"`
	RegistryConcurrency int `json:"registry_concurrency,omitempty"`
}

func (s Scheme) strategy() string {
	if s.Strategy == "" {
		return workload.Single
	}
	return s.Strategy
}

// OldSchemes are the real script's defaults (W=4, B=15, cache max) and
// PR #525's settings (W=16, B=50, cache min).
var OldSchemes = []Scheme{
	{Name: "script-w4-b15-max", Workers: 4, Batch: 15, Cache: engine.CacheMax},
	{Name: "script-w16-b50-min", Workers: 16, Batch: 50, Cache: engine.CacheMin},
}

// SchemesOptions set the old scheme vs production build scenario.
type SchemesOptions struct {
	// Schemes to compare; the first is the baseline of the ratios.
	Schemes []Scheme
	// Reps per scheme, interleaved, each cold (3 when 0).
	Reps int
	// Prune is the prune policy of every scheme (the real script's,
	// scaled down).
	Prune fleet.PrunePolicy
	// Registry are the registry conditions (a bandwidth cap makes the
	// registry bound computable); the bytes are counted in every case.
	Registry regproxy.Settings
}

// Bound is a lower bound on a run's wall time implied by one resource.
type Bound struct {
	Resource string `json:"resource"`
	// Seconds is the bound (CPU: busy CPU-seconds / cores; registry:
	// bytes / bandwidth); Share = Seconds / wall, the resource's busy share.
	Seconds float64 `json:"seconds"`
	Share   float64 `json:"share"`
}

// SchemeRun is one rep of one scheme.
type SchemeRun struct {
	WallSeconds  float64 `json:"wall_s"`
	Built        int     `json:"built"`
	Failed       int     `json:"failed"`
	Prunes       int     `json:"prunes"`
	PruneSeconds float64 `json:"prune_s"`
	CPU          CPUUse  `json:"cpu"`
	// RegistryBytes went through the registry proxy, both directions;
	// BytesUp and BytesDown each direction.
	RegistryBytes int64   `json:"registry_bytes"`
	BytesUp       int64   `json:"bytes_up"`
	BytesDown     int64   `json:"bytes_down"`
	Bounds        []Bound `json:"bounds"`
	// ImageSeconds sums the images' walls; IdleSeconds is the
	// worker-seconds no image used (min(workers, images) x wall -
	// ImageSeconds), of which
	// BarrierIdleSeconds the old script's barriers held (0 for a stream).
	ImageSeconds       float64 `json:"image_s"`
	IdleSeconds        float64 `json:"idle_s"`
	BarrierIdleSeconds float64 `json:"barrier_idle_s"`
	// Phases sums BuildKit's per-image phases (the fleet only: buildctl's
	// plain output carries no status stream to read them from).
	Phases *Phases `json:"phases,omitempty"`
	// Steady is the host CPU and the link from the run's start until its
	// last image started: while every scheme still had images to hand out,
	// before the unavoidable drain of the last builds.
	Steady Use `json:"steady"`
}

// whole is the run's use over its whole wall time.
func (r SchemeRun) whole() Use {
	return Use{Seconds: r.WallSeconds, CPUBusy: r.CPU.BusyFraction, Up: r.BytesUp, Down: r.BytesDown}
}

// Phases are the sums of the per-image phases of a fleet run, in seconds.
type Phases struct {
	Exec        float64 `json:"exec_s"`
	ImageExport float64 `json:"image_export_s"`
	LayerPush   float64 `json:"layer_push_s"`
	CacheImport float64 `json:"cache_import_s"`
	CacheExport float64 `json:"cache_export_s"`
}

// SchemeResult is one scheme's reps and medians.
type SchemeResult struct {
	Scheme Scheme      `json:"scheme"`
	Runs   []SchemeRun `json:"runs"`
	// Medians over the reps; VsBaseline is this scheme's median wall over
	// the first scheme's.
	WallSeconds   float64 `json:"wall_s"`
	ImagesPerHour float64 `json:"images_per_hour"`
	CPUBusy       float64 `json:"cpu_busy_fraction"`
	// SteadyCPUBusy and SteadyLinkBusy are the medians of the runs'
	// steady-state shares (SchemeRun.Steady; the link's against its cap, 0
	// without one).
	SteadyCPUBusy  float64 `json:"steady_cpu_busy_fraction"`
	SteadyLinkBusy float64 `json:"steady_link_busy_fraction"`
	// Bandwidth is the link's cap, bytes per second (0: none).
	Bandwidth     int64   `json:"bandwidth_bytes_per_s,omitempty"`
	RegistryBytes float64 `json:"registry_bytes"`
	PruneSeconds  float64 `json:"prune_s"`
	// Medians of the runs' idle and barrier-idle worker-seconds.
	IdleSeconds        float64 `json:"idle_s"`
	BarrierIdleSeconds float64 `json:"barrier_idle_s"`
	VsBaseline         float64 `json:"vs_baseline"`
	// RepRatios are each rep's wall over the first scheme's in the same
	// rep (the reps are interleaved).
	RepRatios []float64 `json:"rep_ratios"`
	// Bottleneck is the resource with the largest median bound, Bound its
	// median seconds, WallOverBound the median wall over it (1 = the
	// resource was busy all the time).
	Bottleneck    string  `json:"bottleneck"`
	Bound         float64 `json:"bound_s"`
	WallOverBound float64 `json:"wall_over_bound"`
}

// SchemesResult is the scenario's result.
type SchemesResult struct {
	Images   int            `json:"images"`
	Registry string         `json:"registry"`
	Schemes  []SchemeResult `json:"schemes"`
}

// Schemes runs every scheme Reps times, interleaved (rep-major), each
// cold, through a registry proxy that imposes o.Registry and counts bytes,
// sampling the host CPU from /proc/stat during each run.
func Schemes(ctx context.Context, e *Env, o SchemesOptions) (*SchemesResult, error) {
	if len(o.Schemes) == 0 {
		return nil, fmt.Errorf("schemes: none given")
	}
	if o.Reps == 0 {
		o.Reps = 3
	}
	res := &SchemesResult{Images: len(e.Instances), Registry: o.Registry.Label()}
	for _, s := range o.Schemes {
		res.Schemes = append(res.Schemes, SchemeResult{Scheme: s})
	}
	for rep := 0; rep < o.Reps; rep++ {
		for i, s := range o.Schemes {
			run, err := schemeRun(ctx, e, s, o)
			if err != nil {
				return nil, fmt.Errorf("%s rep %d: %w", s.Name, rep+1, err)
			}
			res.Schemes[i].Runs = append(res.Schemes[i].Runs, run)
		}
	}
	for i := range res.Schemes {
		res.Schemes[i].Bandwidth = o.Registry.BandwidthBytesPerSec
		summarizeScheme(&res.Schemes[i], len(e.Instances))
		if b := res.Schemes[0].WallSeconds; b > 0 {
			res.Schemes[i].VsBaseline = res.Schemes[i].WallSeconds / b
		}
		// Rep k of every scheme ran back to back: its ratio to the
		// baseline's rep k cancels the machine's drift between reps.
		for k, run := range res.Schemes[i].Runs {
			res.Schemes[i].RepRatios = append(res.Schemes[i].RepRatios, safe(run.WallSeconds, res.Schemes[0].Runs[k].WallSeconds))
		}
	}
	return res, nil
}

func schemeRun(ctx context.Context, e *Env, s Scheme, o SchemesOptions) (SchemeRun, error) {
	var run SchemeRun
	px, addr, err := e.proxy(o.Registry)
	if err != nil {
		return run, err
	}
	defer px.Close()
	w, err := e.cold(ctx, addr, "sch", "")
	if err != nil {
		return run, err
	}
	daemons := []fleet.Daemon{e.Daemon}
	if s.Daemons > 0 {
		if !s.Buildtune {
			return run, fmt.Errorf("%s: own daemons are for the fleet's schemes only", s.Name)
		}
		if e.StartDaemons == nil {
			return run, fmt.Errorf("%s: wants %d own daemons, and the environment cannot start any", s.Name, s.Daemons)
		}
		ds, stop, derr := e.StartDaemons(ctx, s.Daemons, s.RegistryConcurrency)
		if derr != nil {
			return run, fmt.Errorf("%s: starting %d daemons: %w", s.Name, s.Daemons, derr)
		}
		defer stop()
		daemons = ds
	}
	before := px.Stats()
	t0 := time.Now()
	var lastStart time.Time
	cpu, err := StartSampler(0, func() (int64, int64) { st := px.Stats(); return st.BytesUp, st.BytesDown })
	if err != nil {
		return run, err
	}
	if s.Buildtune {
		dir, derr := os.MkdirTemp("", "buildtune-schemes-")
		if derr != nil {
			return run, fmt.Errorf("records folder: %w", derr)
		}
		defer os.RemoveAll(dir)
		out, werr := record.Create(filepath.Join(dir, "records.jsonl"))
		if werr != nil {
			return run, werr
		}
		tr, ferr := fleet.Run(ctx, fleet.Options{Workload: w, Instances: e.Instances, Strategy: s.strategy(), Cache: s.Cache,
			Workers: s.Workers, Batch: s.Batch, Daemons: daemons, Attempts: 3, SkipExisting: true, Prune: o.Prune, Out: out})
		if cerr := out.Close(); ferr == nil {
			ferr = cerr
		}
		if ferr == nil {
			set, rerr := record.ReadFile(filepath.Join(dir, "records.jsonl"))
			if rerr != nil {
				ferr = rerr
			} else {
				for _, im := range set.Images {
					run.ImageSeconds += im.WallSeconds
					if im.Start.After(lastStart) {
						lastStart = im.Start
					}
				}
			}
		}
		err = ferr
		if err == nil && tr.Failed > 0 {
			err = fmt.Errorf("%d builds failed", tr.Failed)
		}
		run.WallSeconds, run.Built, run.Failed, run.Prunes, run.PruneSeconds = tr.WallSeconds, tr.Built, tr.Failed, tr.Prunes, tr.PruneSeconds
		run.Phases = &Phases{Exec: tr.ExecSeconds, ImageExport: tr.ImageExportSeconds, LayerPush: tr.LayerPushSeconds,
			CacheImport: tr.CacheImportSeconds, CacheExport: tr.CacheExportSeconds}
	} else {
		sc := Script{Buildctl: e.Buildctl, Workers: s.Workers, Batch: s.Batch, Cache: s.Cache, Strategy: s.strategy(),
			Attempts: 3, Prune: o.Prune, Head: true}
		sr, serr := sc.Run(ctx, w, e.Instances)
		err = serr
		if err == nil && sr.Failed > 0 {
			err = fmt.Errorf("%d builds failed: %s", sr.Failed, strings.Join(sr.Errors, "; "))
		}
		run.WallSeconds, run.Built, run.Failed, run.Prunes, run.PruneSeconds = sr.WallSeconds, sr.Built, sr.Failed, sr.Prunes, sr.PruneSeconds
		run.ImageSeconds, run.BarrierIdleSeconds = sr.ImageSeconds, sr.BarrierIdleSeconds
		lastStart = sr.LastStart
	}
	run.IdleSeconds = max(float64(min(max(s.Workers, 1), len(e.Instances)))*run.WallSeconds-run.ImageSeconds, 0)
	use, cerr := cpu.Stop()
	if err != nil {
		return run, err
	}
	if cerr != nil {
		return run, cerr
	}
	if !lastStart.After(t0) {
		return run, fmt.Errorf("%s: no image start recorded", s.Name)
	}
	after := px.Stats()
	run.CPU = use
	run.BytesUp, run.BytesDown = after.BytesUp-before.BytesUp, after.BytesDown-before.BytesDown
	var ok bool
	if run.Steady, ok = cpu.Window(t0, lastStart); !ok {
		// Every image started at once: no window between two samples,
		// the whole run stands for it.
		run.Steady = run.whole()
	}
	run.RegistryBytes = run.BytesUp + run.BytesDown
	run.Bounds = bounds(run.WallSeconds, use, max(run.BytesUp, run.BytesDown), o.Registry.BandwidthBytesPerSec)
	return run, nil
}

// bounds returns the lower bounds on wall implied by the CPU (busy
// CPU-seconds over the cores) and, when the link is capped, by the
// registry: the proxy caps each direction on its own, so the busier
// direction's bytes over the cap.
func bounds(wall float64, cpu CPUUse, bytes, bps int64) []Bound {
	var out []Bound
	if cpu.Cores > 0 {
		s := cpu.BusySeconds / float64(cpu.Cores)
		out = append(out, Bound{Resource: "cpu", Seconds: s, Share: safe(s, wall)})
	}
	if bps > 0 {
		s := float64(bytes) / float64(bps)
		out = append(out, Bound{Resource: "registry " + input.FormatSize(bps) + "/s", Seconds: s, Share: safe(s, wall)})
	}
	return out
}

func safe(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func summarizeScheme(r *SchemeResult, images int) {
	var wall, iph, busy, bytes, prune, idle, barrier, steadyCPU, steadyLink []float64
	bound := map[string][]float64{}
	var order []string
	for _, run := range r.Runs {
		wall = append(wall, run.WallSeconds)
		iph = append(iph, 3600*float64(run.Built)/max(run.WallSeconds, 1e-9))
		busy = append(busy, run.CPU.BusyFraction)
		steadyCPU = append(steadyCPU, run.Steady.CPUBusy)
		steadyLink = append(steadyLink, run.Steady.LinkBusy(r.Bandwidth))
		bytes = append(bytes, float64(run.RegistryBytes))
		prune = append(prune, run.PruneSeconds)
		idle = append(idle, run.IdleSeconds)
		barrier = append(barrier, run.BarrierIdleSeconds)
		for _, b := range run.Bounds {
			if _, ok := bound[b.Resource]; !ok {
				order = append(order, b.Resource)
			}
			bound[b.Resource] = append(bound[b.Resource], b.Seconds)
		}
	}
	r.WallSeconds, r.ImagesPerHour, r.CPUBusy = Median(wall), Median(iph), Median(busy)
	r.SteadyCPUBusy, r.SteadyLinkBusy = Median(steadyCPU), Median(steadyLink)
	r.RegistryBytes, r.PruneSeconds = Median(bytes), Median(prune)
	r.IdleSeconds, r.BarrierIdleSeconds = Median(idle), Median(barrier)
	for _, res := range order {
		if m := Median(bound[res]); m > r.Bound {
			r.Bottleneck, r.Bound = res, m
		}
	}
	r.WallOverBound = safe(r.WallSeconds, r.Bound)
}
