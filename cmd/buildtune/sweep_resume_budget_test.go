package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepResumeBudgetFixed: a sweep of fixed reps stays one when resumed
// with --budget (run.json decides, not the flag, which made the resume
// announce "adaptive (successive halving) within 1s" while it ran the fixed
// grid); the budget it cannot apply is said, not silently dropped.
func TestSweepResumeBudgetFixed(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	dir := writeListSweep(t)
	r := runIn(t, "sweep", "--resume", dir, "--budget", "1s", "--buildkitd", "/nonexistent/buildkitd", "--state", filepath.Join(t.TempDir(), "state"))
	if !strings.Contains(r.stderr, "--budget 1s not applied") || strings.Contains(r.stdout+r.stderr, "adaptive") {
		t.Errorf("resume of a fixed sweep with --budget: want a note that the budget is not applied, no adaptive sweep\n%s", r)
	}
}
