package evidence

import (
	"strings"
	"testing"
)

// TestFewerAtOnceThanMeasuredWarns: a measured cell predicted for a build
// of fewer images than its builds at once, with no crowding fit, uses its
// crowded per-image seconds as they are: the prediction says that it
// overstates the build (else a 1-image build at 3 workers reads as much
// slower than the same build at 1 worker, with nothing said).
func TestFewerAtOnceThanMeasuredWarns(t *testing.T) {
	dir := t.TempDir()
	cells := []cellSpec{
		{cfg: Config{Workers: 1, CacheMode: "off", Strategy: "single"}, seconds: 10, reps: 3, temp: "cold", fixed: 1},
		{cfg: Config{Workers: 3, CacheMode: "off", Strategy: "single"}, seconds: 20, reps: 3, temp: "cold", fixed: 1},
	}
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	a := analyzeDir(t, dir)
	w3 := Config{Workers: 3, CacheMode: "off", Strategy: "single"}
	// As a sweep whose images were never seen at different crowding
	// (Crowding.Fitted false), like the stream trials of a small sample.
	a.Models.Crowding = nil
	p, err := a.Predict(w3, Target{Images: 1})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(p.Warnings, "\n")
	if !strings.Contains(w, "w3-stream-off-single was measured at 3 builds at once, and a build of 1 image runs only 1 at once") ||
		!strings.Contains(w, "overstates the build") {
		t.Errorf("warnings %q: want the crowded seconds of a 1-image build said", p.Warnings)
	}
	// A build of at least as many images as the builds at once: no such warning.
	p, err = a.Predict(w3, Target{Images: 6})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(p.Warnings, "\n"); strings.Contains(w, "overstates the build") {
		t.Errorf("warnings %q for 6 images", p.Warnings)
	}
}
