package analyze

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

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
