package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestProveResume: `prove --resume` dropped every sweep flag, also
// where to build (--buildkitd, --buildkit-addr, the TLS flags), so a
// resumed proof went to bin/buildkitd and failed; it took any --base and
// --head, also settings the proof never measured (its default --base, the
// CI defaults, is predicted by extrapolation); and it predicted 433 images
// where the sweep drew its sample from a list (recommend and plan predict
// the list). Now the flags are passed on (the sweep refuses those it
// cannot change), --base and --head must be cells of the proof, and the
// full build is the sweep's list unless --images says otherwise.
func TestProveResume(t *testing.T) {
	bk := testenv.Buildkitd(t)
	dir := writeListSweep(t)
	base, head := "workers=2,batch=4,cache=off", "workers=4,batch=4,cache=off"
	r := runIn(t, "prove", "--resume", dir, "--base", base, "--head", head, "--buildkitd", bk)
	if r.code == exitUsage || r.code == exitInfra || r.code == exitInterrupted {
		t.Fatalf("prove --resume of a finished proof: want a verdict\n%s", r)
	}
	b, err := os.ReadFile(filepath.Join(dir, "verdict.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "the 40 instances of set.txt, the list the sweep drew its sample from") {
		t.Errorf("verdict of a sweep of a list of 40: want the list as the full build\n%s", b)
	}
	r = runIn(t, "prove", "--resume", dir, "--base", base, "--head", head, "--buildkitd", bk, "--images", "433")
	if b, _ := os.ReadFile(filepath.Join(dir, "verdict.md")); r.code == exitUsage || !strings.Contains(string(b), "433 images") {
		t.Errorf("prove --images 433: want 433 images\n%s\n%s", r, b)
	}

	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"head not measured", []string{"--base", base, "--head", "workers=8,batch=4,cache=off"}, []string{"--head", "w8-b4-off-single", "not a cell"}},
		{"default base not measured", []string{"--head", head}, []string{"--base", "w4-b15-max-single", "not a cell"}},
		{"sample changed", []string{"--base", base, "--head", head, "--sample", "5"}, []string{"--sample", "cannot change"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"prove", "--resume", dir, "--buildkitd", bk}, tt.args...)
			r := runIn(t, args...)
			if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("%v: want exit 2 and one line\n%s", args, r)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%v: stderr does not name %q\n%s", args, w, r)
				}
			}
		})
	}
}

// TestProveConditions: base and head under two registry bandwidths
// compare two links, not two settings: bad input before any build.
func TestProveConditions(t *testing.T) {
	r := runIn(t, "prove", "--base", "workers=2,batch=3,cache=off", "--head", "workers=4,batch=3,cache=off,registry-bandwidth=8MiB/s",
		"--buildkitd", "/nonexistent/buildkitd", "--out", filepath.Join(t.TempDir(), "out"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "--head") || !strings.Contains(r.stderr, "8MiB/s") || strings.Contains(r.stderr, "make setup") {
		t.Errorf("prove across two registry bandwidths: want exit 2 naming --head and the bandwidth\n%s", r)
	}
}

// failedProof writes a finished proof of base w1-b3 and head w2-b3
// whose every image failed to build.
func failedProof(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "proof")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cells := []sweep.Cell{{Workers: 1, Batch: 3, Cache: "off", Strategy: "single", Registry: sweep.Direct},
		{Workers: 2, Batch: 3, Cache: "off", Strategy: "single", Registry: sweep.Direct}}
	info := sweep.RunInfo{ID: "20261126T120000Z", Machine: sweep.Machine{Cores: 2, OS: "linux", Arch: "amd64"}, Version: "(devel)",
		Grid: sweep.Grid{Workers: []int{1, 2}, Batches: []int{3}, Cache: []engine.CacheMode{"off"}, Strategies: []string{"single"},
			Registry: []string{sweep.Direct}, Temps: []string{sweep.Cold}, Reps: 2, Sample: 3, Seed: 1, Configs: cells},
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
	for rep := 1; rep <= 2; rep++ {
		for _, c := range cells {
			trial++
			rc := record.Config{Cell: c.Name(), Workers: c.Workers, Batch: 3, CacheMode: "off", Strategy: "single", Temp: record.TempCold, Rep: rep}
			for k := range 3 {
				id := fmt.Sprintf("django__django-%d", k+1)
				im := record.Image{Trial: trial, Config: rc, Instance: id, Phase: "single", Status: record.StatusFailed, Attempts: 1,
					Cost: record.Cost{ID: id, Start: clock, End: clock.Add(time.Second), WallSeconds: 1, ErrClass: record.ErrBuild, Error: `"/nonexistent": not found`}}
				if err := w.Write(&im); err != nil {
					t.Fatal(err)
				}
			}
			end := clock.Add(3 * time.Second)
			tr := record.Trial{Trial: trial, Config: rc, Start: clock, End: end, WallSeconds: 3, Images: 3, Failed: 3}
			if err := w.Write(&tr); err != nil {
				t.Fatal(err)
			}
			clock = end.Add(time.Second)
		}
	}
	return dir
}

// TestProveFailedBuilds: a proof whose builds all failed exited 2,
// "bad input", with the prediction's "no built image records": the input
// was fine, the builds failed. It is now exit 1 (builds failed), naming
// the failed images per setting, and verdict.md says there is no verdict
// because the builds failed.
func TestProveFailedBuilds(t *testing.T) {
	bk := testenv.Buildkitd(t)
	dir := failedProof(t)
	r := runIn(t, "prove", "--resume", dir, "--base", "workers=1,batch=3,cache=off", "--head", "workers=2,batch=3,cache=off", "--buildkitd", bk)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if last := lines[len(lines)-1]; r.code != exitFailed || !strings.Contains(last, "no verdict") || !strings.Contains(last, "6 of 6 images failed") {
		t.Errorf("prove of settings whose builds failed: want exit 1, one line naming the failures\n%s", r)
	}
	b, err := os.ReadFile(filepath.Join(dir, "verdict.md"))
	if err != nil || !strings.Contains(string(b), "the builds failed") {
		t.Errorf("verdict.md: %v\n%s", err, b)
	}
}

// TestProveInterrupted: a proof stopped by Ctrl-C said "resume with:
// buildtune sweep --resume OUT", which finishes the sweep but gives no
// verdict; it now names the prove command that does (exit 130).
func TestProveInterrupted(t *testing.T) {
	bk := testenv.Buildkitd(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "proof")
	var stdout, stderr bytes.Buffer
	code := run(ctx, &stdout, &stderr, []string{"prove", "--base", "workers=1,batch=3,cache=off", "--head", "workers=2,batch=3,cache=off",
		"--claim", "2h", "--sample", "1", "--reps", "1", "--buildkitd", bk, "--out", out})
	want := "resume with: buildtune prove --resume " + out + " --base workers=1,batch=3,cache=off --head workers=2,batch=3,cache=off --claim 2h"
	if code != exitInterrupted || !strings.Contains(stderr.String(), want) {
		t.Errorf("interrupted prove: exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", code, exitInterrupted, want, stdout.String(), stderr.String())
	}
}

// TestProveTLSFlags: prove accepted --tlscacert, --tlscert, --tlskey
// and --tlsservername and did not pass them to its sweep, which then
// dialled a tcp:// daemon without TLS. They are passed on: given without
// a tcp:// address they are refused as the sweep refuses them.
func TestProveTLSFlags(t *testing.T) {
	ca := writeFile(t, "ca.pem", "not a certificate")
	r := runIn(t, "prove", "--base", "workers=1,batch=3,cache=off", "--head", "workers=2,batch=3,cache=off",
		"--tlscacert", ca, "--buildkitd", "/nonexistent/buildkitd", "--out", filepath.Join(t.TempDir(), "out"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "--tlscacert") || strings.Contains(r.stderr, "make setup") {
		t.Errorf("prove --tlscacert without --buildkit-addr: want exit 2 naming the TLS flags\n%s", r)
	}
}
