package sweep

import (
	"math"
	"testing"
	"time"
)

// TestEstimateSaturates: a per-image time so large that the estimate does
// not fit a time.Duration (--per-image-seconds 1e308, or per_image_s in a
// run.json edited by hand) overflowed into a negative estimate: the budget
// check let any grid through and the ETA was negative. The estimate now
// saturates at the longest duration.
func TestEstimateSaturates(t *testing.T) {
	g := DefaultGrid()
	for _, p := range []float64{1e12, 1e308, math.MaxFloat64} {
		if est := EstimateOn(g, p, 2); est <= 0 {
			t.Errorf("EstimateOn(default grid, %g s per image) = %v; want a positive (saturated) estimate", p, est)
		}
		if err := CheckBudget(g, p, 2, time.Hour); err == nil {
			t.Errorf("CheckBudget(default grid, %g s per image, 1h) = nil; want the grid refused as over the budget", p)
		}
		if err := CheckAdaptiveBudget(g, DefaultInitialReps, p, 2, time.Hour); err == nil {
			t.Errorf("CheckAdaptiveBudget(default grid, %g s per image, 1h) = nil; want the round refused as over the budget", p)
		}
	}
	for _, s := range []float64{math.NaN(), math.Inf(-1), -5} {
		if d := Seconds(s); d != 0 {
			t.Errorf("Seconds(%g) = %v; want 0", s, d)
		}
	}
	if d := Seconds(math.Inf(1)); d != math.MaxInt64 {
		t.Errorf("Seconds(+Inf) = %v; want the longest duration", d)
	}
}
