package evidence

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

var update = flag.Bool("update", false, "rewrite testdata/sweep from the generator")

// cellSpec describes one synthetic cell: every image of a trial takes
// seconds × the trial's factor (1 + spread×rep), scheduled exactly as the
// pipeline would (equal durations, greedy pool, barriers), and the trial's
// wall is that makespan plus fixed.
type cellSpec struct {
	cfg     Config
	seconds float64
	reps    int
	temp    string
	fixed   float64
}

var instances = []string{"django__django-1", "django__django-2", "django__django-3", "sympy__sympy-1", "sympy__sympy-2", "astropy__astropy-1"}

const mib = 1 << 20

// writeRun writes run.json (when grid is not nil) and records.jsonl into
// dir, the cells' trials in order, interleaved by rep.
func writeRun(t testing.TB, dir string, cells []cellSpec, ids []string, spread float64, grid map[string]any, prune bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if grid != nil {
		info := map[string]any{"id": "20261126T120000Z", "machine": map[string]any{"cores": 2, "cpu_model": "synthetic", "os": "linux", "arch": "amd64"},
			"buildkit_version": "v0.test", "buildtune_version": "(devel)", "git_commit": "abc123", "go_version": "go1.26",
			"grid": grid, "seed": 1, "start": t0, "workload": "synthetic"}
		data, _ := json.MarshalIndent(info, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, RunInfoFile), append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := record.Create(filepath.Join(dir, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	maxReps := 0
	for _, c := range cells {
		maxReps = max(maxReps, c.reps)
	}
	trial := 0
	clock := t0
	for rep := range maxReps {
		for _, c := range cells {
			if rep >= c.reps {
				continue
			}
			trial++
			f := 1 + spread*float64(rep)
			d := c.seconds * f
			rc := record.Config{Cell: c.cfg.Name(), Workers: c.cfg.Workers, Batch: c.cfg.Batch, CacheMode: c.cfg.CacheMode,
				Strategy: c.cfg.Strategy, Temp: c.temp, Rep: rep + 1}
			start := clock
			batch := c.cfg.Batch
			if batch == 0 {
				batch = len(ids)
			}
			var span float64
			for b := 0; b*batch < len(ids); b++ {
				n := min(batch, len(ids)-b*batch)
				for k := range n {
					at := span + float64(k/c.cfg.Workers)*d
					s := start.Add(time.Duration((c.fixed + at) * float64(time.Second)))
					id := ids[b*batch+k]
					cexp := 0.0
					if c.cfg.CacheMode != "off" {
						cexp = 0.05 * d
					}
					im := record.Image{Trial: trial, Config: rc, Instance: id, Phase: "image", Status: record.StatusBuilt, Attempts: 1,
						BatchIndex: b, Cost: record.Cost{ID: id, Start: s, End: s.Add(time.Duration(d * float64(time.Second))),
							WallSeconds: d, ExecSeconds: 0.6 * d, ImageExportSeconds: 0.1 * d, LayerPushSeconds: 0.2 * d,
							CacheExportSeconds: cexp, CachedSteps: 3, TotalSteps: 4, ImageBytes: 50 * mib}}
					if err := w.Write(&im); err != nil {
						t.Fatal(err)
					}
				}
				span += float64((n+c.cfg.Workers-1)/c.cfg.Workers) * d
			}
			wall := c.fixed + span
			end := start.Add(time.Duration(wall * float64(time.Second)))
			tr := record.Trial{Trial: trial, Config: rc, Start: start, End: end, WallSeconds: wall, Images: len(ids), Built: len(ids),
				ImagesPerHour: record.ImagesPerHour(len(ids), wall), BytesPushed: int64(len(ids)) * 50 * mib,
				DiskBefore: 0, DiskAfter: int64(len(ids)) * 100 * mib}
			if prune && rep == 0 {
				ev := record.Event{Trial: trial, Time: start, Type: record.EventPrune, Cell: rc.Cell, Seconds: 5, Bytes: 2 << 30}
				if err := w.Write(&ev); err != nil {
					t.Fatal(err)
				}
				tr.Prunes, tr.PruneSeconds = 1, 5
			}
			if err := w.Write(&tr); err != nil {
				t.Fatal(err)
			}
			clock = end.Add(10 * time.Second)
		}
	}
}

// sweepCells is the structure of testdata/sweep: w4 clearly fastest,
// w2 off and w2 min equivalent (within 0.2%), w1 slowest; 5 cold reps with
// a 0.4% spread per rep, plus 2 warm trials of w2 off.
var sweepCells = []cellSpec{
	{cfg: Config{Workers: 1, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 9, reps: 5, temp: "cold", fixed: 1},
	{cfg: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 10, reps: 5, temp: "cold", fixed: 1},
	{cfg: Config{Workers: 2, Batch: 3, CacheMode: "min", Strategy: "single"}, seconds: 10.02, reps: 5, temp: "cold", fixed: 1},
	{cfg: Config{Workers: 4, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 12, reps: 5, temp: "cold", fixed: 1},
	{cfg: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 5, reps: 2, temp: "warm", fixed: 1},
}

var sweepGrid = map[string]any{"workers": []int{1, 2, 4}, "batch": []any{3}, "cache": []string{"off", "min"},
	"strategy": []string{"single"}, "temp": []string{"cold", "warm"}, "registry-bandwidth": []string{"unlimited"},
	"reps": 5, "sample": 6, "seed": 1, "profile": "synthetic"}

// TestTestdata checks that testdata/sweep is what the generator writes
// (go test -run TestTestdata -update rewrites it).
func TestTestdata(t *testing.T) {
	dir := filepath.Join("testdata", "sweep")
	if *update {
		os.RemoveAll(dir)
		writeRun(t, dir, sweepCells, instances, 0.004, sweepGrid, true)
	}
	tmp := t.TempDir()
	writeRun(t, tmp, sweepCells, instances, 0.004, sweepGrid, true)
	for _, f := range []string{RunInfoFile, RecordsFile} {
		want, err := os.ReadFile(filepath.Join(tmp, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's: run go test -run TestTestdata -update", f)
		}
	}
}
