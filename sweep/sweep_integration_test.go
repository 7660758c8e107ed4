package sweep_test

import (
	"context"
	"github.com/buildtune/buildtune/internal/testenv"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/record"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
)

// TestRealSweep runs a tiny real sweep end to end: 2 worker counts x 2
// cache modes x 2 reps over 2 images, cold, on the embedded registry
// behind the proxy, and checks the records.
func TestRealSweep(t *testing.T) {
	e := newFleetEnv(t, 2, nil, stack.Config{})
	g := sweep.Grid{Workers: []int{1, 2}, Batches: []int{0}, Cache: []engine.CacheMode{engine.CacheOff, engine.CacheMax},
		Strategies: []string{workload.Single}, Registry: []string{sweep.Direct}, Temps: []string{sweep.Cold},
		Reps: 2, Sample: 2, Seed: 7}
	w := e.workload(t, "unused", fixtures.SDKSha(7, 0))
	w.Registry = e.reg
	runner := &sweep.StackRunner{Workload: w, Instances: e.insts, Daemons: e.daemons, Registry: e.reg, Attempts: 1,
		Host: "test", BuildKitVersion: "test"}
	out := filepath.Join(t.TempDir(), "sweep")
	sum, err := sweep.Run(context.Background(), sweep.Options{Grid: g, OutDir: out}, runner)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ran != 8 {
		t.Errorf("ran %d trials, want 8", sum.Ran)
	}
	if _, err := os.Stat(filepath.Join(out, sweep.RunInfoFile)); err != nil {
		t.Fatal(err)
	}
	info, err := sweep.ReadRunInfo(out)
	if err != nil || info.Machine.Cores == 0 || info.Grid.Reps != 2 {
		t.Fatalf("run.json: %+v %v", info, err)
	}
	set, err := record.ReadFile(filepath.Join(out, sweep.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Trials) != 8 || len(set.Images) != 16 {
		t.Fatalf("%d trial and %d image records, want 8 and 16", len(set.Trials), len(set.Images))
	}
	resets := 0
	for _, ev := range set.Events {
		if ev.Type == "reset" {
			resets++
		}
	}
	if resets != 8 {
		t.Errorf("%d cold resets recorded, want 8", resets)
	}
	perCell := map[string]int{}
	for _, tr := range set.Trials {
		perCell[tr.Cell]++
		if tr.Built != 2 || tr.Failed != 0 || tr.ImagesPerHour <= 0 || tr.WallSeconds <= 0 || tr.Temp != sweep.Cold {
			t.Errorf("trial %d: %+v", tr.Trial, tr)
		}
		if tr.BytesPushed <= 0 {
			t.Errorf("trial %d: no bytes pushed counted by the proxy", tr.Trial)
		}
		if tr.CacheMode == "max" && tr.CacheExportSeconds <= 0 {
			t.Errorf("trial %d (max): no cache export time", tr.Trial)
		}
		if tr.CacheMode == "off" && tr.CacheExportSeconds != 0 {
			t.Errorf("trial %d (off): cache export %.3fs", tr.Trial, tr.CacheExportSeconds)
		}
		if tr.BuildKitVersion != "test" || tr.Registry != "direct" || tr.Rep < 1 {
			t.Errorf("trial %d: labels %+v", tr.Trial, tr.Config)
		}
	}
	if len(perCell) != 4 {
		t.Errorf("cells %v, want 4 with 2 trials each", perCell)
	}
	for c, n := range perCell {
		if n != 2 {
			t.Errorf("cell %s: %d trials", c, n)
		}
	}
	// Interleaved: no two consecutive trials of the same cell.
	for i := 1; i < len(set.Trials); i++ {
		if set.Trials[i].Cell == set.Trials[i-1].Cell {
			t.Errorf("trials %d and %d are both %s", i, i+1, set.Trials[i].Cell)
		}
	}
	for _, im := range set.Images {
		if im.Status != record.StatusBuilt || im.WallSeconds <= 0 || im.TotalSteps == 0 || im.Digest == "" || im.Instance == "" || im.Cell == "" {
			t.Errorf("image record: %+v", im)
		}
	}
}

// TestBandwidthCell: a cell with a registry bandwidth cap pushes through
// the proxy at no more than the cap: the trial cannot be shorter than
// its bytes pushed divided by the cap.
func TestBandwidthCell(t *testing.T) {
	e := newFleetEnv(t, 2, nil, stack.Config{})
	w := e.workload(t, "unused", fixtures.SDKSha(8, 0))
	w.Registry = e.reg
	runner := &sweep.StackRunner{Workload: w, Instances: e.insts, Daemons: e.daemons, Registry: e.reg, Attempts: 1}
	const capBps = 4 << 20
	for i, bw := range []string{"4MiB/s", sweep.Direct} {
		cell := sweep.Cell{Workers: 2, Batch: 0, Cache: engine.CacheMax, Strategy: workload.Single, Registry: bw}
		tr, err := runner.RunTrial(context.Background(), sweep.Trial{Index: i + 1, Unit: i + 1, Cell: cell, Rep: 1, Temp: sweep.Cold,
			SDKSha: fixtures.SDKSha(8, i)}, nil)
		if err != nil || tr.Built != 2 {
			t.Fatalf("%s: built %d: %v", bw, tr.Built, err)
		}
		floor := float64(tr.BytesPushed) / capBps
		t.Logf("%s: %d bytes pushed in %.2fs (at the cap that takes at least %.2fs); registry %q", bw, tr.BytesPushed, tr.WallSeconds, floor, tr.Registry)
		if bw != sweep.Direct {
			if tr.BytesPushed < 4<<20 {
				t.Fatalf("only %d bytes pushed: too few to test a cap", tr.BytesPushed)
			}
			if tr.WallSeconds < 0.9*floor {
				t.Errorf("%s: %.2fs for %d bytes: faster than the cap allows", bw, tr.WallSeconds, tr.BytesPushed)
			}
			if tr.Registry == "direct" || tr.Registry == "" {
				t.Errorf("capped trial labelled %q", tr.Registry)
			}
		}
	}
}

// TestLongAdaptiveSweep (make test-long): a real adaptive sweep within a
// budget. W=1 against W=4 on 2 cores differ enough that successive halving
// drops W=1 on evidence, records why, and stops within the budget.
func TestLongAdaptiveSweep(t *testing.T) {
	if !testenv.Long() {
		t.Skip("long: run with make test-long")
	}
	e := newFleetEnv(t, 4, nil, stack.Config{})
	g := sweep.Grid{Workers: []int{1, 4}, Batches: []int{0}, Cache: []engine.CacheMode{engine.CacheOff},
		Strategies: []string{workload.Single}, Registry: []string{sweep.Direct}, Temps: []string{sweep.Cold},
		Reps: 1, Sample: 4, Seed: 3}
	w := e.workload(t, "unused", fixtures.SDKSha(3, 0))
	w.Registry = e.reg
	runner := &sweep.StackRunner{Workload: w, Instances: e.insts, Daemons: e.daemons, Registry: e.reg, Attempts: 1}
	out := filepath.Join(t.TempDir(), "adaptive")
	const budget = 6 * time.Minute
	sum, err := sweep.Run(context.Background(), sweep.Options{Grid: g, OutDir: out, Adaptive: true, Budget: budget,
		PerImageSeconds: sweep.DefaultPerImageSeconds}, runner)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("adaptive: %d rounds, %d trials, %s; best %s; stop: %s", sum.Rounds, sum.Ran, sum.Elapsed, sum.Best, sum.Stop)
	if sum.Elapsed > budget+time.Minute {
		t.Errorf("took %s, budget %s", sum.Elapsed, budget)
	}
	if sum.Best != "w4-stream-off-single" || len(sum.Dropped) != 1 || sum.Dropped[0].Cell != "w1-stream-off-single" {
		t.Errorf("best %q, dropped %+v: want W=1 dropped on evidence", sum.Best, sum.Dropped)
	}
	set, err := record.ReadFile(filepath.Join(out, sweep.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	var drops, stops int
	for _, ev := range set.Events {
		switch ev.Type {
		case sweep.EventDrop:
			drops++
			if ev.Message == "" {
				t.Error("drop event without its evidence")
			}
		case sweep.EventStop:
			stops++
		}
	}
	if drops != 1 || stops != 1 {
		t.Errorf("%d drop and %d stop events, want 1 and 1", drops, stops)
	}
}
