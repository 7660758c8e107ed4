package evidence

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A sweep of a one-image sample measures workers 2 at 1 build at once,
// like workers 1. Planned for 100 images, the 2-worker rows run 2 builds
// at once: their per-image seconds were never measured there, and used
// unscaled they promise a perfectly linear speed-up. recommend says so;
// the plan said nothing, picked 2 workers as measured, and halved the
// time. Those rows are extrapolated, and the warning says why.
func TestProbe11bPlanMeasuredAtFewerBuilds(t *testing.T) {
	dir := t.TempDir()
	cells := []cellSpec{
		{cfg: Config{Workers: 1, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 10, reps: 4, temp: "cold", fixed: 1},
		{cfg: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 10, reps: 4, temp: "cold", fixed: 1},
	}
	writeRun(t, dir, cells, []string{"django__django-1"}, 0.004, nil, false)
	a := analyzeDir(t, dir)
	cp, err := a.Plan(100, time.Hour, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range cp.Plan.Options {
		if o.Workers == 2 && !o.Extrapolated {
			t.Errorf("option %+v: want the 2-worker row left out or extrapolated", o)
		}
	}
	text := cp.Text()
	if !strings.Contains(text, "its cell w2-b3-off-single was measured at 1 build at once only") {
		t.Errorf("plan text:\n%s\nwant a warning that w2-b3-off-single was measured at 1 build at once only", text)
	}
	if slices.Contains(cp.Workers, 2) {
		t.Errorf("workers planned %v: want 2 left out (no scaling model)", cp.Workers)
	}
}

// With a USL fit of the series (workers 1 and 2 on a two-image sample),
// the 4-worker cell, measured at 2 builds at once, stays in the plan, its
// rows extrapolated and said to rest on its unscaled seconds.
func TestProbe11bPlanMeasuredAtFewerBuildsWithFit(t *testing.T) {
	dir := t.TempDir()
	cells := []cellSpec{
		{cfg: Config{Workers: 1, Batch: 4, CacheMode: "off", Strategy: "single"}, seconds: 10, reps: 4, temp: "cold", fixed: 1},
		{cfg: Config{Workers: 2, Batch: 4, CacheMode: "off", Strategy: "single"}, seconds: 12, reps: 4, temp: "cold", fixed: 1},
		{cfg: Config{Workers: 4, Batch: 4, CacheMode: "off", Strategy: "single"}, seconds: 12, reps: 4, temp: "cold", fixed: 1},
	}
	writeRun(t, dir, cells, []string{"django__django-1", "sympy__sympy-2"}, 0.004, nil, false)
	a := analyzeDir(t, dir)
	cp, err := a.Plan(100, 10*time.Hour, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Models.fitFor(cells[2].cfg) == nil {
		t.Skip("no USL fit of the series")
	}
	if !slices.Contains(cp.Extrapolated, 4) {
		t.Errorf("extrapolated workers %v: want 4 (measured at 2 builds at once only)\n%s", cp.Extrapolated, cp.Text())
	}
	if !strings.Contains(cp.Text(), "per-image seconds of w4-b4-off-single, measured at 2 builds at once, used unscaled") {
		t.Errorf("plan text:\n%s\nwant the 4-worker rows said to rest on w4-b4-off-single's unscaled seconds", cp.Text())
	}
}
