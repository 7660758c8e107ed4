package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/sweep"
)

// SweepCostOptions set the sweep cost scenario.
type SweepCostOptions struct {
	// Grid is the full grid (its Reps the full sweep's reps).
	Grid sweep.Grid
	// Budget bounds the adaptive sweep (successive halving).
	Budget time.Duration
	// Dir receives the two run folders, "full" and "adaptive".
	Dir string
	// Info labels run.json (workload, BuildKit version).
	Info sweep.RunInfo
}

// SweepCostResult compares the adaptive sweep with the full grid.
type SweepCostResult struct {
	FullDir, AdaptiveDir string
	// FullSeconds and AdaptiveSeconds are each sweep's own time; Ratio
	// adaptive/full.
	FullSeconds     float64 `json:"full_s"`
	AdaptiveSeconds float64 `json:"adaptive_s"`
	Ratio           float64 `json:"ratio"`
	FullTrials      int     `json:"full_trials"`
	AdaptiveTrials  int     `json:"adaptive_trials"`
	// FullPick and AdaptivePick are each sweep's recommendation for the
	// full 433-image build; Same says they agree; EquivalentPick that the
	// adaptive pick is among the full sweep's equivalents of its pick.
	FullPick       string   `json:"full_pick"`
	AdaptivePick   string   `json:"adaptive_pick"`
	Same           bool     `json:"same"`
	EquivalentPick bool     `json:"equivalent_pick"`
	Stop           string   `json:"stop"`
	Dropped        []string `json:"dropped"`
	// Drops say, per dropped cell, after how many cold trials and by
	// which test it went ("cell: 3 trials, t-tests on logs").
	Drops    []string `json:"drops,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// SweepCost runs the full grid, then the same grid adaptively within the
// budget (successive halving from 3 reps to the full grid's reps, the
// default cap), on the same runner, and
// compares their recommendations and their time. The two run one after
// the other, full first: a drift of the machine between them is not
// controlled for.
func SweepCost(ctx context.Context, o SweepCostOptions, runner sweep.TrialRunner) (*SweepCostResult, error) {
	if o.Budget <= 0 {
		return nil, fmt.Errorf("sweep cost: the adaptive sweep needs a budget")
	}
	r := &SweepCostResult{FullDir: filepath.Join(o.Dir, "full"), AdaptiveDir: filepath.Join(o.Dir, "adaptive")}
	full, err := RunSweep(ctx, sweep.Options{Grid: o.Grid, OutDir: r.FullDir, Info: o.Info}, runner)
	if err != nil {
		return nil, err
	}
	ad, err := RunSweep(ctx, sweep.Options{Grid: o.Grid, OutDir: r.AdaptiveDir, Adaptive: true, Budget: o.Budget, Info: o.Info}, runner)
	if err != nil {
		return nil, err
	}
	r.FullSeconds, r.AdaptiveSeconds = full.Elapsed.Seconds(), ad.Elapsed.Seconds()
	r.Ratio = safe(r.AdaptiveSeconds, r.FullSeconds)
	r.FullTrials, r.AdaptiveTrials = full.Summary.Ran, ad.Summary.Ran
	r.Stop = ad.Summary.Stop
	for _, d := range ad.Summary.Dropped {
		r.Dropped = append(r.Dropped, d.Cell)
		by := "Mann-Whitney"
		if d.Reason == analyze.DropSignificantT {
			by = "t-tests on logs"
		} else if d.Reason == analyze.DropRank {
			by = "rank"
		}
		r.Drops = append(r.Drops, fmt.Sprintf("%s: %d trials (best %d), %s", d.Cell, d.N, d.BestN, by))
	}
	fr, err := full.Analysis.Recommend(evidence.Constraints{})
	if err != nil {
		return nil, fmt.Errorf("recommending from the full sweep: %w", err)
	}
	ar, err := ad.Analysis.Recommend(evidence.Constraints{})
	if err != nil {
		return nil, fmt.Errorf("recommending from the adaptive sweep: %w", err)
	}
	r.FullPick, r.AdaptivePick = fr.Recommended.Name, ar.Recommended.Name
	r.Same = r.FullPick == r.AdaptivePick
	r.EquivalentPick = r.Same
	for _, e := range fr.Equivalent {
		if e == r.AdaptivePick {
			r.EquivalentPick = true
		}
	}
	if !fr.Confident {
		r.Warnings = append(r.Warnings, "the full sweep's recommendation is not confident")
	}
	if !ar.Confident {
		r.Warnings = append(r.Warnings, "the adaptive sweep's recommendation is not confident")
	}
	return r, nil
}
