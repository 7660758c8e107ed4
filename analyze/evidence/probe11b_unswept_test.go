package evidence

import (
	"strings"
	"testing"
)

// A sweep of cache off, min and max stopped (Ctrl-C) after its cache-off
// cells had run: the report said "cache_mode: not varied" and recommended
// among cache off alone, the grid in the Method section the only trace of
// the two cache modes never measured. The analysis names the grid's cells
// with no trial record and how to run them.
func TestProbe11bUnsweptCells(t *testing.T) {
	dir := t.TempDir()
	grid := map[string]any{"workers": []int{2, 4}, "batch": []any{3}, "cache": []string{"off", "min", "max"},
		"strategy": []string{"single"}, "temp": []string{"cold"}, "registry-bandwidth": []string{"unlimited"},
		"reps": 6, "sample": 6, "seed": 1, "profile": "synthetic"}
	stopped := conditionCells("")[:2]
	for i := range stopped {
		stopped[i].reps = 1 // every cell's rep 1 comes before any rep 2
	}
	writeRun(t, dir, stopped, instances, 0.004, grid, false)
	a := analyzeDir(t, dir)
	all := strings.Join(a.Warnings, "\n")
	if !strings.Contains(all, "4 cells of the sweep's grid have no trial record: the sweep stopped before it ran w2-b3-min-single, w2-b3-max-single, w4-b3-min-single, w4-b3-max-single") {
		t.Errorf("warnings:\n%s\nwant the 4 cells of cache min and max named as never run", all)
	}

	// Cells with a second rep beside a cell with none: not a stop (the
	// records are not this grid's, or were joined), and nothing is said.
	dir = t.TempDir()
	writeRun(t, dir, conditionCells("")[:2], instances, 0.004, grid, false)
	if all := strings.Join(analyzeDir(t, dir).Warnings, "\n"); strings.Contains(all, "no trial record") {
		t.Errorf("6 reps of 2 cells of a 6-cell grid: warnings:\n%s", all)
	}

	// The whole grid run: nothing said.
	dir = t.TempDir()
	grid["cache"] = []string{"off"}
	writeRun(t, dir, conditionCells("")[:2], instances, 0.004, grid, false)
	if all := strings.Join(analyzeDir(t, dir).Warnings, "\n"); strings.Contains(all, "no trial record") {
		t.Errorf("a complete sweep: warnings:\n%s", all)
	}
}
