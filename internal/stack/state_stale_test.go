package stack_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/stack"
)

// TestStaleStateReusedPid: a state file left by a stack that died
// (SIGKILL, a reboot) names a pid the kernel may since have given to
// another process. Alive took that process for the stack (status said
// running, build used the dead addresses) and Down sent it SIGTERM. The
// state now records each process's start time, and a pid that started at
// another time is not the stack's.
func TestStaleStateReusedPid(t *testing.T) {
	dir := t.TempDir()
	other, exited := startReaped(t, "sleep", "60")
	state := fmt.Sprintf(`{"buildkit_addrs":["unix:///nonexistent.sock"],"registry":"127.0.0.1:1","registry_kind":"embedded","pids":[%d],"started":["1"]}`, other.Process.Pid)
	if err := os.WriteFile(stack.StatePath(dir), []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := stack.ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Alive() {
		t.Errorf("Alive true for pid %d, a process that started after the stack's", other.Process.Pid)
	}
	if err := stack.Down(dir); err != nil {
		t.Fatalf("Down of a stale state: %v", err)
	}
	select {
	case <-exited:
		t.Fatalf("Down signalled pid %d, which is not the stack's process", other.Process.Pid)
	default:
	}
	if _, err := os.Stat(stack.StatePath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale state file left after Down: %v", err)
	}

	// The start time serve records is the process's own: Alive, and Down
	// stops it.
	own, ownExited := startReaped(t, "sleep", "60")
	p := own.Process.Pid
	if err := stack.WriteState(dir, stack.State{Pids: []int{p}, Started: []string{stack.ProcessStart(p)}}); err != nil {
		t.Fatal(err)
	}
	if st, err := stack.ReadState(dir); err != nil || !st.Alive() {
		t.Fatalf("state with the process's own start time: %v, alive %v; want alive", err, err == nil && st.Alive())
	}
	if err := stack.Down(dir); err != nil {
		t.Fatalf("Down: %v", err)
	}
	select {
	case <-ownExited:
	default:
		t.Error("Down left the stack's own process running")
	}
}

// TestStateBadPids: pid 0, -1 and 1 in a state file are refused as
// bad input naming the file (kill(0) signals the caller's process group,
// kill(-1) every process, kill(1) init); so is a file that is not JSON.
// The test only reads the state: Down of such a file must never be tried.
func TestStateBadPids(t *testing.T) {
	for _, content := range []string{`{"pids":[-1]}`, `{"pids":[0]}`, `{"pids":[1]}`, `{"pids":[2,3],"started":["1"]}`, "{not json"} {
		dir := t.TempDir()
		if err := os.WriteFile(stack.StatePath(dir), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := stack.ReadState(dir)
		if !errors.Is(err, input.ErrBad) {
			t.Errorf("ReadState of %s: %v, want bad input", content, err)
			continue
		}
		if msg := err.Error(); !contains(msg, stack.StatePath(dir)) {
			t.Errorf("ReadState of %s: %q does not name %s", content, msg, stack.StatePath(dir))
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestDaemons: a private stack of more daemons than one machine can
// hold is bad input naming --daemons, before anything starts (stack up
// --daemons 100000 started 240 buildkitd in 90 s, then timed out).
func TestDaemons(t *testing.T) {
	_, err := stack.Start(t.Context(), stack.Config{Dir: t.TempDir(), Buildkitd: "/nonexistent/buildkitd", Daemons: stack.MaxDaemons + 1})
	if !errors.Is(err, input.ErrBad) || !contains(err.Error(), "--daemons") {
		t.Errorf("Start with %d daemons: %v, want bad input naming --daemons", stack.MaxDaemons+1, err)
	}
	if err := stack.CheckDaemons(stack.MaxDaemons); err != nil {
		t.Errorf("CheckDaemons(%d): %v", stack.MaxDaemons, err)
	}
}
