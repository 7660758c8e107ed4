package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/workload"
)

// OverheadOptions set the harness overhead scenario.
type OverheadOptions struct {
	Workers int
	Cache   engine.CacheMode
	// Pairs is the number of interleaved (fleet, buildctl) pairs, each
	// arm cold; at least 6 (DefaultPairs when 0).
	Pairs int
	// Prepare, if set, is the one-time base preparation to time (pushing
	// the fixture bases); it ran before the scenario when nil.
	Prepare func(ctx context.Context) error
}

// DefaultPairs is the overhead scenario's default number of pairs.
const DefaultPairs = 16

// OneTime is buildtune's one-time work, measured apart from the builds.
type OneTime struct {
	// PrepareSeconds is the base preparation (writing the context,
	// pushing the base images); DialSeconds connecting to the daemon
	// (engine.Dial, which lists the workers); TagCheckSeconds the HEAD
	// checks of every final tag at Workers in parallel, as the production
	// build's skip-existing check does.
	PrepareSeconds  float64 `json:"prepare_s"`
	DialSeconds     float64 `json:"dial_s"`
	TagCheckSeconds float64 `json:"tag_check_s"`
	// PrepareExistingSeconds is the same preparation again, the bases
	// already in the registry: what every run after the first pays.
	PrepareExistingSeconds float64 `json:"prepare_existing_s"`
}

// Repeat is the one-time work of a run whose bases already exist:
// preparation, connection and tag checks.
func (o OneTime) Repeat() float64 {
	return o.PrepareExistingSeconds + o.DialSeconds + o.TagCheckSeconds
}

// OverheadResult compares the fleet's wall time with buildctl's.
type OverheadResult struct {
	Images  int              `json:"images"`
	Workers int              `json:"workers"`
	Cache   engine.CacheMode `json:"cache"`
	// FleetSeconds and BuildctlSeconds are the walls of each pair's arms,
	// PairRatios fleet/buildctl per pair.
	FleetSeconds    []float64 `json:"fleet_s"`
	BuildctlSeconds []float64 `json:"buildctl_s"`
	PairRatios      []float64 `json:"pair_ratios"`
	// Compare is fleet (B) against buildctl (A): Ratio is the ratio of
	// medians, RatioHL, RatioLo, RatioHi the Hodges-Lehmann ratio and its
	// 95% interval.
	Compare analyze.Comparison `json:"compare"`
	// Paired is the median of the pair ratios with its distribution-free
	// 95% interval: the pairs ran back to back, so each ratio cancels the
	// machine's drift that the unpaired Compare carries.
	Paired  analyze.Sample `json:"paired"`
	OneTime OneTime        `json:"one_time"`
}

// Overhead builds the same images at the same worker count on the same
// daemon and registry, cold each time, by the fleet (fleet.Run, the Go
// client path of sweep and build) and by plain `buildctl build`
// processes started in parallel with the same frontend options, in
// interleaved pairs whose order alternates. Both arms count from the
// first build submitted to the last one finished; the cold reset is
// outside both. buildtune's one-time work is timed apart.
func Overhead(ctx context.Context, e *Env, o OverheadOptions) (*OverheadResult, error) {
	if o.Pairs == 0 {
		o.Pairs = DefaultPairs
	}
	if o.Pairs < 6 {
		return nil, fmt.Errorf("overhead: %d pairs: want at least 6 for a ratio interval", o.Pairs)
	}
	o.Workers = max(o.Workers, 1)
	if o.Cache == "" {
		o.Cache = engine.CacheOff
	}
	r := &OverheadResult{Images: len(e.Instances), Workers: o.Workers, Cache: o.Cache}
	if o.Prepare != nil {
		t0 := time.Now()
		if err := o.Prepare(ctx); err != nil {
			return nil, err
		}
		r.OneTime.PrepareSeconds = time.Since(t0).Seconds()
	}
	t0 := time.Now()
	bk, err := engine.Dial(ctx, e.Daemon.Addr())
	if err != nil {
		return nil, err
	}
	r.OneTime.DialSeconds = time.Since(t0).Seconds()
	bk.Close()

	for p := 0; p < o.Pairs; p++ {
		arms := []string{"fleet", "buildctl"}
		if p%2 == 1 {
			arms[0], arms[1] = arms[1], arms[0]
		}
		var fs, bs float64
		for _, arm := range arms {
			w, err := e.cold(ctx, e.Registry, "ovh-"+arm, "")
			if err != nil {
				return nil, err
			}
			if arm == "fleet" {
				if fs, err = fleetWall(ctx, e, w, o); err != nil {
					return nil, err
				}
				if p == 0 {
					// The tag checks, on the tags the first fleet pushed.
					if r.OneTime.TagCheckSeconds, err = tagChecks(ctx, w, e.Instances, o.Workers); err != nil {
						return nil, err
					}
				}
			} else if bs, err = buildctlWall(ctx, e, w, o); err != nil {
				return nil, err
			}
		}
		r.FleetSeconds = append(r.FleetSeconds, fs)
		r.BuildctlSeconds = append(r.BuildctlSeconds, bs)
		r.PairRatios = append(r.PairRatios, fs/bs)
	}
	r.Compare = analyze.Compare(r.BuildctlSeconds, r.FleetSeconds, analyze.DefaultAlpha)
	r.Paired = analyze.Summary(r.PairRatios, analyze.DefaultConfidence)
	return r, nil
}

func fleetWall(ctx context.Context, e *Env, w *workload.Workload, o OverheadOptions) (float64, error) {
	tr, err := fleet.Run(ctx, fleet.Options{Workload: w, Instances: e.Instances, Strategy: workload.Single, Cache: o.Cache,
		Workers: o.Workers, Daemons: []fleet.Daemon{e.Daemon}, Attempts: 1})
	if err == nil && tr.Built != len(e.Instances) {
		err = fmt.Errorf("fleet built %d of %d images", tr.Built, len(e.Instances))
	}
	if err != nil {
		return 0, fmt.Errorf("overhead, fleet arm: %w", err)
	}
	return tr.WallSeconds, nil
}

// buildctlWall runs one buildctl process per image, Workers at a time.
func buildctlWall(ctx context.Context, e *Env, w *workload.Workload, o OverheadOptions) (float64, error) {
	s := Script{Buildctl: e.Buildctl, Workers: o.Workers, Cache: o.Cache, Strategy: workload.Single, Attempts: 1}
	res, err := s.Run(ctx, w, e.Instances)
	if err == nil && res.Built != len(e.Instances) {
		err = fmt.Errorf("built %d of %d images: %s", res.Built, len(e.Instances), strings.Join(res.Errors, "; "))
	}
	if err != nil {
		return 0, fmt.Errorf("overhead, buildctl arm: %w", err)
	}
	return res.WallSeconds, nil
}

// tagChecks times a HEAD of every instance's final tag, workers at a time.
func tagChecks(ctx context.Context, w *workload.Workload, insts []workload.Instance, workers int) (float64, error) {
	var tags []string
	for _, inst := range insts {
		bs, err := w.InstanceBuilds(workload.Single, inst, engine.CacheOff)
		if err != nil {
			return 0, err
		}
		if n := len(bs); n > 0 && len(bs[n-1].Tags) > 0 {
			tags = append(tags, bs[n-1].Tags[0])
		}
	}
	t0 := time.Now()
	next := make(chan string)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				tagExists(ctx, t)
			}
		}()
	}
	for _, t := range tags {
		next <- t
	}
	close(next)
	wg.Wait()
	return time.Since(t0).Seconds(), nil
}
