package evidence

import (
	"strings"
	"testing"
)

// The report's decision opens with the recommendation's first warning as
// the reason it is not confident. A cell whose every build failed was
// noted first ("w4-b3-off-single has no built images: not a candidate"),
// and became the headline reason why the pick, another cell, was not
// confident. The note still comes, after the pick's own warnings.
func TestProbe11bFailedCellNotTheHeadline(t *testing.T) {
	dir := t.TempDir()
	cells := conditionCells("")[:2]
	for i := range cells {
		cells[i].reps = 2
	}
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	editRecords(t, dir, "trial", func(m map[string]any) {
		if m["cell"] == "w4-b3-off-single" {
			m["failed"], m["built"], m["images_per_hour"] = m["built"], 0, 0
		}
	})
	editRecords(t, dir, "image", func(m map[string]any) {
		if m["cell"] == "w4-b3-off-single" {
			m["status"], m["error_class"], m["error"] = "failed", "build", "exit code: 1"
		}
	})
	r, err := analyzeDir(t, dir).Recommend(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Confident || len(r.Warnings) == 0 {
		t.Fatalf("confident %v, warnings %q: want a lead with warnings (2 trials)", r.Confident, r.Warnings)
	}
	if strings.Contains(r.Warnings[0], "w4-b3-off-single has no built images") {
		t.Errorf("first warning %q: want the pick's own reason first, not another cell's failure", r.Warnings[0])
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "w4-b3-off-single has no built images: not a candidate") {
		t.Errorf("warnings %q: want the failed cell still named", r.Warnings)
	}
}
