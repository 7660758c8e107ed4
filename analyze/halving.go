package analyze

import (
	"fmt"

	"gonum.org/v1/gonum/stat"
)

// Reasons for dropping a cell.
const (
	// DropSignificant: the cell is significantly worse than the best
	// after Holm-Bonferroni correction.
	DropSignificant = "significantly worse"
	// DropSignificantT: the cell's logs are significantly lower than the
	// best's by both of HalvingPolicy.TTests's t-tests, each
	// Holm-corrected; Mann-Whitney alone could not tell yet.
	DropSignificantT = "significantly worse by t-tests on logs"
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
	// TTests also drops a cell that Mann-Whitney does not call worse when
	// its log values are below the best's by two t-tests at once, each
	// Holm-corrected at Alpha over the same comparisons: Welch's (each
	// side's own variance) and the pooled-variance one (the variance
	// pooled over every ranked cell, as in a one-way ANOVA). With 3
	// samples a side Mann-Whitney cannot reach p < 0.1, so without it
	// nothing can be dropped before 6; a cell twice as slow as the best
	// is plain after 3, and measuring it 3 more times is the cost an
	// adaptive sweep exists to save. The pair of tests guards the small
	// samples: an outlier inflates its own side's variance (Welch), and
	// a pair of values that happen to agree closely cannot make the
	// noise look smaller than the whole sweep's (pooled).
	TTests bool
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
	// WelchP and PooledP are the Holm-adjusted p-values of the t-tests on
	// logs, for a cell dropped by them (DropSignificantT).
	WelchP, PooledP float64
}

// String describes the evidence in one line.
func (e Evidence) String() string {
	s := fmt.Sprintf("%s: median %.4g (n=%d) vs best %s %.4g (n=%d), p=%.3g, Holm-adjusted %.3g",
		e.Cell, e.Median, e.N, e.Best, e.BestMedian, e.BestN, e.P, e.PAdjusted)
	if e.Reason == DropSignificantT {
		return fmt.Sprintf("%s; t-tests on logs, Holm-adjusted: Welch %.3g, pooled %.3g < alpha=%v", s, e.WelchP, e.PooledP, e.Alpha)
	}
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
//     With p.TTests, also drop a cell below the best by both t-tests on
//     logs (DropSignificantT; see HalvingPolicy.TTests).
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
	tWorse := map[string][2]float64{}
	if p.TTests {
		tWorse = tTestDrops(cells, r)
	}
	rankDrops := 0
	for _, c := range r.Cells {
		reason := ""
		_, byT := tWorse[c.Name]
		switch {
		case c.Best:
		case c.Worse:
			reason = DropSignificant
		case byT:
			reason = DropSignificantT
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
			WelchP: tWorse[c.Name][0], PooledP: tWorse[c.Name][1],
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

// tTestDrops returns the ranked cells (not the best) whose logs are below
// the best's by both t-tests, each Holm-adjusted at r.Alpha over the
// ranking's comparisons, with their two adjusted p-values. A cell is
// among them only if both its median and its mean log are worse than the
// best's.
func tTestDrops(cells map[string][]float64, r Ranking) map[string][2]float64 {
	out := map[string][2]float64{}
	if len(r.Cells) < 2 {
		return out
	}
	all := make([][]float64, len(r.Cells))
	for i, c := range r.Cells {
		all[i], _ = finite(cells[c.Name])
	}
	best, others := all[0], all[1:]
	welch, pooled := logTTests(best, others, all)
	wa, pa := holm(welch), holm(pooled)
	lb, _ := logsOf(best)
	for i := range others {
		c := r.Cells[i+1]
		lo, _ := logsOf(others[i])
		worse := stat.Mean(lo, nil) < stat.Mean(lb, nil) // higher is better
		if !r.HigherIsBetter {
			worse = stat.Mean(lo, nil) > stat.Mean(lb, nil)
		}
		if wa[i] < r.Alpha && pa[i] < r.Alpha && worse && c.Sample.Median != r.Cells[0].Sample.Median {
			out[c.Name] = [2]float64{wa[i], pa[i]}
		}
	}
	return out
}
