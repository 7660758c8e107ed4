package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepBudgetFollowsProfile: --budget is checked against the profile's
// per-image time. A profile at time_scale 1 (the default's steps at full
// length, about 142 s per image) makes 3 images take minutes; checked at the
// default profile's 2.3 s the grid passed a 2-minute budget and started.
func TestSweepBudgetFollowsProfile(t *testing.T) {
	prof := writeFile(t, "full.yaml", "name: full\ntime_scale: 1\ncpu_unit: 200\narg_position: after\nsteps: {apt: {cpu_seconds: 103}, npm: {cpu_seconds: 38}}\n")
	out := filepath.Join(t.TempDir(), "out")
	res := runIn(t, "sweep", "--profile", prof, "--workers", "1", "--cache", "off", "--reps", "1", "--sample", "3",
		"--budget", "2m", "--out", out, "--buildkitd", "/nonexistent/buildkitd")
	if res.code != exitUsage || !strings.Contains(res.stderr, "--budget") || !strings.Contains(res.stderr, "s per image") {
		t.Errorf("exit %d, %q: want exit %d refusing the grid for the budget at the profile's per-image time", res.code, res.stderr, exitUsage)
	}
	// --per-image-seconds still wins.
	res = runIn(t, "sweep", "--profile", prof, "--workers", "1", "--cache", "off", "--reps", "1", "--sample", "3",
		"--budget", "2m", "--per-image-seconds", "1", "--out", out, "--buildkitd", "/nonexistent/buildkitd")
	if strings.Contains(res.stderr, "--budget") {
		t.Errorf("--per-image-seconds 1: %q, want the grid within the budget", res.stderr)
	}
}
