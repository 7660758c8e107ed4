package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// noDaemon is a --buildkit-addr that nothing answers: a sweep that gets past
// its input checks fails there (exit 3), so exit 2 says the input was refused
// before any stack.
const noDaemon = "--buildkit-addr=unix:///nonexistent/buildtune-test.sock"

// wantRefused checks that res is one line of bad input (exit 2) naming what.
func wantRefused(t *testing.T, res result, what ...string) {
	t.Helper()
	if res.code != exitUsage {
		t.Fatalf("exit %d, want %d (bad input); stderr:\n%s", res.code, exitUsage, res.stderr)
	}
	line := strings.TrimSpace(res.stderr)
	if strings.Contains(line, "\n") {
		t.Errorf("stderr is more than one line:\n%s", res.stderr)
	}
	for _, w := range what {
		if !strings.Contains(line, w) {
			t.Errorf("stderr %q does not name %q", line, w)
		}
	}
}

// TestSweepResumeEmptyValue: --resume "" is refused, not taken as no
// resume at all (which started a new sweep of the default grid).
func TestSweepResumeEmptyValue(t *testing.T) {
	t.Chdir(t.TempDir())
	res := runIn(t, "sweep", "--resume", "", noDaemon)
	wantRefused(t, res, "--resume", "empty value")
	if _, err := os.Stat("runs"); err == nil {
		t.Error("a runs/ folder was made")
	}
}

// TestSweepResumeBrokenFolder: a sweep folder that cannot be resumed as it
// is (run.json without a valid grid, records that do not parse, records of
// another plan) is bad input naming --resume and the folder, before any
// stack, and the folder is left as it was.
func TestSweepResumeBrokenFolder(t *testing.T) {
	ids := []string{"django__django-1", "sympy__sympy-1"}
	dir := t.TempDir()
	list := writeFile(t, "ids.txt", strings.Join(ids, "\n")+"\n")
	prof := tinyProfile(t, dir)

	t.Run("empty grid", func(t *testing.T) {
		d := filepath.Join(t.TempDir(), "s")
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, sweep.RunInfoFile), []byte("{}\n"), 0o644)
		wantRefused(t, runIn(t, "sweep", "--resume", d, noDaemon), "--resume "+d, "run.json", "invalid grid")
	})
	t.Run("garbage records", func(t *testing.T) {
		d := startedSweep(t, list, prof, ids)
		recs := filepath.Join(d, sweep.RecordsFile)
		os.WriteFile(recs, []byte("garbage\n{}\n"), 0o644)
		wantRefused(t, runIn(t, "sweep", "--resume", d, noDaemon), "--resume "+d, "records line 1")
		if b, _ := os.ReadFile(recs); string(b) != "garbage\n{}\n" {
			t.Errorf("records changed: %q", b)
		}
	})
	t.Run("records of another plan", func(t *testing.T) {
		d := startedSweep(t, list, prof, ids)
		recs := filepath.Join(d, sweep.RecordsFile)
		w, err := record.Create(recs)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		tr := &record.Trial{Run: "20261127T120000Z", Trial: 1, Start: now, End: now, WallSeconds: 1, Images: 2, Built: 2,
			Config: record.Config{Cell: "w9-b9-max-single", Workers: 9, Batch: 9, CacheMode: "max", Strategy: "single", Temp: "cold", Rep: 1}}
		if err := w.Write(tr); err != nil {
			t.Fatal(err)
		}
		w.Close()
		before, _ := os.ReadFile(recs)
		wantRefused(t, runIn(t, "sweep", "--resume", d, noDaemon), "--resume "+d, "do not match the plan")
		if after, _ := os.ReadFile(recs); string(after) != string(before) {
			t.Error("records changed")
		}
	})
}

// TestSweepStrategyWithoutPlan: a cell whose strategy the workload has no
// plan for is refused before the stack, as build refuses it: the sweep ran
// every such trial as FAILED, with exit status 0.
func TestSweepStrategyWithoutPlan(t *testing.T) {
	dir := t.TempDir()
	ctx := filepath.Join(dir, "ctx")
	os.MkdirAll(ctx, 0o755)
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	wl := filepath.Join(dir, "w.yaml")
	os.WriteFile(wl, []byte(`name: w
plans:
  three-phase:
    per_instance:
      - {name: image, context_dir: ctx, tags: ["{{.Registry}}/w:{{.Slug}}"]}
`), 0o644)
	out := filepath.Join(dir, "out")
	wantRefused(t, runIn(t, "sweep", "--workload", wl, "--sample", "1", "--workers", "1", "--cache", "off", "--out", out, noDaemon),
		"--strategy single", "no such plan")
	wantRefused(t, runIn(t, "sweep", "--context", ctx, "--tag", "{{.Registry}}/x:{{.Slug}}", "--strategy", "single,three-phase",
		"--cache", "off", "--sample", "1", "--out", out, noDaemon), "--strategy three-phase")
	if _, err := os.Stat(out); err == nil {
		t.Error("--out was left behind")
	}
}

// TestSweepBudgetAfterInputs: the budget's estimate is checked after every
// other input, so a bad list, profile or sample is named as such, not as a
// grid too large for the budget; and a huge --sample is refused without
// sizing anything by it (it took 15 GB and a minute before).
func TestSweepBudgetAfterInputs(t *testing.T) {
	dir := t.TempDir()
	one := writeFile(t, "one.txt", "django__django-1\n")
	badProf := writeFile(t, "bad.yaml", "name: x\ntime_scale: 0.01\ncpu_unit: 200\narg_position: after\nsteps: {apt: {cpu_seconds: -1}}\n")
	out := filepath.Join(dir, "out")
	wantRefused(t, runIn(t, "sweep", "--instances", one, "--budget", "1s", "--out", out, noDaemon), "--instances", "fewer than the sample")
	wantRefused(t, runIn(t, "sweep", "--profile", badProf, "--budget", "1s", "--out", out, noDaemon), "--profile", "steps.apt.cpu_seconds")
	start := time.Now()
	wantRefused(t, runIn(t, "sweep", "--sample", "2000000000", "--workers", "1", "--cache", "off", "--budget", "1h", "--out", out, noDaemon), "sample 2000000000")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusing the sample took %v", d)
	}
}

// TestSweepWorkloadCacheWithoutCacheTo: a cell exporting the registry cache
// over a workload file whose phase has no cache_to is refused before the
// stack (every build of it failed: "cache mode min needs a cache ref");
// cache off is taken.
func TestSweepWorkloadCacheWithoutCacheTo(t *testing.T) {
	dir := t.TempDir()
	ctx := filepath.Join(dir, "ctx")
	os.MkdirAll(ctx, 0o755)
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	wl := filepath.Join(dir, "w.yaml")
	os.WriteFile(wl, []byte(`name: w
plans:
  single:
    per_instance:
      - {name: image, context_dir: ctx, tags: ["{{.Registry}}/w:{{.Slug}}"]}
`), 0o644)
	out := filepath.Join(dir, "out")
	// The message names the flag as it was typed (--cache is
	// --cache-mode's alias), or the grid file the mode came from.
	wantRefused(t, runIn(t, "sweep", "--workload", wl, "--sample", "1", "--workers", "1", "--cache", "off,min", "--out", out, noDaemon),
		"--cache min: cache mode min", `phase "image"`, "cache_to", "or cache mode off")
	wantRefused(t, runIn(t, "sweep", "--workload", wl, "--sample", "1", "--workers", "1", "--cache-mode", "off,min", "--out", out, noDaemon),
		"--cache-mode min: cache mode min", "cache_to")
	grid := filepath.Join(dir, "grid.yaml")
	os.WriteFile(grid, []byte("workers: [1]\ncache: [max]\n"), 0o644)
	wantRefused(t, runIn(t, "sweep", "--workload", wl, "--sample", "1", "--grid", grid, "--out", out, noDaemon),
		"--grid "+grid+": cache mode max", "cache_to")
	res := runIn(t, "sweep", "--workload", wl, "--sample", "1", "--workers", "1", "--cache", "off", "--out", out, noDaemon)
	if res.code != exitInfra {
		t.Errorf("cache off: exit %d, want %d (past the input checks, at the missing daemon): %s", res.code, exitInfra, res.stderr)
	}
}
