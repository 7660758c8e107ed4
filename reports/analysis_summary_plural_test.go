package reports

import (
	"bytes"
	"strings"
	"testing"
)

// TestAnalysisSummaryOneCell: `buildtune analyze` of a sweep of one cell
// said "1 cold cells"; the count agrees with its noun.
func TestAnalysisSummaryOneCell(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte {
		if bytes.Contains(l, []byte(`"cell":"w1-b3-off-single"`)) {
			return [][]byte{l}
		}
		return nil
	})
	if len(a.Cells) != 1 {
		t.Fatalf("testdata edited to one cell has %d cells", len(a.Cells))
	}
	got := AnalysisSummary(a)
	if !strings.HasPrefix(got, "1 cold cell, ") {
		t.Errorf("summary starts %q, want \"1 cold cell, \"", strings.SplitN(got, "\n", 2)[0])
	}
}

// TestAnalysisSummaryMarksRanges: a cell of fewer trials than a 95%
// interval needs (the synthetic sweep's 5) shows its trials' range with
// its coverage, as the report and the sweep's summary do, not as a 95%
// CI; the best cell is not tested against itself (no p).
func TestAnalysisSummaryMarksRanges(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	got := AnalysisSummary(a)
	var best string
	for _, line := range strings.Split(got, "\n") {
		if strings.Contains(line, " n=5 ") && !strings.Contains(line, " range, 94%)") {
			t.Errorf("line %q: a 5-trial cell's interval not marked as its range", line)
		}
		if strings.HasSuffix(line, " best") {
			best = line
		}
	}
	if !strings.Contains(best, " p=– best") {
		t.Errorf("best line %q: want no p-value (p=–)", best)
	}
}
