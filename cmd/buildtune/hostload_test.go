package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/sweep"
)

// TestSweepMeasuresHostLoad runs a small sweep on a private stack while a
// busy loop, a process outside buildtune and its stack, takes one core:
// each trial records the host's busy share and the foreign share (at
// least the warning's), the sweep says so as the trial ends, and the
// report names the trial.
func TestSweepMeasuresHostLoad(t *testing.T) {
	bk := testenv.Buildkitd(t)
	loop := exec.Command("sh", "-c", "while :; do :; done")
	if err := loop.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loop.Process.Kill(); loop.Wait() })
	out := filepath.Join(t.TempDir(), "sweep")
	r := runBT(t, 5*time.Minute, "sweep", "--workers", "1", "--batch", "stream", "--cache", "off", "--reps", "1", "--sample", "3",
		"--warmup=false", "--out", out, "--buildkitd", bk)
	if r.code != exitOK {
		t.Fatalf("sweep: %s", r)
	}
	loop.Process.Kill()
	set := readRecords(t, filepath.Join(out, sweep.RecordsFile))
	if len(set.Trials) != 1 {
		t.Fatalf("%d trial records, want 1", len(set.Trials))
	}
	tr := set.Trials[0]
	// The loop alone keeps one of the cores busy; the builds add to it.
	if tr.HostCPU <= 0 || tr.ForeignCPU < evidence.ForeignLoadWarn || tr.ForeignCPU > tr.HostCPU {
		t.Errorf("host_cpu %.2f, foreign_cpu %.2f: want a foreign share of at least %.2f with a busy loop beside the sweep", tr.HostCPU, tr.ForeignCPU, evidence.ForeignLoadWarn)
	}
	if !strings.Contains(r.stderr+r.stdout, "ran beside other work") {
		t.Errorf("the sweep did not say the trial ran beside other work:\n%s", r)
	}
	if rr := runBT(t, 2*time.Minute, "report", out); rr.code != exitOK {
		t.Fatalf("report: %s", rr)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "1 of 1 measured trial ran beside other work") {
		t.Errorf("report.md does not name the loaded trial")
	}
}
