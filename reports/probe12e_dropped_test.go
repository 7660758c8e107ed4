package reports

import (
	"bytes"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// An adaptive sweep drops a cell once its t-tests on logs show it plainly
// slower after 3 reps; the cells table then ranked it with a blank verdict
// (Mann-Whitney cannot separate 3 trials from 6), as if nothing had been
// decided about it, while the Adaptive sweep section said it was dropped.
// The row says the sweep dropped it.
func TestProbe12eDroppedCellVerdict(t *testing.T) {
	// w1 measured for 2 reps only, as a cell dropped after the first round.
	a := editedRun(t, func(line []byte) [][]byte {
		if bytes.Contains(line, []byte(`"cell":"w1-b3-off-single"`)) &&
			(bytes.Contains(line, []byte(`"rep":3`)) || bytes.Contains(line, []byte(`"rep":4`)) || bytes.Contains(line, []byte(`"rep":5`))) {
			return nil
		}
		return [][]byte{line}
	})
	d0, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	var worst string
	for _, r := range d0.Cells {
		if r.Verdict != VerdictBest && r.Verdict != VerdictWorse {
			worst = r.Name
		}
	}
	if worst == "" {
		t.Fatalf("no cell left undecided by the table: %+v", d0.Cells)
	}
	a.Adaptive = &evidence.Adaptive{Drops: []evidence.AdaptiveDrop{{Cell: worst, Why: worst + ": round 1, 3 trials: slower than the best (Welch p=0.01)"}}}
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Cells {
		if r.Name == worst && r.Verdict != VerdictDropped {
			t.Errorf("verdict of the dropped cell %s: %q, want %q", worst, r.Verdict, VerdictDropped)
		}
	}
}
