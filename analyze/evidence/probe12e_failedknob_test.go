package evidence

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// writeFailedCell appends to dir's records a cell every trial of which ran
// and failed its builds (a RUN step exited non-zero): its trials count, at
// 0 images/hour.
func writeFailedCell(t *testing.T, dir string, cfg Config, reps int) {
	t.Helper()
	w, err := record.Create(filepath.Join(dir, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for rep := 1; rep <= reps; rep++ {
		rc := record.Config{Cell: cfg.Name(), Workers: cfg.Workers, Batch: cfg.Batch, CacheMode: cfg.CacheMode, Strategy: cfg.Strategy, Temp: "cold", Rep: rep}
		trial := 100 + rep
		s := t0.Add(time.Duration(rep) * time.Minute)
		var n int
		for _, id := range instances {
			im := record.Image{Trial: trial, Config: rc, Instance: id, Phase: "image", Status: record.StatusFailed, Attempts: 1,
				Cost: record.Cost{ID: id, Start: s, End: s.Add(time.Second), WallSeconds: 1,
					ErrClass: record.ErrBuild, Error: `process "/bin/sh -c make" did not complete successfully: exit code: 2`}}
			if err := w.Write(&im); err != nil {
				t.Fatal(err)
			}
			n++
		}
		tr := record.Trial{Trial: trial, Config: rc, Start: s, End: s.Add(2 * time.Second), WallSeconds: 2, Images: n, Failed: n}
		if err := w.Write(&tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// A cell whose every build failed has a throughput of 0 images/hour. The
// knob verdicts compared it with its neighbours as if it were a slow
// setting: "cache_mode matters: w2-b3-min-single and w2-b3-off-single
// differ", when cache min had not been measured at all, only seen to
// fail. A pair with a cell that built no image says nothing about the
// knob: it is left out, and the verdict names the cell.
func TestProbe12eFailedCellNotAKnobEffect(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, conditionCells("")[:2], instances, 0.004, nil, false)
	writeFailedCell(t, dir, Config{Workers: 2, Batch: 3, CacheMode: "min", Strategy: "single"}, 6)
	a := analyzeDir(t, dir)
	for _, k := range a.Comparisons.Knobs {
		if k.Knob != "cache_mode" {
			continue
		}
		if k.Verdict == KnobMatters || k.Different > 0 {
			t.Errorf("cache_mode: %s (%d pairs differ) from a cell that built nothing: %q", k.Verdict, k.Different, k.Details)
		}
		if k.Verdict != KnobNotVaried {
			t.Errorf("cache_mode verdict %q, want %q: the only cache min cell built no image", k.Verdict, KnobNotVaried)
		}
		if !strings.Contains(strings.Join(k.Details, "; "), "w2-b3-min-single built no image") {
			t.Errorf("cache_mode details %q do not name the cell that built no image", k.Details)
		}
	}
}
