package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
)

// TestDaemonAddrGivenTwice: one daemon given twice became two daemons of
// the pool (twice its @N, its prunes and health checks doubled); it is
// bad input naming the address, before anything connects.
func TestDaemonAddrGivenTwice(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "buildkitd.sock")
	for _, args := range [][]string{
		{"--buildkit-addr", sock + "," + sock + "@2"},
		{"--buildkit-addr", sock + "@1", "--buildkit-addr", sock + "@1"},
	} {
		r := runIn(t, append([]string{"build", "--sample", "2", "--out", filepath.Join(t.TempDir(), "out")}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "given twice") || !strings.Contains(r.stderr, sock) {
			t.Errorf("build %v: want exit 2 naming %s given twice\n%s", args, sock, r)
		}
	}
}

// TestStackUpOtherShape: `stack up --daemons 2 --registry distribution`
// over a running stack of one daemon and the embedded registry said
// "already running" (exit 0), and the commands after it measured another
// stack than the one asked for. The flags given that the running stack
// does not have are named; the defaults left alone are not.
func TestStackUpOtherShape(t *testing.T) {
	st := &stack.State{BuildkitAddrs: []string{"unix:///a.sock"}, Registry: "127.0.0.1:5000", RegistryKind: stack.RegistryEmbedded}
	given := func(names ...string) func(string) bool {
		return func(n string) bool {
			for _, g := range names {
				if g == n {
					return true
				}
			}
			return false
		}
	}
	for _, tc := range []struct {
		sf    stackFlags
		given []string
		want  string
	}{
		{stackFlags{daemons: 1}, nil, ""},
		{stackFlags{daemons: 2}, nil, ""}, // not given: whatever runs is fine
		{stackFlags{daemons: 1, registry: "embedded"}, []string{"daemons", "registry"}, ""},
		{stackFlags{daemons: 2, registry: "distribution"}, []string{"daemons", "registry"}, "--daemons 2 --registry distribution"},
		{stackFlags{daemons: 1, registry: "127.0.0.1:6000"}, []string{"registry"}, "--registry 127.0.0.1:6000"},
		{stackFlags{daemons: 1, maxParallelism: 2, regConcurrency: 16}, []string{"max-parallelism", "registry-concurrency"}, "--max-parallelism 2 --registry-concurrency 16"},
	} {
		if got := stackDiffers(st, tc.sf, given(tc.given...)); got != tc.want {
			t.Errorf("stackDiffers(%+v, given %v) = %q, want %q", tc.sf, tc.given, got, tc.want)
		}
	}
	ext := &stack.State{BuildkitAddrs: []string{"unix:///a.sock"}, Registry: "127.0.0.1:5000", RegistryKind: "external"}
	if got := stackDiffers(ext, stackFlags{daemons: 1, registry: "127.0.0.1:5000"}, given("registry")); got != "" {
		t.Errorf("same external registry: %q, want none", got)
	}
}

// TestStackDaemonKilled: a `stack up` whose buildkitd was killed kept its
// `stack serve` and its state: status said running, `stack up` "already
// running", and every command failed on the dead socket until `stack
// down`. serve now ends with its daemon: the state goes, status says not
// running, nothing of the stack is left running, and `stack up` starts a
// whole stack again. A later `stack up` asking for another shape than
// the running one is refused (exit 2) instead of "already running".
func TestStackDaemonKilled(t *testing.T) {
	bk := testenv.Buildkitd(t)
	state := testenv.Dir(t)
	t.Cleanup(func() { runBT(t, 60*time.Second, "stack", "down", "--state", state) })
	if r := runBT(t, 2*time.Minute, "stack", "up", "--state", state, "--buildkitd", bk); r.code != exitOK {
		t.Fatalf("stack up:\n%s", r)
	}
	if r := runBT(t, time.Minute, "stack", "up", "--state", state, "--buildkitd", bk, "--daemons", "2"); r.code != exitUsage || !strings.Contains(r.stderr, "--daemons 2") {
		t.Errorf("stack up --daemons 2 over a stack of one: want exit 2 naming --daemons 2\n%s", r)
	}
	st, err := stack.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	serve := st.Pids[0]
	daemon := childPid(t, serve)
	if err := syscall.Kill(daemon, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := runIn(t, "stack", "status", "--state", state)
		if strings.Contains(r.stdout, "not running") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stack status 30 s after its buildkitd was killed:\n%s", r)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := os.Stat(stack.StatePath(state)); !os.IsNotExist(err) {
		t.Errorf("state file left after the stack stopped: %v", err)
	}
	for time.Now().Before(deadline) && syscall.Kill(serve, 0) == nil && !zombie(serve) {
		time.Sleep(100 * time.Millisecond)
	}
	if syscall.Kill(serve, 0) == nil && !zombie(serve) {
		t.Errorf("stack serve (pid %d) still runs after its daemon was killed", serve)
	}
	if r := runBT(t, 2*time.Minute, "stack", "up", "--state", state, "--buildkitd", bk); r.code != exitOK || !strings.Contains(r.stdout, "stack: up") {
		t.Errorf("stack up after the stack stopped: want a new stack\n%s", r)
	}
}

// childPid is the first child process of pid (any of its threads').
func childPid(t *testing.T, pid int) int {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil || len(strings.Fields(string(b))) == 0 {
			continue
		}
		var c int
		fmt.Sscan(strings.Fields(string(b))[0], &c)
		return c
	}
	t.Fatalf("no child process of pid %d", pid)
	return 0
}

func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && strings.Contains(string(b), ") Z ")
}

// TestStackUpConcurrent: two `stack up` on one --state at once both
// started a stack there; the second removed the first's socket, and one
// failed with buildkitd's lock error (exit 3) or left a stack no state
// file named. Now the second waits and finds the first's stack running.
func TestStackUpConcurrent(t *testing.T) {
	bk := testenv.Buildkitd(t)
	state := testenv.Dir(t)
	t.Cleanup(func() { runBT(t, 60*time.Second, "stack", "down", "--state", state) })
	res := make(chan result, 2)
	for i := 0; i < 2; i++ {
		go func() { res <- runBT(t, 2*time.Minute, "stack", "up", "--state", state, "--buildkitd", bk) }()
	}
	ups := 0
	for i := 0; i < 2; i++ {
		r := <-res
		if r.code != exitOK {
			t.Errorf("one of two concurrent stack up:\n%s", r)
		}
		if strings.Contains(r.stdout, "stack: up") {
			ups++
		}
	}
	if ups != 1 {
		t.Errorf("%d of two concurrent stack up started a stack, want 1", ups)
	}
	st, err := stack.ReadState(state)
	if err != nil || !st.Alive() {
		t.Fatalf("state after two stack up: %v", err)
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", st.Pids[0]))
	n := 0
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		n += len(strings.Fields(string(b)))
	}
	if n != 1 {
		t.Errorf("the stack's serve has %d children, want its one buildkitd", n)
	}
	if r := runBT(t, 60*time.Second, "build", "--sample", "1", "--state", state, "--out", filepath.Join(t.TempDir(), "out")); r.code != exitOK {
		t.Errorf("build on the stack:\n%s", r)
	}
}

// TestStackUpLongState: a --state whose daemon socket would be too long
// for a unix socket made the folder, started serve and failed as an
// infrastructure failure (exit 3); it is bad input naming --state, and
// nothing is created.
func TestStackUpLongState(t *testing.T) {
	bk := testenv.Buildkitd(t)
	state := filepath.Join(t.TempDir(), strings.Repeat("x", 100))
	r := runIn(t, "stack", "up", "--state", state, "--buildkitd", bk)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--state") {
		t.Errorf("stack up with a long --state: want exit 2 naming --state\n%s", r)
	}
	if _, err := os.Stat(state); err == nil {
		t.Errorf("stack up with a long --state created %s", state)
	}
}
