package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/sweep"
)

// SweepRun is one sweep a scenario ran and analysed.
type SweepRun struct {
	Dir     string         `json:"dir"`
	Summary *sweep.Summary `json:"summary"`
	// Elapsed is the sweep's own time (sweep.Summary.Elapsed).
	Elapsed  time.Duration      `json:"elapsed"`
	Analysis *evidence.Analysis `json:"-"`
}

// RunSweep runs a sweep of o with runner into o.OutDir and analyses it.
func RunSweep(ctx context.Context, o sweep.Options, runner sweep.TrialRunner) (*SweepRun, error) {
	sum, err := sweep.Run(ctx, o, runner)
	if err != nil {
		return nil, fmt.Errorf("sweep into %s: %w", o.OutDir, err)
	}
	run, err := evidence.Load(o.OutDir)
	if err != nil {
		return nil, err
	}
	a, err := evidence.Analyze(run, evidence.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	return &SweepRun{Dir: o.OutDir, Summary: sum, Elapsed: sum.Elapsed, Analysis: a}, nil
}

// findCell returns the cold cell of a with c's knobs, whatever its
// registry label (a replay sweep runs every cell on one link).
func findCell(a *evidence.Analysis, c evidence.Config) *evidence.Cell {
	for _, cell := range a.Cells {
		k := cell.Config
		if k.Workers == c.Workers && k.Batch == c.Batch && k.CacheMode == c.CacheMode && k.Strategy == c.Strategy {
			return cell
		}
	}
	return nil
}

// FromSweep is the production build a sweep recommends for a set of
// images, as `buildtune build --from-recommendation` runs it: the
// recommended workers, batch, cache mode and strategy.
type FromSweep struct {
	Scheme Scheme    `json:"scheme"`
	Sweep  *SweepRun `json:"-"`
	// Name is the recommended cell; SweepSeconds the sweep's own time, to
	// be set beside the gain.
	Name         string  `json:"name"`
	SweepSeconds float64 `json:"sweep_s"`
	// Confident, Equivalent, Reasons and Warnings are the recommendation's
	// own (evidence.Recommendation): whether the sweep's data support the
	// choice, the cells it found equivalent, and why.
	Confident  bool     `json:"confident"`
	Equivalent []string `json:"equivalent,omitempty"`
	Reasons    []string `json:"reasons,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

// Recommended runs the sweep o with runner and returns the scheme its
// recommendation for images images (pruned as prune) builds with.
func Recommended(ctx context.Context, o sweep.Options, runner sweep.TrialRunner, images int, prune fleet.PrunePolicy) (*FromSweep, error) {
	sr, err := RunSweep(ctx, o, runner)
	if err != nil {
		return nil, err
	}
	rec, err := sr.Analysis.Recommend(evidence.Constraints{Target: evidence.Target{Images: images,
		PruneThreshold: prune.ThresholdBytes, PruneKeep: prune.KeepBytes, Seed: 1}})
	if err != nil {
		return nil, fmt.Errorf("recommendation from %s: %w", o.OutDir, err)
	}
	c := rec.Recommended.Config
	s := Scheme{Buildtune: true, Workers: c.Workers, Batch: c.Batch, Cache: engine.CacheMode(c.CacheMode), Strategy: c.Strategy}
	s.Name = "buildtune-" + rec.Recommended.Name
	return &FromSweep{Scheme: s, Sweep: sr, Name: rec.Recommended.Name, SweepSeconds: sr.Elapsed.Seconds(),
		Confident: rec.Confident, Equivalent: rec.Equivalent, Reasons: rec.Reasons, Warnings: rec.Warnings}, nil
}
