package evidence

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/input"
)

// TestImagesPerHourDisagreesWithTrial: a trial record whose
// images_per_hour disagrees with its own built images and wall time (1e308
// where 6 images in 55 s are 393/h) ranked its cell first and overflowed
// the analysis to +Inf: report wrote report.md with "+Infx" and then
// failed (exit 1) encoding analysis.json. It is a corrupted record: bad
// input naming the folder, the trial and what was expected.
func TestImagesPerHourDisagreesWithTrial(t *testing.T) {
	for _, v := range []float64{1e308, 5000, 1e-300} {
		dir := t.TempDir()
		writeRun(t, dir, sweepCells[:2], instances, 0.004, sweepGrid, false)
		first := true
		rewriteRecords(t, dir, func(rec map[string]any) {
			if rec["kind"] == "trial" && first {
				rec["images_per_hour"] = v
				first = false
			}
		})
		_, err := Load(dir)
		if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) ||
			!strings.Contains(err.Error(), "images_per_hour") || strings.Contains(err.Error(), "\n") {
			t.Errorf("images_per_hour %v: err = %v; want one line of bad input naming %s and images_per_hour", v, err, dir)
		}
	}
	// The records as a sweep writes them still load.
	dir := t.TempDir()
	writeRun(t, dir, sweepCells[:2], instances, 0.004, sweepGrid, false)
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
}

// TestRunFilesThatCannotBeRead: a folder or a symlink loop where run.json
// or source.json should be, or a run folder that is a symlink loop, was
// an error of no class ("reading d/run.json: read d/run.json: is a
// directory", exit 1, the exit of failed builds); it is bad input naming
// the folder and the file.
func TestRunFilesThatCannotBeRead(t *testing.T) {
	for _, name := range []string{RunInfoFile, SourceFile} {
		for _, kind := range []string{"folder", "loop"} {
			dir := t.TempDir()
			writeRun(t, dir, sweepCells[:2], instances, 0.004, sweepGrid, false)
			path := filepath.Join(dir, name)
			os.Remove(path)
			var err error
			if kind == "folder" {
				err = os.Mkdir(path, 0o755)
			} else {
				err = os.Symlink(name, path)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(dir)
			if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), name) {
				t.Errorf("%s as a %s: err = %v; want bad input naming %s and %s", name, kind, err, dir, name)
			}
		}
	}
	loop := filepath.Join(t.TempDir(), "run")
	if err := os.Symlink("run", loop); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(loop); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), loop) {
		t.Errorf("run folder as a symlink loop: err = %v; want bad input naming %s", err, loop)
	}
}

// TestReadValidationEdited: report --validation took any validation.json
// that parsed: an edited error_pct of 1e308 printed as a 310-digit
// percentage, {} as a "workers=0,batch=stream,cache=,strategy=" row with a
// "0s" build, and a negative measured time failed drawing the chart (exit
// 1). ReadValidation takes what Validate writes and refuses the rest as
// bad input naming the folder.
func TestReadValidationEdited(t *testing.T) {
	good := Validation{Config: Config{Workers: 4, Batch: 3, CacheMode: "off", Strategy: "single"}, Images: 6, MeasuredS: 25,
		PredictedS: Interval{Median: 25.190059768164154, Lo: 24.84165574483609, Hi: 25.533453640877003}, ErrorPct: 0.760239072656617, Inside: true}
	good.ErrorPct = 100 * (good.PredictedS.Median - good.MeasuredS) / good.MeasuredS
	write := func(t *testing.T, v any) string {
		dir := t.TempDir()
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ValidationFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if got, err := ReadValidation(write(t, good)); err != nil || got.MeasuredS != 25 {
		t.Fatalf("a validation as Validate writes it: %+v, %v", got, err)
	}
	wide := good
	wide.TooWide, wide.Inside = true, false
	if _, err := ReadValidation(write(t, wide)); err != nil {
		t.Errorf("a too-wide validation: %v", err)
	}
	for name, edit := range map[string]func(v *Validation){
		"error 1e308":       func(v *Validation) { v.ErrorPct = 1e308 },
		"empty":             func(v *Validation) { *v = Validation{} },
		"negative measured": func(v *Validation) { v.MeasuredS = -5 },
		"zero measured":     func(v *Validation) { v.MeasuredS = 0 },
		"no images":         func(v *Validation) { v.Images = 0 },
		"workers -3":        func(v *Validation) { v.Config.Workers = -3 },
		"cache maxx":        func(v *Validation) { v.Config.CacheMode = "maxx" },
		"median outside":    func(v *Validation) { v.PredictedS.Median = 100 },
		"huge prediction":   func(v *Validation) { v.PredictedS = Interval{1e308, 1e308, 1e308} },
		"hit contradicted":  func(v *Validation) { v.Inside = false },
	} {
		v := good
		edit(&v)
		dir := write(t, v)
		if _, err := ReadValidation(dir); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v; want one line of bad input naming %s", name, err, dir)
		}
	}
	dir := t.TempDir()
	if _, err := ReadValidation(dir); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) {
		t.Errorf("no validation.json: err = %v; want bad input naming %s", err, dir)
	}
}

// TestRunFilesThatAreDevices: records.jsonl or run.json linked to
// /dev/zero was read without end (a line without end, a JSON file without
// end), deaf to Ctrl-C, until the kernel killed the process. A file of a
// run folder that is not a regular file is bad input naming the folder
// and the file.
func TestRunFilesThatAreDevices(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	for _, name := range []string{RecordsFile, RunInfoFile, SourceFile} {
		dir := t.TempDir()
		writeRun(t, dir, sweepCells[:2], instances, 0.004, sweepGrid, false)
		path := filepath.Join(dir, name)
		os.Remove(path)
		if err := os.Symlink("/dev/zero", path); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := Load(dir)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), name) {
				t.Errorf("%s linked to /dev/zero: err = %v; want bad input naming %s and %s", name, err, dir, name)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("%s linked to /dev/zero: Load still reading after 3s", name)
		}
	}
}

// TestRunInfoOfAnotherTool: a run.json that is valid JSON but not a
// sweep's (`{"name":"package"}`, a package manifest) decoded into a run
// with no id, no start and no grid, and the evidence was drawn as if from
// a sweep. It is bad input naming the folder and run.json.
func TestRunInfoOfAnotherTool(t *testing.T) {
	for _, body := range []string{`{"name":"package"}`, `{}`, `{"id":"x"}`, `{"start":"2026-11-28T00:00:00Z"}`} {
		dir := t.TempDir()
		writeRun(t, dir, sweepCells[:2], instances, 0.004, sweepGrid, false)
		if err := os.WriteFile(filepath.Join(dir, RunInfoFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), RunInfoFile) ||
			strings.Contains(err.Error(), "\n") {
			t.Errorf("run.json %s: err = %v; want one line of bad input naming %s and %s", body, err, dir, RunInfoFile)
		}
	}
	// A sweep's own run.json still loads.
	dir := t.TempDir()
	writeRun(t, dir, sweepCells[:2], instances, 0.004, sweepGrid, false)
	run, err := Load(dir)
	if err != nil || run.Info == nil || run.Info.ID == "" {
		t.Fatalf("Load = %+v, %v", run, err)
	}
}
