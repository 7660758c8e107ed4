package evidence

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/input"
)

// TestAnalyzeWarmOnlyIsBadInput: a run whose counting trials are all warm
// has nothing to decide from; that is bad input naming the folder (exit
// 2), not a failure of the command.
func TestAnalyzeWarmOnlyIsBadInput(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{{cfg: w2, seconds: 5, reps: 2, temp: "warm", fixed: 1}}, instances, 0, sweepGrid, false)
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Analyze(run, opts)
	if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "cold") {
		t.Errorf("warm-only run: err = %v, want an input error naming %s and asking for a cold trial", err, dir)
	}
}

// TestLoadTwoRuns: two sweeps' records joined in one records.jsonl number
// their trials alike; every trial of both must count (none superseded by
// the other run's trial of the same index), with a warning that they are
// analysed as one.
func TestLoadTwoRuns(t *testing.T) {
	a, b, joined := t.TempDir(), t.TempDir(), t.TempDir()
	writeRun(t, a, sweepCells[:2], instances, 0.004, sweepGrid, false)
	writeRun(t, b, sweepCells[:2], instances, 0.004, sweepGrid, false)
	var all []byte
	for i, dir := range []string{a, b} {
		data, err := os.ReadFile(filepath.Join(dir, RecordsFile))
		if err != nil {
			t.Fatal(err)
		}
		// The generator writes no run id: name each run as a sweep does.
		run := []string{`"run":"A",`, `"run":"B",`}[i]
		all = append(all, strings.ReplaceAll(string(data), `"trial":`, run+`"trial":`)...)
	}
	if err := os.WriteFile(filepath.Join(joined, RecordsFile), all, 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := Load(joined)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(run.Selected.Trials), len(run.Records.Trials); got != want {
		t.Errorf("%d of %d trials count: a run's trials superseded the other's", got, want)
	}
	if len(run.Warnings) != 1 || !strings.Contains(run.Warnings[0], "2 runs") {
		t.Errorf("warnings = %q, want one about the 2 runs", run.Warnings)
	}
	an, err := Analyze(run, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range an.Cells {
		if c.N != 10 || c.Images != 60 {
			t.Errorf("cell %s: %d trials, %d images; want 10 and 60 (5 reps x 6 images from each run)", c.Name, c.N, c.Images)
		}
	}
}

// rewriteRecords applies f to every record line of dir's records.jsonl.
func rewriteRecords(t *testing.T, dir string, f func(rec map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, RecordsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		f(rec)
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, b...), '\n')
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestZeroDurationImages: images that record no build time (wall_s 0, as
// from a status stream that reported nothing) left the whole trial wall
// time to the fixed cost, and predicted 433 images in the time of one
// 6-image trial. Such a cell is no evidence for a prediction: predicting
// from it is bad input, it is no candidate for a recommendation, and the
// analysis says so.
func TestZeroDurationImages(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, sweepCells[:4], instances, 0.004, sweepGrid, false)
	zero := func(cell string) func(map[string]any) {
		return func(rec map[string]any) {
			if rec["kind"] == "image" && (cell == "" || rec["cell"] == cell) {
				rec["wall_s"], rec["exec_s"], rec["image_export_s"], rec["layer_push_s"], rec["cache_export_s"] = 0, 0, 0, 0, 0
				rec["end"] = rec["start"]
			}
		}
	}
	rewriteRecords(t, dir, zero("w4-b3-off-single"))
	a := analyzeDir(t, dir)
	if !slices.ContainsFunc(a.Warnings, func(w string) bool {
		return strings.Contains(w, "w4-b3-off-single") && strings.Contains(w, "no build time")
	}) {
		t.Errorf("analysis warnings = %q, want one about w4-b3-off-single's images without build time", a.Warnings)
	}
	w4 := Config{Workers: 4, Batch: 3, CacheMode: "off", Strategy: "single"}
	if _, err := a.Predict(w4, Target{Images: 433}); !errors.Is(err, input.ErrBad) {
		t.Errorf("predicting from images of 0 s: err = %v, want bad input", err)
	}
	rec, err := a.Recommend(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Recommended.Name == "w4-b3-off-single" || !slices.ContainsFunc(rec.Warnings, func(w string) bool { return strings.Contains(w, "not a candidate") }) {
		t.Errorf("recommended %s with warnings %q: want another cell, and w4-b3-off-single named as no candidate", rec.Recommended.Name, rec.Warnings)
	}

	rewriteRecords(t, dir, zero(""))
	a = analyzeDir(t, dir)
	if _, err := a.Recommend(Constraints{}); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) {
		t.Errorf("recommending from images of 0 s only: err = %v, want bad input naming %s", err, dir)
	}
	if _, err := a.Plan(433, 0, 2, 0, 0); !errors.Is(err, input.ErrBad) {
		t.Errorf("planning from images of 0 s only: err = %v, want bad input", err)
	}
}

// TestValidateFullWithoutWall: a full build's trial record without its
// wall time was validated as "measured 0s: error +0.0%, outside the
// interval", a miss of the model the build never measured. The trial's
// start and end give the wall time; and a full build with failed images
// says that its wall time includes them.
func TestValidateFullWithoutWall(t *testing.T) {
	run, err := Load(constRun(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(run, opts)
	if err != nil {
		t.Fatal(err)
	}
	fullDir := t.TempDir()
	writeRun(t, fullDir, []cellSpec{{cfg: w2, seconds: 10, reps: 1}}, instances, 0, nil, false)
	rewriteRecords(t, fullDir, func(rec map[string]any) {
		if rec["kind"] == "trial" {
			rec["wall_s"] = 0
		}
	})
	full, err := Load(fullDir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Validate(a, full, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if v.MeasuredS != 40 || v.ErrorPct != 0 || !v.Inside {
		t.Errorf("full build without wall_s: measured %v, error %v%%, inside %v; want 40 s from its start and end, 0%%, inside", v.MeasuredS, v.ErrorPct, v.Inside)
	}

	rewriteRecords(t, fullDir, func(rec map[string]any) {
		switch {
		case rec["kind"] == "trial":
			rec["wall_s"], rec["built"], rec["failed"], rec["images_per_hour"] = 40, 5, 1, 450
		case rec["kind"] == "image" && rec["instance"] == "astropy__astropy-1":
			rec["status"], rec["error_class"], rec["error"] = "failed", "build", "exit 1"
		}
	})
	if full, err = Load(fullDir); err != nil {
		t.Fatal(err)
	}
	if v, err = Validate(a, full, Config{}); err != nil {
		t.Fatal(err)
	}
	if v.Images != 5 || !slices.ContainsFunc(v.Warnings, func(w string) bool { return strings.Contains(w, "1 of the full build's images failed") }) {
		t.Errorf("full build with a failed image: %d images, warnings %q; want 5 and a warning about the failure", v.Images, v.Warnings)
	}
}

// TestBatchLargerThanSample: a cell whose batch exceeds the sample never
// met a barrier in the sweep; its prediction of a larger build simulates
// them, which a warning now says.
func TestBatchLargerThanSample(t *testing.T) {
	dir := t.TempDir()
	b50 := Config{Workers: 4, Batch: 50, CacheMode: "off", Strategy: "single"}
	writeRun(t, dir, []cellSpec{{cfg: b50, seconds: 10, reps: 3, temp: "cold", fixed: 1}}, instances, 0.004, sweepGrid, false)
	a := analyzeDir(t, dir)
	p, err := a.Predict(b50, Target{Images: 433})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "batch 50 is larger than the sweep's sample of 6") }) {
		t.Errorf("warnings %q: want one about batch 50 over a 6-image sample", p.Warnings)
	}
	if p, err = a.Predict(b50, Target{Images: 6}); err != nil || slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "larger than the sweep's sample") }) {
		t.Errorf("a 6-image build of the same sample: err %v, warnings %q: want no batch warning", err, p.Warnings)
	}
}
