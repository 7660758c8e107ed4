package evidence

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/model"
	"github.com/buildtune/buildtune/internal/input"
)

// planReps is the number of simulated builds per prediction in a plan,
// which predicts many shard sizes.
const planReps = 300

// Achievement is the predicted build on a given number of runners at one
// workers value, the registry included.
type Achievement struct {
	Workers      int              `json:"workers"`
	Runners      int              `json:"runners"`
	ShardImages  int              `json:"shard_images"`
	Prediction   model.Prediction `json:"prediction"`
	RunnerHours  float64          `json:"runner_hours"`
	RegistryS    float64          `json:"registry_s,omitempty"`
	Extrapolated bool             `json:"extrapolated,omitempty"`
}

// CapacityPlan answers a capacity question for the basis configuration
// (the best measured cell's cache mode, strategy and batch) at several
// workers values: the measured ones, the ones at the same builds per core
// on runners with other cores than the sweep machine, and 1.5x and 2x the
// largest. The unmeasured ones are Extrapolated, and so
// is every one when the runners' cores differ from the sweep machine's.
type CapacityPlan struct {
	Basis Config `json:"basis"`
	// BasisNote says where Basis comes from, in the first line of Text:
	// "the best measured cell: ..." unless the caller sets another
	// (recommend's pick, and why it differs from the best measured cell).
	BasisNote string `json:"basis_note,omitempty"`
	Images    int    `json:"images"`
	// Mode is "deadline" (Plan is model.PlanCapacity's answer) or
	// "runners" (Achieved lists model.Achieve for each workers value).
	Mode     string  `json:"mode"`
	Deadline float64 `json:"deadline_s,omitempty"`
	// Runners is the runners asked for and RunnersUsed those planned on
	// (at most one per image).
	Runners     int `json:"runners,omitempty"`
	RunnersUsed int `json:"runners_used,omitempty"`
	// Cores is the cores per runner and SweepCores the sweep machine's
	// (0: unknown).
	Cores        int   `json:"cores,omitempty"`
	SweepCores   int   `json:"sweep_cores,omitempty"`
	Workers      []int `json:"workers"`
	Extrapolated []int `json:"extrapolated_workers,omitempty"`
	// ExtrapolatedBy says what the Extrapolated workers' per-image seconds
	// rest on ("the USL fit of cache off, strategy single, batch 3, fitted
	// on 1 and 2 builds at once"; "a cell measured at the same builds at
	// once, unscaled" when the batch caps them at a measured number), one
	// entry per model used.
	ExtrapolatedBy []string `json:"extrapolated_by,omitempty"`
	// RegistryBytesPerImage is what each image of the basis cell pushed
	// and pulled, and RegistryBandwidth the shared link (0: unlimited).
	RegistryBytesPerImage float64       `json:"registry_bytes_per_image"`
	RegistryBandwidth     float64       `json:"registry_bandwidth,omitempty"`
	Plan                  *model.Plan   `json:"plan,omitempty"`
	Achieved              []Achievement `json:"achieved,omitempty"`
	Warnings              []string      `json:"warnings,omitempty"`
}

// Met says whether the plan answers its question: in deadline mode, some
// option meets the deadline; in runners mode, always.
func (cp CapacityPlan) Met() bool {
	return cp.Mode != "deadline" || (cp.Plan != nil && cp.Plan.Best >= 0)
}

// Plan answers a capacity question for images images: with runners > 0,
// the wall time each candidate workers value achieves on that many runners
// (model.Achieve); otherwise, the fewest runner-hours meeting deadline
// (model.PlanCapacity). cores is the cores per runner (0: the sweep
// machine's) and bandwidth the registry link in bytes/s shared by all
// runners, pushes and pulls alike (0: unlimited). A deadline no option
// meets is an answer (Met is false), not an error.
func (a *Analysis) Plan(images int, deadline time.Duration, runners int, cores int, bandwidth int64) (CapacityPlan, error) {
	return a.PlanContext(context.Background(), images, deadline, runners, cores, bandwidth)
}

// PlanContext is Plan, stopped once ctx is cancelled, between predictions
// and inside one (model.PredictContext): the error then wraps ctx.Err().
//
// With cells measured under several registry bandwidths (a condition, not
// a setting), the plan's basis is the best cell measured under bandwidth
// when the sweep measured it, else under the unlimited registry (the
// shared link is then modelled from the bytes per image); a run that
// measured neither is bad input naming the conditions it measured.
func (a *Analysis) PlanContext(ctx context.Context, images int, deadline time.Duration, runners int, cores int, bandwidth int64) (CapacityPlan, error) {
	return a.PlanFromContext(ctx, "", images, deadline, runners, cores, bandwidth)
}

// PlanFromContext is PlanContext from the measured cell named basis (e.g.
// recommend's pick) instead of the best one; "" is the best. A basis
// that is no measured cell with built images under the registry condition
// the plan takes is not used: the plan then starts from the best cell, as
// PlanContext does.
func (a *Analysis) PlanFromContext(ctx context.Context, basis string, images int, deadline time.Duration, runners int, cores int, bandwidth int64) (CapacityPlan, error) {
	return a.PlanTargetContext(ctx, basis, Target{Images: images}, deadline, runners, cores, bandwidth)
}

// PlanTargetContext is PlanFromContext for the build target names: its
// Count images, and, when it lists Repos (an instance list, such as the
// one the sweep drew its sample from), their repos weight the per-image
// costs as they do in Predict, so that a plan of one runner predicts what
// recommend predicts for the same list. A runner's shard of fewer images
// takes the list's repos in proportion (shardRepos).
func (a *Analysis) PlanTargetContext(ctx context.Context, basis string, target Target, deadline time.Duration, runners int, cores int, bandwidth int64) (CapacityPlan, error) {
	var cp CapacityPlan
	images := target.Count()
	repos := slices.Sorted(slices.Values(target.Repos))
	if images < 1 {
		return cp, input.Errorf("images", "%d: want at least 1", images)
	}
	if runners < 0 || cores < 0 || bandwidth < 0 {
		return cp, input.Errorf("plan", "runners, cores and bandwidth must not be negative")
	}
	if runners == 0 && deadline <= 0 {
		return cp, input.Errorf("plan", "give a deadline or a number of runners")
	}
	given := a.cellNamed(basis)
	if given != nil && given.Images == 0 {
		given = nil
	}
	basisCell := a.cellNamed(a.Comparisons.Best)
	if given != nil {
		basisCell = given
	}
	if regs := a.registries(); len(regs) > 1 {
		want := ""
		if bandwidth > 0 {
			want = input.FormatBandwidth(bandwidth)
		}
		if !slices.Contains(regs, want) {
			if !slices.Contains(regs, "") {
				return cp, input.Errorf("registry bandwidth "+RegistryLabel(want), "the run measured the registry bandwidths %s, neither this one nor an unlimited registry to model it from; plan with one of them",
					strings.Join(a.Conditions(), ", "))
			}
			want = ""
		}
		which := ""
		if given != nil {
			which = given.Name + ", the basis cell,"
		}
		if given == nil || given.Config.Registry != want {
			basisCell, which = nil, "the best cell"
			for _, r := range a.Comparisons.Ranking {
				if c := a.cellNamed(r.Name); c != nil && c.Config.Registry == want && c.Images > 0 {
					basisCell = c
					break
				}
			}
		}
		if basisCell != nil {
			cp.Warnings = append(cp.Warnings, fmt.Sprintf("the sweep measured the registry bandwidths %s (conditions, not settings): the plan starts from %s measured under %s",
				strings.Join(a.Conditions(), ", "), which, RegistryLabel(want)))
		}
	}
	if basisCell == nil {
		return cp, fmt.Errorf("planning: no ranked cell to plan from")
	}
	cp.Basis, cp.Images, cp.RegistryBandwidth = basisCell.Config, images, float64(bandwidth)
	if a.Machine != nil && a.Machine.Cores > 0 {
		cp.SweepCores = a.Machine.Cores
	}
	cp.Cores = cores
	if cp.Cores == 0 {
		cp.Cores = cp.SweepCores
	}
	scaled := cp.Cores > 0 && cp.SweepCores > 0 && cp.Cores != cp.SweepCores
	switch {
	case scaled:
		cp.Warnings = append(cp.Warnings, fmt.Sprintf("the sweep ran on %s and the runners have %s: every prediction is extrapolated, "+
			"from per-image seconds at the same builds per core (scaled by the USL fit where that load was not measured), which assumes nothing but the cores differs",
			analyze.Plural(cp.SweepCores, "core"), analyze.Plural(cp.Cores, "core")))
	case cp.Cores > 0 && cp.SweepCores == 0:
		cp.Warnings = append(cp.Warnings, fmt.Sprintf("the sweep machine's cores are unknown: runners with %s are taken to build like it", analyze.Plural(cp.Cores, "core")))
	}

	// Measured cells of the basis series, by builds at once.
	var cells []*Cell
	for _, c := range a.Cells {
		if c.Config.CacheMode == cp.Basis.CacheMode && c.Config.Strategy == cp.Basis.Strategy &&
			c.Config.Registry == cp.Basis.Registry && c.Config.Batch == cp.Basis.Batch && c.Images > 0 {
			cells = append(cells, c)
		}
	}
	var measured []int
	measuredMax := 0
	for _, c := range cells {
		measured = append(measured, c.Config.Workers)
		measuredMax = max(measuredMax, c.Concurrency())
	}
	measured = sortedInts(measured)
	if len(measured) == 0 {
		return cp, input.Errorf(a.Dir, "planning: no measured cell with cache %s, strategy %s and batch %s has built images; want a run with built images", cp.Basis.CacheMode, cp.Basis.Strategy, input.BatchLabel(cp.Basis.Batch))
	}
	cands := slices.Clone(measured)
	if scaled {
		for _, c := range cells {
			cands = append(cands, max(1, int(math.Round(float64(c.Concurrency())*float64(cp.Cores)/float64(cp.SweepCores)))))
		}
	}
	top := slices.Max(cands)
	cands = append(cands, int(math.Ceil(1.5*float64(top))), 2*top)
	cands = sortedInts(cands)
	cp.Workers = cands
	// The most workers per runner planned: more than the images per
	// runner are left out (below, and by model.PlanCapacity).
	most := images
	if runners > 0 {
		most = planCeilDiv(images, min(runners, images))
	}
	if scaled && cp.Cores > cp.SweepCores {
		cp.Warnings = append(cp.Warnings, fmt.Sprintf("below one build per %s on a runner, per-image seconds are those of a lone build on the sweep machine: "+
			"more cores are taken not to speed up one build", analyze.Plural(cp.SweepCores, "core")))
	}

	// A list whose repos the sweep never built draws those images from
	// the pooled sample: said once for the plan, as recommend says it for
	// its prediction of the same list.
	if len(target.Repos) > 0 {
		seen := map[string]bool{}
		ims, _ := basisCell.observations()
		for _, im := range ims {
			seen[im.Repo] = true
		}
		unseen, unseenRepos := 0, map[string]bool{}
		for _, r := range target.Repos {
			if !seen[r] {
				unseen++
				unseenRepos[r] = true
			}
		}
		if unseen > 0 {
			cp.Warnings = append(cp.Warnings, fmt.Sprintf("%s in %s: drawn from the pooled set (%s)",
				model.UnseenRepos(unseen, images, len(unseenRepos)), basisCell.Name,
				strings.Join(slices.Sorted(maps.Keys(unseenRepos)), ", ")))
		}
	}

	// Registry bytes per image, both directions, as the link carries them.
	var moved int64
	built := 0
	for _, t := range basisCell.TrialRecords() {
		moved += t.BytesPushed + t.BytesPulled
		built += t.Built
	}
	if built > 0 {
		cp.RegistryBytesPerImage = float64(moved) / float64(built)
	}
	if bandwidth > 0 && cp.RegistryBytesPerImage == 0 {
		cp.Warnings = append(cp.Warnings, fmt.Sprintf("cell %s recorded no registry bytes: the registry bandwidth cannot bound the time", basisCell.Name))
	}

	reps := min(a.Options.Reps, planReps)
	sub := *a
	sub.Options.Reps = reps
	cfgAt := func(w int) Config { c := cp.Basis; c.Workers = w; return c }
	// predictOne predicts n images at w workers and says what the
	// per-image seconds rest on when that is a scaling model ("" when
	// they are used at the builds at once they were measured at), and
	// the USL fit that scaled them (nil: none).
	predictOne := func(w, n int) (model.Prediction, string, *USLSeries, error) {
		if scaled {
			return sub.predictOnCores(ctx, cfgAt(w), n, shardRepos(repos, n), cells, cp.Cores, cp.SweepCores)
		}
		p, src, err := sub.predictFrom(ctx, cfgAt(w), Target{Images: n, Repos: shardRepos(repos, n), Seed: a.Options.Seed})
		if err != nil || !src.exact {
			return p, src.by, src.fit, err
		}
		// A measured cell whose trials had fewer images than its workers
		// ran fewer builds at once than a runner's build of it will: its
		// per-image seconds used there, with no crowding fit to run them
		// at the runner's count, assume a perfectly linear speed-up. That
		// is not measured: without any scaling model of its series the
		// workers value is left out, as an unmeasured one is; with one,
		// its rows are extrapolated.
		m, k := src.cell.Concurrency(), Concurrency(cfgAt(w), n)
		if m >= k || a.Models.crowdFitFor(cfgAt(w)) != nil {
			return p, src.by, src.fit, nil
		}
		if a.Models.fitFor(src.cell.Config) == nil {
			return p, "", nil, input.Bad("config", fmt.Errorf(
				"%s: cannot be planned from this sweep (%w): its cell %s was measured at %s at once only (its trials had fewer images than workers), and a runner's build runs %d, with no USL or crowding fit to scale to it; sweep a sample of at least %d images",
				cfgAt(w), ErrNoScalingModel, src.cell.Name, analyze.Plural(m, "build"), k, k))
		}
		p.Extrapolated = true
		return p, fmt.Sprintf("per-image seconds of %s, measured at %s at once, used unscaled", src.cell.Name, analyze.Plural(m, "build")), nil, nil
	}
	// Every workers value must be predictable before the predictor is
	// handed to the model, which cannot take errors. A value the sweep
	// cannot predict (other builds at once than measured, and no scaling
	// model: ErrNoScalingModel) is left out with a warning, not planned
	// at a speed-up nothing measured.
	// At most one image per worker is predicted: more workers than images
	// are left out below, and a build of w images at a huge w (a typo, or
	// a sweep of a remote fleet) would take as long to simulate as to run.
	var planned []int
	var refused error
	for _, w := range cp.Workers {
		if err := ctx.Err(); err != nil {
			return cp, fmt.Errorf("planning %s stopped: %w", analyze.Plural(images, "image"), err)
		}
		p, by, fit, err := predictOne(w, min(w, images))
		switch {
		case errors.Is(err, ErrNoScalingModel):
			if w <= most {
				cp.Warnings = append(cp.Warnings, fmt.Sprintf("%s per runner left out: %v", analyze.Plural(w, "worker"), err))
			}
			if refused == nil {
				refused = err
			}
			continue
		case err != nil:
			return cp, fmt.Errorf("planning at %d workers: %w", w, err)
		}
		planned = append(planned, w)
		if (scaled || !slices.Contains(measured, w) || p.Extrapolated) && w <= most {
			cp.Extrapolated = append(cp.Extrapolated, w)
			if by == "" {
				by = "a cell measured at the same builds at once, unscaled"
			}
			if !slices.Contains(cp.ExtrapolatedBy, by) {
				cp.ExtrapolatedBy = append(cp.ExtrapolatedBy, by)
			}
			// The fit's caveats (two worker counts: Amdahl's law, no
			// degrees of freedom left) qualify every row it scaled.
			if c := fit.caveatsOrNone(); c != "" && !slices.Contains(cp.Warnings, c) {
				cp.Warnings = append(cp.Warnings, c)
			}
		}
	}
	if len(planned) == 0 {
		return cp, fmt.Errorf("planning %s: no workers value can be predicted: %w", analyze.Plural(images, "image"), refused)
	}
	cp.Workers = planned
	// The batch caps the builds at once: workers beyond it only repeat
	// the build of the smallest value that fills the batch. Said of the
	// workers values planned only: one left out above was named so, and
	// both warnings about it read as a contradiction.
	if bt := cp.Basis.Batch; bt > 0 {
		var capped []int
		for _, w := range cp.Workers {
			if w > bt && w <= most {
				capped = append(capped, w)
			}
		}
		if len(capped) > 0 {
			cp.Warnings = append(cp.Warnings, fmt.Sprintf("batch %d caps the builds at once per runner at %d: %s workers run no more builds at once than %d (a larger batch needs its own sweep)",
				bt, bt, planList(capped), bt))
		}
	}
	predict := func(w, n int) model.Prediction {
		// A prediction stopped by ctx comes back as this placeholder too:
		// the model looks at ctx after each prediction and stops the plan.
		p, _, _, err := predictOne(w, n)
		if err != nil {
			return model.Prediction{Images: n, Workers: w, Median: math.MaxFloat64, Lo: math.MaxFloat64, Hi: math.MaxFloat64,
				Extrapolated: true, Warnings: []string{err.Error()}}
		}
		p.Samples = nil
		return p
	}
	var nstar float64
	if fit := a.Models.fitFor(cp.Basis); fit != nil {
		nstar = fit.NStar
	}
	in := model.PlanInput{
		Images: images, Deadline: deadline.Seconds(), Workers: cp.Workers, Predict: predict, Batch: cp.Basis.Batch,
		CoresPerRunner: cp.Cores, SweepCores: cp.SweepCores, NStar: nstar, MeasuredMax: measuredMax,
		RegistryBytesPerImage: cp.RegistryBytesPerImage, RegistryBandwidth: cp.RegistryBandwidth,
		Context: ctx,
	}

	if runners > 0 {
		cp.Mode, cp.Runners, in.Deadline = "runners", runners, 0
		cp.RunnersUsed = min(runners, images)
		for _, w := range cp.Workers {
			if w > planCeilDiv(images, cp.RunnersUsed) {
				cp.Warnings = append(cp.Warnings, fmt.Sprintf("%s per runner left out: more than the %s per runner",
					analyze.Plural(w, "worker"), analyze.Plural(planCeilDiv(images, cp.RunnersUsed), "image")))
				continue
			}
			o, warns, err := model.Achieve(in, runners, w)
			if err != nil {
				return cp, fmt.Errorf("planning %d runners at %d workers: %w", runners, w, err)
			}
			for _, s := range warns {
				if !slices.Contains(cp.Warnings, s) {
					cp.Warnings = append(cp.Warnings, s)
				}
			}
			cp.Achieved = append(cp.Achieved, Achievement{Workers: w, Runners: o.Runners, ShardImages: o.ShardImages, Prediction: o.Prediction,
				RunnerHours: o.RunnerHours, RegistryS: o.RegistrySeconds, Extrapolated: o.Extrapolated})
		}
		if len(cp.Achieved) == 0 {
			// Every workers value is more than a runner's images: no row,
			// and no plan to print. Say how many runners can be planned.
			fewest := slices.Min(cp.Workers)
			return cp, input.Errorf(fmt.Sprintf("--runners %d", runners), "%s leave %s per runner, fewer than every workers value this sweep can predict (%s); want at most %s",
				analyze.Plural(images, "image"), analyze.Plural(planCeilDiv(images, cp.RunnersUsed), "image"), planList(cp.Workers), analyze.Plural(max(1, images/fewest), "runner"))
		}
		if len(cp.Achieved) > 0 && cp.Achieved[0].RegistryS > 0 && cp.Achieved[0].RegistryS >= cp.Achieved[0].Prediction.Median {
			cp.Warnings = append(cp.Warnings, fmt.Sprintf("moving %s through the %s/s registry takes at least %s: the registry, not the runners, sets the time",
				analyze.FormatBytes(float64(images)*cp.RegistryBytesPerImage), analyze.FormatBytes(float64(bandwidth)), analyze.FormatSeconds(cp.Achieved[0].RegistryS)))
		}
		return cp, nil
	}
	cp.Mode, cp.Deadline = "deadline", deadline.Seconds()
	plan, err := model.PlanCapacity(in)
	if err != nil {
		return cp, fmt.Errorf("planning %s within %s: %w", analyze.Plural(images, "image"), analyze.FormatSeconds(deadline.Seconds()), err)
	}
	cp.Plan = &plan
	return cp, nil
}

// predictOnCores predicts cfg for n images on a runner with runnerCores
// cores from the sweep machine's sweepCores: k builds at once on the
// runner are taken to load each core as k×sweepCores/runnerCores builds
// (at least one) loaded the sweep machine's, so the per-image seconds of
// the measured cell nearest that load are scaled to it by the series' USL
// fit. A load the sweep did not measure, in a series without a USL fit,
// cannot be predicted: the error wraps ErrNoScalingModel and
// input.ErrBad, as Predict's does. The prediction is always Extrapolated;
// by names the USL fit when it scaled the per-image seconds, else the
// measured load they were used at.
func (a *Analysis) predictOnCores(ctx context.Context, cfg Config, n int, repos []string, cells []*Cell, runnerCores, sweepCores int) (p model.Prediction, by string, used *USLSeries, err error) {
	if len(cells) == 0 || runnerCores < 1 || sweepCores < 1 {
		return p, "", nil, fmt.Errorf("predicting %s on %d cores: no measured cell or cores", cfg.Name(), runnerCores)
	}
	k := Concurrency(cfg, n)
	load := math.Max(float64(k)*float64(sweepCores)/float64(runnerCores), 1)
	cell := cells[0]
	for _, c := range cells[1:] {
		if math.Abs(float64(c.Concurrency())-load) < math.Abs(float64(cell.Concurrency())-load) {
			cell = c
		}
	}
	m := cell.Concurrency()
	warns := []string{fmt.Sprintf("%s at once on %s: per-image seconds of the sweep's %s at %.2g builds at once (cell %s, %d at once)",
		analyze.Plural(k, "build"), analyze.Plural(runnerCores, "core"), analyze.Plural(sweepCores, "core"), load, cell.Name, m)}
	sc := model.Scaling{Measured: m, Target: k, Extrapolated: true}
	by = "the same builds per core as measured"
	switch fit := a.Models.fitFor(cell.Config); {
	case load == float64(m):
	case fit == nil:
		return p, "", nil, input.Bad("config", fmt.Errorf(
			"%s on %s: cannot be predicted from this sweep (%w): it loads the sweep machine's %s as %s at once did, the sweep measured cache %s, strategy %s at %s and fitted no USL model to scale from; sweep at least two worker counts to extrapolate",
			cfg, analyze.Plural(runnerCores, "core"), ErrNoScalingModel, analyze.Plural(sweepCores, "core"), buildsText(load), cfg.CacheMode, cfg.Strategy,
			onceText(a.familyConcurrencies(cell.Config))))
	default:
		xm, xl := fit.fit.Throughput(float64(m)), fit.fit.Throughput(load)
		if !(xm > 0 && xl > 0) || math.IsInf(xm, 0) || math.IsInf(xl, 0) {
			return p, "", nil, fmt.Errorf("predicting %s on %d cores: fitted throughput %.4g and %.4g must be positive", cfg.Name(), runnerCores, xm, xl)
		}
		sc.Factor = (load / xl) / (float64(m) / xm)
		by, used = "the "+fit.describe(), fit
		warns = append(warns, fmt.Sprintf("per-image seconds scaled from %d to %.2g builds at once by the %s (x%.3g)", m, load, fit.describe(), sc.Factor))
		if lo, hi := fit.Workers[0], fit.Workers[len(fit.Workers)-1]; load < float64(lo) || load > float64(hi) {
			warns = append(warns, fmt.Sprintf("%.2g builds at once is outside the measured %d-%d: extrapolated by the USL fit (x%.3g)", load, lo, hi, sc.Factor))
		}
		if c := fit.caveats(); c != "" {
			warns = append(warns, c)
		}
	}
	ims, trs := cell.observations()
	p, err = model.PredictContext(ctx, model.PredictInput{
		Images: ims, Trials: trs, N: n, Repos: repos, Workers: cfg.Workers, Batch: cfg.Batch,
		FixedSeconds: a.fixedOf(cell.Name), DiskPerImage: cell.DiskPerImage, Scaling: sc,
		Spread: a.Models.Spread, Reps: a.Options.Reps, Seed: mixSeed(a.Options.Seed, fmt.Sprintf("%s@%dcores", cfg.Name(), runnerCores)),
	})
	if err != nil {
		return p, "", nil, fmt.Errorf("predicting %s on %d cores for %d images: %w", cfg.Name(), runnerCores, n, err)
	}
	p.Extrapolated = true
	p.Warnings = append(warns, p.Warnings...)
	return p, by, used, nil
}

// shardRepos returns the repos of a runner's shard of n images of a build
// whose images have the sorted repos: all of them when n covers the
// build, else n taken evenly across the sorted list (the middle of each of
// n equal stretches), so that each repo keeps its share of the shard; nil
// when the build lists no repos (images drawn from the pooled set).
func shardRepos(repos []string, n int) []string {
	if len(repos) == 0 || n <= 0 {
		return nil
	}
	if n >= len(repos) {
		return repos
	}
	out := make([]string, n)
	for i := range out {
		out[i] = repos[(2*i+1)*len(repos)/(2*n)]
	}
	return out
}

// Text is what `buildtune plan` prints: the options as a markdown table,
// the verdict, the limiting resource and the warnings.
func (cp CapacityPlan) Text() string {
	var b strings.Builder
	note := cp.BasisNote
	if note == "" {
		note = "the best measured cell: " + cp.Basis.String()
	}
	fmt.Fprintf(&b, "capacity for %s, basis cache %s, strategy %s, batch %s (%s)\n",
		analyze.Plural(cp.Images, "image"), cp.Basis.CacheMode, cp.Basis.Strategy, input.BatchLabel(cp.Basis.Batch), note)
	switch {
	case cp.Cores > 0 && cp.SweepCores > 0 && cp.Cores != cp.SweepCores:
		fmt.Fprintf(&b, "runners: %s each (the sweep ran on %s)", analyze.Plural(cp.Cores, "core"), analyze.Plural(cp.SweepCores, "core"))
	case cp.Cores > 0:
		fmt.Fprintf(&b, "runners: %s each, like the sweep machine", analyze.Plural(cp.Cores, "core"))
	default:
		b.WriteString("runners: like the sweep machine (cores unknown)")
	}
	if cp.RegistryBandwidth > 0 {
		fmt.Fprintf(&b, "; registry: %s/s shared by all runners, %s pushed and pulled per image\n",
			analyze.FormatBytes(cp.RegistryBandwidth), analyze.FormatBytes(cp.RegistryBytesPerImage))
	} else {
		b.WriteString("; registry: bandwidth not given (unlimited)\n")
	}
	var conf float64
	bounded := false
	row := func(workers, runners int, p model.Prediction, hours float64, extra string) {
		ex := ""
		if p.Extrapolated {
			ex = " (extrapolated)"
		}
		conf = math.Max(conf, p.Confidence)
		fmt.Fprintf(&b, "| %d%s | %d | %s (%s-%s) | %s |%s\n", workers, ex, runners, analyze.FormatSeconds(p.Median),
			analyze.FormatSeconds(p.Lo), analyze.FormatSeconds(p.Hi), model.FormatHours(hours), extra)
	}
	if cp.Plan != nil {
		dl := analyze.FormatSeconds(cp.Deadline)
		fmt.Fprintf(&b, "| workers/runner | runners | predicted (interval) | runner-hours | meets %s |\n|---|---|---|---|---|\n", dl)
		for i, o := range cp.Plan.Options {
			mark := "no"
			if o.Feasible {
				mark = "yes"
			}
			if i == cp.Plan.Best {
				mark += " (best)"
			}
			bounded = bounded || o.RegistrySeconds > 0
			row(o.Workers, o.Runners, o.Prediction, o.RunnerHours, " "+mark+" |")
		}
	}
	if cp.Mode == "runners" {
		verb := "achieve"
		if cp.RunnersUsed == 1 {
			verb = "achieves"
		}
		fmt.Fprintf(&b, "what %s %s:\n", analyze.Plural(cp.RunnersUsed, "runner"), verb)
	}
	if len(cp.Achieved) > 0 {
		b.WriteString("| workers/runner | runners | predicted (interval) | runner-hours |\n|---|---|---|---|\n")
		for _, a := range cp.Achieved {
			bounded = bounded || a.RegistryS > 0
			row(a.Workers, a.Runners, a.Prediction, a.RunnerHours, "")
		}
	}
	if conf > 0 {
		fmt.Fprintf(&b, "intervals: the central %.0f%% of simulated builds", 100*conf)
		if bounded {
			b.WriteString(", at least the registry's time, and up to it added (no transfer overlapping a build)")
		}
		b.WriteString("; runner-hours at the median\n")
	}
	if cp.Plan != nil {
		fmt.Fprintf(&b, "verdict: %s\n", cp.Plan.Verdict)
		if cp.Plan.Reason != "" {
			fmt.Fprintf(&b, "limit: %s\n", cp.Plan.Reason)
		}
		for _, w := range cp.Plan.Warnings {
			fmt.Fprintf(&b, "warning: %s\n", w)
		}
	}
	if len(cp.Extrapolated) > 0 {
		by := "see the warnings"
		if len(cp.ExtrapolatedBy) > 0 {
			by = strings.Join(cp.ExtrapolatedBy, "; ")
		}
		fmt.Fprintf(&b, "extrapolated workers per runner (not measured as such; per-image seconds from %s): %v\n", by, cp.Extrapolated)
	}
	for _, w := range cp.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

func planCeilDiv(a, b int) int { return (a + b - 1) / b }

// planList writes 1, 2 and 4.
func planList(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// buildsText is a number of builds at once, which may be fractional:
// "1 build", "2.5 builds".
func buildsText(n float64) string {
	if n == 1 {
		return "1 build"
	}
	return fmt.Sprintf("%.2g builds", n)
}
