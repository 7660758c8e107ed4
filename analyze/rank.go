package analyze

import (
	"fmt"
	"math"
	"sort"
)

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
			"no conclusion possible: with %s Holm's first step needs p < %.3g, which needs at least %d samples per cell",
			Plural(m, "comparison"), alpha/float64(m), minSamplesPerSide(alpha/float64(m))))
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
