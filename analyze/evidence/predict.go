package evidence

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/model"
	"github.com/buildtune/buildtune/internal/input"
)

// Target is the build to predict.
type Target struct {
	// Images is the number of images; Repos, when given, lists the repo
	// of each target image in build order (see ReposOf) and sets the
	// count.
	Images int
	Repos  []string
	// Name says which build it is, for output ("the 40 instances of
	// set.txt"); "" is just its count of images (see Describe).
	Name string
	// PruneThreshold and PruneKeep are the prune policy in bytes (0: no
	// prune), as the real script's prune between batches.
	PruneThreshold, PruneKeep int64
	// Seed is mixed with the config's name, so that two configurations'
	// predictions are independent draws.
	Seed uint64

	// fromRun says ResolveTarget took it from the run's instance list.
	fromRun bool
}

// Count is the number of images of the target: len(Repos) when given,
// else Images.
func (t Target) Count() int {
	if len(t.Repos) > 0 {
		return len(t.Repos)
	}
	return t.Images
}

// Describe says which build the target is, for output: "433 images", "the
// 40 instances of ids.txt", or, for the list a sweep drew its sample from
// (ResolveTarget), "the 40 instances of set.txt, the list the sweep drew
// its sample from".
func (t Target) Describe() string {
	if t.Name == "" {
		return analyze.Plural(t.Count(), "image")
	}
	if t.fromRun {
		return t.Name + ", the list the sweep drew its sample from"
	}
	return t.Name
}

// FromRun says the target is the instance list the sweep drew its sample
// from, as ResolveTarget took it from run.json.
func (t Target) FromRun() bool { return t.fromRun }

// ResolveTarget returns t when it names a build (Images or Repos), and
// otherwise the run's default build with t's prune policy and seed: the
// instance list the sweep drew its sample from (InstanceList: its size,
// and its ids' repos to weight the per-image costs) when run.json recorded
// one and Options.Images was not set, else Options.Images images (433,
// the SWT-Bench images, unless set).
func (a *Analysis) ResolveTarget(t Target) Target {
	if t.Images > 0 || len(t.Repos) > 0 {
		return t
	}
	if l := a.InstanceList; l != nil && a.listTarget {
		t.Repos, t.Images = ReposOf(l.IDs), len(l.IDs)
		t.Name, t.fromRun = l.describe(), true
		return t
	}
	t.Images = a.Options.Images
	return t
}

// ReposOf returns the repo of each instance id: the part before "__"
// ("django__django-11099" is "django").
func ReposOf(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = repoOf(id)
	}
	return out
}

// ErrNoScalingModel means a configuration that was not measured runs a
// number of builds at once that the measured cell it would be predicted
// from did not, and the sweep fitted no scaling model (a USL fit of its
// series, or a crowding fit of its family) to carry the per-image seconds
// there: it cannot be predicted from this sweep. An error wrapping it
// also wraps input.ErrBad, as the error for a configuration of an
// unmeasured cache mode does.
var ErrNoScalingModel = errors.New("no scaling model")

// source is the measured cell a prediction is drawn from.
type source struct {
	cell     *Cell
	exact    bool
	scaling  model.Scaling
	warnings []string
	// basis says, one sentence each, what an unmeasured configuration's
	// per-image seconds rest on at its builds at once: the scaling model,
	// how far it is extrapolated, and the model's own caveats; nil when
	// they are used at the builds at once they were measured at. by names
	// the model in a few words ("the USL fit of cache off, strategy
	// single, batch 3"), "" when none is used.
	basis []string
	by    string
	// fit is the USL fit that scaled the per-image seconds, nil when none
	// did.
	fit          *USLSeries
	extrapolated bool
}

// sourceFor finds the cell to predict cfg from: the cell measured with cfg,
// or the cell with the same cache mode, strategy and registry and the
// nearest workers (then batch).
//
// An unmeasured cfg that runs as many builds at once as that cell
// (Concurrency: its workers, capped by its batch and the images) uses its
// per-image seconds as measured, the batch simulated. One that runs
// another number of builds at once needs a scaling model fitted on at
// least two concurrencies: the series' USL (or Amdahl) fit, whose
// throughput curve scales the per-image seconds, or else the family's
// crowding fit, under which the simulation runs every image at the
// crowding it meets. Without either, cfg is refused with an error
// wrapping ErrNoScalingModel and input.ErrBad, naming what the sweep
// measured and what it would need: per-image seconds used unscaled at 4
// builds at once after being measured at 1 would assume a perfectly
// linear speed-up, whatever the machine's cores.
//
// That holds for fewer builds at once than measured too. Unscaled, a
// less crowded build's images are taken to be as slow as the crowded
// ones, which over-predicts its time by an amount nothing in the sweep
// bounds: a conservative bound for a plan, but the opposite for what a
// prediction of a configuration that was not measured mostly serves, the
// baseline a recommendation claims a saving against, which it would
// overstate. So it is refused too. A measured configuration is always
// predicted from its own cell, also for a target of fewer images than its
// builds at once, which runs as its own trials' last images did.
func (a *Analysis) sourceFor(cfg Config, images int) (source, error) {
	var s source
	if cfg.Workers < 1 || cfg.Batch < 0 {
		return s, input.Errorf("config", "%s: want workers >= 1 and batch >= 0 (0: stream)", cfg)
	}
	cell, exact := nearestCell(a.Cells, cfg)
	if !exact {
		if c := sameConcurrencyCell(a.Cells, cfg, Concurrency(cfg, images)); c != nil {
			cell = c
		}
	}
	if cell == nil {
		link := "without a bandwidth cap"
		if cfg.Registry != "" && cfg.Registry != "unlimited" {
			link = "at registry bandwidth " + cfg.Registry
		}
		return s, input.Errorf("config", "%s: no measured cell with cache %s and strategy %s %s to predict it from", cfg, cfg.CacheMode, cfg.Strategy, link)
	}
	if cell.Images == 0 {
		return s, input.Errorf("config", "%s: its cell has no built image records to predict from", cfg)
	}
	if !cell.timed() {
		return s, input.Errorf("config", "%s: the %d built images of its cell %s record no build time (wall_s 0): no per-image seconds to predict from", cfg, cell.Images, cell.Name)
	}
	s.cell, s.exact = cell, exact
	if exact {
		// Measured, but maybe at fewer builds at once than the build
		// runs: a sample smaller than the workers (or the batch). The
		// crowding fit, when there is one, runs the images at the
		// build's own count; without one the seconds are used as they
		// were measured, which assumes no slowdown, and that is said.
		m, t := cell.Concurrency(), Concurrency(cfg, images)
		switch {
		case a.Models.crowdFitFor(cfg) != nil:
		case m < t:
			s.warnings = append(s.warnings, fmt.Sprintf(
				"%s was measured at %s at once only (its trials had fewer images than workers), and the build runs %d: its per-image seconds are used as measured, with no model of the slowdown at %d; sweep a sample of at least %d images",
				cell.Name, analyze.Plural(m, "build"), t, t, t))
		case t < m:
			// A build of fewer images than the cell's builds at once: its
			// images run less crowded than the cell's did, yet take their
			// crowded seconds, so the same build at fewer workers (the
			// same builds at once) is predicted faster.
			s.warnings = append(s.warnings, fmt.Sprintf(
				"%s was measured at %s at once, and a build of %s runs only %d at once: its per-image seconds are used as measured, crowded, with no crowding fit to run them at %d, so the prediction overstates the build",
				cell.Name, analyze.Plural(m, "build"), analyze.Plural(images, "image"), t, t))
		}
		return s, nil
	}
	s.extrapolated = true
	s.warnings = append(s.warnings, fmt.Sprintf("%s was not measured: predicted from the measured cell %s", cfg.Name(), cell.Name))
	if cell.Config.Batch != cfg.Batch {
		s.warnings = append(s.warnings, fmt.Sprintf("batch %s simulated from images measured at batch %s: the simulation supplies the barrier effect",
			input.BatchLabel(cfg.Batch), input.BatchLabel(cell.Config.Batch)))
	}
	measured, target := cell.Concurrency(), Concurrency(cfg, images)
	if measured == target {
		return s, nil
	}
	family := a.familyConcurrencies(cfg)
	series := fmt.Sprintf("cache %s, strategy %s", cfg.CacheMode, cfg.Strategy)
	if cfg.Registry != "" {
		series += ", registry bandwidth " + cfg.Registry
	}
	noUSL := fmt.Sprintf("no USL fit for %s (it needs two worker counts at one batch size)", series)
	neither := "fitted neither a USL nor a crowding model to scale from"
	if fit := a.Models.fitFor(cell.Config); fit != nil {
		sc, err := model.ScaleForWorkers(fit.fit, measured, target, fit.Workers[0], fit.Workers[len(fit.Workers)-1])
		if err == nil {
			s.by, s.fit = "the "+fit.describe(), fit
			outside := ""
			if lo, hi := fit.Workers[0], fit.Workers[len(fit.Workers)-1]; sc.Extrapolated {
				outside = fmt.Sprintf(", outside the measured %d-%d: extrapolated", lo, hi)
			}
			s.basis = append(s.basis, fmt.Sprintf("per-image seconds measured at %s at once are scaled to %d by the %s (x%.3g%s)",
				analyze.Plural(measured, "build"), target, fit.describe(), sc.Factor, outside))
			for _, w := range sc.Warnings {
				// The fit's own go in the caveats, one line; the range
				// is in the line above.
				if !strings.HasPrefix(w, "usl fit: ") && !(sc.Extrapolated && strings.Contains(w, "is outside the measured")) {
					s.basis = append(s.basis, w)
				}
			}
			s.basis = append(s.basis, farBeyond(target, family, "USL fit")...)
			if c := fit.caveats(); c != "" {
				s.basis = append(s.basis, c)
			}
			// The basis says it all: the model's prediction does not
			// repeat the scaling's warnings.
			s.scaling, s.scaling.Warnings = sc, nil
			s.warnings = append(s.warnings, s.basis...)
			return s, nil
		}
		noUSL = fmt.Sprintf("the %s cannot scale to %s at once (%v)", fit.describe(), analyze.Plural(target, "build"), err)
		neither = "its USL fit cannot scale there and it fitted no crowding model"
	}
	if cr := a.Models.crowdFitFor(cfg); cr != nil {
		s.by = fmt.Sprintf("the crowding fit of %s (fitted on images at %.2g-%.2g builds at once)", series, cr.CrowdLo, cr.CrowdHi)
		what := fmt.Sprintf("each image slows by %.3g of its time alone per other image in flight", cr.Beta)
		if cr.Beta == 0 {
			what = "it found no slowdown, so the images run as fast as alone"
		}
		s.basis = append(s.basis, fmt.Sprintf(
			"%s: per-image seconds measured at %s at once are run at %d under the crowding fit (%s; fitted on %s seen at %.2g-%.2g builds at once)",
			noUSL, analyze.Plural(measured, "build"), target, what, analyze.Plural(cr.Images, "image"), cr.CrowdLo, cr.CrowdHi))
		if float64(target) > cr.CrowdHi+0.5 {
			s.basis = append(s.basis, fmt.Sprintf("%d builds at once is beyond the %.2g the crowding fit saw: it is extrapolated", target, cr.CrowdHi))
		}
		s.basis = append(s.basis, farBeyond(target, family, "crowding fit")...)
		s.warnings = append(s.warnings, s.basis...)
		return s, nil
	}
	need := "sweep at least two worker counts to extrapolate"
	if len(family) > 1 {
		need = "sweep at least two worker counts at one batch size to extrapolate"
	}
	return source{}, input.Bad("config", fmt.Errorf(
		"%s: cannot be predicted from this sweep (%w): it runs %s at once, the sweep measured %s at %s and %s; %s, or sweep a grid that contains it",
		cfg, ErrNoScalingModel, analyze.Plural(target, "build"), series, onceText(family), neither, need))
}

// sameConcurrencyCell returns, among the cells of cfg's family (cache
// mode, strategy, registry) with timed built images, the one nearest to
// cfg (nearestCell's distance) that ran target builds at once; nil if
// none did. Its per-image seconds were measured at the crowding the build
// of cfg runs, so they need no scaling model: a baseline of 4 workers
// predicted for 1 image runs 1 build at once, and is better predicted
// from a measured 1-worker cell of its family, only its batch simulated,
// than from the 4-worker cell scaled from 3 builds at once to 1 by a fit.
func sameConcurrencyCell(cells []*Cell, cfg Config, target int) *Cell {
	var best *Cell
	for _, c := range cells {
		if c.Config.CacheMode != cfg.CacheMode || c.Config.Strategy != cfg.Strategy || c.Config.Registry != cfg.Registry ||
			c.Images == 0 || !c.timed() || c.Concurrency() != target {
			continue
		}
		if best == nil || less(distance(c.Config, cfg), distance(best.Config, cfg)) {
			best = c
		}
	}
	return best
}

// familyConcurrencies returns the builds at once (Cell.Concurrency)
// measured in cells of config c's family (cache mode, strategy,
// registry) that have built images, ascending.
func (a *Analysis) familyConcurrencies(c Config) []int {
	var out []int
	for _, cell := range a.Cells {
		if cell.Config.CacheMode == c.CacheMode && cell.Config.Strategy == c.Strategy && cell.Config.Registry == c.Registry && cell.Images > 0 {
			out = append(out, cell.Concurrency())
		}
	}
	return sortedInts(out)
}

// onceText writes builds at once: "1 build at once only", "1 and 2
// builds at once".
func onceText(ns []int) string {
	switch len(ns) {
	case 0:
		return "no builds at once"
	case 1:
		if ns[0] == 1 {
			return "1 build at once only"
		}
		return fmt.Sprintf("%d builds at once only", ns[0])
	}
	return planList(ns) + " builds at once"
}

// farBeyond warns when target builds at once is more than twice the most
// of the family's measured ones: the model named by fit is then
// extrapolated far beyond its data.
func farBeyond(target int, family []int, fit string) []string {
	if len(family) == 0 {
		return nil
	}
	most := slices.Max(family)
	if most < 1 || target <= 2*most {
		return nil
	}
	return []string{fmt.Sprintf("%d builds at once is %.0fx the most measured (%d): the %s is extrapolated far beyond its data, treat this prediction as a guess",
		target, float64(target)/float64(most), most, fit)}
}

// Predict predicts the wall time of building target with cfg. A measured
// cold cell is predicted from its own image and trial observations. Any
// other cfg is predicted from a measured cell with the same cache mode
// and strategy (one that ran as many builds at once as the target build
// runs, else the one with the nearest workers), the requested batch
// simulated, and, at another number of builds at once, its per-image
// seconds carried there by a scaling model (the series' USL fit, else the family's
// crowding fit); the prediction is then Extrapolated, and its warnings say
// what it rests on. Without a scaling model such a cfg cannot be predicted
// from this sweep: the error wraps ErrNoScalingModel and input.ErrBad (see
// sourceFor). The cell's disk growth per image and the run's prune cost
// feed the target's prune policy.
func (a *Analysis) Predict(cfg Config, target Target) (model.Prediction, error) {
	return a.PredictContext(context.Background(), cfg, target)
}

// PredictContext is Predict, stopped once ctx is cancelled
// (model.PredictContext: within milliseconds, even in the middle of one
// simulated build of a huge target); the error then wraps ctx.Err() and
// names the prediction that stopped.
func (a *Analysis) PredictContext(ctx context.Context, cfg Config, target Target) (model.Prediction, error) {
	p, _, err := a.predictFrom(ctx, cfg, target)
	return p, err
}

// predictFrom is PredictContext, also returning the source the prediction
// was drawn from (what an extrapolation rests on: source.basis).
func (a *Analysis) predictFrom(ctx context.Context, cfg Config, target Target) (model.Prediction, source, error) {
	n := target.Images
	if len(target.Repos) > 0 {
		n = len(target.Repos)
	}
	src, err := a.sourceFor(cfg, n)
	if err != nil {
		return model.Prediction{}, src, err
	}
	p, err := a.predictSource(ctx, cfg, target, src, n)
	return p, src, err
}

// predictSource predicts n images of target with cfg from src.
func (a *Analysis) predictSource(ctx context.Context, cfg Config, target Target, src source, n int) (model.Prediction, error) {
	if n < 1 {
		return model.Prediction{}, input.Errorf("images", "%d: want at least 1 image to predict", n)
	}
	if target.PruneThreshold < 0 || target.PruneKeep < 0 {
		return model.Prediction{}, input.Errorf("prune", "threshold %d and keep %d: want sizes >= 0", target.PruneThreshold, target.PruneKeep)
	}
	ims, trs := src.cell.observations()
	in := model.PredictInput{
		Images: ims, Trials: trs, N: n, Repos: target.Repos,
		Workers: cfg.Workers, Batch: cfg.Batch,
		FixedSeconds: a.fixedOf(src.cell.Name),
		DiskPerImage: src.cell.DiskPerImage,
		Scaling:      src.scaling,
		Reps:         a.Options.Reps,
		Crowding:     a.crowdingOf(src),
		Spread:       a.Models.Spread,
		Seed:         mixSeed(target.Seed, cfg.Name()),
	}
	var warns []string
	if sample := src.cell.sampleImages(); src.exact && cfg.Batch > 0 && sample > 0 && cfg.Batch > sample && n > sample {
		warns = append(warns, fmt.Sprintf("batch %d is larger than the sweep's sample of %s: every trial was one partial batch, so the barriers of a %d-image build are simulated, not measured",
			cfg.Batch, analyze.Plural(sample, "image"), n))
	}
	if target.PruneThreshold > 0 {
		in.PruneThreshold, in.PruneKeep = float64(target.PruneThreshold), float64(target.PruneKeep)
		pc := a.Models.Prune
		freed := float64(target.PruneThreshold-target.PruneKeep) / (1 << 30)
		switch {
		case pc.SecondsPerGiB > 0 && freed > 0:
			in.PruneSeconds = pc.SecondsPerGiB * freed
		default:
			in.PruneSeconds = pc.MedianSeconds
		}
		if pc.Events == 0 {
			warns = append(warns, "no prune was measured: prunes are simulated at no cost")
		}
		if in.DiskPerImage == 0 {
			warns = append(warns, fmt.Sprintf("cell %s recorded no disk growth: the prune policy never triggers", src.cell.Name))
		}
	}
	p, err := model.PredictContext(ctx, in)
	if err != nil {
		return p, fmt.Errorf("predicting %s for %d images: %w", cfg.Name(), n, err)
	}
	p = p.WithFloor(a.registryFloor(cfg, src, n))
	p.Extrapolated = p.Extrapolated || src.extrapolated
	p.Warnings = append(append(src.warnings, warns...), p.Warnings...)
	return p, nil
}

// registryFloor is the least time a build of n images of cfg needs under
// a capped registry bandwidth (cfg.Registry): the bytes its images move
// through the link, pushed and pulled per built image as src's trials
// moved them, over the bandwidth, as plan bounds a build by the link. The
// simulated builds draw per-image times one by one and do not see two
// heavy images share the link, so without it a prediction could be below
// what the link allows (a 6-image build predicted 33.5s, its bytes
// needing 40s at 8MiB/s, measured 53.5s). 0 and "" for an unlimited
// registry, or a cell that recorded no registry bytes.
func (a *Analysis) registryFloor(cfg Config, src source, n int) (float64, string) {
	if src.cell == nil || cfg.Registry == "" || src.cell.Config.Registry != cfg.Registry {
		return 0, ""
	}
	bw, err := input.Bandwidth(cfg.Registry)
	if err != nil || bw <= 0 {
		return 0, ""
	}
	var moved int64
	built := 0
	for _, t := range src.cell.trials {
		moved += t.BytesPushed + t.BytesPulled
		built += t.Built
	}
	if built == 0 || moved <= 0 {
		return 0, ""
	}
	per := float64(moved) / float64(built)
	floor := float64(n) * per / float64(bw)
	return floor, fmt.Sprintf("the registry link (%s) needs at least %s to move %s (%s pushed and pulled per image in cell %s): no build is predicted shorter",
		cfg.Registry, analyze.FormatSeconds(floor), analyze.FormatBytes(float64(n)*per), analyze.FormatBytes(per), src.cell.Name)
}

// crowdingOf is the crowding a prediction from src uses: its family's, when
// the per-image seconds are used at the concurrency they were measured at.
// A prediction scaled to another concurrency by the USL fit already carries
// the crowding of the target's concurrency in its scaling, and stretching
// the work by g(n) too would count it twice, so it uses none.
func (a *Analysis) crowdingOf(src source) float64 {
	if src.scaling.Factor > 0 && src.scaling.Factor != 1 {
		return 0
	}
	return a.Models.crowdingFor(src.cell.Config)
}

// fixedOf returns the fixed per-run cost estimated for a cell.
func (a *Analysis) fixedOf(cell string) float64 {
	for _, f := range a.Models.Fixed {
		if f.Cell == cell {
			return f.Seconds
		}
	}
	return 0
}

// mixSeed derives a per-config seed.
func mixSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}

// Concurrency is how many builds of cfg run at once in a build of images
// images: its workers, capped by its batch size (a pool never holds more
// than one batch) and by the images. This, not the workers knob, is what
// the per-image times were measured under, so the USL fit and the
// scaling of per-image times use it.
func Concurrency(cfg Config, images int) int {
	w := cfg.Workers
	if cfg.Batch > 0 && cfg.Batch < w {
		w = cfg.Batch
	}
	if images > 0 && images < w {
		w = images
	}
	return max(w, 1)
}
