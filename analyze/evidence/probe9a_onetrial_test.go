package evidence

import (
	"strings"
	"testing"
)

// TestOneTrialWording: a sweep of one rep per cell says "1 trial", not
// "1 trials", in the warning that the cells cannot be separated.
func TestOneTrialWording(t *testing.T) {
	dir := t.TempDir()
	cells := conditionCells("")[:2]
	for i := range cells {
		cells[i].reps = 1
	}
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	r, err := analyzeDir(t, dir).Recommend(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(r.Warnings, "\n")
	if !strings.Contains(w, "too few reps: ") || strings.Contains(w, "(1 trials)") || !strings.Contains(w, "(1 trial)") {
		t.Errorf("warnings %q: want the too-few-reps warning to say (1 trial)", r.Warnings)
	}
}
