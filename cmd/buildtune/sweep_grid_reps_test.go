package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepGridRepsWithBudget: reps given in a --grid file are fixed reps,
// as --reps is ("flags given as well override its keys"), so --budget checks
// that grid rather than starting an adaptive sweep that drops them; and an
// adaptive sweep too large for its budget is not told to "drop --reps".
func TestSweepGridRepsWithBudget(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	grid := writeFile(t, "grid.yaml", "workers: [1, 2]\ncache: [off, min, max]\nreps: 4\n")
	res := runIn(t, "sweep", "--grid", grid, "--budget", "1m", "--out", out, "--buildkitd", "/nonexistent/buildkitd")
	if res.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", res.code, exitUsage, res.stderr)
	}
	if !strings.Contains(res.stderr, "(24 trials") || strings.Contains(res.stderr, "round 1") {
		t.Errorf("grid file with reps 4 and --budget: %q, want the fixed grid's 6 cells x 4 reps (24 trials) checked against the budget", res.stderr)
	}

	noReps := writeFile(t, "noreps.yaml", "workers: [1, 2]\ncache: [off, min, max]\n")
	res = runIn(t, "sweep", "--grid", noReps, "--budget", "1m", "--out", out, "--buildkitd", "/nonexistent/buildkitd")
	if res.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", res.code, exitUsage, res.stderr)
	}
	if !strings.Contains(res.stderr, "adaptive") || !strings.Contains(res.stderr, "(18 trials") || strings.Contains(res.stderr, "--reps") {
		t.Errorf("grid file without reps and --budget: %q, want the adaptive sweep's round 1 (6 cells x 3 reps, 18 trials), without a word of --reps", res.stderr)
	}
}
