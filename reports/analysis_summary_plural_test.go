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
