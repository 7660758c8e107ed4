package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/sweep/record"
)

// SweepInfo is what a sweep says about itself beside its records: how many
// trials ran now and before, how long it took, and an adaptive sweep's
// ending.
type SweepInfo struct {
	RunID   string
	Records string
	Ran     int
	Resumed int
	Elapsed time.Duration
	// Stop, Best and Dropped describe an adaptive sweep's end ("" if fixed).
	Stop    string
	Best    string
	Dropped []string
}

// SweepSummary ranks a sweep's cells by images/hour, per temperature and,
// for a sweep of several registry bandwidths, per bandwidth (a condition,
// not a setting: cells are ranked only against cells of the same one): the
// median with its 95% CI, and a Holm-corrected Mann-Whitney p against the
// best. Only the trials that count (record.Select) are ranked.
func SweepSummary(set *record.Set, info SweepInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Sweep %s\n", info.RunID)
	sel := record.Select(set)
	groups := record.GroupByCell(sel)
	// The registry bandwidth is a condition, not a setting: cells are
	// ranked only among the cells of the same condition.
	var conds []string
	for _, g := range groups {
		if c := evidence.ConditionOf(g.Config); !slices.Contains(conds, c) {
			conds = append(conds, c)
		}
	}
	evidence.SortConditions(conds)
	for _, temp := range []string{record.TempCold, record.TempWarm} {
		for _, cond := range conds {
			cells := map[string][]float64{}
			for _, g := range groups {
				if g.Temp == temp && evidence.ConditionOf(g.Config) == cond {
					cells[g.Cell] = append(cells[g.Cell], g.ImagesPerHour()...)
				}
			}
			if len(cells) == 0 {
				continue
			}
			under := ""
			if len(conds) > 1 {
				under = ", registry bandwidth " + cond + " (a condition, not a setting: ranked only against the cells of the same registry bandwidth)"
			}
			summaryTable(&b, temp+" trials"+under, cells)
		}
	}
	// A cell none of whose trials counts is in no table: say so, or it
	// reads as never swept.
	if un := evidence.UncountedCells(set, sel); len(un) > 0 {
		b.WriteString("\nNot ranked:\n")
		for _, u := range un {
			fmt.Fprintf(&b, "- %s\n", u)
		}
	}
	fmt.Fprintf(&b, "\n%s run, %d resumed, %s elapsed. Records: `%s`.\n", analyze.Plural(info.Ran, "trial"), info.Resumed, info.Elapsed.Round(time.Second), info.Records)
	if info.Stop != "" {
		fmt.Fprintf(&b, "\nAdaptive: %s (best %s).\n", info.Stop, info.Best)
		for _, d := range info.Dropped {
			fmt.Fprintf(&b, "- dropped %s\n", d)
		}
	}
	return b.String()
}

// summaryTable ranks cells (name -> images/hour of each trial) and writes
// the ranking as a markdown table, under a line that starts with what.
func summaryTable(b *strings.Builder, what string, cells map[string][]float64) {
	r := analyze.Rank(cells, true, analyze.DefaultAlpha)
	fmt.Fprintf(b, "\n%s, images/hour: median with its 95%% CI (with fewer than 6 trials, their range and its coverage); p = Mann-Whitney against the best, Holm-corrected; worse = significantly worse at %.2f\n\n", what, r.Alpha)
	b.WriteString("| | cell | median | 95% CI | n | p | |\n|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cells {
		mark := ""
		switch {
		case c.Best:
			mark = "best"
		case c.Worse:
			mark = "worse"
		}
		ci := fmt.Sprintf("%.1f-%.1f", c.Sample.Lo, c.Sample.Hi)
		switch cf := c.Sample.Confidence; {
		case c.Sample.N < 2:
			ci = "none (" + analyze.Plural(c.Sample.N, "trial") + ")" // one value has no interval
		case cf > 0 && cf < 0.95-1e-9:
			ci += fmt.Sprintf(" (range, %.0f%%)", 100*cf) // too few trials for a 95% interval
		}
		p := fmt.Sprintf("%.3g", c.PAdjusted)
		if c.Best {
			p = "–" // the best is not tested against itself
		}
		fmt.Fprintf(b, "| %d | %s | %.1f | %s | %d | %s | %s |\n", c.Position, c.Name, c.Sample.Median, ci, c.Sample.N, p, mark)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(b, "\nNote: %s\n", w)
	}
}
