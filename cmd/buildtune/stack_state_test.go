package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
)

// TestStackUpRegistry: `stack up --registry` was ignored by the
// detached `stack serve` (the flag went to stack.Use.Registry, serve
// started stack.Use.Start, whose Registry was empty): --registry
// distribution gave the embedded registry, and a registry that does not
// answer gave exit 0 with the embedded one. Now distribution is started,
// and an unreachable registry is an infrastructure failure (exit 3) with
// serve's own reason on one line.
func TestStackUpRegistry(t *testing.T) {
	bk := testenv.Buildkitd(t)
	state := testenv.Dir(t)
	t.Cleanup(func() { runBT(t, 60*time.Second, "stack", "down", "--state", state) })

	r := runBT(t, 2*time.Minute, "stack", "up", "--state", state, "--buildkitd", bk, "--registry", "127.0.0.1:1")
	if r.code != exitInfra || !strings.Contains(r.stderr, "127.0.0.1:1") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("stack up --registry 127.0.0.1:1 (nothing listens): want exit 3, one line naming it\n%s", r)
	}
	if st, err := stack.ReadState(state); err == nil {
		t.Errorf("stack up with an unreachable registry left a state %+v", st)
	}

	if _, err := exec.LookPath("docker-registry"); err != nil {
		t.Skip("docker-registry not installed")
	}
	r = runBT(t, 2*time.Minute, "stack", "up", "--state", state, "--buildkitd", bk, "--registry", "distribution")
	if r.code != exitOK {
		t.Fatalf("stack up --registry distribution:\n%s", r)
	}
	st, err := stack.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if st.RegistryKind != stack.RegistryDistribution || !strings.Contains(r.stdout, "(distribution)") {
		t.Errorf("stack up --registry distribution started a %q registry\n%s", st.RegistryKind, r)
	}
	if r := runBT(t, 60*time.Second, "stack", "down", "--state", state); r.code != exitOK {
		t.Errorf("stack down:\n%s", r)
	}
}

// TestStackStaleState: a state file whose stack is gone and whose
// pid now belongs to another process: status said running, and down sent
// that process SIGTERM. A state file that is not a stack's is bad input
// naming it (exit 2), for status and down alike; --daemons beyond one
// machine is refused before anything starts.
func TestStackStaleState(t *testing.T) {
	state := t.TempDir()
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { other.Wait(); close(exited) }()
	t.Cleanup(func() { other.Process.Kill(); <-exited })
	content := fmt.Sprintf(`{"buildkit_addrs":["unix:///nonexistent.sock"],"registry":"127.0.0.1:1","registry_kind":"embedded","pids":[%d],"started":["1"]}`, other.Process.Pid)
	if err := os.WriteFile(stack.StatePath(state), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runIn(t, "stack", "status", "--state", state); r.code != exitOK || !strings.Contains(r.stdout, "not running") {
		t.Errorf("stack status of a stale state: want not running\n%s", r)
	}
	if r := runIn(t, "stack", "down", "--state", state); r.code != exitOK || !strings.Contains(r.stdout, "not running") {
		t.Errorf("stack down of a stale state: want exit 0, not running\n%s", r)
	}
	select {
	case <-exited:
		t.Fatalf("stack down killed pid %d, which is not the stack's", other.Process.Pid)
	case <-time.After(200 * time.Millisecond):
	}

	for _, c := range []string{"{not json", `{"pids":[-1]}`} {
		if err := os.WriteFile(stack.StatePath(state), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{"status", "down"} {
			r := runIn(t, "stack", sub, "--state", state)
			if r.code != exitUsage || !strings.Contains(r.stderr, stack.StatePath(state)) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("stack %s of the state %s: want exit 2, one line naming the file\n%s", sub, c, r)
			}
		}
	}

	fresh := filepath.Join(t.TempDir(), "state")
	r := runIn(t, "stack", "up", "--state", fresh, "--daemons", "100000", "--buildkitd", "/nonexistent/buildkitd")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--daemons") {
		t.Errorf("stack up --daemons 100000: want exit 2 naming --daemons\n%s", r)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("stack up --daemons 100000 created %s", fresh)
	}
}
