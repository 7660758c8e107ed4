package reports

import (
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// TestBytesLegendSaysRange: a bar of the bytes chart is the median over
// the cells of its cache mode, and its whiskers the cells' range when
// there are fewer than 6 of them; the legend said "95% CI" whatever their
// number.
func TestBytesLegendSaysRange(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	perMode := map[string]int{}
	for _, c := range a.Cells {
		if c.BytesPushedPerImage > 0 {
			perMode[c.Config.CacheMode]++
		}
	}
	for m, n := range perMode {
		if n >= 6 {
			t.Fatalf("testdata: cache %s has %d cells, want fewer than 6 for the test", m, n)
		}
	}
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Charts.Bytes.Bars) == 0 {
		t.Fatal("testdata: no bytes chart")
	}
	if got, want := d.Charts.Bytes.IntervalLabel, "range of the cells"; got != want {
		t.Errorf("legend %q, want %q", got, want)
	}
}
