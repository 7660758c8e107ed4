// Package analyze is buildtune's statistics stage: statistics over records
// (per-image build seconds, per-trial wall seconds, images per hour) read by
// other packages. It summarises samples with the median and its
// distribution-free confidence interval, compares and ranks grid cells with
// the Mann-Whitney U test (Holm-Bonferroni across comparisons), decides which
// cells an adaptive sweep may drop, fits the Universal Scalability Law to
// throughput against workers, and predicts the wall time of a fleet build
// under the real pipeline's batch-and-barrier semantics.
//
// Every function here is pure: no I/O, no printing, no global state, and
// random resampling only from an explicit seed. Results are structs that
// carry their own Warnings, in the manner of golang.org/x/perf/benchmath:
// when the data cannot support a conclusion, the result says so instead of
// guessing. Values that are undefined (a ratio over a zero median, an
// optimum that does not exist) are reported as 0 together with a warning,
// never as NaN or ±Inf, so every result can be encoded as JSON.
package analyze

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Errors returned (wrapped) by the functions of this package.
var (
	// ErrEmpty means a sample had no values.
	ErrEmpty = errors.New("empty sample")
	// ErrNotFinite means a value was NaN or infinite.
	ErrNotFinite = errors.New("value is not finite")
	// ErrLength means paired slices differ in length.
	ErrLength = errors.New("slices differ in length")
	// ErrInvalid means a value is outside its domain (such as a
	// non-positive worker count).
	ErrInvalid = errors.New("invalid value")
	// ErrTooFewPoints means there is not enough data for a fit.
	ErrTooFewPoints = errors.New("too few points")
)

// Defaults used when a caller passes an out-of-range level.
const (
	// DefaultConfidence is used by Summary when confidence is not in (0, 1).
	DefaultConfidence = 0.95
	// DefaultAlpha is used by Compare, Rank and Halve when alpha is not
	// in (0, 1).
	DefaultAlpha = 0.05
	// DefaultReps is the number of resamples PredictMakespan draws when
	// reps <= 0.
	DefaultReps = 1000
	// ExactMax is the largest per-side sample size for which MannWhitney
	// computes the exact p-value (when there are no ties).
	ExactMax = 20
)

// ---------------------------------------------------------------------------
// Summary

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

// ---------------------------------------------------------------------------
// Mann-Whitney U test

// MannWhitney runs the two-sided Mann-Whitney U test of the hypothesis that
// a and b come from the same distribution.
//
// U is the statistic of a: the number of pairs (a[i], b[j]) with
// a[i] > b[j], ties counting one half (equivalently R_a - n_a(n_a+1)/2,
// with R_a the sum of a's ranks in the pooled sample). It ranges over
// [0, len(a)*len(b)]; U = 0 means every value of a is below every value of b.
//
// The p-value is exact when both samples have at most ExactMax values and
// there are no ties: 2*min(P(U' <= U), P(U' >= U)) under the null
// distribution, computed by dynamic programming. Otherwise it uses the
// normal approximation with tie-corrected variance and a continuity
// correction of 1/2. p is always in [0, 1]; it is 1 when all values are
// equal.
func MannWhitney(a, b []float64) (U float64, p float64, err error) {
	U, p, _, err = mannWhitney(a, b)
	return U, p, err
}

// mannWhitney is MannWhitney that also says whether the p-value is exact.
func mannWhitney(a, b []float64) (U, p float64, exact bool, err error) {
	if len(a) == 0 {
		return 0, 0, false, fmt.Errorf("mann-whitney: sample a: %w", ErrEmpty)
	}
	if len(b) == 0 {
		return 0, 0, false, fmt.Errorf("mann-whitney: sample b: %w", ErrEmpty)
	}
	for _, x := range a {
		if !isFinite(x) {
			return 0, 0, false, fmt.Errorf("mann-whitney: sample a: %v: %w", x, ErrNotFinite)
		}
	}
	for _, x := range b {
		if !isFinite(x) {
			return 0, 0, false, fmt.Errorf("mann-whitney: sample b: %v: %w", x, ErrNotFinite)
		}
	}
	n1, n2 := len(a), len(b)
	n := n1 + n2

	type obs struct {
		v     float64
		fromA bool
	}
	pooled := make([]obs, 0, n)
	for _, x := range a {
		pooled = append(pooled, obs{x, true})
	}
	for _, x := range b {
		pooled = append(pooled, obs{x, false})
	}
	sort.SliceStable(pooled, func(i, j int) bool { return pooled[i].v < pooled[j].v })

	// Average ranks over tie groups; T accumulates sum(t^3 - t).
	var rankA, tieSum float64
	for i := 0; i < n; {
		j := i + 1
		for j < n && pooled[j].v == pooled[i].v {
			j++
		}
		t := float64(j - i)
		rank := float64(i+1+j) / 2 // mean of ranks i+1 .. j
		for k := i; k < j; k++ {
			if pooled[k].fromA {
				rankA += rank
			}
		}
		tieSum += t*t*t - t
		i = j
	}
	U = rankA - float64(n1*(n1+1))/2

	if tieSum == 0 && n1 <= ExactMax && n2 <= ExactMax {
		// The null distribution is symmetric: P(U' >= u) = P(U' <= n1*n2-u).
		cdf := uExactCDF(n1, n2)
		u := int(math.Round(U))
		return U, math.Min(1, 2*math.Min(cdf[u], cdf[n1*n2-u])), true, nil
	}
	return U, uNormalP(U, n1, n2, tieSum), false, nil
}

// uNormalP is the two-sided p-value of U by the normal approximation with
// tie correction (tieSum = sum over tie groups of t^3 - t) and continuity
// correction.
func uNormalP(U float64, n1, n2 int, tieSum float64) float64 {
	mn := float64(n1 * n2)
	n := float64(n1 + n2)
	mu := mn / 2
	variance := mn / 12 * ((n + 1) - tieSum/(n*(n-1)))
	if variance <= 0 {
		return 1 // every value is tied: no evidence of any difference
	}
	z := (math.Abs(U-mu) - 0.5) / math.Sqrt(variance)
	if z <= 0 {
		return 1
	}
	return math.Min(1, 2*distuv.UnitNormal.Survival(z))
}

// uExactCDF returns cdf[u] = P(U <= u) for u in 0..n1*n2 under the null
// hypothesis without ties, where U counts pairs with a > b.
//
// With c(i, j, u) the number of orderings of i a's and j b's with
// statistic u, the largest value is either an a, which beats all j b's,
// or a b, which beats nothing: c(i, j, u) = c(i-1, j, u-j) + c(i, j-1, u).
func uExactCDF(n1, n2 int) []float64 {
	mn := n1 * n2
	prev := make([][]float64, n2+1) // c(i-1, j, .)
	for j := range prev {
		prev[j] = make([]float64, mn+1)
		prev[j][0] = 1 // c(0, j, 0) = 1
	}
	for i := 1; i <= n1; i++ {
		cur := make([][]float64, n2+1)
		cur[0] = make([]float64, mn+1)
		cur[0][0] = 1
		for j := 1; j <= n2; j++ {
			cur[j] = make([]float64, mn+1)
			for u := 0; u <= i*j; u++ {
				c := cur[j-1][u]
				if u >= j {
					c += prev[j][u-j]
				}
				cur[j][u] = c
			}
		}
		prev = cur
	}
	counts := prev[n2]
	var total float64
	for _, c := range counts {
		total += c
	}
	cdf := make([]float64, mn+1)
	var acc float64
	for u, c := range counts {
		acc += c
		cdf[u] = acc / total
	}
	cdf[mn] = 1
	return cdf
}

// minAttainableP is the smallest two-sided p-value MannWhitney can return
// for samples of sizes n1 and n2 (complete separation, no ties).
func minAttainableP(n1, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 1
	}
	if n1 <= ExactMax && n2 <= ExactMax {
		return math.Min(1, 2/choose(n1+n2, n1))
	}
	return uNormalP(0, n1, n2, 0)
}

// minSamplesPerSide is the smallest n for which two samples of n values
// each can reach p < alpha at all.
func minSamplesPerSide(alpha float64) int {
	for n := 1; n <= 10000; n++ {
		if minAttainableP(n, n) < alpha {
			return n
		}
	}
	return 10000
}

func choose(n, k int) float64 {
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return c
}

// ---------------------------------------------------------------------------
// Compare

// Comparison compares sample B against sample A (A is the baseline).
type Comparison struct {
	// A and B summarise the two samples at confidence 1-Alpha.
	A, B Sample
	// Ratio is median(B) / median(A): above 1 means B's values are larger
	// (for seconds, B is slower; for images per hour, B is faster). It is
	// 0, with a warning, when median(A) is 0.
	Ratio float64
	// RatioHL is the Hodges-Lehmann estimate of the ratio: the median of
	// all pairwise ratios b[j]/a[i]. RatioLo and RatioHi bound its
	// distribution-free confidence interval, obtained by inverting the
	// U test on log values; RatioConfidence is that interval's coverage
	// (at least 1-Alpha unless a warning says otherwise). The interval
	// assumes B is distributed like A scaled by a constant, and needs
	// every value positive; otherwise all four are 0 and a warning says
	// why.
	RatioHL, RatioLo, RatioHi, RatioConfidence float64
	// U is the Mann-Whitney statistic of A (pairs with a > b) and P its
	// two-sided p-value; Exact says whether P is exact or from the normal
	// approximation. P is 1 when either sample is empty.
	U     float64
	P     float64
	Exact bool
	// Alpha is the significance level used; Significant is P < Alpha.
	Alpha       float64
	Significant bool
	// MinN is the smallest number of values per side for which the test
	// can reach P < Alpha at all.
	MinN int
	// Warnings explain anything that limits the comparison.
	Warnings []string
}

// Compare compares b against a with the Mann-Whitney U test at level alpha
// (such as 0.05) and estimates the ratio b/a. Non-finite values are dropped
// with a warning.
func Compare(a, b []float64, alpha float64) Comparison {
	var c Comparison
	if !(alpha > 0 && alpha < 1) {
		c.Warnings = append(c.Warnings, fmt.Sprintf("alpha %v is not in (0, 1): using %v", alpha, DefaultAlpha))
		alpha = DefaultAlpha
	}
	c.Alpha = alpha
	c.MinN = minSamplesPerSide(alpha)
	c.P = 1

	av, dropA := finite(a)
	bv, dropB := finite(b)
	if dropA > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("a: dropped %d non-finite values", dropA))
	}
	if dropB > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("b: dropped %d non-finite values", dropB))
	}
	c.A = Summary(av, 1-alpha)
	c.B = Summary(bv, 1-alpha)
	if len(av) == 0 || len(bv) == 0 {
		c.Warnings = append(c.Warnings, "a sample is empty: nothing to compare")
		return c
	}

	if c.A.Median != 0 {
		c.Ratio = c.B.Median / c.A.Median
	} else {
		c.Warnings = append(c.Warnings, "median of a is 0: ratio undefined")
	}

	U, p, exact, err := mannWhitney(av, bv)
	if err != nil { // cannot happen after finite(), kept for safety
		c.Warnings = append(c.Warnings, err.Error())
		return c
	}
	c.U, c.P, c.Exact = U, p, exact
	c.Significant = p < alpha
	if minP := minAttainableP(len(av), len(bv)); minP >= alpha {
		c.Warnings = append(c.Warnings, fmt.Sprintf(
			"too few samples for significance at alpha=%v: need at least %d per side (have %d and %d; smallest possible p is %.3g)",
			alpha, c.MinN, len(av), len(bv), minP))
	}

	hl, lo, hi, cov, warn := ratioCI(av, bv, alpha)
	c.RatioHL, c.RatioLo, c.RatioHi, c.RatioConfidence = hl, lo, hi, cov
	c.Warnings = append(c.Warnings, warn...)
	return c
}

// ratioCI returns the Hodges-Lehmann ratio estimate median(b[j]/a[i]) and
// its confidence interval by inverting the U test on log values: with D
// the sorted n1*n2 log-differences and c the largest integer with
// P(U <= c-1) <= alpha/2, the interval is [D(c), D(n1*n2+1-c)] (1-based)
// with coverage 1 - 2*P(U <= c-1).
func ratioCI(a, b []float64, alpha float64) (hl, lo, hi, coverage float64, warnings []string) {
	for _, x := range a {
		if x <= 0 {
			return 0, 0, 0, 0, []string{"a has values <= 0: no ratio interval"}
		}
	}
	for _, x := range b {
		if x <= 0 {
			return 0, 0, 0, 0, []string{"b has values <= 0: no ratio interval"}
		}
	}
	n1, n2 := len(a), len(b)
	mn := n1 * n2
	d := make([]float64, 0, mn)
	for _, x := range a {
		lx := math.Log(x)
		for _, y := range b {
			d = append(d, math.Log(y)-lx)
		}
	}
	sort.Float64s(d)
	hl = math.Exp(sortedMedian(d))

	// cdfBelow(c) = P(U <= c-1).
	var cdfBelow func(c int) float64
	if n1 <= ExactMax && n2 <= ExactMax {
		cdf := uExactCDF(n1, n2)
		cdfBelow = func(c int) float64 {
			if c <= 0 {
				return 0
			}
			return cdf[c-1]
		}
	} else {
		mu := float64(mn) / 2
		sd := math.Sqrt(float64(mn) * float64(n1+n2+1) / 12)
		cdfBelow = func(c int) float64 {
			return distuv.UnitNormal.CDF((float64(c) - 0.5 - mu) / sd)
		}
	}
	c := 1
	for c+1 <= (mn+1)/2 && cdfBelow(c+1) <= alpha/2 {
		c++
	}
	coverage = math.Max(0, 1-2*cdfBelow(c))
	lo, hi = math.Exp(d[c-1]), math.Exp(d[mn-c])
	if coverage < 1-alpha {
		warnings = append(warnings, fmt.Sprintf(
			"too few samples for a %v ratio interval: the full range covers only %.4g", 1-alpha, coverage))
	}
	return hl, lo, hi, coverage, warnings
}

// ---------------------------------------------------------------------------
// Rank

// Ranking orders cells by median, best first, and says which cells are
// significantly worse than the best.
type Ranking struct {
	HigherIsBetter bool
	// Alpha is the family-wise significance level (Holm-Bonferroni).
	Alpha float64
	// Best names the first cell ("" when no cell has samples).
	Best string
	// Cells are the cells with samples, best first: by median (descending
	// when HigherIsBetter, ascending otherwise), equal medians by name.
	Cells []RankedCell
	// Unranked names the cells without any finite sample, sorted.
	Unranked []string
	// Comparisons is the number of tests Holm's correction accounts for
	// (len(Cells)-1).
	Comparisons int
	// Warnings explain when no, or only a limited, conclusion is possible.
	Warnings []string
}

// RankedCell is one cell of a Ranking.
type RankedCell struct {
	Name string
	// Position is the 1-based place in the ranking.
	Position int
	// Sample summarises the cell at confidence 1-Alpha.
	Sample Sample
	// Best marks the first cell.
	Best bool
	// U is the Mann-Whitney statistic of the best cell against this one;
	// P is its raw two-sided p-value and PAdjusted the Holm-adjusted one.
	// For the best cell (compared with itself) U is 0 and both are 1.
	U, P, PAdjusted float64
	// Worse is PAdjusted < Alpha and a strictly worse median than the best.
	Worse bool
	// Warnings concern this cell's comparison with the best.
	Warnings []string
}

// Rank orders cells (name -> values) by median and tests every other cell
// against the best with the two-sided Mann-Whitney U test, controlling the
// family-wise error at alpha with Holm-Bonferroni. higherIsBetter says
// whether larger values are better (images per hour) or worse (seconds).
// Non-finite values are dropped with a warning; cells with no values are
// listed in Unranked. The result does not depend on map order.
func Rank(cells map[string][]float64, higherIsBetter bool, alpha float64) Ranking {
	r := Ranking{HigherIsBetter: higherIsBetter}
	if !(alpha > 0 && alpha < 1) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("alpha %v is not in (0, 1): using %v", alpha, DefaultAlpha))
		alpha = DefaultAlpha
	}
	r.Alpha = alpha

	names := make([]string, 0, len(cells))
	for name := range cells {
		names = append(names, name)
	}
	sort.Strings(names)
	values := make(map[string][]float64, len(cells))
	for _, name := range names {
		v, dropped := finite(cells[name])
		if dropped > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("cell %q: dropped %d non-finite values", name, dropped))
		}
		if len(v) == 0 {
			r.Unranked = append(r.Unranked, name)
			r.Warnings = append(r.Warnings, fmt.Sprintf("cell %q has no samples: not ranked", name))
			continue
		}
		values[name] = v
		r.Cells = append(r.Cells, RankedCell{Name: name, Sample: Summary(v, 1-alpha)})
	}
	if len(r.Cells) == 0 {
		r.Warnings = append(r.Warnings, "no cell has samples: nothing to rank")
		return r
	}
	sort.SliceStable(r.Cells, func(i, j int) bool {
		mi, mj := r.Cells[i].Sample.Median, r.Cells[j].Sample.Median
		if mi != mj {
			if higherIsBetter {
				return mi > mj
			}
			return mi < mj
		}
		return r.Cells[i].Name < r.Cells[j].Name
	})
	for i := range r.Cells {
		r.Cells[i].Position = i + 1
	}
	best := &r.Cells[0]
	best.Best, best.P, best.PAdjusted = true, 1, 1
	r.Best = best.Name
	if len(r.Cells) == 1 {
		r.Warnings = append(r.Warnings, "only one cell has samples: nothing to compare")
		return r
	}

	m := len(r.Cells) - 1
	r.Comparisons = m
	bestVals := values[best.Name]
	ps := make([]float64, m)
	for i := 1; i < len(r.Cells); i++ {
		rc := &r.Cells[i]
		U, p, err := MannWhitney(bestVals, values[rc.Name])
		if err != nil { // cannot happen after finite(), kept for safety
			rc.Warnings = append(rc.Warnings, err.Error())
			p = 1
		}
		rc.U, rc.P = U, p
		ps[i-1] = p
		if minP := minAttainableP(len(bestVals), len(values[rc.Name])); minP >= alpha {
			rc.Warnings = append(rc.Warnings, fmt.Sprintf(
				"too few samples to separate from the best at alpha=%v even before correction: need at least %d per side (have %d and %d)",
				alpha, minSamplesPerSide(alpha), len(bestVals), len(values[rc.Name])))
		}
	}
	adj := holm(ps)
	anyPossible := false
	for i := 1; i < len(r.Cells); i++ {
		rc := &r.Cells[i]
		rc.PAdjusted = adj[i-1]
		worseMedian := rc.Sample.Median != best.Sample.Median
		rc.Worse = rc.PAdjusted < alpha && worseMedian
		if rc.PAdjusted < alpha && !worseMedian {
			rc.Warnings = append(rc.Warnings, fmt.Sprintf(
				"differs significantly from the best (adjusted p=%.3g) but has the same median", rc.PAdjusted))
		}
		if float64(m)*minAttainableP(len(bestVals), len(values[rc.Name])) < alpha {
			anyPossible = true
		}
	}
	// Holm steps down from the smallest p, compared with alpha/m: if no
	// comparison can get below that, nothing can ever be rejected.
	if !anyPossible {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"no conclusion possible: with %d comparisons Holm's first step needs p < %.3g, which needs at least %d samples per cell",
			m, alpha/float64(m), minSamplesPerSide(alpha/float64(m))))
	}
	return r
}

// holm returns Holm-Bonferroni adjusted p-values, in the order of ps:
// sorted ascending, p(r) becomes max over s <= r of min(1, (m-s+1) p(s)).
func holm(ps []float64) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return ps[idx[i]] < ps[idx[j]] })
	adj := make([]float64, m)
	prev := 0.0
	for r, i := range idx {
		v := math.Min(1, float64(m-r)*ps[i])
		v = math.Max(v, prev)
		adj[i] = v
		prev = v
	}
	return adj
}

// ---------------------------------------------------------------------------
// Successive halving

// Reasons for dropping a cell.
const (
	// DropSignificant: the cell is significantly worse than the best
	// after Holm-Bonferroni correction.
	DropSignificant = "significantly worse"
	// DropRank: the cell ranks below HalvingPolicy.KeepTop by median
	// (a budget rule, not evidence of a difference).
	DropRank = "outside top k"
)

// HalvingPolicy sets the rule by which HalveWith drops cells.
type HalvingPolicy struct {
	// Alpha is the family-wise significance level (DefaultAlpha if not
	// in (0, 1)).
	Alpha float64
	// KeepTop, when > 0, also drops cells whose position in the ranking
	// is beyond KeepTop, but only once every cell has at least MinReps
	// samples. 0 drops on significance only.
	KeepTop int
	// MinReps is the number of samples every cell needs before KeepTop
	// applies; values below 2 mean 3.
	MinReps int
}

// Evidence records why a cell was dropped.
type Evidence struct {
	Cell string
	// Reason is DropSignificant or DropRank.
	Reason string
	// Position is the cell's 1-based place in the ranking.
	Position int
	N        int
	Median   float64
	// Best, BestN and BestMedian describe the cell it was compared with.
	Best       string
	BestN      int
	BestMedian float64
	// P is the raw Mann-Whitney p-value against the best, PAdjusted the
	// Holm-adjusted one, compared with Alpha.
	P, PAdjusted, Alpha float64
}

// String describes the evidence in one line.
func (e Evidence) String() string {
	s := fmt.Sprintf("%s: median %.4g (n=%d) vs best %s %.4g (n=%d), p=%.3g, Holm-adjusted %.3g",
		e.Cell, e.Median, e.N, e.Best, e.BestMedian, e.BestN, e.P, e.PAdjusted)
	if e.Reason == DropRank {
		return fmt.Sprintf("%s: position %d outside the kept top (not significant at alpha=%v)", s, e.Position, e.Alpha)
	}
	return fmt.Sprintf("%s < alpha=%v", s, e.Alpha)
}

// HalvingDecision is what an adaptive sweep should do next.
type HalvingDecision struct {
	// Best is the cell with the best median ("" if none has samples).
	Best string
	// Keep lists the cells to keep measuring: the best first, then the
	// others in ranking order, then cells without samples by name.
	Keep []string
	// Drop lists the dropped cells in ranking order, with evidence.
	Drop []Evidence
	// Done is true when only the best is kept (and every cell has
	// samples): no other cell remains to be separated from it.
	Done bool
	// Decisive is true when Done and every other cell was dropped on
	// significance, so the best is significantly ahead of all of them.
	Decisive bool
	// Ranking is the ranking the decision was made from.
	Ranking Ranking
	// Warnings explain limits of the decision.
	Warnings []string
}

// Halve is HalveWith with HalvingPolicy{Alpha: alpha}: it drops only
// cells that are significantly worse than the best.
func Halve(cells map[string][]float64, higherIsBetter bool, alpha float64) HalvingDecision {
	return HalveWith(cells, higherIsBetter, HalvingPolicy{Alpha: alpha})
}

// HalveWith decides which cells of an adaptive sweep to drop. The rule:
//
//  1. Rank the cells (see Rank): the best is the first by median, and
//     every other cell is tested against it with Mann-Whitney,
//     Holm-Bonferroni corrected at p.Alpha.
//  2. Drop every cell that is significantly worse than the best
//     (RankedCell.Worse). The best is never dropped.
//  3. Only if p.KeepTop > 0 and every cell has at least p.MinReps samples:
//     also drop the cells at positions beyond p.KeepTop (reason DropRank).
//     This is successive halving's budget rule (KeepTop = half the cells);
//     it is not evidence of a difference.
//  4. Cells without samples are kept: they have not been measured yet.
//
// Done is set when only the best is kept. Each call is one look at the
// data: a sweep that calls it after every round tests repeatedly, which
// raises the chance of dropping a cell that is not truly worse; pass a
// smaller alpha to allow for the number of looks.
func HalveWith(cells map[string][]float64, higherIsBetter bool, p HalvingPolicy) HalvingDecision {
	r := Rank(cells, higherIsBetter, p.Alpha)
	d := HalvingDecision{Best: r.Best, Ranking: r}
	minReps := p.MinReps
	if minReps < 2 {
		minReps = 3
	}
	rankRule := p.KeepTop > 0 && len(r.Unranked) == 0
	if p.KeepTop > 0 {
		for _, c := range r.Cells {
			if c.Sample.N < minReps {
				rankRule = false
				break
			}
		}
		if !rankRule {
			d.Warnings = append(d.Warnings, fmt.Sprintf(
				"keep-top-%d not applied: not every cell has %d samples yet", p.KeepTop, minReps))
		}
	}
	bestN, bestMedian := 0, 0.0
	if len(r.Cells) > 0 {
		bestN, bestMedian = r.Cells[0].Sample.N, r.Cells[0].Sample.Median
	}
	rankDrops := 0
	for _, c := range r.Cells {
		reason := ""
		switch {
		case c.Best:
		case c.Worse:
			reason = DropSignificant
		case rankRule && c.Position > p.KeepTop:
			reason = DropRank
			rankDrops++
		}
		if reason == "" {
			d.Keep = append(d.Keep, c.Name)
			continue
		}
		d.Drop = append(d.Drop, Evidence{
			Cell: c.Name, Reason: reason, Position: c.Position,
			N: c.Sample.N, Median: c.Sample.Median,
			Best: r.Best, BestN: bestN, BestMedian: bestMedian,
			P: c.P, PAdjusted: c.PAdjusted, Alpha: r.Alpha,
		})
	}
	d.Keep = append(d.Keep, r.Unranked...)
	d.Done = len(r.Cells) > 0 && len(d.Keep) == 1 && len(r.Unranked) == 0
	d.Decisive = d.Done && rankDrops == 0 && len(d.Drop) > 0
	if len(r.Cells) == 1 && len(r.Unranked) == 0 {
		d.Warnings = append(d.Warnings, "only one cell: done without any comparison")
	}
	return d
}

// ---------------------------------------------------------------------------
// Universal Scalability Law

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
	// when Kappa > 0 and Sigma < 1; 0 when throughput has no finite peak.
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
	return fitUSL(workers, throughput, false)
}

// FitAmdahl fits Amdahl's law, the USL with Kappa = 0:
// X(N) = Lambda*N / (1 + Sigma*(N-1)). Throughput then rises towards
// Lambda/Sigma without a peak.
func FitAmdahl(workers, throughput []float64) (USLFit, error) {
	return fitUSL(workers, throughput, true)
}

func fitUSL(workers, throughput []float64, amdahl bool) (USLFit, error) {
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
	bestSSR := math.Inf(1)
	var bestSigma, bestKappa float64
	consider := func(sigma, kappa float64) {
		if _, ssr := lambdaFor(sigma, kappa); ssr < bestSSR {
			bestSSR, bestSigma, bestKappa = ssr, sigma, kappa
		}
	}
	starts := []float64{0.05, 0.3, 0.7, 1.0}
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
			for _, k0 := range []float64{0.01, 0.05, 0.2} {
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
		f.NStar = math.Sqrt((1 - f.Sigma) / f.Kappa)
		f.PeakThroughput = f.Throughput(f.NStar)
		if f.NStar > maxN {
			f.Warnings = append(f.Warnings, fmt.Sprintf(
				"optimum N*=%.3g lies beyond the largest measured worker count %v: an extrapolation", f.NStar, maxN))
		}
	case f.Sigma >= 1:
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"sigma=%.3g >= 1: adding workers never raises throughput above one worker's", f.Sigma))
	default:
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"kappa = 0: throughput has no peak; it approaches lambda/sigma = %.4g", safeDiv(f.Lambda, f.Sigma)))
	}
	return f, nil
}

// ---------------------------------------------------------------------------
// Makespan

// Makespan returns the wall time to build images with the given durations,
// in list order, under the real pipeline's semantics: the list is cut into
// consecutive batches of batch images; each batch is served by a pool of
// workers in which a worker that frees takes the next image of the batch
// (greedy list scheduling); the next batch starts only when the batch's
// last image finishes (a barrier). batch <= 0 means stream: one pool over
// the whole list, no barrier. Overheads between batches (pool start-up,
// prunes) are not included. It panics if workers < 1.
func Makespan(durations []float64, workers, batch int) float64 {
	if workers < 1 {
		panic(fmt.Sprintf("analyze: Makespan: workers = %d, must be >= 1", workers))
	}
	if batch <= 0 || batch > len(durations) {
		batch = len(durations)
	}
	free := make([]float64, workers)
	var total float64
	for start := 0; start < len(durations); start += batch {
		end := min(start+batch, len(durations))
		clear(free)
		for _, d := range durations[start:end] {
			w := 0 // the worker that frees first (lowest index on ties)
			for i := 1; i < workers; i++ {
				if free[i] < free[w] {
					w = i
				}
			}
			free[w] += d
		}
		total += slices.Max(free)
	}
	return total
}

// Prediction is a Monte Carlo prediction of a fleet build's wall time.
type Prediction struct {
	// Images, Workers and Batch describe the predicted build (Batch 0 is
	// stream); Reps is the number of resamples and Samples the number of
	// measured per-image times they were drawn from.
	Images, Workers, Batch, Reps, Samples int
	// Median is the median predicted wall time in seconds; Lo and Hi
	// bound the central 95% of the resampled wall times.
	Median, Lo, Hi float64
	// ImagesPerHour is Images per Median hour, with the interval
	// [ImagesPerHourLo, ImagesPerHourHi] from Hi and Lo.
	ImagesPerHour, ImagesPerHourLo, ImagesPerHourHi float64
	// Warnings explain limits of the prediction.
	Warnings []string
}

// PredictMakespan predicts the wall time of building n images with the
// given workers and batch size (batch <= 0: stream) by the bootstrap: each
// of reps resamples (DefaultReps if reps <= 0) draws n per-image times with
// replacement from perImageSeconds and computes their Makespan. It assumes
// per-image times are independent of the configuration they were measured
// under and of each other (no shared-cache warming, no prunes, no
// contention that grows with workers); feed it times measured under a
// comparable configuration. Non-finite and negative times are dropped with
// a warning. The result depends only on its arguments and seed.
func PredictMakespan(perImageSeconds []float64, workers, batch, n int, reps int, seed int64) Prediction {
	if reps <= 0 {
		reps = DefaultReps
	}
	if batch < 0 {
		batch = 0
	}
	p := Prediction{Images: n, Workers: workers, Batch: batch, Reps: reps}
	times := make([]float64, 0, len(perImageSeconds))
	for _, t := range perImageSeconds {
		if isFinite(t) && t >= 0 {
			times = append(times, t)
		}
	}
	if dropped := len(perImageSeconds) - len(times); dropped > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("dropped %d non-finite or negative per-image times", dropped))
	}
	p.Samples = len(times)
	switch {
	case workers < 1:
		p.Warnings = append(p.Warnings, fmt.Sprintf("workers = %d: need at least 1", workers))
		return p
	case n < 1:
		p.Warnings = append(p.Warnings, fmt.Sprintf("n = %d images: nothing to predict", n))
		return p
	case len(times) == 0:
		p.Warnings = append(p.Warnings, "no per-image times: nothing to resample")
		return p
	}
	if len(times) < 30 {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"only %d per-image times: the bootstrap can only reuse these values, so the interval understates the uncertainty", len(times)))
	}
	if reps < 200 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("only %d resamples: the ends of the 95%% interval are noisy", reps))
	}

	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	draw := make([]float64, n)
	walls := make([]float64, reps)
	for r := range walls {
		for i := range draw {
			draw[i] = times[rng.IntN(len(times))]
		}
		walls[r] = Makespan(draw, workers, batch)
	}
	sort.Float64s(walls)
	p.Median = sortedMedian(walls)
	p.Lo = stat.Quantile(0.025, stat.LinInterp, walls, nil)
	p.Hi = stat.Quantile(0.975, stat.LinInterp, walls, nil)
	p.ImagesPerHour = safeDiv(float64(n)*3600, p.Median)
	p.ImagesPerHourLo = safeDiv(float64(n)*3600, p.Hi)
	p.ImagesPerHourHi = safeDiv(float64(n)*3600, p.Lo)
	if p.Median == 0 {
		p.Warnings = append(p.Warnings, "predicted wall time is 0: images per hour undefined")
	}
	return p
}

// ---------------------------------------------------------------------------
// helpers

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// finite returns a copy of xs without NaN and infinite values, and how many
// were dropped.
func finite(xs []float64) ([]float64, int) {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if isFinite(x) {
			out = append(out, x)
		}
	}
	return out, len(xs) - len(out)
}

// sortedMedian is the median of a sorted, non-empty slice: the middle
// value, or the mean of the two middle values.
func sortedMedian(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// safeDiv returns a/b, or 0 when b is 0 or the result is not finite.
func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	if q := a / b; isFinite(q) {
		return q
	}
	return 0
}
