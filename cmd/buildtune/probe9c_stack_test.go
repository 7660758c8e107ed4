package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/stack"
)

// TestProbe9cStackUpUnreadableState: `stack up` over a state file that
// does not parse took it for no stack, removed it and started another: a
// stack that file named ran on with nothing left to stop it, and the new
// one failed on its daemons' lock (exit 3). The file is bad input naming
// it, as for status and down, and is left as it is.
func TestProbe9cStackUpUnreadableState(t *testing.T) {
	state := t.TempDir()
	path := stack.StatePath(state)
	if err := os.WriteFile(path, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "stack", "up", "--state", state, "--buildkitd", "/nonexistent/buildkitd")
	if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, path+": not a stack state") || strings.Contains(msg, "\n") {
		t.Errorf("stack up over a state file that does not parse: want exit 2 and one line naming %s\n%s", path, r)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "garbage\n" {
		t.Errorf("stack up changed the state file it could not read: %q, %v", b, err)
	}
	// A state path that is a folder: bad input naming it, for every
	// subcommand (it was exit 1, "is a directory").
	dirState := t.TempDir()
	if err := os.Mkdir(stack.StatePath(dirState), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"up", "status", "down"} {
		r := runIn(t, "stack", sub, "--state", dirState)
		if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, stack.StatePath(dirState)) || strings.Contains(msg, "\n") {
			t.Errorf("stack %s with a folder for its state file: want exit 2 and one line naming it\n%s", sub, r)
		}
	}
}

// TestProbe9cStackUpBadFlagOverRunning: `stack up --max-parallelism -1`
// over a running stack said the flag differs from the running stack's,
// as if -1 were a shape it could have. A bad value is refused as such,
// whether a stack runs or not.
func TestProbe9cStackUpBadFlagOverRunning(t *testing.T) {
	state := t.TempDir()
	// A stack whose process is this test: alive, and never signalled
	// (only down signals it).
	pid := os.Getpid()
	if err := stack.WriteState(state, stack.State{BuildkitAddrs: []string{"unix://" + filepath.Join(state, "b.sock")}, Registry: "127.0.0.1:5000",
		RegistryKind: stack.RegistryEmbedded, Pids: []int{pid}, Started: []string{stack.ProcessStart(pid)}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ flag, value, want string }{
		{"--max-parallelism", "-1", "--max-parallelism -1: want 0 (default) or more"},
		{"--registry-concurrency", "-1", "--registry-concurrency -1: want 0 (default) or more"},
		{"--daemons", "0", "--daemons 0: want 1 or more"},
		{"--registry", "localhost:0", "port \"0\""},
	} {
		r := runIn(t, "stack", "up", "--state", state, tc.flag, tc.value)
		if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("stack up %s %s over a running stack: want exit 2 and one line with %q\n%s", tc.flag, tc.value, tc.want, r)
		}
	}
}
