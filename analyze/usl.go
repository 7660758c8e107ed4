package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat"
)

// USLFit is a fit of the Universal Scalability Law
//
//	X(N) = Lambda*N / (1 + Sigma*(N-1) + Kappa*N*(N-1))
//
// to throughput X against workers N. Sigma is contention, Kappa coherency
// (crosstalk); Kappa = 0 is Amdahl's law.
type USLFit struct {
	Lambda, Sigma, Kappa float64
	// R2 is the coefficient of determination of the fit (0, with a
	// warning, when the throughputs do not vary).
	R2 float64
	// NStar is the worker count of peak throughput, sqrt((1-Sigma)/Kappa),
	// when Kappa > 0 and Sigma < 1 (at least 1: a peak below one worker
	// means throughput falls from the first); 1 when Sigma >= 1
	// (throughput never rises above one worker's); 0 when throughput has
	// no finite peak (Kappa = 0, Sigma < 1: it keeps rising). A 0 that
	// stood for Sigma >= 1 too read as "no peak, add workers" in reports.
	NStar float64
	// PeakThroughput is X(NStar) (0 when NStar is 0).
	PeakThroughput float64
	// Points is the number of (N, X) pairs and DistinctN the number of
	// distinct worker counts among them.
	Points, DistinctN int
	// Amdahl is true when Kappa was held at 0.
	Amdahl bool
	// Warnings explain limits of the fit.
	Warnings []string
}

// Throughput returns the fitted X(n).
func (f USLFit) Throughput(n float64) float64 {
	return uslX(f.Lambda, f.Sigma, f.Kappa, n)
}

func uslX(lambda, sigma, kappa, n float64) float64 {
	return lambda * n / (1 + sigma*(n-1) + kappa*n*(n-1))
}

// FitUSL fits the Universal Scalability Law to throughput measured at the
// given worker counts (paired slices; repeated worker counts are fine) by
// nonlinear least squares. Sigma and Kappa are kept >= 0 by fitting their
// square roots; for given Sigma and Kappa the least-squares Lambda is
// solved in closed form, and the remaining two parameters are minimised
// with Nelder-Mead (gonum/optimize) from several starts, the Amdahl
// boundary (Kappa = 0) included.
//
// With fewer than 3 distinct worker counts Kappa cannot be fitted: the
// result is the Amdahl fit, with a warning.
func FitUSL(workers, throughput []float64) (USLFit, error) {
	return fitUSL(workers, throughput, false, nil)
}

// FitAmdahl fits Amdahl's law, the USL with Kappa = 0:
// X(N) = Lambda*N / (1 + Sigma*(N-1)). Throughput then rises towards
// Lambda/Sigma without a peak.
func FitAmdahl(workers, throughput []float64) (USLFit, error) {
	return fitUSL(workers, throughput, true, nil)
}

// fitUSL fits the USL (or Amdahl's law). Without warm it searches from a
// fixed grid of starts; with warm, such as a bootstrap resample's point
// fit, it searches only from there and from the Amdahl boundary near it.
func fitUSL(workers, throughput []float64, amdahl bool, warm *uslParams) (USLFit, error) {
	name := "fitting usl"
	if amdahl {
		name = "fitting amdahl"
	}
	if len(workers) != len(throughput) {
		return USLFit{}, fmt.Errorf("%s: %d worker counts, %d throughputs: %w", name, len(workers), len(throughput), ErrLength)
	}
	if len(workers) == 0 {
		return USLFit{}, fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	distinct := map[float64]bool{}
	anyPositive := false
	for i := range workers {
		n, x := workers[i], throughput[i]
		if !isFinite(n) || !isFinite(x) {
			return USLFit{}, fmt.Errorf("%s: point %d (%v, %v): %w", name, i, n, x, ErrNotFinite)
		}
		if n <= 0 {
			return USLFit{}, fmt.Errorf("%s: point %d: workers %v <= 0: %w", name, i, n, ErrInvalid)
		}
		if x < 0 {
			return USLFit{}, fmt.Errorf("%s: point %d: throughput %v < 0: %w", name, i, x, ErrInvalid)
		}
		anyPositive = anyPositive || x > 0
		distinct[n] = true
	}
	if !anyPositive {
		return USLFit{}, fmt.Errorf("%s: every throughput is 0: %w", name, ErrInvalid)
	}
	f := USLFit{Points: len(workers), DistinctN: len(distinct), Amdahl: amdahl}
	if f.DistinctN < 2 {
		return USLFit{}, fmt.Errorf("%s: need at least 2 distinct worker counts, have %d: %w", name, f.DistinctN, ErrTooFewPoints)
	}
	if !amdahl && f.DistinctN < 3 {
		f.Amdahl = true
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"only %d distinct worker counts: cannot fit kappa; fitted Amdahl's law (kappa = 0)", f.DistinctN))
	}
	params := 3
	if f.Amdahl {
		params = 2
	}
	if f.DistinctN == params {
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"%d distinct worker counts for %d parameters: no degrees of freedom left to check the model", f.DistinctN, params))
	}

	// lambdaFor returns the least-squares lambda and the residual sum of
	// squares for fixed sigma and kappa.
	lambdaFor := func(sigma, kappa float64) (lambda, ssr float64) {
		var xg, gg float64
		for i, n := range workers {
			g := uslX(1, sigma, kappa, n)
			xg += throughput[i] * g
			gg += g * g
		}
		if gg == 0 || !isFinite(gg) {
			return 0, math.Inf(1)
		}
		lambda = xg / gg
		for i, n := range workers {
			r := throughput[i] - uslX(lambda, sigma, kappa, n)
			ssr += r * r
		}
		return lambda, ssr
	}
	settings := &optimize.Settings{
		Converger:       &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-12, Iterations: 200},
		FuncEvaluations: 20000,
	}
	if warm != nil {
		// A resample's optimum is near the warm start: stop after fewer
		// iterations without improvement.
		settings.Converger = &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-12, Iterations: 40}
	}
	bestSSR := math.Inf(1)
	var bestSigma, bestKappa float64
	consider := func(sigma, kappa float64) {
		if _, ssr := lambdaFor(sigma, kappa); ssr < bestSSR {
			bestSSR, bestSigma, bestKappa = ssr, sigma, kappa
		}
	}
	starts := []float64{0.05, 0.3, 0.7, 1.0}
	kstarts := []float64{0.01, 0.05, 0.2}
	if warm != nil {
		starts = []float64{math.Max(math.Sqrt(warm.sigma), 0.01)}
		kstarts = []float64{math.Max(math.Sqrt(warm.kappa), 0.01)}
	}
	// Amdahl boundary: minimise over s with sigma = s^2, kappa = 0.
	for _, s0 := range starts {
		prob := optimize.Problem{Func: func(x []float64) float64 {
			_, ssr := lambdaFor(x[0]*x[0], 0)
			return ssr
		}}
		res, err := optimize.Minimize(prob, []float64{s0}, settings, &optimize.NelderMead{})
		if err == nil && res != nil {
			consider(res.X[0]*res.X[0], 0)
		}
	}
	if !f.Amdahl {
		for _, s0 := range starts {
			for _, k0 := range kstarts {
				prob := optimize.Problem{Func: func(x []float64) float64 {
					_, ssr := lambdaFor(x[0]*x[0], x[1]*x[1])
					return ssr
				}}
				res, err := optimize.Minimize(prob, []float64{s0, k0}, settings, &optimize.NelderMead{})
				if err != nil || res == nil {
					continue
				}
				sigma, kappa := res.X[0]*res.X[0], res.X[1]*res.X[1]
				// Prefer the Amdahl boundary unless kappa really helps.
				if _, ssr := lambdaFor(sigma, kappa); ssr < bestSSR*(1-1e-9)-1e-300 {
					bestSSR, bestSigma, bestKappa = ssr, sigma, kappa
				}
			}
		}
	}
	if math.IsInf(bestSSR, 1) {
		return USLFit{}, fmt.Errorf("%s: optimisation failed: %w", name, ErrInvalid)
	}
	f.Sigma, f.Kappa = bestSigma, bestKappa
	f.Lambda, _ = lambdaFor(f.Sigma, f.Kappa)

	mean := stat.Mean(throughput, nil)
	var sst float64
	for _, x := range throughput {
		sst += (x - mean) * (x - mean)
	}
	if sst > 0 {
		f.R2 = 1 - bestSSR/sst
	} else {
		f.Warnings = append(f.Warnings, "throughput does not vary: R^2 undefined")
	}

	if sst > 0 && f.R2 < 0.8 {
		f.Warnings = append(f.Warnings, fmt.Sprintf("poor fit (R^2 = %.3g): the model does not describe these data", f.R2))
	}
	if f.Sigma > 1e6 {
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"sigma diverged (%.3g): throughput falls faster than the model allows; lambda and sigma are not meaningful", f.Sigma))
	}

	maxN := 0.0
	for n := range distinct {
		maxN = math.Max(maxN, n)
	}
	switch {
	case f.Kappa > 0 && f.Sigma < 1:
		f.NStar = uslNStar(f.Sigma, f.Kappa)
		f.PeakThroughput = f.Throughput(f.NStar)
		if f.NStar > maxN {
			f.Warnings = append(f.Warnings, fmt.Sprintf(
				"optimum N*=%.3g lies beyond the largest measured worker count %v: an extrapolation", f.NStar, maxN))
		}
	case f.Sigma >= 1:
		f.NStar = 1
		f.PeakThroughput = f.Throughput(1)
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"sigma=%.3g >= 1: adding workers never raises throughput above one worker's", f.Sigma))
	default:
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"kappa = 0: throughput has no peak; it approaches lambda/sigma = %.4g", safeDiv(f.Lambda, f.Sigma)))
	}
	return f, nil
}

// USLModel is a USL fit with bootstrap percentile intervals for its
// parameters. The embedded USLFit is the point fit to all the data; its
// Warnings also carry the bootstrap's warnings.
type USLModel struct {
	USLFit
	// Confidence is the level of the intervals (such as 0.95); Reps is
	// the number of resamples whose fit succeeded, of Requested; Seed is
	// the seed they were drawn from.
	Confidence      float64
	Reps, Requested int
	Seed            uint64
	// [SigmaLo, SigmaHi], [KappaLo, KappaHi], [LambdaLo, LambdaHi] and
	// [NStarLo, NStarHi] are percentile intervals over the bootstrap fits.
	// A resample with Kappa = 0 has no peak (N* infinite); when such
	// resamples reach an end of the N* interval, that end is reported as 0
	// with a warning.
	SigmaLo, SigmaHi   float64
	KappaLo, KappaHi   float64
	LambdaLo, LambdaHi float64
	NStarLo, NStarHi   float64

	boot []uslParams
}

type uslParams struct{ lambda, sigma, kappa float64 }

// ThroughputInterval returns the median and the percentile interval, at
// the model's Confidence, of the bootstrap fits' throughput at n workers.
// Without bootstrap fits all three are the point fit's Throughput(n).
func (m USLModel) ThroughputInterval(n float64) (med, lo, hi float64) {
	if len(m.boot) == 0 {
		x := m.Throughput(n)
		return x, x, x
	}
	xs := make([]float64, len(m.boot))
	for i, b := range m.boot {
		xs[i] = uslX(b.lambda, b.sigma, b.kappa, n)
	}
	return Percentile(xs, 0.5), Percentile(xs, (1-m.Confidence)/2), Percentile(xs, (1+m.Confidence)/2)
}

// FitUSLBootstrap fits the USL like FitUSL and adds bootstrap percentile
// intervals at the given confidence (DefaultConfidence if not in (0, 1))
// from reps resamples (DefaultReps if reps <= 0) drawn from seed. The
// resampling is stratified: each resample draws, for every distinct worker
// count, as many points as it has, with replacement, from that count's
// own points, so every resample keeps all worker counts. A worker count
// measured once is therefore the same in every resample: give each count
// several repetitions, or the intervals understate the uncertainty (a
// warning says so). Resamples whose fit fails are skipped, with a warning.
// The result depends only on its arguments.
func FitUSLBootstrap(workers, throughput []float64, reps int, seed uint64, confidence float64) (USLModel, error) {
	point, err := FitUSL(workers, throughput)
	if err != nil {
		return USLModel{}, fmt.Errorf("bootstrapping: %w", err)
	}
	m := USLModel{USLFit: point, Seed: seed}
	if !(confidence > 0 && confidence < 1) {
		m.Warnings = append(m.Warnings, fmt.Sprintf("confidence %v is not in (0, 1): using %v", confidence, DefaultConfidence))
		confidence = DefaultConfidence
	}
	if reps <= 0 {
		reps = DefaultReps
	}
	m.Confidence, m.Requested = confidence, reps

	strata := strataOf(workers)
	single := 0
	for _, idx := range strata {
		if len(idx) == 1 {
			single++
		}
	}
	if single > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf(
			"%d of %d worker counts have a single point, which every resample repeats: the intervals understate the uncertainty",
			single, len(strata)))
	}

	warm := uslParams{point.Lambda, point.Sigma, point.Kappa}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	ns := make([]float64, len(workers))
	xs := make([]float64, len(workers))
	failed := 0
	for r := 0; r < reps; r++ {
		stratifiedResample(rng, strata, workers, throughput, ns, xs)
		f, err := fitUSL(ns, xs, false, &warm)
		if err != nil {
			failed++
			continue
		}
		m.boot = append(m.boot, uslParams{f.Lambda, f.Sigma, f.Kappa})
	}
	m.Reps = len(m.boot)
	if failed > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%d of %d resamples could not be fitted and were skipped", failed, reps))
	}
	if m.Reps == 0 {
		m.Warnings = append(m.Warnings, "no resample could be fitted: intervals are the point estimates")
		m.SigmaLo, m.SigmaHi = m.Sigma, m.Sigma
		m.KappaLo, m.KappaHi = m.Kappa, m.Kappa
		m.LambdaLo, m.LambdaHi = m.Lambda, m.Lambda
		m.NStarLo, m.NStarHi = m.NStar, m.NStar
		return m, nil
	}
	if m.Reps < 200 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("only %d resamples: the ends of the intervals are noisy", m.Reps))
	}

	qLo, qHi := (1-confidence)/2, (1+confidence)/2
	interval := func(get func(uslParams) float64) (lo, hi float64) {
		v := make([]float64, len(m.boot))
		for i, b := range m.boot {
			v[i] = get(b)
		}
		return Percentile(v, qLo), Percentile(v, qHi)
	}
	m.SigmaLo, m.SigmaHi = interval(func(b uslParams) float64 { return b.sigma })
	m.KappaLo, m.KappaHi = interval(func(b uslParams) float64 { return b.kappa })
	m.LambdaLo, m.LambdaHi = interval(func(b uslParams) float64 { return b.lambda })

	// N* is +Inf when kappa = 0; Percentile ignores non-finite values, so
	// place the quantiles by hand on the sorted values, +Inf last.
	nstar := make([]float64, len(m.boot))
	noPeak := 0
	for i, b := range m.boot {
		nstar[i] = uslNStar(b.sigma, b.kappa)
		if math.IsInf(nstar[i], 1) {
			noPeak++
		}
	}
	sort.Float64s(nstar)
	m.NStarLo = quantileWithInf(nstar, qLo)
	m.NStarHi = quantileWithInf(nstar, qHi)
	if math.IsInf(m.NStarHi, 1) || math.IsInf(m.NStarLo, 1) {
		m.Warnings = append(m.Warnings, fmt.Sprintf(
			"kappa = 0 (no peak, N* infinite) in %d of %d resamples: N* has no finite upper bound (its interval runs to infinity; analysis.json writes that end as 0)", noPeak, m.Reps))
		if math.IsInf(m.NStarLo, 1) {
			m.NStarLo = 0
		}
		m.NStarHi = 0
	}
	return m, nil
}

// uslNStar is the worker count of peak throughput, sqrt((1-sigma)/kappa)
// and at least 1, +Inf when kappa = 0 (no peak), and 1 when sigma >= 1
// (throughput falls, or stays flat, from one worker on: its peak is the
// first worker).
func uslNStar(sigma, kappa float64) float64 {
	if sigma >= 1 {
		return 1
	}
	if kappa <= 0 {
		return math.Inf(1)
	}
	return math.Max(1, math.Sqrt((1-sigma)/kappa))
}

// quantileWithInf is stat.LinInterp's p-quantile of sorted values that
// may end in +Inf: +Inf when the quantile needs one of them. LinInterp
// puts the quantile at the 1-based position h = p*n, between x(floor h)
// and x(ceil h), so it needs x(ceil h) and nothing beyond.
func quantileWithInf(sorted []float64, p float64) float64 {
	finiteN := len(sorted)
	for finiteN > 0 && math.IsInf(sorted[finiteN-1], 1) {
		finiteN--
	}
	if need := max(1, int(math.Ceil(p*float64(len(sorted))))); need > finiteN {
		return math.Inf(1)
	}
	return stat.Quantile(p, stat.LinInterp, sorted, nil)
}

// strataOf groups point indexes by worker count, in ascending order of
// worker count so that resampling does not depend on map order.
func strataOf(workers []float64) [][]int {
	byN := map[float64][]int{}
	for i, n := range workers {
		byN[n] = append(byN[n], i)
	}
	keys := make([]float64, 0, len(byN))
	for n := range byN {
		keys = append(keys, n)
	}
	sort.Float64s(keys)
	strata := make([][]int, len(keys))
	for i, n := range keys {
		strata[i] = byN[n]
	}
	return strata
}

// stratifiedResample fills ns and xs with one stratified resample: for
// every stratum, len(stratum) points drawn with replacement from it.
func stratifiedResample(rng *rand.Rand, strata [][]int, workers, throughput, ns, xs []float64) {
	k := 0
	for _, idx := range strata {
		for range idx {
			j := idx[rng.IntN(len(idx))]
			ns[k], xs[k] = workers[j], throughput[j]
			k++
		}
	}
}
