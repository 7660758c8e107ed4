package analyze

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

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
	U, tieSum, err := uStatistic(a, b)
	if err != nil {
		return 0, 0, false, err
	}
	n1, n2 := len(a), len(b)
	if tieSum == 0 && n1 <= ExactMax && n2 <= ExactMax {
		// The null distribution is symmetric: P(U' >= u) = P(U' <= n1*n2-u).
		cdf := uExactCDF(n1, n2)
		u := int(math.Round(U))
		return U, math.Min(1, 2*math.Min(cdf[u], cdf[n1*n2-u])), true, nil
	}
	return U, uNormalP(U, n1, n2, tieSum), false, nil
}

// MannWhitneyGreater runs the one-sided Mann-Whitney U test against the
// alternative that a tends to be larger than b (a is stochastically
// greater). U is the statistic of a, as in MannWhitney, and p is
// P(U' >= U) under the null hypothesis: small when most pairs have
// a[i] > b[j]. For the opposite alternative swap the samples.
//
// p is exact when both samples have at most ExactMax values and there are
// no ties; otherwise it uses the normal approximation with tie-corrected
// variance and a continuity correction of 1/2. When both tests are exact
// and MannWhitney's p is below 1, it is twice the smaller of the two
// one-sided p-values.
func MannWhitneyGreater(a, b []float64) (U float64, p float64, err error) {
	U, p, _, err = mannWhitneyGreater(a, b)
	return U, p, err
}

// mannWhitneyGreater is MannWhitneyGreater that also says whether the
// p-value is exact.
func mannWhitneyGreater(a, b []float64) (U, p float64, exact bool, err error) {
	U, tieSum, err := uStatistic(a, b)
	if err != nil {
		return 0, 0, false, err
	}
	n1, n2 := len(a), len(b)
	if tieSum == 0 && n1 <= ExactMax && n2 <= ExactMax {
		u := int(math.Round(U))
		if u == 0 {
			return U, 1, true, nil
		}
		return U, 1 - uExactCDF(n1, n2)[u-1], true, nil
	}
	return U, uNormalGreaterP(U, n1, n2, tieSum), false, nil
}

// uStatistic returns the U statistic of a (pairs with a > b, ties one
// half) and tieSum, the sum over tie groups of the pooled sample of
// t^3 - t, or an error when a sample is empty or not finite.
func uStatistic(a, b []float64) (U, tieSum float64, err error) {
	if len(a) == 0 {
		return 0, 0, fmt.Errorf("mann-whitney: sample a: %w", ErrEmpty)
	}
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("mann-whitney: sample b: %w", ErrEmpty)
	}
	for _, x := range a {
		if !isFinite(x) {
			return 0, 0, fmt.Errorf("mann-whitney: sample a: %v: %w", x, ErrNotFinite)
		}
	}
	for _, x := range b {
		if !isFinite(x) {
			return 0, 0, fmt.Errorf("mann-whitney: sample b: %v: %w", x, ErrNotFinite)
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

	// Average ranks over tie groups.
	var rankA float64
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
	return rankA - float64(n1*(n1+1))/2, tieSum, nil
}

// uVariance is the variance of U under the null hypothesis, corrected for
// ties (tieSum = sum over tie groups of t^3 - t).
func uVariance(n1, n2 int, tieSum float64) float64 {
	mn := float64(n1 * n2)
	n := float64(n1 + n2)
	return mn / 12 * ((n + 1) - tieSum/(n*(n-1)))
}

// uNormalGreaterP is the one-sided p-value P(U' >= U) by the normal
// approximation with tie and continuity correction.
func uNormalGreaterP(U float64, n1, n2 int, tieSum float64) float64 {
	variance := uVariance(n1, n2, tieSum)
	if variance <= 0 {
		return 1 // every value is tied: no evidence of any difference
	}
	mu := float64(n1*n2) / 2
	z := (U - mu - 0.5) / math.Sqrt(variance)
	return math.Min(1, distuv.UnitNormal.Survival(z))
}

// uNormalP is the two-sided p-value of U by the normal approximation with
// tie correction (tieSum = sum over tie groups of t^3 - t) and continuity
// correction.
func uNormalP(U float64, n1, n2 int, tieSum float64) float64 {
	mu := float64(n1*n2) / 2
	variance := uVariance(n1, n2, tieSum)
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

// CanSeparate reports whether two samples of n1 and n2 values can ever
// reach a two-sided Mann-Whitney p-value below alpha: whether the smallest
// attainable p, at complete separation without ties, is below alpha. When
// it is false no amount of difference between the samples can be
// significant, so more repetitions are needed before a cell can be told
// apart from the best. An alpha outside (0, 1) means DefaultAlpha.
func CanSeparate(n1, n2 int, alpha float64) bool {
	if !(alpha > 0 && alpha < 1) {
		alpha = DefaultAlpha
	}
	return minAttainableP(n1, n2) < alpha
}

// minAttainableGreaterP is the smallest one-sided p-value
// MannWhitneyGreater can return for samples of sizes n1 and n2: complete
// separation without ties.
func minAttainableGreaterP(n1, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 1
	}
	if n1 <= ExactMax && n2 <= ExactMax {
		return math.Min(1, 1/choose(n1+n2, n1))
	}
	return uNormalGreaterP(float64(n1*n2), n1, n2, 0)
}

func choose(n, k int) float64 {
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return c
}
