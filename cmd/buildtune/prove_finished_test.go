package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestProveFinishedNoStack: `prove --resume` of a proof whose builds are
// all recorded started a BuildKit stack only to recompute the verdict, and
// failed where none could start. With nothing left to build, the verdict
// is recomputed from the records without starting or dialling a daemon:
// with no buildkitd, or an address nothing listens on, it is printed and
// the command exits with the proof's status. A proof with builds left
// still needs its stack.
func TestProveFinishedNoStack(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	base, head := "workers=2,batch=4,cache=off", "workers=4,batch=4,cache=off"
	unreachable := "unix://" + filepath.Join(t.TempDir(), "no-such.sock")
	for name, stack := range map[string][]string{
		"no buildkitd":        {"--buildkitd", "/nonexistent/buildkitd"},
		"unreachable address": {"--buildkit-addr", unreachable},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeListSweep(t)
			records := readFileString(t, filepath.Join(dir, sweep.RecordsFile))
			args := append([]string{"prove", "--resume", dir, "--base", base, "--head", head, "--state", filepath.Join(t.TempDir(), "state")}, stack...)
			r := runIn(t, args...)
			v := readVerdict(t, dir, r)
			if r.code != v.ExitCode {
				t.Errorf("exit %d, want the verdict's %d\n%s", r.code, v.ExitCode, r)
			}
			if !strings.Contains(r.stdout, "verdict: "+filepath.Join(dir, "verdict.md")) {
				t.Errorf("stdout does not print the verdict\n%s", r)
			}
			if got := readFileString(t, filepath.Join(dir, sweep.RecordsFile)); got != records {
				t.Errorf("the records of a finished proof changed:\n%s", got)
			}
		})
	}

	t.Run("failed builds", func(t *testing.T) {
		dir := failedProof(t)
		r := runIn(t, "prove", "--resume", dir, "--base", "workers=1,batch=3,cache=off", "--head", "workers=2,batch=3,cache=off",
			"--buildkitd", "/nonexistent/buildkitd", "--state", filepath.Join(t.TempDir(), "state"))
		if r.code != exitFailed || !strings.Contains(r.stderr, "6 of 6 images failed") {
			t.Errorf("finished proof whose builds failed: want exit 1 naming the failures\n%s", r)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "verdict.md")); err != nil || !strings.Contains(string(b), "the builds failed") {
			t.Errorf("verdict.md: %v\n%s", err, b)
		}
	})

	t.Run("adaptive", func(t *testing.T) {
		dir := adaptiveProof(t)
		r := runIn(t, "prove", "--resume", dir, "--base", "workers=1,batch=4,cache=off", "--head", "workers=2,batch=4,cache=off",
			"--buildkitd", "/nonexistent/buildkitd", "--state", filepath.Join(t.TempDir(), "state"))
		v := readVerdict(t, dir, r)
		if r.code != v.ExitCode {
			t.Errorf("exit %d, want the verdict's %d\n%s", r.code, v.ExitCode, r)
		}
	})

	t.Run("builds left", func(t *testing.T) {
		dir := writeListSweep(t)
		info, err := sweep.ReadRunInfo(dir)
		if err != nil {
			t.Fatal(err)
		}
		info.Grid.Reps++ // a fifth rep of each setting is still to build
		if err := sweep.WriteRunInfo(dir, info); err != nil {
			t.Fatal(err)
		}
		r := runIn(t, "prove", "--resume", dir, "--base", base, "--head", head, "--buildkitd", "/nonexistent/buildkitd",
			"--state", filepath.Join(t.TempDir(), "state"))
		if r.code == exitOK || !strings.Contains(r.stderr, "buildkitd not found at /nonexistent/buildkitd") {
			t.Errorf("proof with builds left and no buildkitd: want the stack's failure\n%s", r)
		}
		if _, err := os.Stat(filepath.Join(dir, "verdict.md")); !os.IsNotExist(err) {
			t.Errorf("proof with builds left and no buildkitd wrote a verdict (%v)\n%s", err, r)
		}
	})
}

// TestSweepFinishedNoStack: `sweep --resume` of a finished sweep prints
// its summary from the records without a stack.
func TestSweepFinishedNoStack(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	dir := writeListSweep(t)
	r := runIn(t, "sweep", "--resume", dir, "--buildkitd", "/nonexistent/buildkitd", "--state", filepath.Join(t.TempDir(), "state"))
	if r.code != exitOK || !strings.Contains(r.stdout, "summary: "+filepath.Join(dir, "summary.md")) {
		t.Errorf("sweep --resume of a finished sweep without buildkitd: want its summary, exit 0\n%s", r)
	}
}

func readFileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readVerdict reads the verdict.json a proof wrote.
func readVerdict(t *testing.T, dir string, r result) struct{ ExitCode int } {
	t.Helper()
	var v struct {
		ExitCode int `json:"exit_code"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "verdict.json"))
	if err != nil {
		t.Fatalf("no verdict: %v\n%s", err, r)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return struct{ ExitCode int }{v.ExitCode}
}

// adaptiveProof writes a finished adaptive proof (successive halving
// within a budget) of w1-b4 against w2-b4 by running the sweep with a
// runner that records made-up builds: w2 is plainly faster, so round 1
// drops w1 and the sweep stops.
func adaptiveProof(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "proof")
	cells := []sweep.Cell{{Workers: 1, Batch: 4, Cache: "off", Strategy: "single", Registry: sweep.Direct},
		{Workers: 2, Batch: 4, Cache: "off", Strategy: "single", Registry: sweep.Direct}}
	g := sweep.Grid{Workers: []int{1, 2}, Batches: []int{4}, Cache: []engine.CacheMode{"off"}, Strategies: []string{"single"},
		Registry: []string{sweep.Direct}, Temps: []string{sweep.Cold}, Reps: 1, Sample: 4, Seed: 1, Configs: cells}
	clock := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	run := &fakeBuilds{now: now}
	sum, err := sweep.Run(context.Background(), sweep.Options{Grid: g, OutDir: dir, Budget: 10 * time.Hour, Adaptive: true,
		PerImageSeconds: 1, Cores: 2, Info: sweep.RunInfo{Machine: sweep.Machine{Cores: 2, OS: "linux", Arch: "amd64"}, Workload: "fixtures"}, Now: now}, run)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Stop == "" || run.trials == 0 {
		t.Fatalf("adaptive proof did not stop: %+v", sum)
	}
	return dir
}

// fakeBuilds records a trial of 4 built images, faster with more workers.
type fakeBuilds struct {
	now    func() time.Time
	trials int
}

func (f *fakeBuilds) RunTrial(_ context.Context, tr sweep.Trial, w *record.Writer) (record.Trial, error) {
	f.trials++
	ids := []string{"django__django-1", "django__django-2", "sympy__sympy-1", "astropy__astropy-1"}
	d := 20.0 / float64(tr.Cell.Workers) * (1 + 0.01*float64(tr.Rep%3))
	start := f.now()
	rc := record.Config{Cell: tr.Cell.Name(), Workers: tr.Cell.Workers, Batch: tr.Cell.Batch, CacheMode: "off", Strategy: "single", Temp: tr.Temp, Rep: tr.Rep}
	for k, id := range ids {
		s := start.Add(time.Duration(float64(k/tr.Cell.Workers) * d * float64(time.Second)))
		im := record.Image{Trial: tr.Index, Config: rc, Instance: id, Phase: "single", Status: record.StatusBuilt, Attempts: 1,
			Cost: record.Cost{ID: id, Start: s, End: s.Add(time.Duration(d * float64(time.Second))), WallSeconds: d, ExecSeconds: 0.6 * d,
				ImageExportSeconds: 0.1 * d, LayerPushSeconds: 0.2 * d, CachedSteps: 3, TotalSteps: 4, ImageBytes: 50 << 20}}
		if err := w.Write(&im); err != nil {
			return record.Trial{}, err
		}
	}
	wall := 4 / float64(tr.Cell.Workers) * d
	return record.Trial{Start: start, End: start.Add(time.Duration(wall * float64(time.Second))), WallSeconds: wall, Images: 4, Built: 4,
		ImagesPerHour: record.ImagesPerHour(4, wall), BytesPushed: 4 * 50 << 20}, nil
}
