package evidence

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/model"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// uslReps is the number of bootstrap resamples of each USL fit.
const uslReps = 300

// USLSeries is the Universal Scalability Law fitted to per-trial throughput
// against workers, for cold cells that share cache mode, strategy, batch and
// registry.
type USLSeries struct {
	CacheMode string `json:"cache_mode"`
	Strategy  string `json:"strategy"`
	Batch     int    `json:"batch"`
	Registry  string `json:"registry,omitempty"`
	// Workers are the distinct measured concurrencies (workers capped by
	// the batch size and the sample: Concurrency) and Points the
	// number of trials fitted.
	Workers []int `json:"workers"`
	Points  int   `json:"points"`
	// Lambda, Sigma, Kappa, R2, NStar and Peak are the point fit; the
	// intervals are bootstrap percentiles at Confidence.
	Lambda     float64 `json:"lambda"`
	Sigma      float64 `json:"sigma"`
	Kappa      float64 `json:"kappa"`
	R2         float64 `json:"r2"`
	NStar      float64 `json:"n_star"`
	Peak       float64 `json:"peak_images_per_hour"`
	Amdahl     bool    `json:"amdahl,omitempty"`
	Confidence float64 `json:"confidence"`
	SigmaLo    float64 `json:"sigma_lo"`
	SigmaHi    float64 `json:"sigma_hi"`
	KappaLo    float64 `json:"kappa_lo"`
	KappaHi    float64 `json:"kappa_hi"`
	NStarLo    float64 `json:"n_star_lo"`
	NStarHi    float64 `json:"n_star_hi"`
	// Error says why the fit failed ("" when it succeeded).
	Error    string   `json:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty"`

	fit analyze.USLFit
	ok  bool
}

// describe names the fit for a sentence: "USL fit of cache off, strategy
// single, batch 3 (Amdahl's law, kappa 0), fitted on 1 and 2 builds at
// once".
func (s *USLSeries) describe() string {
	d := fmt.Sprintf("USL fit of cache %s, strategy %s, batch %s", s.CacheMode, s.Strategy, input.BatchLabel(s.Batch))
	if s.Registry != "" {
		d += ", registry bandwidth " + s.Registry
	}
	if s.Amdahl {
		d += " (Amdahl's law, kappa 0)"
	}
	return d + ", fitted on " + onceText(s.Workers)
}

// caveats is the fit's warnings (or its error) in one sentence naming the
// fit, "" when it has none: what a reader of its sigma, kappa and N*, or
// of a prediction it scales, must know.
func (s *USLSeries) caveats() string {
	switch {
	case s.Error != "":
		return fmt.Sprintf("%s: not made (%s): no scaling model for this series", s.describe(), s.Error)
	case len(s.Warnings) > 0:
		return s.describe() + ": " + strings.Join(s.Warnings, "; ")
	}
	return ""
}

// caveatsOrNone is s.caveats(), "" for a nil s.
func (s *USLSeries) caveatsOrNone() string {
	if s == nil {
		return ""
	}
	return s.caveats()
}

// matches reports whether the series is the one of config c.
func (s *USLSeries) matches(c Config) bool {
	return s.CacheMode == c.CacheMode && s.Strategy == c.Strategy && s.Batch == c.Batch && s.Registry == c.Registry
}

// FixedCost is a cell's fixed per-run cost: trial wall minus the simulated
// makespan of its own images (model.FixedCost).
type FixedCost struct {
	Cell     string   `json:"cell"`
	Seconds  float64  `json:"seconds"`
	Lo       float64  `json:"lo"`
	Hi       float64  `json:"hi"`
	Warnings []string `json:"warnings,omitempty"`
}

// PruneCost is what a BuildKit prune cost in the run's prune events.
type PruneCost struct {
	Events int `json:"events"`
	// MedianSeconds is the median prune duration and SecondsPerGiB the
	// median over events that freed bytes of seconds per GiB freed.
	MedianSeconds float64  `json:"median_s"`
	SecondsPerGiB float64  `json:"seconds_per_gib"`
	Warnings      []string `json:"warnings,omitempty"`
}

// Barrier is the share of a full build's wall time lost to batch barriers
// at a batched cell's workers and batch (model.BarrierLoss).
type Barrier struct {
	Cell     string   `json:"cell"`
	Workers  int      `json:"workers"`
	Batch    int      `json:"batch"`
	Images   int      `json:"images"`
	Median   float64  `json:"median"`
	Lo       float64  `json:"lo"`
	Hi       float64  `json:"hi"`
	Warnings []string `json:"warnings,omitempty"`
}

// barrierOf is the loss to batch barriers of a build of images images at
// c's workers and batch, resampled from c's images (false: c is a stream
// or built no image).
func barrierOf(c *Cell, images int, seed uint64) (Barrier, bool) {
	if c.Config.Batch <= 0 || c.Images == 0 {
		return Barrier{}, false
	}
	var ds []float64
	for _, im := range c.images {
		ds = append(ds, im.WallSeconds)
	}
	l := model.BarrierLoss(ds, c.Config.Workers, c.Config.Batch, images, 0, seed)
	return Barrier{Cell: c.Name, Workers: c.Config.Workers, Batch: c.Config.Batch, Images: images,
		Median: finite(l.Median), Lo: finite(l.Lo), Hi: finite(l.Hi), Warnings: l.Warnings}, true
}

// BarrierFor is the loss to batch barriers of the cold cell named cell
// in a build of images images: Models.Barrier's when it was computed for
// that many (the analysis' default build), else resampled the same way
// for that count, since the share a barrier costs depends on how many
// batches the build runs (a report for --images or --instances predicts
// another build than the default). false: no such cell, or a stream.
func (a *Analysis) BarrierFor(cell string, images int) (Barrier, bool) {
	for _, b := range a.Models.Barrier {
		if b.Cell == cell && (b.Images == images || images <= 0) {
			return b, true
		}
	}
	c := a.cellNamed(cell)
	if c == nil || images <= 0 {
		return Barrier{}, false
	}
	return barrierOf(c, images, a.Options.Seed)
}

// Crowding is how much an image slows down per other image in flight,
// fitted over the cold cells that share cache mode, strategy and registry
// (model.FitCrowding): g(n) = 1 + Beta·(n−1). Predictions at a measured
// concurrency use it to run the target build's barrier tails and drain
// at the speed of their own crowding (see model.PredictInput.Crowding).
type Crowding struct {
	CacheMode string `json:"cache_mode"`
	Strategy  string `json:"strategy"`
	Registry  string `json:"registry,omitempty"`
	// Beta is 0 when the fit had too little spread of crowding to go on
	// (Images below 2 or Span below 0.5: not Fitted).
	Beta         float64 `json:"beta"`
	Images       int     `json:"images"`
	Observations int     `json:"observations"`
	Span         float64 `json:"span"`
	// CrowdLo and CrowdHi are the least and most builds at once (time-
	// averaged crowding, the image itself included) the fit saw: beyond
	// them it is extrapolated. 0 when not Fitted.
	CrowdLo float64 `json:"crowd_lo,omitempty"`
	CrowdHi float64 `json:"crowd_hi,omitempty"`
}

// Fitted says the crowding rests on the same images seen at two
// crowdings or more (model.CrowdFit.Fitted): a scaling model, fitted on
// at least two concurrencies, whatever Beta it found.
func (c Crowding) Fitted() bool { return c.Images >= 2 && c.Span >= 0.5 }

// Models are the fitted models of a run.
type Models struct {
	USL      []USLSeries `json:"usl"`
	Fixed    []FixedCost `json:"fixed"`
	Prune    PruneCost   `json:"prune"`
	Barrier  []Barrier   `json:"barrier"`
	Crowding []Crowding  `json:"crowding,omitempty"`
	// Spread is the machine's between-trial spread pooled over the cold
	// cells (model.PoolSpread): every prediction draws its new build's
	// speed with it when it has more degrees of freedom than the cell's
	// own trials.
	Spread model.Spread `json:"spread"`
}

// observations converts a cell's records into model observations: one
// ImageObs per built image (Image: the instance id; First: in the trial's
// first wave) and one TrialObs per trial, image seconds in start order.
//
// The first wave is the images started before any image of the trial
// finished, at most one per worker. In a cold trial they also build the
// stage every image shares (the builder stage, shared through BuildKit's
// cache) and wait for it together; the other images find it cached. Each
// trial's FirstImageExtraSeconds is the first wave's mean seconds minus the
// others' (at least 0; unknown when every image was in the first wave), so
// that the prediction pays the shared stage once per build instead of once
// per first-wave share of the target images (see model.Predict).
func (c *Cell) observations() ([]model.ImageObs, []model.TrialObs) {
	var ims []model.ImageObs
	var trs []model.TrialObs
	for k, list := range c.trialImages() {
		t := c.trials[k]
		to := model.TrialObs{Trial: t.Trial, WallSeconds: t.WallSeconds, Images: len(list)}
		wave := firstWave(list, c.Config.Workers)
		if wave >= len(list) {
			wave = 0 // no image to compare the first wave with
		}
		w := warmupOf(list, wave, c.Concurrency())
		warm := w.excess
		to.FirstImageExtraSeconds = firstWaveExtra(netOfWarmup(list, warm), wave)
		to.WarmupSeconds = w.once
		if c.Config.Batch <= 0 {
			// A stream starts together once; a barrier build again
			// at every batch. A barrier cell's later batches collided
			// too, and its steady state already holds that.
			to.SyncStartSeconds = w.wave
		}
		for i, im := range list {
			id := im.Instance
			if id == "" {
				id = im.ID
			}
			ims = append(ims, model.ImageObs{Repo: repoOf(id), Seconds: im.WallSeconds, Image: id,
				Trial: t.Trial, First: i < wave, Bytes: im.ImageBytes, Crowd: 1 + othersInFlight(list, i),
				WarmupSeconds: warm[i]})
			to.SumImageSeconds += im.WallSeconds
			to.ImageSeconds = append(to.ImageSeconds, im.WallSeconds)
		}
		trs = append(trs, to)
	}
	return ims, trs
}

// netOfWarmup returns list with each image's warm-up excess taken out of
// its wall seconds, so that firstWaveExtra does not count it again.
func netOfWarmup(list []record.Image, warm []float64) []record.Image {
	out := slices.Clone(list)
	for i := range out {
		if i < len(warm) && warm[i] > 0 {
			out[i].WallSeconds = math.Max(0, out[i].WallSeconds-warm[i])
		}
	}
	return out
}

// warmupBigImage is how much bigger than the steady images' median an
// image may be (image_bytes) and still have its push excess counted as
// warm-up: above it, the image pushes more of its own.
const warmupBigImage = 1.25

// warmup is what warmupOf found in one trial.
type warmup struct {
	// excess is the push seconds of each image taken as warm-up, and once
	// the wall time they cost the trial, paid once per build.
	excess []float64
	once   float64
	// wave is the first wave's part of once: pushes that collided because
	// the wave started together.
	wave float64
	// unsized counts the images whose excess was counted without image
	// bytes to check it against (capped at the steady push), bigger the
	// images left out for pushing a bigger image.
	unsized, bigger int
}

// warmupOf finds a trial's warm-up pushes. Images push layers and registry
// cache that later images of the trial find already there (the shared
// stages' layers, the builder's cache): the first images pay for the
// whole build. And a trial starts its first wave together, so their
// pushes collide on a shared registry link, and images of equal length
// keep colliding for a while; a long build drifts out of step after its
// first images and pushes at the steady rate. Both are paid once per
// build: each image's layer push plus cache export seconds above the
// median of the trial's second half (its steady state), counted for the
// images of the first half only, first wave included (firstWaveExtra then
// compares walls net of these excesses, so nothing counts twice). Spread
// over workers builds at once, the excesses cost the trial their sum /
// workers of wall time. Nothing when the trial has fewer than 2 images in
// its second half after the first wave.
//
// An image that pushes bigger layers also pushes longer, wherever it is
// built, and that is its own cost, not a warm-up: taken as one, a
// workload whose early images are the big ones would be predicted too
// fast. So the excess is checked against the image's size (image_bytes,
// the compressed config and layers of its manifest) and the median size
// of the steady images: an image more than warmupBigImage times that
// median is left out (its size counts every layer, pushed or found
// there, so a share proportional to it would understate what it
// pushes); a smaller one counts only the excess beyond the steady push
// scaled up to its size. An image or a steady half that records no
// size (image_bytes 0: records from before it, or a registry that did
// not answer) cannot be checked: its excess counts at most the steady
// push itself, so that at most half of an image's push moves into the
// one-time cost, and the cell says so (Cell.Warnings).
func warmupOf(list []record.Image, wave, workers int) warmup {
	w := warmup{excess: make([]float64, len(list))}
	half := max(len(list)/2, wave)
	if len(list)-half < 2 {
		return w
	}
	push := func(im record.Image) float64 { return im.LayerPushSeconds + im.CacheExportSeconds }
	later := make([]float64, 0, len(list)-half)
	sizes := make([]float64, 0, len(list)-half)
	for _, im := range list[half:] {
		later = append(later, push(im))
		if im.ImageBytes > 0 {
			sizes = append(sizes, float64(im.ImageBytes))
		}
	}
	laterPush := make([]float64, 0, len(list)-half)
	for _, im := range list[half:] {
		laterPush = append(laterPush, im.LayerPushSeconds)
	}
	steady, size, steadyLayers := med(later), med(sizes), med(laterPush)
	var sum float64
	for i := range half {
		e := push(list[i]) - steady
		if !(e > 0) || math.IsInf(e, 0) {
			continue
		}
		switch b := float64(list[i].ImageBytes); {
		case !(b > 0) || !(size > 0):
			w.unsized++
			e = math.Min(e, steady)
		case b > warmupBigImage*size:
			w.bigger++
			continue
		default:
			e = push(list[i]) - steady*math.Max(1, b/size)
		}
		if e > 0 {
			w.excess[i] = math.Min(e, list[i].WallSeconds)
			sum += w.excess[i]
			if i < wave {
				// Only the layer push: a first cache export
				// uploads the shared stages' cache once per
				// build, whatever the batches.
				scale := 1.0
				if b := float64(list[i].ImageBytes); b > 0 && size > 0 {
					scale = math.Max(1, b/size)
				}
				w.wave += math.Min(w.excess[i], math.Max(0, list[i].LayerPushSeconds-steadyLayers*scale))
			}
		}
	}
	w.once = sum / float64(max(workers, 1))
	w.wave /= float64(max(workers, 1))
	return w
}

// warmupWarnings says when the cell's warm-up pushes were taken from
// images that record no size (see warmupOf).
func (c *Cell) warmupWarnings() []string {
	if !slices.ContainsFunc(c.images, func(im record.Image) bool { return im.ImageBytes <= 0 }) {
		return nil // every image has its size: warmupOf checks each
	}
	unsized := 0
	for _, list := range c.trialImages() {
		wave := firstWave(list, c.Config.Workers)
		if wave >= len(list) {
			wave = 0
		}
		unsized += warmupOf(list, wave, c.Concurrency()).unsized
	}
	if unsized == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s pushed more than their trial's steady state but record no image size (image_bytes 0): "+
		"a bigger image cannot be told from one pushing shared content first, so at most the steady push itself was taken out of each as a one-time warm-up",
		analyze.Plural(unsized, "image"))}
}

// trialImages returns the built images of each trial, in the order of
// c.trials, each list in start order.
func (c *Cell) trialImages() [][]record.Image {
	byTrial := map[int][]record.Image{}
	for _, im := range c.images {
		byTrial[im.Trial] = append(byTrial[im.Trial], im)
	}
	out := make([][]record.Image, len(c.trials))
	for i, t := range c.trials {
		list := slices.Clone(byTrial[t.Trial])
		slices.SortStableFunc(list, func(a, b record.Image) int { return a.Start.Compare(b.Start) })
		out[i] = list
	}
	return out
}

// firstWave returns how many of list (in start order) started before the
// first of them ended, at most workers and at least 1.
func firstWave(list []record.Image, workers int) int {
	if len(list) == 0 {
		return 0
	}
	first := list[0].End
	for _, im := range list {
		if !im.End.IsZero() && (first.IsZero() || im.End.Before(first)) {
			first = im.End
		}
	}
	n := 1
	for n < len(list) && n < max(workers, 1) && !first.IsZero() && list[n].Start.Before(first) {
		n++
	}
	return n
}

// firstWaveExtra is the first wave's mean seconds minus the mean of the
// later images that ran as crowded as the first wave did, at least 0; 0
// when there is no such image to compare with. "As crowded" is over the
// whole run of the image: the time-averaged count of other images in
// flight while it ran is at least 90% of the first wave's. Images that
// ran less crowded (a last partial batch, the tail of a stream, the few
// images after a first wave of 16 that all end together) are faster for
// that reason alone, and comparing with them would charge contention to
// the builder stage.
func firstWaveExtra(list []record.Image, wave int) float64 {
	if wave <= 0 || wave >= len(list) {
		return 0
	}
	var a, crowd float64
	for i := range wave {
		a += list[i].WallSeconds
		crowd += othersInFlight(list, i)
	}
	crowd /= float64(wave)
	var b float64
	nb := 0
	for i := wave; i < len(list); i++ {
		if othersInFlight(list, i) >= 0.9*crowd {
			b += list[i].WallSeconds
			nb++
		}
	}
	if nb == 0 {
		return 0
	}
	return finite(math.Max(0, a/float64(wave)-b/float64(nb)))
}

// othersInFlight is the time-averaged count of the other images of list
// running while image i ran.
func othersInFlight(list []record.Image, i int) float64 {
	s, e := list[i].Start, list[i].End
	d := e.Sub(s).Seconds()
	if !(d > 0) {
		return 0
	}
	var sum float64
	for j, im := range list {
		if j == i {
			continue
		}
		lo, hi := im.Start, im.End
		if lo.Before(s) {
			lo = s
		}
		if hi.After(e) {
			hi = e
		}
		if hi.After(lo) {
			sum += hi.Sub(lo).Seconds()
		}
	}
	return sum / d
}

func fitModels(cells []*Cell, events []record.Event, images int, seed uint64) Models {
	var m Models
	// USL series.
	type key struct {
		cache, strategy, registry string
		batch                     int
	}
	series := map[key]*USLSeries{}
	var order []key
	pts := map[key][2][]float64{}
	for _, c := range cells {
		// A cell that built no image has a throughput of 0 in every
		// trial: a count of failed builds, not of contention. As a point
		// of the fit it bent the curve down to 0 and scaled every
		// extrapolation by it.
		if c.Images == 0 {
			continue
		}
		k := key{c.Config.CacheMode, c.Config.Strategy, c.Config.Registry, c.Config.Batch}
		if series[k] == nil {
			series[k] = &USLSeries{CacheMode: k.cache, Strategy: k.strategy, Batch: k.batch, Registry: k.registry}
			order = append(order, k)
		}
		s := series[k]
		conc := c.Concurrency()
		if !slices.Contains(s.Workers, conc) {
			s.Workers = append(s.Workers, conc)
		}
		p := pts[k]
		for _, x := range c.throughput() {
			p[0] = append(p[0], float64(conc))
			p[1] = append(p[1], x)
		}
		pts[k] = p
	}
	slices.SortFunc(order, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.cache, b.cache), cmp.Compare(a.strategy, b.strategy), cmp.Compare(a.batch, b.batch), cmp.Compare(a.registry, b.registry))
	})
	for _, k := range order {
		s := series[k]
		s.Workers = sortedInts(s.Workers)
		if len(s.Workers) < 2 {
			continue
		}
		p := pts[k]
		s.Points = len(p[0])
		fit, err := analyze.FitUSLBootstrap(p[0], p[1], uslReps, seed, analyze.DefaultConfidence)
		if err != nil {
			s.Error = fmt.Sprintf("fitting USL: %v", err)
			m.USL = append(m.USL, *s)
			continue
		}
		s.fit, s.ok = fit.USLFit, true
		s.Lambda, s.Sigma, s.Kappa, s.R2 = fit.Lambda, fit.Sigma, fit.Kappa, fit.R2
		s.NStar, s.Peak, s.Amdahl = fit.NStar, fit.PeakThroughput, fit.Amdahl
		s.Confidence = fit.Confidence
		s.SigmaLo, s.SigmaHi, s.KappaLo, s.KappaHi = fit.SigmaLo, fit.SigmaHi, fit.KappaLo, fit.KappaHi
		s.NStarLo, s.NStarHi = fit.NStarLo, fit.NStarHi
		s.Warnings = fit.Warnings
		m.USL = append(m.USL, *s)
	}

	// The observations of each cell, once: the fixed costs and the pooled
	// spread both use them.
	pool := make([]model.CellTrials, len(cells))
	for i, c := range cells {
		ims, trs := c.observations()
		pool[i] = model.CellTrials{Images: ims, Trials: trs}
		fixed, ci, warns := model.FixedCost(trs, c.Config.Workers, c.Config.Batch)
		m.Fixed = append(m.Fixed, FixedCost{Cell: c.Name, Seconds: finite(fixed), Lo: finite(ci[0]), Hi: finite(ci[1]), Warnings: warns})
		if b, ok := barrierOf(c, images, seed); ok {
			m.Barrier = append(m.Barrier, b)
		}
	}
	m.Prune = pruneCost(events)
	m.Crowding = fitCrowding(cells)
	for i, c := range cells {
		pool[i].Crowding = m.crowdingFor(c.Config)
	}
	m.Spread = model.PoolSpread(pool)
	return m
}

// fitCrowding fits the crowding of each family of cold cells (cache mode,
// strategy, registry) from its images: every cell's, at the time-averaged
// crowding each ran at. A trial's first wave is left out: it also waited
// for the stage every image shares, which is not crowding.
func fitCrowding(cells []*Cell) []Crowding {
	type key struct{ cache, strategy, registry string }
	obs := map[key][]model.CrowdObs{}
	var order []key
	for _, c := range cells {
		k := key{c.Config.CacheMode, c.Config.Strategy, c.Config.Registry}
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
		ims, _ := c.observations()
		for _, im := range ims {
			if im.First || im.Image == "" {
				continue
			}
			obs[k] = append(obs[k], model.CrowdObs{Image: im.Image, Seconds: im.Seconds, Crowd: im.Crowd})
		}
	}
	slices.SortFunc(order, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.cache, b.cache), cmp.Compare(a.strategy, b.strategy), cmp.Compare(a.registry, b.registry))
	})
	var out []Crowding
	for _, k := range order {
		f := model.FitCrowding(obs[k])
		out = append(out, Crowding{CacheMode: k.cache, Strategy: k.strategy, Registry: k.registry,
			Beta: f.Beta, Images: f.Images, Observations: f.Observations, Span: f.Span, CrowdLo: f.Lo, CrowdHi: f.Hi})
	}
	return out
}

// crowdFitFor returns the fitted crowding of config c's family (cache
// mode, strategy, registry), nil when none is Fitted.
func (m *Models) crowdFitFor(c Config) *Crowding {
	for i := range m.Crowding {
		f := &m.Crowding[i]
		if f.CacheMode == c.CacheMode && f.Strategy == c.Strategy && f.Registry == c.Registry && f.Fitted() {
			return f
		}
	}
	return nil
}

// crowdingFor returns the crowding coefficient of config c's family (0
// when none was fitted).
func (m *Models) crowdingFor(c Config) float64 {
	for _, f := range m.Crowding {
		if f.CacheMode == c.CacheMode && f.Strategy == c.Strategy && f.Registry == c.Registry {
			return f.Beta
		}
	}
	return 0
}

func pruneCost(events []record.Event) PruneCost {
	var p PruneCost
	var secs, perGiB []float64
	for _, e := range events {
		if e.Type != record.EventPrune || !(e.Seconds >= 0) {
			continue
		}
		p.Events++
		secs = append(secs, e.Seconds)
		if e.Bytes > 0 {
			perGiB = append(perGiB, e.Seconds/(float64(e.Bytes)/(1<<30)))
		}
	}
	p.MedianSeconds = med(secs)
	p.SecondsPerGiB = med(perGiB)
	if p.Events == 0 {
		p.Warnings = append(p.Warnings, "no prune events: predictions with a prune policy cannot price a prune")
	}
	return p
}

// fitFor returns the USL series of config c's cache mode, strategy, batch
// and registry, or the series with the same cache mode and strategy whose
// batch is nearest (nil when none was fitted).
func (m *Models) fitFor(c Config) *USLSeries {
	var best *USLSeries
	for i := range m.USL {
		s := &m.USL[i]
		if !s.ok || s.CacheMode != c.CacheMode || s.Strategy != c.Strategy || s.Registry != c.Registry {
			continue
		}
		if s.matches(c) {
			return s
		}
		if best == nil || abs(s.Batch-c.Batch) < abs(best.Batch-c.Batch) {
			best = s
		}
	}
	return best
}
