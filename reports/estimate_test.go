package reports

import "testing"

// TestEstimateWithoutSpread: a fixed size per image gave every cell the
// same disk growth, and the model section said "1.0 MiB (1.0 MiB–1.0 MiB)
// per image", a zero-width range that reads as a measured bound.
func TestEstimateWithoutSpread(t *testing.T) {
	for _, c := range []struct {
		v    [3]float64
		want string
	}{
		{[3]float64{1 << 20, 1 << 20, 1 << 20}, byteSize(1<<20) + " (no spread at this precision)"},
		{[3]float64{1 << 20, 0, 0}, byteSize(1 << 20)},
		{[3]float64{1 << 20, 1 << 19, 1 << 21}, byteSize(1<<20) + " (" + byteSize(1<<19) + "–" + byteSize(1<<21) + ")"},
	} {
		if got := estimate(c.v, byteSize); got != c.want {
			t.Errorf("estimate(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
