package analyze

import (
	"math"
	"testing"
)

// TestUSLPeakOfFallingThroughput: throughput that falls as workers are
// added (sigma >= 1) peaks at one worker. N* must say 1, in the point fit
// and in the bootstrap interval, not 0, the value that stands for "no
// finite peak" and that reports print as ∞, "keeps rising": the opposite
// of the fit's own caveat.
func TestUSLPeakOfFallingThroughput(t *testing.T) {
	ns := []float64{1, 1, 1, 3, 3, 3}
	xs := []float64{1450, 1300, 1580, 1280, 1130, 1420}
	f, err := FitUSL(ns, xs)
	if err != nil {
		t.Fatal(err)
	}
	if !(f.Sigma >= 1) {
		t.Fatalf("set-up: sigma %v, want >= 1 (falling throughput)", f.Sigma)
	}
	if f.NStar != 1 || !(math.Abs(f.PeakThroughput-f.Throughput(1)) < 1e-9) {
		t.Errorf("sigma %.3g: N* %v, peak %v; want N* 1 and the peak X(1) = %v", f.Sigma, f.NStar, f.PeakThroughput, f.Throughput(1))
	}
	m, err := FitUSLBootstrap(ns, xs, 200, 1, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if m.NStar != 1 || m.NStarLo < 1 {
		t.Errorf("bootstrap: N* %v [%v, %v]; want 1, and no resample's N* below one worker", m.NStar, m.NStarLo, m.NStarHi)
	}
	// A coherency peak below one worker is the first worker too.
	if got := uslNStar(0.5, 2); got != 1 {
		t.Errorf("uslNStar(0.5, 2) = %v (sqrt 0.5); want 1", got)
	}
}
