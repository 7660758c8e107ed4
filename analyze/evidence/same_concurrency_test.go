package evidence

import (
	"strings"
	"testing"
)

// TestPredictFromSameConcurrency: a configuration that was not measured
// is predicted from a cell of its family that ran as many builds at once
// as its build runs, when there is one, rather than from the cell with
// the nearest workers scaled there by a fit. The 4-worker baseline built
// for one image runs one build at once: the sweep's 1-worker cell measured
// exactly that, where the 4-worker cell ran 3 at once.
func TestPredictFromSameConcurrency(t *testing.T) {
	a := loadSweep(t)
	for _, tc := range []struct {
		cfg    Config
		images int
		from   string
	}{
		{Config{Workers: 4, Batch: 15, CacheMode: "off", Strategy: "single"}, 1, "w1-b3-off-single"},
		{Config{Workers: 8, Batch: 2, CacheMode: "off", Strategy: "single"}, 60, "w2-b3-off-single"},
		{Config{Workers: 16, Batch: 0, CacheMode: "off", Strategy: "single"}, 2, "w2-b3-off-single"},
		// None ran 4 at once: the nearest workers, scaled.
		{Config{Workers: 4, Batch: 15, CacheMode: "off", Strategy: "single"}, 60, "w4-b3-off-single"},
	} {
		p, err := a.Predict(tc.cfg, Target{Images: tc.images, Seed: 1})
		if err != nil {
			t.Fatalf("%s for %d images: %v", tc.cfg.Name(), tc.images, err)
		}
		w := strings.Join(p.Warnings, "\n")
		if !p.Extrapolated || !strings.Contains(w, "predicted from the measured cell "+tc.from) {
			t.Errorf("%s for %d images: extrapolated %v, warnings %q; want it predicted from %s", tc.cfg.Name(), tc.images, p.Extrapolated, w, tc.from)
		}
		scaled := strings.Contains(w, "are scaled to") || strings.Contains(w, "under the crowding fit")
		if want := tc.images == 60 && tc.cfg.Batch == 15; scaled != want {
			t.Errorf("%s for %d images: scaled %v, want %v (warnings %q)", tc.cfg.Name(), tc.images, scaled, want, w)
		}
	}
}
