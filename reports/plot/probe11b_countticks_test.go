package plot

import (
	"math"
	"testing"
)

// The disk chart's x axis counts images built: a sweep of a one- or
// two-image sample labelled it 0, 0.2, 0.4, ... 1 (half an image built).
// Its ticks are whole numbers, and there are at least two labelled ones.
func TestProbe11bCountTicks(t *testing.T) {
	for _, r := range [][2]float64{{0, 1.02}, {0, 2.04}, {0, 5.1}, {0, 433}, {0, 15.3}} {
		labelled := 0
		for _, tk := range (countTicks{}).Ticks(r[0], r[1]) {
			if tk.Value != math.Trunc(tk.Value) {
				t.Errorf("range %v: tick at %g, between two whole images", r, tk.Value)
			}
			if tk.Value < r[0] || tk.Value > r[1] {
				t.Errorf("range %v: tick %g outside", r, tk.Value)
			}
			if tk.Label != "" {
				labelled++
			}
		}
		if labelled < 2 {
			t.Errorf("range %v: %d labelled ticks, want at least 2", r, labelled)
		}
	}
}
