package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// writeTieSweep writes a sweep of two cells that differ only in cache mode, as
// the tester's sweep of cache off and max did: cache max measured a hair faster
// (0.1% more images/hour, so the best measured cell), cache off pushing far
// fewer bytes, both within the 3% margin of each other over 8 reps. recommend
// then picks the cheaper, cache off.
func writeTieSweep(t *testing.T) string {
	t.Helper()
	sample := []string{"astropy__astropy-1", "django__django-1", "django__django-2", "sympy__sympy-1"}
	dir := filepath.Join(t.TempDir(), "sweep")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const reps = 8
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	info := sweep.RunInfo{ID: "20261126T120000Z", Machine: sweep.Machine{Cores: 2, OS: "linux", Arch: "amd64"}, Version: "(devel)",
		Grid: sweep.Grid{Workers: []int{2}, Batches: []int{0}, Cache: []engine.CacheMode{"off", "max"}, Strategies: []string{"single"},
			Registry: []string{sweep.Direct}, Temps: []string{sweep.Cold}, Reps: reps, Sample: len(sample), Seed: 1},
		Seed: 1, Start: t0, Workload: "fixtures"}
	if err := sweep.WriteRunInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	w, err := record.Create(filepath.Join(dir, sweep.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	trial, clock := 0, t0
	for rep := 1; rep <= reps; rep++ {
		for _, cell := range []struct {
			cache   string
			seconds float64
			bytes   int64
		}{{"off", 10, 20 << 20}, {"max", 9.99, 60 << 20}} {
			trial++
			rc := record.Config{Cell: "w2-stream-" + cell.cache + "-single", Workers: 2, Batch: 0, CacheMode: cell.cache,
				Strategy: "single", Temp: record.TempCold, Rep: rep}
			d := cell.seconds * (1 + 0.002*float64(rep%3))
			for k, id := range sample {
				s := clock.Add(time.Duration((1 + float64(k/2)*d) * float64(time.Second)))
				im := record.Image{Trial: trial, Config: rc, Instance: id, Phase: "single", Status: record.StatusBuilt, Attempts: 1,
					Cost: record.Cost{ID: id, Start: s, End: s.Add(time.Duration(d * float64(time.Second))), WallSeconds: d,
						ExecSeconds: 0.6 * d, ImageExportSeconds: 0.1 * d, LayerPushSeconds: 0.2 * d, CachedSteps: 3, TotalSteps: 4, ImageBytes: cell.bytes}}
				if err := w.Write(&im); err != nil {
					t.Fatal(err)
				}
			}
			wall := 1 + 2*d
			end := clock.Add(time.Duration(wall * float64(time.Second)))
			tr := record.Trial{Trial: trial, Config: rc, Start: clock, End: end, WallSeconds: wall, Images: len(sample), Built: len(sample),
				ImagesPerHour: record.ImagesPerHour(len(sample), wall), BytesPushed: int64(len(sample)) * cell.bytes}
			if err := w.Write(&tr); err != nil {
				t.Fatal(err)
			}
			clock = end.Add(10 * time.Second)
		}
	}
	return dir
}

// TestPlanStartsFromRecommendation: plan sizes runners for recommend's pick,
// not for the best measured cell when that is another (the tester's sweep: cache
// max measured 0.01% faster, recommend picked cache off as the cheaper of two
// equivalent cells), and its first line says both and why.
func TestPlanStartsFromRecommendation(t *testing.T) {
	dir := writeTieSweep(t)
	r := runIn(t, "recommend", dir, "--images", "100")
	if r.code != exitOK || !strings.Contains(strings.SplitN(r.stdout, "\n", 2)[0], "w2-stream-off-single") {
		t.Fatalf("recommend: want cache off picked (the premise of this test)\n%s", r)
	}
	r = runIn(t, "analyze", dir)
	if r.code != exitOK {
		t.Fatalf("analyze: %s", r)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "analysis.json")); err != nil || !strings.Contains(string(b), `"best": "w2-stream-max-single"`) {
		t.Fatalf("analysis.json: want the best measured cell cache max (the premise of this test): %v", err)
	}
	for _, args := range [][]string{{"--runners", "2"}, {"--deadline", "1h"}} {
		r = runIn(t, append([]string{"plan", dir, "--images", "100"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("plan %v: %s", args, r)
		}
		first := strings.SplitN(r.stdout, "\n", 2)[0]
		for _, want := range []string{"basis cache off", "recommend's pick", "workers=2,batch=stream,cache=off", "not the best measured cell, w2-stream-max-single"} {
			if !strings.Contains(first, want) {
				t.Errorf("plan %v: first line %q lacks %q", args, first, want)
			}
		}
	}
}
