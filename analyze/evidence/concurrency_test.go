package evidence

import (
	"strings"
	"testing"
)

// TestPredictMeasuredBelowItsWorkers: a cell whose sample is smaller than
// its workers ran fewer builds at once than its full build will (a sample
// of 2 at 3 workers: 2 at once, the full build 3). With no model of the
// slowdown (one worker count, no crowding fit) its per-image seconds are
// used as measured, and the prediction says so instead of passing for a
// plain measured cell; a sample as large as the workers gets no such
// warning.
func TestPredictMeasuredBelowItsWorkers(t *testing.T) {
	cfg := Config{Workers: 3, Batch: 0, CacheMode: "off", Strategy: "single"}
	for _, tc := range []struct {
		ids  []string
		warn bool
	}{
		{instances[:2], true},
		{instances[:3], false},
	} {
		dir := t.TempDir()
		writeRun(t, dir, []cellSpec{{cfg: cfg, seconds: 10, reps: 3, temp: "cold", fixed: 1}}, tc.ids, 0.004, nil, false)
		a := analyzeDir(t, dir)
		if a.Models.crowdFitFor(cfg) != nil {
			t.Fatalf("sample %d: a crowding fit; the case needs none", len(tc.ids))
		}
		p, err := a.Predict(cfg, Target{Images: 40})
		if err != nil {
			t.Fatalf("sample %d: %v", len(tc.ids), err)
		}
		w := strings.Join(p.Warnings, "\n")
		got := strings.Contains(w, "measured at 2 builds at once only") && strings.Contains(w, "sweep a sample of at least 3 images")
		if got != tc.warn {
			t.Errorf("sample %d: warned %v, want %v; warnings %q", len(tc.ids), got, tc.warn, p.Warnings)
		}
	}
}
