package evidence

import (
	"context"
	"fmt"
	"hash/fnv"

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

// source is the measured cell a prediction is drawn from.
type source struct {
	cell         *Cell
	exact        bool
	scaling      model.Scaling
	warnings     []string
	extrapolated bool
}

// sourceFor finds the cell to predict cfg from: the cell measured with cfg,
// or the cell with the same cache mode, strategy and registry and the
// nearest workers (then batch), with its per-image seconds scaled to cfg's
// workers by the series' USL fit.
func (a *Analysis) sourceFor(cfg Config, images int) (source, error) {
	var s source
	if cfg.Workers < 1 || cfg.Batch < 0 {
		return s, input.Errorf("config", "%s: want workers >= 1 and batch >= 0 (0: stream)", cfg)
	}
	cell, exact := nearestCell(a.Cells, cfg)
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
		return s, nil
	}
	s.extrapolated = true
	s.warnings = append(s.warnings, fmt.Sprintf("%s was not measured: predicted from the measured cell %s", cfg.Name(), cell.Name))
	most := 0
	for _, c := range a.Cells {
		if c.Config.CacheMode == cfg.CacheMode && c.Config.Strategy == cfg.Strategy && c.Config.Registry == cfg.Registry {
			most = max(most, c.Config.Workers)
		}
	}
	if most > 0 && cfg.Workers > 2*most {
		s.warnings = append(s.warnings, fmt.Sprintf("%d workers is %.0fx the most measured (%d): the USL fit is extrapolated far beyond its data, treat this prediction as a guess",
			cfg.Workers, float64(cfg.Workers)/float64(most), most))
	}
	if cell.Config.Batch != cfg.Batch {
		s.warnings = append(s.warnings, fmt.Sprintf("batch %s simulated from images measured at batch %s: the simulation supplies the barrier effect",
			input.BatchLabel(cfg.Batch), input.BatchLabel(cell.Config.Batch)))
	}
	measured, target := cell.Concurrency(), Concurrency(cfg, images)
	if measured == target {
		return s, nil
	}
	fit := a.Models.fitFor(cell.Config)
	if fit == nil {
		s.warnings = append(s.warnings, fmt.Sprintf(
			"no USL fit for cache %s, strategy %s: per-image seconds measured at %d builds at once are used unscaled at %d",
			cfg.CacheMode, cfg.Strategy, measured, target))
		return s, nil
	}
	sc, err := model.ScaleForWorkers(fit.fit, measured, target, fit.Workers[0], fit.Workers[len(fit.Workers)-1])
	if err != nil {
		s.warnings = append(s.warnings, fmt.Sprintf("scaling to %d builds at once failed (%v): per-image seconds are used unscaled", target, err))
		return s, nil
	}
	s.scaling = sc
	return s, nil
}

// Predict predicts the wall time of building target with cfg. A measured
// cold cell is predicted from its own image and trial observations. Any
// other cfg is predicted from the measured cell with the same cache mode
// and strategy and the nearest workers, its per-image seconds scaled by
// that series' USL fit and the requested batch simulated; the prediction
// is then Extrapolated, with warnings. The cell's disk growth per image and
// the run's prune cost feed the target's prune policy.
func (a *Analysis) Predict(cfg Config, target Target) (model.Prediction, error) {
	return a.PredictContext(context.Background(), cfg, target)
}

// PredictContext is Predict, stopped once ctx is cancelled
// (model.PredictContext: within milliseconds, even in the middle of one
// simulated build of a huge target); the error then wraps ctx.Err() and
// names the prediction that stopped.
func (a *Analysis) PredictContext(ctx context.Context, cfg Config, target Target) (model.Prediction, error) {
	n := target.Images
	if len(target.Repos) > 0 {
		n = len(target.Repos)
	}
	src, err := a.sourceFor(cfg, n)
	if err != nil {
		return model.Prediction{}, err
	}
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
		Seed:         mixSeed(target.Seed, cfg.Name()),
	}
	var warns []string
	if sample := src.cell.sampleImages(); src.exact && cfg.Batch > 0 && sample > 0 && cfg.Batch > sample && n > sample {
		warns = append(warns, fmt.Sprintf("batch %d is larger than the sweep's sample of %d images: every trial was one partial batch, so the barriers of a %d-image build are simulated, not measured",
			cfg.Batch, sample, n))
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
	p.Extrapolated = p.Extrapolated || src.extrapolated
	p.Warnings = append(append(src.warnings, warns...), p.Warnings...)
	return p, nil
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
