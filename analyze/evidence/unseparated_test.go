package evidence

import (
	"strings"
	"testing"
)

// TestTooFewRepsNamesEveryCell: the warning that cells cannot be
// separated from the pick names them closest first and counts the rest,
// rather than the first such cell in analysis.json's order, which was
// the slowest (w1-...) of a sweep where every cell has too few trials.
func TestTooFewRepsNamesEveryCell(t *testing.T) {
	dir := t.TempDir()
	var cells []cellSpec
	for i, w := range []int{1, 2, 3, 4, 5, 6} {
		// w6 is the fastest; w1 the slowest.
		cells = append(cells, cellSpec{cfg: Config{Workers: w, Batch: 0, CacheMode: "off", Strategy: "single"},
			seconds: 20 - 2*float64(i), reps: 2, temp: "cold", fixed: 1})
	}
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	r, err := analyzeDir(t, dir).Recommend(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	var w string
	for _, s := range r.Warnings {
		if strings.HasPrefix(s, "too few reps: ") {
			if w != "" {
				t.Errorf("two too-few-reps warnings: %q and %q", w, s)
			}
			w = s
		}
	}
	if w == "" {
		t.Fatalf("no too-few-reps warning in %q", r.Warnings)
	}
	want := "too few reps: w5-stream-off-single (2 trials), w4-stream-off-single (2 trials), w3-stream-off-single (2 trials) and 2 more cannot be separated from w6-stream-off-single (2 trials) at alpha=0.05"
	if !strings.HasPrefix(w, want) {
		t.Errorf("warning\n%q\nwant it to start\n%q", w, want)
	}
	if r.Confident {
		t.Error("confident, with cells it cannot separate")
	}
}
