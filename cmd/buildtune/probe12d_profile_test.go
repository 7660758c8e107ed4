package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbe12dSweepProfileWithWorkload: sweep --workload FILE --profile P
// read P and built the workload file, P unused: the user believed the
// sweep measured the profile. It is bad input naming --profile, before
// anything starts.
func TestProbe12dSweepProfileWithWorkload(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wl := filepath.Join(dir, "wl.yaml")
	if err := os.WriteFile(wl, []byte("instances: [{id: acme__web-1}]\nplans:\n  single:\n    per_instance: [{name: i, context_dir: ., tags: ['{{.Registry}}/a:{{.Slug}}']}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &stdout, &stderr, []string{"sweep", "--workload", wl, "--profile", "default", "--workers", "1", "--cache", "off", "--reps", "1", "--sample", "1",
		"--buildkit-addr", "unix:///nonexistent.sock", "--out", out})
	if code != exitUsage || !strings.Contains(stderr.String(), "--profile default") || !strings.Contains(stderr.String(), "custom workload") {
		t.Errorf("exit %d, stderr %q: want exit %d naming --profile", code, stderr.String(), exitUsage)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--out %s made: %v", out, err)
	}
}
