package evidence

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/input"
)

// TestLoadZeroWallTrialIsBadInput: a counting trial that built images
// with images_per_hour 0, or with wall_s 0 and no end after its start,
// is a corrupted record (wall_s 0 with a start and an end is a build's
// trial that did not write it, accepted as before). It was
// taken as it was: its cell ranked and was picked on a throughput of 0
// ("0.000x the fastest's"). It is bad input naming the folder and the
// trial.
func TestLoadZeroWallTrialIsBadInput(t *testing.T) {
	for _, field := range []string{"images_per_hour", "wall_s"} {
		dir := t.TempDir()
		writeRun(t, dir, sweepCells[:2], instances, 0.004, sweepGrid, false)
		path := filepath.Join(dir, RecordsFile)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		done := false
		for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			if !done && m["kind"] == "trial" && m["temp"] != "warmup" {
				m[field] = 0
				if field == "wall_s" {
					m["end"] = m["start"] // no wall time at all
				}
				done = true
				b, _ := json.Marshal(m)
				line = string(b)
			}
			out = append(out, line)
		}
		if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Load(dir)
		if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), field+" 0") {
			t.Errorf("%s 0: err = %v, want bad input naming %s and the field", field, err, dir)
		}
	}
}

// TestPlanRunnersAboveEveryWorkers: --runners that leave each runner
// fewer images than every workers value the sweep can predict gave no
// row, no verdict and exit 0 (only "left out" warnings). It is bad input
// naming --runners and how many runners can be planned.
func TestPlanRunnersAboveEveryWorkers(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{{cfg: w2, seconds: 5, reps: 3, fixed: 0.5}}, instances, 0, sweepGrid, false)
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(run, opts)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := a.Plan(6, 0, 10, 0, 0)
	if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "--runners 10") || !strings.Contains(err.Error(), "at most 3 runners") {
		t.Errorf("10 runners for 6 images, workers from 2: err = %v, %d rows, want bad input naming --runners", err, len(cp.Achieved))
	}
	if _, err := a.Plan(6, 0, 3, 0, 0); err != nil {
		t.Errorf("3 runners for 6 images: %v", err)
	}
}

// TestLoadImageLongerThanTrial: an image whose wall time exceeds its
// whole trial's is a corrupted record (1e308 gave negative durations in
// the report); bad input naming the folder and the image.
func TestLoadImageLongerThanTrial(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, sweepCells[:2], instances, 0.004, sweepGrid, false)
	path := filepath.Join(dir, RecordsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	done := false
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if !done && m["kind"] == "image" && m["temp"] != "warmup" && m["status"] == "built" {
			m["wall_s"] = 1e308
			done = true
			b, _ := json.Marshal(m)
			line = string(b)
		}
		out = append(out, line)
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "longer than its trial") {
		t.Errorf("image of 1e308 s: err = %v, want bad input", err)
	}
}

// TestPredictRegistryFloor: a cell measured under a capped registry
// bandwidth is never predicted faster than its images' bytes can cross
// the link. The simulation draws per-image times one by one and does not
// see two heavy images share the link: a 6-image build was predicted at
// 33.5s (17.8s-1m05s) while its bytes needed 40s at 8MiB/s (measured
// 53.5s). Every simulated build, and so the median and both interval
// ends, is at least the link's time, with a warning that says so.
func TestPredictRegistryFloor(t *testing.T) {
	dir := t.TempDir()
	w2b3 := Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}
	writeRun(t, dir, []cellSpec{{cfg: w2b3, seconds: 10, reps: 3, fixed: 0.5}}, instances, 0.01, nil, false)
	rewriteRecords(t, dir, func(rec map[string]any) {
		rec["registry"] = "bw=1MiB/s"
		if c, ok := rec["cell"].(string); ok {
			rec["cell"] = c + "-bw1MiB/s"
		}
		if rec["kind"] == "trial" {
			rec["bytes_pulled"] = 6 * 50 * mib // 50 MiB pushed and 50 pulled per image
		}
	})
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(run, opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := w2b3
	cfg.Registry = "1MiB/s"
	p, err := a.Predict(cfg, Target{Images: 6})
	if err != nil {
		t.Fatal(err)
	}
	const floor = 6 * 100 // 600 MiB at 1 MiB/s
	if p.Lo < floor-1e-6 || p.Median < floor-1e-6 || p.Hi < floor-1e-6 {
		t.Errorf("predicted %v (%v-%v): below the link's %v s", p.Median, p.Lo, p.Hi, floor)
	}
	for _, s := range p.Samples {
		if s < floor-1e-6 {
			t.Fatalf("a simulated build of %v s, below the link's %v s", s, floor)
		}
	}
	found := false
	for _, w := range p.Warnings {
		found = found || strings.Contains(w, "the registry link (1MiB/s) needs at least 10m00s")
	}
	if !found {
		t.Errorf("no warning about the link: %q", p.Warnings)
	}
}
