package reports

import (
	"bytes"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// TestThroughputLegendOneTrial: cells of one trial have no interval (the
// cells table says "none (1 trial)"); the chart's legend said "median, 95%
// CI" for them.
func TestThroughputLegendOneTrial(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte {
		// Keep rep 1 of every cell (and every non-trial line).
		if bytes.Contains(l, []byte(`"rep":`)) && !bytes.Contains(l, []byte(`"rep":1,`)) {
			return nil
		}
		return [][]byte{l}
	})
	for _, c := range a.Cells {
		if c.N != 1 {
			t.Fatalf("testdata edited to one rep: cell %s has %d trials", c.Name, c.N)
		}
	}
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Charts.Throughput.IntervalLabel, "median, range of the trials"; got != want {
		t.Errorf("legend %q, want %q", got, want)
	}
}
