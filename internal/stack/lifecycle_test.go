package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/input"
)

// TestCheckRegistryPort: a port beyond 65535 (or 0) passed the check and
// failed only when dialled, as a registry that "does not answer" (exit
// 3), not the typo it is.
func TestCheckRegistryPort(t *testing.T) {
	for _, s := range []string{"127.0.0.1:99999", "127.0.0.1:0", "localhost:65536"} {
		if err := CheckRegistry(s); err == nil {
			t.Errorf("CheckRegistry(%q): nil, want an error naming the port", s)
		}
	}
	for _, s := range []string{"127.0.0.1:5000", "ghcr.io", "localhost:65535", "[::1]:5000"} {
		if err := CheckRegistry(s); err != nil {
			t.Errorf("CheckRegistry(%q): %v", s, err)
		}
	}
}

// TestStartNotARegistry: --registry naming a server that answers GET /v2/
// with 404 (not a registry) was "starting registry: ..." with exit 1 for a
// private stack and exit 3 for `stack up`; given daemons already called it
// bad input. Now Start says bad input too, naming --registry.
func TestStartNotARegistry(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	defer srv.Close()
	bk := filepath.Join(t.TempDir(), "buildkitd")
	if err := os.WriteFile(bk, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc not installed (CheckSetup comes first)")
	}
	_, err := Start(context.Background(), Config{Dir: t.TempDir(), Buildkitd: bk, Registry: strings.TrimPrefix(srv.URL, "http://")})
	if !errors.Is(err, input.ErrBad) || errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "--registry") {
		t.Errorf("Start with a 404 server as registry: %v; want bad input naming --registry", err)
	}
}

// TestPingTLSRegistry: a registry with TLS on its own port answers plain
// HTTP with 400; Ping asked only http:// and refused it as not a
// registry. It now tries the other scheme.
func TestPingTLSRegistry(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	if err := External(strings.TrimPrefix(srv.URL, "https://")).Ping(context.Background()); err != nil {
		t.Errorf("Ping of a TLS registry: %v", err)
	}
}

// TestAliveZombie: a stack process that has exited but is not reaped yet
// (serve killed, re-parented to an init that reaps late or never) still
// answers kill(pid, 0): status said running and down waited 30 s.
func TestAliveZombie(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	st := &State{Pids: []int{pid}, Started: []string{ProcessStart(pid)}}
	if !st.Alive() {
		t.Fatal("Alive false for a running process")
	}
	cmd.Process.Kill()
	defer cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(b), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the killed process never became a zombie")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.Alive() {
		t.Errorf("Alive true for pid %d, a zombie", pid)
	}
	dir := t.TempDir()
	if err := WriteState(dir, *st); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := Down(dir); err != nil || time.Since(start) > 5*time.Second {
		t.Errorf("Down of a zombie's stack: %v after %s", err, time.Since(start))
	}
}

// TestWatch: a stack's daemon or registry process ending on its own ends
// Watch with an error naming it (`stack serve` then stops and removes its
// state); a cancelled context ends it with nil.
func TestWatch(t *testing.T) {
	d := &Daemon{Addr: "unix:///x.sock", Dir: "/x", Pid: 42, exited: make(chan struct{})}
	r := &Registry{Addr: "127.0.0.1:1", Kind: RegistryDistribution, exited: make(chan struct{})}
	s := &Stack{Daemons: []*Daemon{d}, Registry: r}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch after cancel: %v, want nil", err)
	}

	go func() { done <- s.Watch(context.Background()) }()
	d.waitErr = errors.New("signal: killed")
	close(d.exited)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), d.Addr) {
			t.Errorf("Watch after the daemon exited: %v, want an error naming %s", err, d.Addr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return when the daemon exited")
	}

	s = &Stack{Registry: r}
	go func() { done <- s.Watch(context.Background()) }()
	close(r.exited)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), r.Addr) {
			t.Errorf("Watch after the registry exited: %v, want an error naming %s", err, r.Addr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return when the registry exited")
	}
}

// TestStartEmbeddedUnwritable: a registry folder that cannot be written
// gave a running stack whose first push failed with a server error; it is
// refused when the registry starts, naming the folder.
func TestStartEmbeddedUnwritable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "registry")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// root writes through permissions: an immutable folder is what stops it.
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	defer exec.Command("chattr", "-i", dir).Run()
	r, err := StartEmbedded(dir, "")
	if err == nil {
		r.Close()
		t.Fatal("StartEmbedded in an unwritable folder: nil error")
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name %s", err, dir)
	}
}

// TestConnectStackRegistryByKind: with a `stack up` running on the
// embedded registry, --registry embedded (the default, spelled out)
// started a second, empty embedded registry instead of the stack's.
func TestConnectStackRegistryByKind(t *testing.T) {
	state := t.TempDir()
	// The stack's daemon address is a socket nobody listens on: Connect
	// fails on it, after choosing the registry, which is what is checked.
	if err := WriteState(state, State{BuildkitAddrs: []string{"unix://" + filepath.Join(state, "none.sock")}, Registry: "127.0.0.1:1",
		RegistryKind: RegistryEmbedded, Pids: []int{os.Getpid()}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env, err := Connect(context.Background(), Use{StateDir: state, Registry: RegistryEmbedded, Start: Config{Dir: dir}})
	if err == nil {
		env.Close()
	}
	if _, serr := os.Stat(filepath.Join(dir, "registry")); serr == nil {
		t.Errorf("--registry embedded with a running stack on the embedded registry started another one in %s (%v)", dir, err)
	}
}

// TestDownKillsHungServe: a stack process that does not end on SIGTERM
// (stopped, hung) made every `stack down` fail after 30 s, for good; Down
// now kills it after the grace period and removes the state.
func TestDownKillsHungServe(t *testing.T) {
	old := downGrace
	downGrace = 300 * time.Millisecond
	defer func() { downGrace = old }()
	cmd := exec.Command("sh", "-c", `trap '' TERM; echo ready; while :; do sleep 0.05; done`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	buf := make([]byte, 6)
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "ready\n" {
		cmd.Process.Kill()
		t.Fatalf("shell said %q, %v", buf, err)
	}
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	dir := t.TempDir()
	p := cmd.Process.Pid
	if err := WriteState(dir, State{Pids: []int{p}, Started: []string{ProcessStart(p)}}); err != nil {
		t.Fatal(err)
	}
	if err := Down(dir); err != nil {
		t.Fatalf("Down of a stack that ignores SIGTERM: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the stack's process still runs after Down")
	}
	if _, err := os.Stat(StatePath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state left after Down: %v", err)
	}
}
