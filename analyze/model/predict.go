package model

// Prediction of a full build's wall time.
//
// Method (Predict). The observations of one sweep cell are per-image build
// seconds, each tagged with its trial, and per-trial totals. A trial's
// speed factor is its mean image seconds divided by the cell's pooled mean
// image seconds: it is how fast the machine was during that trial, the
// between-trial spread that resampling images alone would miss (trials of
// one cell build the same stratified sample of images, so their means
// differ by the machine, not by the images). Each image observation is
// divided by its own trial's factor, so the pool holds machine-neutral
// per-image costs. Then, per rep:
//
//  1. draw one trial factor: the full build is a new trial. When the
//     sweep's spread pooled over its cells (PredictInput.Spread, see
//     spread.go) has more degrees of freedom than the cell's own factors,
//     it is drawn about the cell's mean log factor with that spread and
//     those degrees of freedom. Otherwise, with two or
//     more observed factors it is drawn from the posterior predictive of a
//     lognormal fitted to them (Student's t on the log scale, see
//     drawFactor), which widens the interval beyond the observed range when
//     the trials are few; with 2 or 3 factors bounded to a plausible range
//     (the observed range widened by 1.5 times its own width at each end),
//     so that two trials do not give a Cauchy draw and an interval of
//     factors 60x apart; with one factor, that factor;
//  2. resample each stratum's measured images with replacement (a bootstrap
//     replicate of the sample of images, so the uncertainty of the mean
//     image cost is carried, not only the spread of single images). The
//     unit is the image, not the observation: the trials of a cell build
//     the same images, so k trials of m images are m independent values,
//     not k×m (ImageObs.Image names the image; observations without it
//     count as images of their own);
//  3. draw the N target durations with replacement from those replicates
//     (an image, then one of its observations), stratified by repo when
//     target repos are given (each target image from its own repo's images,
//     or from the pooled set when its repo was never observed). The target
//     repos are sorted first, as the real script sorts its list of ids, so
//     the prediction depends on which repos are built, not on the order
//     they were listed in (recommend --instances and validate, which reads
//     ids in completion order, predict the same build the same way);
//  4. multiply each by the trial factor and by the worker-count Scaling;
//  5. order them ("input" keeps the target order, as the real script builds
//     its sorted list; "lpt" puts the longest first);
//  6. Simulate the build (batches, barriers, prunes, fixed cost).
//
// The prediction is the median, mean and central Confidence interval of
// the rep makespans (percentiles interpolated as in R's default, type 7). Confidence
// defaults to 0.90: its upper end is then the 95th percentile, so "Hi meets
// the deadline" is a one-sided 95% statement, which is what planning needs.
// An interval whose Hi is more than MaxTestableRatio times its Lo is
// TooWide: any plausible measurement falls inside it, so it cannot test the
// prediction, and a warning says to run more reps.
//
// The first images of a trial (its first wave: those started before any
// finished, up to one per worker) also build the stage shared by all images
// and wait for it together (TrialObs.FirstImageExtraSeconds, per first-wave
// image). That extra is taken out of each first-wave observation
// (ImageObs.First) and out of the trial mean, and its median over trials is
// paid once per predicted build, on top of FixedSeconds: the first wave runs
// in parallel, so the build's wall time grows by one extra, not by one per
// worker. Left in, the extra would be drawn for a first-wave share of the
// target images (half of them, for a 4-image sample at 2 workers) instead of
// once.
//
// Images after the first wave can still pay for pushing content the rest of
// the build finds pushed (the shared layers, the builder's registry cache):
// ImageObs.WarmupSeconds is taken out of those observations and the
// trial's TrialObs.WarmupSeconds (their sum over the workers) is paid once
// per build, as the first-wave extra is. A sweep's trials are short, so
// left in, that warm-up would be drawn for a share of every image of a
// full build. The first wave's own pushes collide because it started
// together (TrialObs.SyncStartSeconds): a barrier build starts every
// batch together, and pays that part again at each barrier.
//
// Crowding (PredictInput.Crowding > 0, see crowd.go): each observation is
// first taken to seconds alone at the crowding it ran at, and the build is
// simulated under processor sharing, so the images a target build runs
// less crowded than the sweep's (the last of each batch, the drain) run
// faster, and the ones it runs more crowded slower.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"

	"github.com/buildtune/buildtune/analyze"
)

const (
	// DefaultConfidence is the coverage of prediction intervals: the upper
	// end is the 95th percentile.
	DefaultConfidence = 0.90
	// DefaultReps is the number of simulated builds per prediction.
	DefaultReps = 1000
	// MaxTestableRatio is the widest interval (Hi / Lo) that can still
	// test a prediction: a wider one holds builds twice as fast as others,
	// so any plausible measurement falls inside it.
	MaxTestableRatio = 2.0
	// FactorWidening bounds the trial speed factor drawn for a new build to
	// the observed factors' range widened, on the log scale, by this
	// multiple of its width at each end (see drawFactor).
	FactorWidening = 1.5
	// MaxBoundedTrials is the most trials whose drawn factor is bounded:
	// with k trials the factor's t has k-1 degrees of freedom, and no
	// finite variance up to 2.
	MaxBoundedTrials = 3
	// OrderInput builds the target images in the order given.
	OrderInput = "input"
	// OrderLPT builds the longest images first.
	OrderLPT = "lpt"
)

// ErrNoData means there is nothing to predict from.
var ErrNoData = errors.New("no usable observations")

// ImageObs is one measured image build of a sweep cell.
type ImageObs struct {
	// Repo is the image's repository (such as "django"); it stratifies
	// the draws.
	Repo string
	// Seconds is the image's build seconds.
	Seconds float64
	// Image names the image (such as the instance id); the observations
	// of one image in several trials form one bootstrap unit. Empty: the
	// observation is a unit of its own.
	Image string
	// Trial identifies the trial (TrialObs.Trial) the image was built in.
	Trial int
	// First marks an image of the trial's first wave, which also paid the
	// trial's FirstImageExtraSeconds.
	First bool
	// Bytes is the bytes the image pushed (optional).
	Bytes int64
	// Crowd is the time-averaged number of the trial's images in flight
	// while this one ran, itself included (optional; 0: unknown). With
	// PredictInput.Crowding it turns the observation into seconds alone.
	Crowd float64
	// WarmupSeconds is what this image, after the first wave, paid for
	// pushing content the trial's later images found already pushed
	// (optional; TrialObs.WarmupSeconds is the trial's one-time share).
	WarmupSeconds float64
}

// TrialObs is one trial of a sweep cell.
type TrialObs struct {
	// Trial identifies the trial.
	Trial int
	// WallSeconds is the trial's wall time.
	WallSeconds float64
	// Images is the number of images built and SumImageSeconds the sum of
	// their build seconds.
	Images          int
	SumImageSeconds float64
	// FirstImageExtraSeconds is the extra cost each first-wave image
	// (ImageObs.First) paid for the shared stage (optional; a trial with
	// First images and a finite extra >= 0 counts towards the median, so
	// a trial that showed no extra pulls it down).
	FirstImageExtraSeconds float64
	// ImageSeconds are the trial's per-image seconds in start order
	// (optional; FixedCost needs them).
	ImageSeconds []float64
	// WarmupSeconds is the wall time the trial's warm-up pushes
	// (ImageObs.WarmupSeconds) cost it once (optional): a build pays it
	// once, like the first-wave extra.
	WarmupSeconds float64
	// SyncStartSeconds is the part of WarmupSeconds the trial's first
	// wave paid because its images started together and pushed at the
	// same time (optional). A stream build starts together once; a
	// barrier build starts every batch together, so a barrier target pays
	// it again at each barrier.
	SyncStartSeconds float64
}

// PredictInput describes a prediction of one configuration's full build.
type PredictInput struct {
	// Images and Trials are the observations of the cell.
	Images []ImageObs
	Trials []TrialObs
	// N is the number of images to predict, or Repos lists the repo of each
	// target image in build order (then N may be 0 or len(Repos)).
	N     int
	Repos []string
	// Workers and Batch are the configuration (Batch 0 = stream); Order is
	// OrderInput (default) or OrderLPT.
	Workers, Batch int
	Order          string
	// FixedSeconds is a per-run cost paid once.
	FixedSeconds float64
	// Disk growth per image, start, prune policy and prune cost, as in
	// Schedule.
	DiskPerImage, DiskStart, PruneThreshold, PruneKeep, PruneSeconds float64
	// Scaling rescales per-image seconds to another worker count (zero
	// value: no scaling); see ScaleForWorkers.
	Scaling Scaling
	// Crowding is the slowdown per other image in flight (FitCrowding's
	// Beta; 0: none). Above 0, each observation is taken to seconds alone
	// at its ImageObs.Crowd and the build is simulated under processor
	// sharing (Schedule.Crowding), so that images the target build runs
	// less crowded than the sweep did (at its barriers, in its drain) run
	// faster, and more crowded ones slower.
	Crowding float64
	// Spread is the machine's between-trial spread pooled over the
	// sweep's cells (PoolSpread). When it has more degrees of freedom
	// than the cell's own trials (Spread.Usable), the new build's trial
	// factor is drawn with it instead of with the cell's own few factors.
	Spread Spread
	// Reps is the number of simulated builds (DefaultReps if <= 0), Seed
	// the random seed, Confidence the interval coverage
	// (DefaultConfidence if not in (0, 1)).
	Reps       int
	Seed       uint64
	Confidence float64
}

// Prediction is a predicted wall time of a full build.
type Prediction struct {
	// Images, Workers and Batch describe the predicted build.
	Images, Workers, Batch int
	// Median, Mean, Lo and Hi are in seconds; [Lo, Hi] is the central
	// Confidence interval of the simulated makespans.
	Median, Mean, Lo, Hi float64
	Confidence           float64
	// ImagesPerHour is Images per Median hour; its interval comes from Hi
	// and Lo.
	ImagesPerHour, ImagesPerHourLo, ImagesPerHourHi float64
	// Reps is the number of simulated builds and Samples their makespans
	// in rep order (not sorted), so two predictions can be paired rep by
	// rep.
	Reps    int
	Samples []float64
	// Observations is the number of per-image observations used, Units
	// the distinct images among them, and TrialFactors the observed trial
	// speed factors.
	Observations, Units int
	TrialFactors        []float64
	// FactorLogSD and FactorDF are the standard deviation of the log
	// trial factor the simulated builds drew from and its degrees of
	// freedom (0 and 0: the factor was not drawn from a spread), and
	// SpreadPooled says they are the sweep's pooled Spread rather than
	// the cell's own.
	FactorLogSD  float64
	FactorDF     int
	SpreadPooled bool
	// FixedSeconds is the per-run cost included.
	FixedSeconds float64
	// Prunes is the mean number of prunes per build and PruneShare the
	// mean share of wall time spent in prunes.
	Prunes, PruneShare float64
	// BarrierIdleShare is the mean share of worker time idle at barriers.
	BarrierIdleShare float64
	// Extrapolated says the prediction relies on a scaling outside the
	// measured worker counts.
	Extrapolated bool
	// TooWide says Hi is more than MaxTestableRatio times Lo (or Lo is 0):
	// the interval is too wide to test the prediction.
	TooWide bool
	// Warnings explain limits of the prediction.
	Warnings []string
}

// Predict predicts the wall time of a full build (see the method at the top
// of this file). The result depends only on its input, seed included. It
// returns an error wrapping ErrNoData when there are no usable per-image
// observations, and an error for a build it cannot describe.
func Predict(in PredictInput) (Prediction, error) {
	return PredictContext(context.Background(), in)
}

// PredictContext is Predict, stopped once ctx is cancelled: the simulated
// builds look at ctx every checkEvery simulated events (not on every one,
// which keeps the hot path as fast as Predict's), so even a prediction of
// a huge build stops within milliseconds of a cancel, in the middle of a
// simulated build. It then returns an error wrapping ctx.Err() that names
// the prediction and how far it got; an uncancelled context gives
// Predict's result, draw for draw.
func PredictContext(ctx context.Context, in PredictInput) (Prediction, error) {
	p := Prediction{Workers: in.Workers, Batch: max(in.Batch, 0)}
	stop := newStopper(ctx)
	if in.Workers < 1 {
		return p, fmt.Errorf("predicting %d workers: need at least 1", in.Workers)
	}
	n := in.N
	// Sorted, so that the draws and the simulated order do not depend on
	// the order the target was listed in.
	repos := slices.Sorted(slices.Values(in.Repos))
	if len(repos) > 0 {
		if n != 0 && n != len(repos) {
			p.Warnings = append(p.Warnings, fmt.Sprintf("N = %d differs from the %d target repos: using the repos", n, len(repos)))
		}
		n = len(repos)
	}
	if n < 1 {
		return p, fmt.Errorf("predicting a build of %d images: need at least 1", n)
	}
	p.Images = n
	order := in.Order
	switch order {
	case "":
		order = OrderInput
	case OrderInput, OrderLPT:
	default:
		return p, fmt.Errorf("predicting with order %q: want %q or %q", in.Order, OrderInput, OrderLPT)
	}
	conf := in.Confidence
	if !(conf > 0 && conf < 1) {
		conf = DefaultConfidence
	}
	p.Confidence = conf
	reps := in.Reps
	if reps <= 0 {
		reps = DefaultReps
	}
	p.Reps = reps

	crowding := nonNeg(in.Crowding)
	cell, err := prepareCell(in.Images, in.Trials, crowding, in.Spread)
	if err != nil {
		return p, fmt.Errorf("predicting %d images at %d workers: %w", n, in.Workers, err)
	}
	p.Warnings = append(p.Warnings, cell.warnings...)
	p.Observations = cell.observations
	p.Units = len(cell.pooled)
	p.TrialFactors = cell.factors
	p.FactorLogSD, p.FactorDF, p.SpreadPooled = cell.spreadSD, cell.spreadDF, cell.usesPooled
	p.FixedSeconds = nonNeg(in.FixedSeconds) + cell.firstExtra
	if in.Batch > 0 && n > in.Batch {
		// Every batch after the first starts its images together again.
		p.FixedSeconds += float64((n+in.Batch-1)/in.Batch-1) * cell.syncExtra
	}

	scale := 1.0
	if in.Scaling.Factor > 0 && isFinite(in.Scaling.Factor) {
		scale = in.Scaling.Factor
		p.Extrapolated = in.Scaling.Extrapolated
		p.Warnings = append(p.Warnings, in.Scaling.Warnings...)
	}

	// Target strata: strata[stratum[i]] holds the observations image i is
	// drawn from (stratum 0: the pooled set); repos in first-seen order.
	strata := [][][]float64{cell.pooled}
	stratum := make([]int, n)
	index := map[string]int{}
	unseenRepos := map[string]bool{}
	unseenImages := 0
	for i := range stratum {
		if len(repos) == 0 {
			continue
		}
		repo := repos[i]
		obs, ok := cell.byRepo[repo]
		if !ok {
			unseenImages++
			unseenRepos[repo] = true
			continue
		}
		k, ok := index[repo]
		if !ok {
			k = len(strata)
			index[repo] = k
			strata = append(strata, obs)
		}
		stratum[i] = k
	}
	if unseenImages > 0 {
		p.Warnings = append(p.Warnings, UnseenRepos(unseenImages, n, len(unseenRepos))+": drawn from the pooled set")
	}
	if len(cell.pooled) < 30 {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"only %s: the draws can only reuse these values, so the interval understates the uncertainty", analyze.Plural(len(cell.pooled), "measured image")))
	}
	if reps < 200 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("only %d reps: the ends of the interval are noisy", reps))
	}

	if err := stop.now(); err != nil {
		return p, fmt.Errorf("predicting %d images at %d workers stopped before the first simulated build: %w", n, in.Workers, err)
	}
	// stopped is the result of a prediction stopped in its rep r.
	stopped := func(r int) (Prediction, error) {
		return Prediction{Images: n, Workers: p.Workers, Batch: p.Batch, Reps: reps},
			fmt.Errorf("predicting %d images at %d workers stopped after %d of %d simulated builds: %w", n, in.Workers, r, reps, stop.stopped())
	}
	rng := newRNG(in.Seed)
	draw := make([]float64, n)
	ordered := make([]float64, n)
	boot := make([][]int, len(strata)) // resampled image indexes per stratum
	for k, st := range strata {
		boot[k] = make([]int, len(st))
	}
	p.Samples = make([]float64, reps)
	var prunes, pruneShare, idleShare float64
	for r := range reps {
		f := cell.drawFactor(rng)
		for k, st := range strata {
			for j := range boot[k] {
				boot[k][j] = rng.IntN(len(st))
			}
		}
		// The draws count as events too, a rep's all at once (a test per
		// draw would slow the loop): a build big enough for its draws to
		// take long is as long to simulate, which looks every checkEvery.
		if stop.events(n) {
			return stopped(r)
		}
		for i := range draw {
			st, bs := strata[stratum[i]], boot[stratum[i]]
			obs := st[bs[rng.IntN(len(bs))]]
			draw[i] = obs[rng.IntN(len(obs))] * f * scale
		}
		ds := draw
		if order == OrderLPT {
			for j, k := range LPTOrder(draw) {
				ordered[j] = draw[k]
			}
			ds = ordered
		}
		res := simulate(Schedule{
			Durations: ds, Workers: in.Workers, Batch: in.Batch,
			FixedSeconds: p.FixedSeconds,
			DiskPerImage: in.DiskPerImage, DiskStart: in.DiskStart,
			PruneThreshold: in.PruneThreshold, PruneKeep: in.PruneKeep, PruneSeconds: in.PruneSeconds,
			Crowding: crowding,
		}, stop)
		if stop.stopped() != nil {
			return stopped(r)
		}
		if r == 0 {
			p.Warnings = append(p.Warnings, res.Warnings...)
		}
		p.Samples[r] = res.Makespan
		prunes += float64(res.Prunes)
		pruneShare += safeDiv(res.PruneSeconds, res.Makespan)
		idleShare += safeDiv(res.BarrierIdleSeconds, float64(in.Workers)*res.Makespan)
	}
	p.Prunes = prunes / float64(reps)
	p.PruneShare = pruneShare / float64(reps)
	p.BarrierIdleShare = idleShare / float64(reps)
	p.Median, p.Mean, p.Lo, p.Hi = summarize(p.Samples, conf)
	if p.Hi > 0 && !(p.Lo > 0 && p.Hi <= MaxTestableRatio*p.Lo) {
		p.TooWide = true
		p.Warnings = append(p.Warnings, p.WidthWarning())
	}
	p.ImagesPerHour = safeDiv(float64(n)*3600, p.Median)
	p.ImagesPerHourLo = safeDiv(float64(n)*3600, p.Hi)
	p.ImagesPerHourHi = safeDiv(float64(n)*3600, p.Lo)
	return p, nil
}

// cell is a sweep cell's observations prepared for drawing.
type cell struct {
	// pooled and byRepo hold images, each the list of its normalised
	// observations.
	pooled       [][]float64
	byRepo       map[string][][]float64
	observations int
	factors      []float64
	firstExtra   float64
	// syncExtra is the median of the trials' SyncStartSeconds.
	syncExtra float64
	// logMean and logSD are the mean and sample standard deviation of the
	// log factors (logSD 0 with fewer than 2).
	logMean, logSD float64
	// minF and maxF bound a drawn factor (see drawFactor).
	minF, maxF float64
	// spreadSD and spreadDF are the log-factor spread drawFactor draws
	// with and its degrees of freedom: the cell's own (logSD, k−1), or
	// the sweep's pooled Spread when usesPooled.
	spreadSD   float64
	spreadDF   int
	usesPooled bool
	warnings   []string
}

// prepareCell normalises the observations (see the method at the top of
// this file); with crowding above 0 each is first taken to seconds alone
// at its crowd (AloneSeconds), and the trial factors are then computed
// from those normalised seconds.
func prepareCell(images []ImageObs, trials []TrialObs, crowding float64, spread Spread) (cell, error) {
	var c cell
	// firsts counts each trial's first-wave images: each paid the extra.
	firsts := map[int]int{}
	for _, im := range images {
		if im.First {
			firsts[im.Trial]++
		}
	}
	extra := map[int]float64{}
	var extras []float64
	positive := false
	for _, t := range trials {
		e := t.FirstImageExtraSeconds
		if !isFinite(e) || e < 0 || (e == 0 && firsts[t.Trial] == 0) {
			continue
		}
		extra[t.Trial] = e
		extras = append(extras, e)
		positive = positive || e > 0
	}
	if positive {
		c.firstExtra = median(extras)
	}
	var warm []float64
	warmOf := map[int]float64{}
	for _, t := range trials {
		if e := t.WarmupSeconds; isFinite(e) && e >= 0 {
			warm = append(warm, e)
		}
	}
	for _, im := range images {
		if e := im.WarmupSeconds; isFinite(e) && e > 0 {
			warmOf[im.Trial] += e
		}
	}
	if len(warm) > 0 {
		c.firstExtra += median(warm)
	}
	var syncs []float64
	for _, t := range trials {
		if e := t.SyncStartSeconds; isFinite(e) && e >= 0 {
			syncs = append(syncs, e)
		}
	}
	if len(syncs) > 0 {
		c.syncExtra = median(syncs)
	}

	// Per-image costs with the first-image extra taken out.
	type obs struct {
		repo  string
		image string
		trial int
		s     float64
	}
	var all []obs
	bad := 0
	for _, im := range images {
		s := im.Seconds
		if !isFinite(s) || s < 0 {
			bad++
			continue
		}
		if im.First {
			s = math.Max(0, s-extra[im.Trial])
		}
		if e := im.WarmupSeconds; isFinite(e) && e > 0 {
			s = math.Max(0, s-e)
		}
		s = AloneSeconds(s, im.Crowd, crowding)
		all = append(all, obs{im.Repo, im.Image, im.Trial, s})
	}
	if bad > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("dropped %d non-finite or negative image seconds", bad))
	}
	if len(all) == 0 {
		return c, ErrNoData
	}
	var pooledMean float64
	for _, o := range all {
		pooledMean += o.s
	}
	pooledMean /= float64(len(all))

	// paid is the extra a trial's first wave paid in all (at least one
	// image, as before First could mark more than one).
	paid := func(trial int) float64 { return extra[trial]*float64(max(firsts[trial], 1)) + warmOf[trial] }

	// Trial speed factors: trial mean image seconds / pooled mean.
	factorOf := map[int]float64{}
	if pooledMean > 0 {
		byTrial := map[int][]float64{}
		for _, o := range all {
			byTrial[o.trial] = append(byTrial[o.trial], o.s)
		}
		for _, t := range trials {
			var m float64
			switch {
			case crowding > 0 && len(byTrial[t.Trial]) > 0:
				// The trial's sums are in measured seconds; the
				// observations are in seconds alone.
				m = stat.Mean(byTrial[t.Trial], nil)
			case t.Images > 0 && t.SumImageSeconds > 0 && isFinite(t.SumImageSeconds):
				m = math.Max(0, t.SumImageSeconds-paid(t.Trial)) / float64(t.Images)
			case len(t.ImageSeconds) > 0:
				m = math.Max(0, floats.Sum(t.ImageSeconds)-paid(t.Trial)) / float64(len(t.ImageSeconds))
			case len(byTrial[t.Trial]) > 0:
				m = stat.Mean(byTrial[t.Trial], nil)
			default:
				continue
			}
			if f := m / pooledMean; isFinite(f) && f > 0 {
				factorOf[t.Trial] = f
				c.factors = append(c.factors, f)
			}
		}
	}
	if len(c.factors) >= 2 {
		logs := make([]float64, len(c.factors))
		for i, f := range c.factors {
			logs[i] = math.Log(f)
		}
		c.logMean, c.logSD = stat.MeanStdDev(logs, nil)
		if !isFinite(c.logSD) {
			c.logMean, c.logSD = 0, 0
		}
		lo, hi := slices.Min(c.factors), slices.Max(c.factors)
		w := math.Pow(hi/lo, FactorWidening)
		c.minF, c.maxF = lo/w, hi*w
	}
	k := len(c.factors)
	switch {
	case spread.Usable(max(k-1, 0)):
		c.spreadSD, c.spreadDF, c.usesPooled = spread.LogSD, spread.DF, true
		switch k {
		case 1:
			c.logMean = math.Log(c.factors[0])
		case 0:
			c.warnings = append(c.warnings, "no trial speed factors of this cell: its images are used as measured, and the new build's speed is drawn with the sweep's pooled between-trial spread")
		}
	case k >= 2 && c.logSD > 0:
		c.spreadSD, c.spreadDF = c.logSD, k-1
	}
	switch {
	case c.usesPooled:
	case k == 0:
		c.warnings = append(c.warnings, "no trial speed factors: the interval covers image resampling only, not the machine's between-trial spread")
	case k == 1:
		c.warnings = append(c.warnings, "only 1 trial speed factor: the machine's between-trial spread is unknown and not in the interval")
	case k == 2:
		c.warnings = append(c.warnings, fmt.Sprintf(
			"only 2 trial speed factors: the machine's between-trial spread is poorly known; the predicted build's factor is bounded to %.3g-%.3g (the measured %.3g-%.3g, its low end divided and its high end multiplied by (max/min)^%.3g = %.3g), which holds a new trial only about 3 times in 4: the interval is a plausible range, not a confidence interval",
			c.minF, c.maxF, slices.Min(c.factors), slices.Max(c.factors), FactorWidening, c.maxF/slices.Max(c.factors)))
	case k == 3:
		c.warnings = append(c.warnings, "only 3 trial speed factors: the machine's between-trial spread is poorly known")
	}

	c.byRepo = map[string][][]float64{}
	c.observations = len(all)
	// Images in first-seen order: where is image i in pooled and in its
	// repo's list.
	type place struct{ pooled, repo int }
	places := map[[2]string]place{}
	unmatched := 0
	for _, o := range all {
		s := o.s
		if f, ok := factorOf[o.trial]; ok {
			s /= f
		} else if len(c.factors) > 0 {
			unmatched++
		}
		key := [2]string{o.repo, o.image}
		pl, ok := places[key]
		if !ok || o.image == "" {
			pl = place{len(c.pooled), len(c.byRepo[o.repo])}
			c.pooled = append(c.pooled, nil)
			c.byRepo[o.repo] = append(c.byRepo[o.repo], nil)
			places[key] = pl
		}
		c.pooled[pl.pooled] = append(c.pooled[pl.pooled], s)
		c.byRepo[o.repo][pl.repo] = append(c.byRepo[o.repo][pl.repo], s)
	}
	if unmatched > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("%d image observations belong to no trial with a speed factor: used unnormalised", unmatched))
	}
	return c, nil
}

// drawFactor draws the machine's speed factor for one simulated build. The
// full build is a new trial, not one of the k observed ones: with k >= 2
// factors and a spread, it is drawn from the posterior predictive of a
// lognormal, exp(m + s·sqrt(1+1/k)·T), m and s the mean and standard
// deviation of the log factors and T Student's t with k−1 degrees of
// freedom. Drawing among the k observed factors instead bounds the interval
// by their range, which three or four trials of a quiet machine make a
// percent or two wide: too narrow for the next run (a measured build fell
// outside such an interval by 0.5%; VALIDATION-notes.md).
//
// The draw is then clamped to [minF, maxF]: the observed factors' range
// widened on the log scale by FactorWidening (1.5) times its own width at
// each end. Without a bound the predictive is useless for the few trials a
// sweep affords: with k = 2 it is a Cauchy (t with 1 degree of freedom),
// whose 90% interval spans ±6.3 scaled standard deviations, factors some
// 60x apart for two trials 25% apart, and whose draws predicted builds 3x
// faster than any trial ever measured. The bound is a statement about the
// machine, not a fit: a new trial is taken to be at most 1.5 measured
// ranges outside the measured range. Under a lognormal spread a new trial
// falls inside that bound with probability 0.74 at k = 2 ((2/π)·atan(2·√(4/3))),
// 0.92 at k = 3, 0.97 at k = 4 and 0.99 at k = 5 (simulated). The bound is
// applied while the t has no finite variance (k <= 3, MaxBoundedTrials):
// at k = 3 it touches mostly draws beyond the 90% interval's ends, and at
// k = 2 the interval is the bound itself, a plausible range that holds a
// new trial about 3 times in 4 rather than a 90% interval, which the
// cell's warning says. From k = 4 on the t has a finite variance and the
// bound would hold a new trial 97% of the time or more, so it is not
// applied: those predictions are the t predictive's, unchanged. Clamping
// rather than rejecting keeps the random stream, and so every other draw,
// unchanged.
//
// With the sweep's pooled spread (usesPooled), the draw is
// exp(m + s·sqrt(1+1/k)·T) with s the pooled standard deviation and T's
// degrees of freedom the pooled ones, at least MinPooledDF: a t with a
// finite variance, so it is not bounded.
func (c *cell) drawFactor(rng *rand.Rand) float64 {
	k := len(c.factors)
	switch {
	case c.usesPooled:
		return math.Exp(c.logMean + c.spreadSD*math.Sqrt(1+1/float64(max(k, 1)))*studentT(rng, c.spreadDF))
	case k == 0:
		return 1
	case k == 1 || !(c.logSD > 0):
		return c.factors[rng.IntN(k)]
	}
	f := math.Exp(c.logMean + c.logSD*math.Sqrt(1+1/float64(k))*studentT(rng, k-1))
	if k <= MaxBoundedTrials {
		f = math.Min(math.Max(f, c.minF), c.maxF)
	}
	return f
}

// WidthWarning is the warning of a TooWide prediction (its interval, the
// factor it spans, and that it cannot test the prediction), "" when the
// interval is narrow enough to test one. Predict puts it in Warnings; a
// caller that shows another prediction than its pick (a runner-up whose
// interval decided that two candidates are not separated) repeats it.
func (p Prediction) WidthWarning() string {
	if !p.TooWide {
		return ""
	}
	return fmt.Sprintf("the interval %s-%s spans a factor of %s (more than %.0fx): it is too wide to test the prediction: run more reps",
		analyze.FormatSeconds(p.Lo), analyze.FormatSeconds(p.Hi), ratioText(p.Lo, p.Hi), MaxTestableRatio)
}

// ratioText is hi/lo as "2.5x", or "infinity" when lo is 0. It has
// enough digits that a ratio above MaxTestableRatio never reads as equal
// to it ("2.05x", not "2x (more than 2x)").
func ratioText(lo, hi float64) string {
	if !(lo > 0) {
		return "infinity"
	}
	r := hi / lo
	s := fmt.Sprintf("%.2g", r)
	for prec := 3; prec <= 6; prec++ {
		if v, err := strconv.ParseFloat(s, 64); err != nil || r <= MaxTestableRatio || v > MaxTestableRatio {
			break
		}
		s = strconv.FormatFloat(r, 'g', prec, 64)
	}
	return s + "x"
}

// studentT draws Student's t with nu >= 1 degrees of freedom: a standard
// normal over the root of a chi-square (a sum of nu squared normals) / nu.
func studentT(rng *rand.Rand, nu int) float64 {
	var chi2 float64
	for range nu {
		z := rng.NormFloat64()
		chi2 += z * z
	}
	return rng.NormFloat64() / math.Sqrt(chi2/float64(nu))
}

// Scaling rescales per-image seconds measured at one worker count to
// another.
type Scaling struct {
	// Factor multiplies per-image seconds (0 in a zero Scaling: none).
	Factor float64
	// Measured and Target are the worker counts.
	Measured, Target int
	// Extrapolated says Target is outside the measured worker counts.
	Extrapolated bool
	Warnings     []string
}

// ScaleForWorkers returns the factor by which per-image seconds measured at
// measured workers grow at target workers under contention, from a USL fit
// of throughput against workers: with X(n) the fitted throughput, an image
// at n workers takes n/X(n), so the factor is (target/X(target)) /
// (measured/X(measured)). minW and maxW are the smallest and largest
// measured worker counts (both 0: only measured); a target outside them is
// marked Extrapolated, with a warning, and the fit's own warnings are
// passed on.
func ScaleForWorkers(fit analyze.USLFit, measured, target, minW, maxW int) (Scaling, error) {
	s := Scaling{Measured: measured, Target: target}
	if measured < 1 || target < 1 {
		return s, fmt.Errorf("scaling from %d to %d workers: worker counts must be >= 1", measured, target)
	}
	xm, xt := fit.Throughput(float64(measured)), fit.Throughput(float64(target))
	if !(xm > 0 && xt > 0 && isFinite(xm) && isFinite(xt)) {
		return s, fmt.Errorf("scaling from %d to %d workers: fitted throughput %.4g and %.4g must be positive", measured, target, xm, xt)
	}
	s.Factor = (float64(target) / xt) / (float64(measured) / xm)
	if minW == 0 && maxW == 0 {
		minW, maxW = measured, measured
	}
	if target < minW || target > maxW {
		s.Extrapolated = true
		s.Warnings = append(s.Warnings, fmt.Sprintf(
			"%s at once is outside the measured %d-%d: per-image seconds extrapolated by the USL fit (x%.3g)", analyze.Plural(target, "build"), minW, maxW, s.Factor))
	}
	for _, w := range fit.Warnings {
		s.Warnings = append(s.Warnings, "usl fit: "+w)
	}
	return s, nil
}

// FixedCost estimates a configuration's fixed per-run cost: for each trial
// with ImageSeconds, its wall time minus the simulated makespan of its own
// image seconds (in start order, at workers and batch, no prunes). fixed is
// the median over trials and ci the distribution-free 95% interval of that
// median (analyze.Summary), each clamped at 0.
func FixedCost(trials []TrialObs, workers, batch int) (fixed float64, ci [2]float64, warnings []string) {
	var xs []float64
	skipped := 0
	for _, t := range trials {
		if len(t.ImageSeconds) == 0 || !isFinite(t.WallSeconds) {
			skipped++
			continue
		}
		sim := Simulate(Schedule{Durations: t.ImageSeconds, Workers: workers, Batch: batch})
		xs = append(xs, t.WallSeconds-sim.Makespan)
	}
	if skipped > 0 {
		warnings = append(warnings, fmt.Sprintf("%d trials without per-image seconds skipped", skipped))
	}
	if len(xs) == 0 {
		warnings = append(warnings, "no trial to estimate the fixed cost from")
		return 0, ci, warnings
	}
	s := analyze.Summary(xs, analyze.DefaultConfidence)
	warnings = append(warnings, s.Warnings...)
	if s.Median < 0 {
		warnings = append(warnings, fmt.Sprintf("median fixed cost %.3g s is negative (the simulation overestimates the trials): clamped at 0", s.Median))
	}
	return math.Max(0, s.Median), [2]float64{math.Max(0, s.Lo), math.Max(0, s.Hi)}, warnings
}

// Loss is an estimated relative loss with its interval.
type Loss struct {
	// Median and Mean of the loss, and the central Confidence interval
	// [Lo, Hi] over Reps resamples.
	Median, Mean, Lo, Hi float64
	Confidence           float64
	Reps                 int
	Warnings             []string
}

// BarrierLoss estimates the share of wall time lost to batch barriers: per
// rep it draws n durations with replacement, and computes (batched −
// stream) / batched from the makespans of the same draw built in batches of
// batch and as a stream, at workers workers. reps <= 0 means DefaultReps;
// the interval has DefaultConfidence.
func BarrierLoss(durations []float64, workers, batch, n, reps int, seed uint64) Loss {
	l := Loss{Confidence: DefaultConfidence}
	if reps <= 0 {
		reps = DefaultReps
	}
	l.Reps = reps
	var ds []float64
	for _, d := range durations {
		if isFinite(d) && d >= 0 {
			ds = append(ds, d)
		}
	}
	switch {
	case len(ds) == 0:
		l.Warnings = append(l.Warnings, "no durations: nothing to resample")
		return l
	case n < 1 || workers < 1:
		l.Warnings = append(l.Warnings, fmt.Sprintf("n = %d images at %d workers: nothing to simulate", n, workers))
		return l
	case batch <= 0:
		l.Warnings = append(l.Warnings, "batch is a stream: no barriers")
		return l
	}
	rng := newRNG(seed)
	draw := make([]float64, n)
	losses := make([]float64, reps)
	for r := range losses {
		for i := range draw {
			draw[i] = ds[rng.IntN(len(ds))]
		}
		b := Simulate(Schedule{Durations: draw, Workers: workers, Batch: batch}).Makespan
		s := Simulate(Schedule{Durations: draw, Workers: workers}).Makespan
		losses[r] = safeDiv(b-s, b)
	}
	l.Median, l.Mean, l.Lo, l.Hi = summarize(losses, l.Confidence)
	return l
}

// summarize returns the median, mean and central conf interval of xs (not
// modified, not empty).
func summarize(xs []float64, conf float64) (med, mean, lo, hi float64) {
	s := slices.Clone(xs)
	sort.Float64s(s)
	return quantile(s, 0.5), stat.Mean(s, nil), quantile(s, (1-conf)/2), quantile(s, (1+conf)/2)
}

// quantile is the p-quantile of sorted, non-empty s, interpolated between
// order statistics at h = (n-1)p (Hyndman-Fan type 7, R's default). Unlike
// gonum's stat.LinInterp it is symmetric: the (1-p)-quantile of -s is minus
// the p-quantile of s, so a central interval is centred.
func quantile(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	i := int(math.Floor(h))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

func median(xs []float64) float64 {
	med, _, _, _ := summarize(xs, DefaultConfidence)
	return med
}

func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// UnseenRepos says how many of a target's images belong to repos the
// sweep never built: "1 of 25 target images (1 repo) has no observations
// of its repo", "7 of 40 ... (2 repos) have no observations of their repo".
func UnseenRepos(unseen, images, repos int) string {
	verb, whose := "have", "their"
	if unseen == 1 {
		verb, whose = "has", "its"
	}
	return fmt.Sprintf("%d of %d target images (%s) %s no observations of %s repo",
		unseen, images, analyze.Plural(repos, "repo"), verb, whose)
}
