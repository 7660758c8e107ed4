package evidence

import (
	"slices"
	"testing"
)

// A cell whose every build failed has a throughput of 0 in each trial: a
// count of failures, not of contention. It was a point of the USL fit,
// which then bent the curve down to it (the report's throughput chart drew
// a line from 0 at one worker) and scaled every extrapolation by it. Only
// cells with built images are fitted.
func TestProbe11bUSLLeavesOutFailedCell(t *testing.T) {
	dir := t.TempDir()
	cells := []cellSpec{
		{cfg: Config{Workers: 1, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 10, reps: 3, temp: "cold", fixed: 1},
		{cfg: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 12, reps: 3, temp: "cold", fixed: 1},
		{cfg: Config{Workers: 4, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 14, reps: 3, temp: "cold", fixed: 1},
	}
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	editRecords(t, dir, "trial", func(m map[string]any) {
		if m["cell"] == "w1-b3-off-single" {
			m["failed"], m["built"], m["images_per_hour"] = m["built"], 0, 0
		}
	})
	editRecords(t, dir, "image", func(m map[string]any) {
		if m["cell"] == "w1-b3-off-single" {
			m["status"], m["error_class"], m["error"] = "failed", "build", "exit code: 1"
		}
	})
	a := analyzeDir(t, dir)
	for _, s := range a.Models.USL {
		if slices.Contains(s.Workers, 1) {
			t.Errorf("USL series %+v: fitted on the failed cell's 1 build at once (throughput 0)", s)
		}
	}
}
