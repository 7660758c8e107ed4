package evidence

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/buildtune/buildtune/analyze/model"
	"github.com/buildtune/buildtune/internal/input"
)

// planReps is the number of simulated builds per prediction in a plan,
// which predicts many shard sizes.
const planReps = 300

// Achievement is the predicted build on a given number of runners at one
// workers value.
type Achievement struct {
	Workers      int              `json:"workers"`
	Runners      int              `json:"runners"`
	Prediction   model.Prediction `json:"prediction"`
	Extrapolated bool             `json:"extrapolated,omitempty"`
}

// CapacityPlan answers a capacity question for the basis configuration
// (the best measured cell's cache mode, strategy and batch) at several
// workers values: the measured ones and 1.5x and 2x the largest,
// which are Extrapolated.
type CapacityPlan struct {
	Basis  Config `json:"basis"`
	Images int    `json:"images"`
	// Mode is "deadline" (Plan is model.PlanCapacity's answer) or
	// "runners" (Achieved lists model.Achieve for each workers value).
	Mode         string        `json:"mode"`
	Workers      []int         `json:"workers"`
	Extrapolated []int         `json:"extrapolated_workers,omitempty"`
	Plan         *model.Plan   `json:"plan,omitempty"`
	Achieved     []Achievement `json:"achieved,omitempty"`
	Warnings     []string      `json:"warnings,omitempty"`
}

// Plan answers a capacity question for images images: with runners > 0,
// the wall time each candidate workers value achieves on that many runners
// (model.Achieve); otherwise, the fewest runner-hours meeting deadline
// (model.PlanCapacity), naming the limiting resource from cores (per
// runner, 0: unknown) and the registry bandwidth in bytes/s (0: unknown).
func (a *Analysis) Plan(images int, deadline time.Duration, runners int, cores int, bandwidth int64) (CapacityPlan, error) {
	var cp CapacityPlan
	if images < 1 {
		return cp, input.Errorf("images", "%d: want at least 1", images)
	}
	if runners < 0 || cores < 0 || bandwidth < 0 {
		return cp, input.Errorf("plan", "runners, cores and bandwidth must not be negative")
	}
	if runners == 0 && deadline <= 0 {
		return cp, input.Errorf("plan", "give a deadline or a number of runners")
	}
	basisCell := a.cellNamed(a.Comparisons.Best)
	if basisCell == nil {
		return cp, fmt.Errorf("planning: no ranked cell to plan from")
	}
	cp.Basis, cp.Images = basisCell.Config, images
	cp.Warnings = append(cp.Warnings, fmt.Sprintf("planned with the best measured cell's cache %s, strategy %s and batch %s",
		cp.Basis.CacheMode, cp.Basis.Strategy, input.BatchLabel(cp.Basis.Batch)))

	var measured []int
	for _, c := range a.Cells {
		if c.Config.CacheMode == cp.Basis.CacheMode && c.Config.Strategy == cp.Basis.Strategy && c.Config.Registry == cp.Basis.Registry {
			measured = append(measured, c.Config.Workers)
		}
	}
	measured = sortedInts(measured)
	top := measured[len(measured)-1]
	cp.Workers = slices.Clone(measured)
	for _, w := range []int{int(math.Ceil(1.5 * float64(top))), 2 * top} {
		if !slices.Contains(cp.Workers, w) {
			cp.Workers = append(cp.Workers, w)
			cp.Extrapolated = append(cp.Extrapolated, w)
		}
	}
	reps := min(a.Options.Reps, planReps)
	sub := *a
	sub.Options.Reps = reps
	cfgAt := func(w int) Config { c := cp.Basis; c.Workers = w; return c }
	// Every workers value must be predictable before the predictor is
	// handed to the model, which cannot take errors.
	for _, w := range cp.Workers {
		if _, err := sub.Predict(cfgAt(w), Target{Images: 1, Seed: a.Options.Seed}); err != nil {
			return cp, fmt.Errorf("planning at %d workers: %w", w, err)
		}
	}
	predict := func(w, n int) model.Prediction {
		p, err := sub.Predict(cfgAt(w), Target{Images: n, Seed: a.Options.Seed})
		if err != nil {
			return model.Prediction{Images: n, Workers: w, Median: math.MaxFloat64, Lo: math.MaxFloat64, Hi: math.MaxFloat64,
				Warnings: []string{err.Error()}}
		}
		p.Samples = nil
		return p
	}

	if runners > 0 {
		cp.Mode = "runners"
		for _, w := range cp.Workers {
			p, err := model.Achieve(predict, runners, w, images)
			if err != nil {
				return cp, fmt.Errorf("planning %d runners at %d workers: %w", runners, w, err)
			}
			cp.Achieved = append(cp.Achieved, Achievement{Workers: w, Runners: runners, Prediction: p, Extrapolated: slices.Contains(cp.Extrapolated, w)})
		}
		return cp, nil
	}
	cp.Mode = "deadline"
	var nstar float64
	if fit := a.Models.fitFor(cp.Basis); fit != nil {
		nstar = fit.NStar
	}
	plan, err := model.PlanCapacity(model.PlanInput{
		Images: images, Deadline: deadline.Seconds(), Workers: cp.Workers, Predict: predict,
		CoresPerRunner: cores, NStar: nstar,
		RegistryBytesPerImage: basisCell.BytesPushedPerImage, RegistryBandwidth: float64(bandwidth),
	})
	cp.Plan = &plan
	if err != nil {
		return cp, fmt.Errorf("planning %d images within %s: %w", images, deadline, err)
	}
	return cp, nil
}
