package analyze

import (
	"strings"
	"testing"
)

// TestUSLNoPeakWarningWording: the warning about resamples without a
// peak says the N* interval runs to infinity, as the report's table
// shows it (∞), instead of "reported as 0", which read as a claim that
// the peak is at 0 workers beside a table showing ∞.
func TestUSLNoPeakWarningWording(t *testing.T) {
	// Throughput that keeps rising: most resamples fit kappa = 0.
	xs := []float64{1, 1, 1, 2, 2, 2, 3, 3, 3}
	ys := []float64{100, 101, 99, 190, 192, 188, 270, 272, 268}
	m, err := FitUSLBootstrap(xs, ys, 100, 1, 0.95)
	if err != nil {
		t.Skip(err)
	}
	found := false
	for _, w := range m.Warnings {
		found = found || strings.Contains(w, "no finite upper bound")
		if strings.Contains(w, "reported as 0") {
			t.Errorf("warning %q: says 0 where the report shows infinity", w)
		}
	}
	if !found {
		t.Fatalf("no warning about the unbounded N*: %q", m.Warnings)
	}
}

// TestFormatSecondsHuge: seconds beyond an int64 of minutes printed as
// negative ("-153722867280912930m-8s" for 1e308); they stay positive.
func TestFormatSecondsHuge(t *testing.T) {
	for _, s := range []float64{1e308, 1e20, 3600e6} {
		if got := FormatSeconds(s); strings.HasPrefix(got, "-") || !strings.HasSuffix(got, "h") {
			t.Errorf("FormatSeconds(%g) = %q", s, got)
		}
	}
	if got := FormatSeconds(7200); got != "2h00m" {
		t.Errorf("FormatSeconds(7200) = %q", got)
	}
}
