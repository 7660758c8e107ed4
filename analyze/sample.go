package analyze

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Sample summarises one sample: its extremes, mean, median and a
// distribution-free confidence interval for the median.
type Sample struct {
	// N is the number of finite values summarised.
	N int
	// Min, Max, Mean and Median of the finite values (0 when N == 0).
	Min, Max, Mean, Median float64
	// Lo and Hi bound the confidence interval for the median. They are
	// order statistics x(k) and x(N+1-k), chosen as the narrowest such
	// pair whose coverage under Binomial(N, 1/2) is at least the requested
	// confidence. When N is too small for that, they are Min and Max and a
	// warning says so.
	Lo, Hi float64
	// Confidence is the actual coverage of [Lo, Hi]: at least the
	// requested confidence, or less when a warning says N is too small.
	Confidence float64
	// Q1 and Q3 are the first and third quartiles and IQR = Q3 - Q1, by
	// Percentile's estimator (Hyndman and Fan's definition 4, gonum's
	// stat.LinInterp). Q1 <= Median <= Q3.
	Q1, Q3, IQR float64
	// Warnings explain anything that limits the summary.
	Warnings []string
}

// Summary summarises xs, a sample in any order (it is not modified), with
// the median's confidence interval at the given confidence level (such as
// 0.95). NaN and infinite values are dropped with a warning.
func Summary(xs []float64, confidence float64) Sample {
	var s Sample
	if !(confidence > 0 && confidence < 1) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("confidence %v is not in (0, 1): using %v", confidence, DefaultConfidence))
		confidence = DefaultConfidence
	}
	vals, dropped := finite(xs)
	if dropped > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("dropped %d non-finite values", dropped))
	}
	s.N = len(vals)
	if s.N == 0 {
		s.Warnings = append(s.Warnings, "no samples")
		return s
	}
	sort.Float64s(vals)
	s.Min, s.Max = vals[0], vals[s.N-1]
	s.Mean = stat.Mean(vals, nil)
	s.Median = sortedMedian(vals)
	s.Q1 = stat.Quantile(0.25, stat.LinInterp, vals, nil)
	s.Q3 = stat.Quantile(0.75, stat.LinInterp, vals, nil)
	s.IQR = s.Q3 - s.Q1

	lo, hi, conf := medianCI(s.N, confidence)
	s.Lo, s.Hi, s.Confidence = vals[lo], vals[hi], conf
	if conf < confidence {
		need := medianCISamples(confidence)
		s.Warnings = append(s.Warnings, fmt.Sprintf(
			"need at least %d samples for a %v confidence interval of the median, have %d: [min, max] covers only %.4g",
			need, confidence, s.N, conf))
	}
	return s
}

// medianCI returns the 0-based indexes lo, hi of the order statistics that
// bound the median's confidence interval for a sorted sample of n >= 1
// values, and the interval's coverage.
//
// The interval [x(k), x(n+1-k)] (1-based) contains the population median
// unless at most k-1 or at least n+1-k values fall below it; the number
// below is Binomial(n, 1/2), so the coverage is 1 - 2*P(B <= k-1). The
// largest k with coverage >= confidence gives the narrowest interval; when
// even k = 1 falls short, [min, max] is returned with its coverage.
func medianCI(n int, confidence float64) (lo, hi int, coverage float64) {
	bin := distuv.Binomial{N: float64(n), P: 0.5}
	cov := func(k int) float64 { return 1 - 2*bin.CDF(float64(k-1)) }
	k := 1
	for k+1 <= (n+1)/2 && cov(k+1) >= confidence {
		k++
	}
	return k - 1, n - k, math.Max(0, cov(k))
}

// medianCISamples returns the smallest n for which [min, max] covers the
// median with at least the given confidence: 1 - 2^(1-n) >= confidence.
func medianCISamples(confidence float64) int {
	n := 1
	for 1-math.Pow(2, float64(1-n)) < confidence && n < 1000 {
		n++
	}
	return n
}

// Percentile returns the p-quantile of xs, p a fraction in [0, 1] (0.95 is
// the 95th percentile), by gonum's stat.Quantile with stat.LinInterp on a
// sorted copy: Hyndman and Fan's definition 4, which puts the p-quantile
// at 1-based position h = p*n and interpolates linearly between the order
// statistics x(floor(h)) and x(ceil(h)), with x(1) for h <= 1. So for
// 1..10 the 0.25-quantile is 2.5 and the 0.5-quantile is 5 (not the
// median 5.5). NaN and infinite values are ignored; p is clamped to
// [0, 1]. It returns 0 when no finite value is left or p is NaN.
func Percentile(xs []float64, p float64) float64 {
	vals, _ := finite(xs)
	if len(vals) == 0 || math.IsNaN(p) {
		return 0
	}
	sort.Float64s(vals)
	return stat.Quantile(math.Min(1, math.Max(0, p)), stat.LinInterp, vals, nil)
}

// madScale makes the median absolute deviation a consistent estimator of
// the standard deviation of a normal distribution: 1/Phi^-1(3/4).
const madScale = 1.4826

// DefaultOutlierK is the number of scaled MADs Outliers uses when k <= 0.
const DefaultOutlierK = 3

// Outliers returns the indexes, ascending, of the values of xs that lie
// strictly outside median ± k*1.4826*MAD, where MAD is the median absolute
// deviation from the median of the finite values. k <= 0 means
// DefaultOutlierK (3). Outliers are for reporting: callers keep them in
// every statistic. When MAD is 0 (more than half the values are equal)
// every value other than the median is outside. Non-finite values are
// always outliers; it returns nil when there are none or no finite values.
func Outliers(xs []float64, k float64) []int {
	if !(k > 0) || math.IsInf(k, 1) {
		k = DefaultOutlierK
	}
	vals, _ := finite(xs)
	var out []int
	if len(vals) == 0 {
		for i := range xs {
			out = append(out, i)
		}
		return out
	}
	sort.Float64s(vals)
	med := sortedMedian(vals)
	for i, v := range vals {
		vals[i] = math.Abs(v - med)
	}
	sort.Float64s(vals)
	bound := k * madScale * sortedMedian(vals)
	for i, x := range xs {
		if !isFinite(x) || math.Abs(x-med) > bound {
			out = append(out, i)
		}
	}
	return out
}
