package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepMaxRepsInput: --max-reps belongs to an adaptive sweep and is
// at least its first round's reps; given to a fixed sweep, below round
// 1's reps, or to a resume (run.json keeps the sweep's), it is bad input
// named as such, before anything is created.
func TestSweepMaxRepsInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	grid := writeFile(t, "grid.yaml", "workers: [1, 2]\nreps: 4\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-reps", "12", "--reps", "4", "--budget", "1h"}, "applies to an adaptive sweep"},
		{[]string{"--max-reps", "12"}, "applies to an adaptive sweep"},
		{[]string{"--max-reps", "12", "--grid", grid, "--budget", "1h"}, "applies to an adaptive sweep"},
		{[]string{"--max-reps", "2", "--budget", "1h"}, "--max-reps 2: want at least 3"},
		{[]string{"--max-reps", "0", "--budget", "1h"}, "--max-reps 0: want at least 3"},
		{[]string{"--max-reps", "99999", "--budget", "1h"}, "at most 10000"},
	} {
		args := append([]string{"sweep", "--out", out, "--buildkitd", "/nonexistent/buildkitd"}, tc.args...)
		res := runIn(t, args...)
		if res.code != exitUsage || !strings.Contains(res.stderr, tc.want) || strings.Count(strings.TrimSpace(res.stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, %q; want exit %d and one line with %q", tc.args, res.code, res.stderr, exitUsage, tc.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: %s exists (%v); want nothing created", tc.args, out, err)
		}
	}

	// A resume keeps the sweep's cap.
	started := filepath.Join(dir, "started")
	if err := os.MkdirAll(started, 0o755); err != nil {
		t.Fatal(err)
	}
	res := runIn(t, "sweep", "--resume", started, "--max-reps", "24", "--buildkitd", "/nonexistent/buildkitd")
	if res.code != exitUsage || !strings.Contains(res.stderr, "--max-reps cannot change a sweep that has started") {
		t.Errorf("resume with --max-reps: exit %d, %q; want exit %d naming --max-reps", res.code, res.stderr, exitUsage)
	}
}
