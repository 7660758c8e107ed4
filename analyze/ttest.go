package analyze

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// LogTTests compares b with a by the two t-tests on logs that
// HalvingPolicy.TTests drops cells by: Welch's, and the pooled-variance
// one with the variance pooled over all (every group of the same sweep,
// a and b among them). It returns their two-sided p-values, 1 when a test
// cannot be made (fewer than minTTestSamples values a side, a value not
// above 0, no spread).
func LogTTests(a, b []float64, all [][]float64) (welch, pooled float64) {
	av, _ := finite(a)
	bv, _ := finite(b)
	fa := make([][]float64, len(all))
	for i, g := range all {
		fa[i], _ = finite(g)
	}
	w, p := logTTests(av, [][]float64{bv}, fa)
	return w[0], p[0]
}

// LogTTestsNotMade says why LogTTests cannot make its tests on a and b,
// "" when it can: fewer than 3 finite values a side ("need 3 trials a
// side"), or a value not above 0 (no log). LogTTests then returns p = 1
// by convention, which is no finding: a caller that prints the tests
// prints this instead of the p-values.
func LogTTestsNotMade(a, b []float64) string {
	av, _ := finite(a)
	bv, _ := finite(b)
	if len(av) < minTTestSamples || len(bv) < minTTestSamples {
		return fmt.Sprintf("need %d trials a side", minTTestSamples)
	}
	_, oka := logsOf(av)
	_, okb := logsOf(bv)
	if !oka || !okb {
		return "a throughput is not above 0"
	}
	return ""
}

// logTTests compares each of others with best on the log scale (timings
// are noisy multiplicatively, so their logs are nearer normal with a
// common variance) and returns two two-sided p-values per comparison:
//
//   - Welch's t-test, each side's own variance, Welch-Satterthwaite
//     degrees of freedom;
//   - the pooled-variance t-test, the variance pooled over every group in
//     all (the one-way ANOVA residual, with sum(n_i - 1) degrees of
//     freedom), which stays stable when each group has only 3 samples.
//
// A comparison that cannot be tested (a side with fewer than
// minTTestSamples values, a value not above 0, no spread at all) gets
// p = 1 in both.
func logTTests(best []float64, others [][]float64, all [][]float64) (welch, pooled []float64) {
	welch, pooled = make([]float64, len(others)), make([]float64, len(others))
	var ss, df float64
	for _, g := range all {
		l, ok := logsOf(g)
		if !ok || len(l) < 2 {
			continue
		}
		_, v := stat.MeanVariance(l, nil)
		ss += v * float64(len(l)-1)
		df += float64(len(l) - 1)
	}
	lb, okb := logsOf(best)
	for i, o := range others {
		welch[i], pooled[i] = 1, 1
		lo, oko := logsOf(o)
		if !okb || !oko || len(lb) < minTTestSamples || len(lo) < minTTestSamples {
			continue
		}
		mb, vb := stat.MeanVariance(lb, nil)
		mo, vo := stat.MeanVariance(lo, nil)
		nb, no := float64(len(lb)), float64(len(lo))
		d := mb - mo
		if se2 := vb/nb + vo/no; se2 > 0 {
			dfw := se2 * se2 / ((vb/nb)*(vb/nb)/(nb-1) + (vo/no)*(vo/no)/(no-1))
			welch[i] = twoSidedT(d/math.Sqrt(se2), dfw)
		}
		if df > 0 && ss > 0 {
			sp2 := ss / df
			pooled[i] = twoSidedT(d/math.Sqrt(sp2*(1/nb+1/no)), df)
		}
	}
	return welch, pooled
}

// minTTestSamples is the fewest values a side the t-tests are made on: a
// variance from 2 values is too unstable to lean on (with 2 a side,
// Welch's test has about 1-2 degrees of freedom).
const minTTestSamples = 3

// twoSidedT is P(|T| >= |t|) for Student's t with df degrees of freedom.
func twoSidedT(t, df float64) float64 {
	if math.IsNaN(t) || !(df > 0) {
		return 1
	}
	return math.Min(1, 2*distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t)))
}

// logsOf returns the natural logs of xs; ok is false if a value is not
// above 0 (or not finite).
func logsOf(xs []float64) ([]float64, bool) {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) || math.IsInf(x, 0) {
			return nil, false
		}
		out[i] = math.Log(x)
	}
	return out, true
}
