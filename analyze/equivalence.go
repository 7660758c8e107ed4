package analyze

import (
	"fmt"
	"math"
)

// Equivalence is the result of an equivalence test (TOST) of sample B
// against sample A: is B's typical value within a relative margin of A's?
type Equivalence struct {
	// A and B summarise the two samples at confidence 1-Alpha.
	A, B Sample
	// Margin is the relative equivalence margin (0.03: within ±3%) and
	// Alpha the significance level of each one-sided test.
	Margin, Alpha float64
	// Ratio is the Hodges-Lehmann estimate of B/A, the median of all
	// pairwise ratios b[j]/a[i]. RatioLo and RatioHi bound its
	// distribution-free confidence interval at level 1-2*Alpha (the
	// interval that matches a TOST at Alpha), and RatioConfidence is that
	// interval's actual coverage. All four are 0 when no test was run.
	Ratio, RatioLo, RatioHi, RatioConfidence float64
	// PLower is the one-sided p-value against "B/A <= 1-Margin" and
	// PUpper the one against "B/A >= 1+Margin". P, the larger of them, is
	// the TOST p-value; it is 1 when no test was run.
	PLower, PUpper, P float64
	// Exact says whether both one-sided p-values are exact.
	Exact bool
	// MinP is the smallest P these sample sizes can ever produce; when it
	// is at least Alpha the test cannot conclude equivalence.
	MinP float64
	// Equivalent is P < Alpha: both one-sided tests reject, so the ratio
	// of B to A lies within (1-Margin, 1+Margin) at level Alpha.
	Equivalent bool
	// Warnings explain anything that limits the test.
	Warnings []string
}

// Equivalent tests whether b and a are equivalent within a relative
// margin (such as 0.03 for ±3%) with two one-sided Mann-Whitney tests
// (TOST) at level alpha on log values. It assumes the shift model on the
// log scale, b distributed like a times a constant r, and tests
// H0: r <= 1-margin or r >= 1+margin against 1-margin < r < 1+margin:
//
//   - lower: log b - log(1-margin) against log a, alternative "greater";
//   - upper: log b - log(1+margin) against log a, alternative "less".
//
// The TOST p-value is the larger of the two; Equivalent is p < alpha.
// Failing to show a difference (Compare) is not evidence of equivalence;
// this is. Values must be positive; non-finite values are dropped with a
// warning. margin must be in (0, 1) and alpha in (0, 0.5) (DefaultAlpha
// otherwise, with a warning).
func Equivalent(a, b []float64, margin, alpha float64) Equivalence {
	e := Equivalence{Margin: margin, P: 1, PLower: 1, PUpper: 1, MinP: 1}
	if !(alpha > 0 && alpha < 0.5) {
		e.Warnings = append(e.Warnings, fmt.Sprintf("alpha %v is not in (0, 0.5): using %v", alpha, DefaultAlpha))
		alpha = DefaultAlpha
	}
	e.Alpha = alpha

	av, dropA := finite(a)
	bv, dropB := finite(b)
	if dropA > 0 {
		e.Warnings = append(e.Warnings, fmt.Sprintf("a: dropped %d non-finite values", dropA))
	}
	if dropB > 0 {
		e.Warnings = append(e.Warnings, fmt.Sprintf("b: dropped %d non-finite values", dropB))
	}
	e.A = Summary(av, 1-alpha)
	e.B = Summary(bv, 1-alpha)
	switch {
	case !(margin > 0 && margin < 1):
		e.Margin = 0
		e.Warnings = append(e.Warnings, fmt.Sprintf("margin %v is not in (0, 1): no test", margin))
		return e
	case len(av) == 0 || len(bv) == 0:
		e.Warnings = append(e.Warnings, "a sample is empty: nothing to compare")
		return e
	}
	for _, s := range []struct {
		name string
		v    []float64
	}{{"a", av}, {"b", bv}} {
		for _, x := range s.v {
			if x <= 0 {
				e.Warnings = append(e.Warnings, fmt.Sprintf("%s has values <= 0: no test on the log scale", s.name))
				return e
			}
		}
	}

	la := logs(av, 0)
	lower := logs(bv, math.Log(1-margin))
	upper := logs(bv, math.Log(1+margin))
	_, pLo, exactLo, errLo := mannWhitneyGreater(lower, la)
	_, pHi, exactHi, errHi := mannWhitneyGreater(la, upper)
	if errLo != nil || errHi != nil { // cannot happen after the checks above
		e.Warnings = append(e.Warnings, fmt.Sprintf("equivalence: %v, %v", errLo, errHi))
		return e
	}
	e.PLower, e.PUpper = pLo, pHi
	e.P = math.Max(pLo, pHi)
	e.Exact = exactLo && exactHi
	e.Equivalent = e.P < alpha
	e.MinP = minAttainableGreaterP(len(av), len(bv))
	if e.MinP >= alpha {
		e.Warnings = append(e.Warnings, fmt.Sprintf(
			"too few samples for equivalence at alpha=%v: the smallest possible p with %d and %d values is %.3g",
			alpha, len(av), len(bv), e.MinP))
	}

	hl, lo, hi, cov, warn := ratioCI(av, bv, 2*alpha)
	e.Ratio, e.RatioLo, e.RatioHi, e.RatioConfidence = hl, lo, hi, cov
	e.Warnings = append(e.Warnings, warn...)
	return e
}

// logs returns log(x) - shift for every x of xs (all positive).
func logs(xs []float64, shift float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(x) - shift
	}
	return out
}
