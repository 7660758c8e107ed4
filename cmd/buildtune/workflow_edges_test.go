package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkflowAnchorElsewhereRefused: a knob's value that a YAML alias also gives to another
// setting (here the job's timeout) cannot be rewritten alone: bad input (exit 2), one line
// naming the file and the other setting, and the file is left as it was, with --write too.
func TestWorkflowAnchorElsewhereRefused(t *testing.T) {
	dir := copyRun(t)
	src := "on: push\nenv:\n  MAX_WORKERS: &workers 999\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: *workers\n    steps:\n      - run: make\n"
	wf := filepath.Join(t.TempDir(), "build.yml")
	if err := os.WriteFile(wf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"recommend", dir, "--workflow", wf}, {"recommend", dir, "--workflow", wf, "--write"}} {
		r := runIn(t, args...)
		msg := strings.TrimSpace(r.stderr)
		if r.code != exitUsage || !strings.Contains(msg, "--workflow "+wf) || !strings.Contains(msg, "jobs.a.timeout-minutes") || strings.Contains(msg, "\n") {
			t.Errorf("%v: %s", args[3:], r)
		}
		if b, _ := os.ReadFile(wf); string(b) != src {
			t.Fatalf("%v changed the file:\n%s", args[3:], b)
		}
	}
}
