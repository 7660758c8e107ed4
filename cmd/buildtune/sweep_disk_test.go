package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepRefusesProfileBeyondDisk: a profile at every size bound writes
// about 40 GiB per image; a sample of 433 of them (terabytes) is refused
// before any stack starts, naming the profile, instead of filling the disk.
func TestSweepRefusesProfileBeyondDisk(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	prof := writeFile(t, "huge.yaml", "name: huge\ntime_scale: 0.01\ncpu_unit: 200\narg_position: after\n"+
		"steps: {apt: {bytes: 4GiB}, npm: {bytes: 4GiB}, settings: {bytes: 4GiB}, builder: {bytes: 4GiB}}\n"+
		"agent_server_bytes: 4GiB\nbase: {bytes: 4GiB, sigma: 0, max_bytes: 4GiB}\n")
	out := filepath.Join(t.TempDir(), "out")
	r := runIn(t, "sweep", "--profile", prof, "--sample", "433", "--workers", "1", "--cache", "off", "--reps", "1",
		"--out", out, "--buildkitd", "/nonexistent/buildkitd", "--state", filepath.Join(t.TempDir(), "state"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "--profile "+prof) || !strings.Contains(r.stderr, "free") {
		t.Errorf("want exit %d naming the profile and the free space\n%s", exitUsage, r)
	}
}
