package stack_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	bkconfig "github.com/moby/buildkit/cmd/buildkitd/config"
)

// needDistribution skips a test when Debian's docker-registry is missing,
// except in CI, where `make test` installs it first.
func needDistribution(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(stack.DistributionBinary); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test needs %s (make setup): %v", stack.DistributionBinary, err)
		}
		t.Skipf("test needs %s (make setup): %v", stack.DistributionBinary, err)
	}
}

// pushAndReadBack pushes a random image to the registry at addr, reads it
// back and checks that manifest and layers are the ones pushed. It returns
// the layers' digests.
func pushAndReadBack(t *testing.T, addr string) []v1.Hash {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ref, err := name.ParseReference(addr+"/buildtune/test:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(4096, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatalf("pushing to %s: %v", ref, err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("reading %s back: %v", ref, err)
	}
	gotDigest, err := got.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if gotDigest != want {
		t.Fatalf("read back manifest %s, pushed %s", gotDigest, want)
	}
	layers, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("read back %d layers, pushed 2", len(layers))
	}
	var digests []v1.Hash
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := l.Compressed()
		if err != nil {
			t.Fatalf("reading layer %s: %v", d, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("reading layer %s: %v", d, err)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum != d.Hex {
			t.Fatalf("layer %s read back with content sha256:%s", d, sum)
		}
		digests = append(digests, d)
	}
	return digests
}

// portFree reports whether addr can be listened on again, that is whether
// nothing serves it any more.
func portFree(t *testing.T, addr string) bool {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func TestStartEmbedded(t *testing.T) {
	dir := filepath.Join(testenv.Dir(t), "registry")
	r, err := stack.StartEmbedded(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() }) // a second Close is harmless
	if r.Kind != "embedded" || !strings.HasPrefix(r.Addr, "127.0.0.1:") {
		t.Errorf("registry %+v: want kind embedded on 127.0.0.1", r)
	}
	ctx := context.Background()
	if err := r.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	for _, d := range pushAndReadBack(t, r.Addr) {
		p := filepath.Join(dir, d.Algorithm, d.Hex)
		if _, err := os.Stat(p); err != nil {
			t.Errorf("blob %s not on disk: %v", d, err)
		}
	}

	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded after Close")
	}
	if !portFree(t, r.Addr) {
		t.Errorf("%s still listened on after Close", r.Addr)
	}
}

func TestStartDistribution(t *testing.T) {
	needDistribution(t)
	dir := testenv.Dir(t)
	ctx := context.Background()
	r, err := stack.StartDistribution(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() }) // a second Close is harmless
	if r.Kind != "distribution" || !strings.HasPrefix(r.Addr, "127.0.0.1:") {
		t.Errorf("registry %+v: want kind distribution on 127.0.0.1", r)
	}
	if err := r.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	for _, d := range pushAndReadBack(t, r.Addr) {
		p := filepath.Join(dir, "storage", "docker", "registry", "v2", "blobs", d.Algorithm, d.Hex[:2], d.Hex, "data")
		if _, err := os.Stat(p); err != nil {
			t.Errorf("blob %s not on disk: %v", d, err)
		}
	}

	start := time.Now()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %s: docker-registry ignored SIGTERM?", d)
	}
	if err := r.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded after Close")
	}
	if !portFree(t, r.Addr) {
		t.Errorf("%s still listened on after Close: docker-registry still runs", r.Addr)
	}
}

// A docker-registry that exits before it answers is an error, returned
// promptly (not after Close's kill timeout, and not never).
func TestStartDistributionExitsEarly(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1)")
	}
	dir := testenv.Dir(t)
	type result struct {
		r   *stack.Registry
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := stack.StartDistribution(context.Background(), dir, bin)
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		if res.err == nil {
			res.r.Close()
			t.Fatal("StartDistribution succeeded with a server that exits at once")
		}
		if !strings.Contains(res.err.Error(), "exited") {
			t.Errorf("error %q does not say the server exited", res.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("StartDistribution still blocked 20s after the server exited")
	}
}

// A buildkitd that exits before it answers is an error, returned promptly.
func TestStartDaemonExitsEarly(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc not on PATH; CheckSetup would refuse before starting")
	}
	dir := testenv.Dir(t)
	bin := filepath.Join(dir, "fake-buildkitd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho fake buildkitd failing >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	type result struct {
		d   *stack.Daemon
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := stack.StartDaemon(context.Background(), stack.DaemonConfig{Dir: filepath.Join(dir, "d"), Binary: bin})
		done <- result{d, err}
	}()
	select {
	case res := <-done:
		if res.err == nil {
			res.d.Stop()
			t.Fatal("StartDaemon succeeded with a daemon that exits at once")
		}
		if !strings.Contains(res.err.Error(), "exited") || !strings.Contains(res.err.Error(), "buildkitd.log") {
			t.Errorf("error %q does not say the daemon exited and where its log is", res.err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("StartDaemon still blocked 25s after the daemon exited")
	}
}

func TestStartDistributionTwoDaemons(t *testing.T) {
	needDistribution(t)
	bin := testenv.Buildkitd(t)
	dir := testenv.Dir(t)
	ctx := context.Background()
	s, err := stack.Start(ctx, stack.Config{Dir: dir, Buildkitd: bin, Registry: stack.RegistryDistribution, Daemons: 2})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			s.Stop()
		}
	})
	if s.Registry.Kind != "distribution" {
		t.Errorf("registry kind %q, want distribution", s.Registry.Kind)
	}
	if err := s.Registry.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	addrs := s.Addrs()
	if len(addrs) != 2 || len(s.Daemons) != 2 || addrs[0] == addrs[1] {
		t.Fatalf("daemons at %v, want 2 distinct addresses", addrs)
	}
	roots := map[string]bool{}
	var pids []int
	for _, d := range s.Daemons {
		b, err := engine.Dial(ctx, d.Addr)
		if err != nil {
			t.Fatalf("daemon %s: %v", d.Addr, err)
		}
		b.Close()
		if !strings.HasPrefix(d.Dir, dir) {
			t.Errorf("daemon folder %s not under the state folder %s", d.Dir, dir)
		}
		root := filepath.Join(d.Dir, "root")
		entries, err := os.ReadDir(root)
		if err != nil || len(entries) == 0 {
			t.Errorf("daemon %s root %s: %d entries, %v", d.Addr, root, len(entries), err)
		}
		if roots[root] {
			t.Errorf("root %s shared by two daemons", root)
		}
		roots[root] = true
		cfg, err := bkconfig.LoadFile(filepath.Join(d.Dir, "buildkitd.toml"))
		if err != nil {
			t.Fatal(err)
		}
		if rc, ok := cfg.Registries[s.Registry.Addr]; !ok || rc.PlainHTTP == nil || !*rc.PlainHTTP {
			t.Errorf("daemon %s does not trust the registry %s over http: %+v", d.Addr, s.Registry.Addr, cfg.Registries)
		}
		pids = append(pids, d.Pid)
	}
	// The daemons and the registry work together: one real build, pushed.
	bks := testenv.Dial(t, s)
	ctxDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY Dockerfile /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, b := range bks {
		tag := s.Registry.Addr + "/buildtune/two:" + string(rune('a'+i))
		if _, err := b.Build(ctx, engine.Request{ID: "two", ContextDir: ctxDir, Tags: []string{tag}, Push: true}); err != nil {
			t.Fatalf("build on %s pushing %s: %v", b.Addr(), tag, err)
		}
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	for i, d := range s.Daemons {
		if err := syscall.Kill(pids[i], 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("daemon pid %d still exists after Stop (kill 0: %v)", pids[i], err)
		}
		start := time.Now()
		if b, err := engine.Dial(ctx, d.Addr); err == nil {
			b.Close()
			t.Errorf("daemon %s still answers after Stop", d.Addr)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Dial of stopped daemon %s took %s", d.Addr, took)
		}
		if !d.Exited() {
			t.Errorf("daemon %s: Exited() false after Stop", d.Addr)
		}
	}
	if err := s.Registry.Ping(ctx); err == nil {
		t.Error("registry answers after Stop")
	}
}

func TestDaemonConfig(t *testing.T) {
	dir := "/tmp/bt-cfg"
	tests := []struct {
		name       string
		cfg        stack.DaemonConfig
		wantMaxPar int
		wantRegs   []string
		wantRegCon int
	}{
		{name: "defaults", cfg: stack.DaemonConfig{Dir: dir}},
		{name: "max-parallelism", cfg: stack.DaemonConfig{Dir: dir, MaxParallelism: 3}, wantMaxPar: 3},
		{name: "one registry", cfg: stack.DaemonConfig{Dir: dir, Registries: []string{"127.0.0.1:5000"}}, wantRegs: []string{"127.0.0.1:5000"}},
		{name: "both", cfg: stack.DaemonConfig{Dir: dir, MaxParallelism: 8, Registries: []string{"127.0.0.1:5000", "localhost:41234"}},
			wantMaxPar: 8, wantRegs: []string{"127.0.0.1:5000", "localhost:41234"}},
		{name: "negative parallelism is default", cfg: stack.DaemonConfig{Dir: dir, MaxParallelism: -1}},
		{name: "registry concurrency", cfg: stack.DaemonConfig{Dir: dir, MaxParallelism: 2, RegistryConcurrency: 16, Registries: []string{"127.0.0.1:5000"}},
			wantMaxPar: 2, wantRegs: []string{"127.0.0.1:5000"}, wantRegCon: 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.cfg.Config()
			// Parse it the way buildkitd does.
			c, err := bkconfig.Load(strings.NewReader(text))
			if err != nil {
				t.Fatalf("buildkitd cannot parse the config: %v\n%s", err, text)
			}
			if c.Root != filepath.Join(dir, "root") {
				t.Errorf("root %q, want %q", c.Root, filepath.Join(dir, "root"))
			}
			if want := []string{"unix://" + stack.SocketPath(dir)}; !reflect.DeepEqual(c.GRPC.Address, want) {
				t.Errorf("grpc address %v, want %v", c.GRPC.Address, want)
			}
			if c.Workers.OCI.Enabled == nil || !*c.Workers.OCI.Enabled {
				t.Error("OCI worker not enabled")
			}
			if c.Workers.Containerd.Enabled == nil || *c.Workers.Containerd.Enabled {
				t.Error("containerd worker not disabled")
			}
			if c.Workers.OCI.MaxParallelism != tt.wantMaxPar {
				t.Errorf("max-parallelism %d, want %d", c.Workers.OCI.MaxParallelism, tt.wantMaxPar)
			}
			var regCon int
			if c.System != nil && c.System.MaxRegistryConcurrency != nil {
				regCon = *c.System.MaxRegistryConcurrency
			}
			if regCon != tt.wantRegCon {
				t.Errorf("maxRegistryConcurrency %d, want %d:\n%s", regCon, tt.wantRegCon, text)
			}
			if tt.wantMaxPar == 0 && strings.Contains(text, "max-parallelism") {
				t.Errorf("max-parallelism rendered though it is the default:\n%s", text)
			}
			if len(c.Registries) != len(tt.wantRegs) {
				t.Errorf("registries %v, want %v", c.Registries, tt.wantRegs)
			}
			for _, r := range tt.wantRegs {
				rc, ok := c.Registries[r]
				if !ok {
					t.Errorf("no registry entry for %s:\n%s", r, text)
					continue
				}
				if rc.PlainHTTP == nil || !*rc.PlainHTTP {
					t.Errorf("registry %s: http not true", r)
				}
				if rc.Insecure == nil || !*rc.Insecure {
					t.Errorf("registry %s: insecure not true", r)
				}
			}
		})
	}
}

func TestCheckSetup(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-buildkitd")
	err := stack.CheckSetup(missing)
	if !errors.Is(err, stack.ErrSetup) {
		t.Fatalf("CheckSetup(%s) = %v, want an error wrapping ErrSetup", missing, err)
	}
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error %q does not name %s", err, missing)
	}
	if !strings.Contains(err.Error(), "make setup") {
		t.Errorf("error %q does not say `make setup`", err)
	}
	if err := stack.CheckSetup(""); !errors.Is(err, stack.ErrSetup) {
		t.Errorf("CheckSetup(\"\") = %v, want ErrSetup", err)
	}

	// The binary is there but runc is not on PATH.
	bin := filepath.Join(t.TempDir(), "buildkitd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	err = stack.CheckSetup(bin)
	if !errors.Is(err, stack.ErrSetup) || !strings.Contains(err.Error(), "runc") {
		t.Errorf("without runc: %v, want an ErrSetup naming runc", err)
	}
}

func TestCheckSetupPresent(t *testing.T) {
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "buildkitd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := stack.CheckSetup(bin); err != nil {
		t.Errorf("CheckSetup with binary and runc present: %v", err)
	}
}

// startReaped starts a process and reaps it when it exits, so that a dead
// process does not linger as a zombie that kill(pid, 0) still finds.
func startReaped(t *testing.T, name string, args ...string) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return cmd, exited
}

func TestState(t *testing.T) {
	dir := t.TempDir()
	if _, err := stack.ReadState(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadState of an empty folder: %v, want os.ErrNotExist", err)
	}
	if err := stack.Down(dir); err != nil {
		t.Fatalf("Down without state: %v, want nil", err)
	}

	want := stack.State{
		BuildkitAddrs: []string{"unix:///tmp/bt1/buildkitd-0/buildkitd.sock", "unix:///tmp/bt1/buildkitd-1/buildkitd.sock"},
		Registry:      "127.0.0.1:5000",
		RegistryKind:  "distribution",
		Pids:          []int{os.Getpid()},
	}
	if err := stack.WriteState(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := stack.ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("round trip: got %+v, want %+v", *got, want)
	}
	if !got.Alive() {
		t.Error("Alive false for this test's own pid")
	}

	if err := os.WriteFile(stack.StatePath(dir), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := stack.ReadState(dir); err == nil || !strings.Contains(err.Error(), stack.StatePath(dir)) {
		t.Errorf("ReadState of a corrupt file: %v, want an error naming %s", err, stack.StatePath(dir))
	}
}

func TestStateAlive(t *testing.T) {
	cmd, exited := startReaped(t, "true")
	<-exited
	dead := cmd.Process.Pid
	if (&stack.State{Pids: []int{dead}}).Alive() {
		t.Errorf("Alive true for the dead pid %d", dead)
	}
	if (&stack.State{Pids: []int{os.Getpid(), dead}}).Alive() {
		t.Error("Alive true when one of the pids is dead")
	}
	if (&stack.State{}).Alive() {
		t.Error("Alive true without pids")
	}
}

func TestDownStopsProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd, exited := startReaped(t, "sleep", "60")
	if err := stack.WriteState(dir, stack.State{Registry: "127.0.0.1:1", Pids: []int{cmd.Process.Pid}}); err != nil {
		t.Fatal(err)
	}
	if err := stack.Down(dir); err != nil {
		t.Fatalf("Down: %v", err)
	}
	select {
	case <-exited:
	default:
		t.Error("process still running after Down returned")
	}
	if _, err := os.Stat(stack.StatePath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file still there after Down: %v", err)
	}
	if err := stack.Down(dir); err != nil {
		t.Errorf("second Down: %v", err)
	}
}

// Down waits for every process of the stack, not only the first to exit.
func TestDownWaitsForAll(t *testing.T) {
	dir := t.TempDir()
	// slow takes a second to honour SIGTERM; quick exits at once.
	slow := exec.Command("sh", "-c", `trap 'sleep 1; exit 0' TERM; echo ready; while :; do sleep 0.05; done`)
	out, err := slow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	// "ready" comes after the trap is set.
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		slow.Process.Kill()
		slow.Wait()
		t.Fatalf("shell said %q, %v", line, err)
	}
	slowExited := make(chan struct{})
	go func() { slow.Wait(); close(slowExited) }()
	t.Cleanup(func() {
		slow.Process.Kill()
		<-slowExited
	})
	quick, _ := startReaped(t, "sleep", "60")
	if err := stack.WriteState(dir, stack.State{Pids: []int{slow.Process.Pid, quick.Process.Pid}}); err != nil {
		t.Fatal(err)
	}
	if err := stack.Down(dir); err != nil {
		t.Fatalf("Down: %v", err)
	}
	select {
	case <-slowExited:
	default:
		t.Error("Down returned while one of the stack's processes still ran")
	}
}

func TestConnectUnreachable(t *testing.T) {
	dir := testenv.Dir(t)
	addr := "unix://" + filepath.Join(dir, "nobody.sock")
	start := time.Now()
	env, err := stack.Connect(context.Background(), stack.Use{BuildkitAddrs: []string{addr}, Start: stack.Config{Dir: dir}})
	took := time.Since(start)
	if err == nil {
		env.Close()
		t.Fatalf("Connect to %s succeeded", addr)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name %s", err, addr)
	}
	if took > 12*time.Second {
		t.Errorf("Connect took %s to fail", took)
	}
}

// A stack described by a state file is reused; a dead one is not.
func TestConnectReusesState(t *testing.T) {
	s := testenv.Stack(t, stack.Config{})
	state := testenv.Dir(t)
	ctx := context.Background()
	if err := stack.WriteState(state, stack.State{BuildkitAddrs: s.Addrs(), Registry: s.Registry.Addr,
		RegistryKind: s.Registry.Kind, Pids: []int{os.Getpid()}}); err != nil {
		t.Fatal(err)
	}
	env, err := stack.Connect(ctx, stack.Use{StateDir: state, Start: stack.Config{Dir: testenv.Dir(t), Buildkitd: "/nonexistent/buildkitd"}})
	if err != nil {
		t.Fatalf("Connect with a running stack: %v", err)
	}
	if env.Private != nil || !strings.Contains(env.Source, "stack in "+state) {
		t.Errorf("Connect did not reuse the stack: source %q, private %v", env.Source, env.Private != nil)
	}
	if len(env.Daemons) != 1 || env.Daemons[0].Addr() != s.Addrs()[0] || env.Registry.Addr != s.Registry.Addr {
		t.Errorf("Connect reused %d daemons, registry %s; want %v, %s", len(env.Daemons), env.Registry.Addr, s.Addrs(), s.Registry.Addr)
	}
	if err := env.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// Closing a reused stack leaves it running.
	if err := s.Registry.Ping(ctx); err != nil {
		t.Errorf("registry of the reused stack stopped by Close: %v", err)
	}
	b, err := engine.Dial(ctx, s.Addrs()[0])
	if err != nil {
		t.Errorf("daemon of the reused stack stopped by Close: %v", err)
	} else {
		b.Close()
	}

	// A state whose processes are gone is ignored: a private stack would be
	// started, which here fails on the missing binary.
	cmd, exited := startReaped(t, "true")
	<-exited
	if err := stack.WriteState(state, stack.State{BuildkitAddrs: s.Addrs(), Registry: s.Registry.Addr, Pids: []int{cmd.Process.Pid}}); err != nil {
		t.Fatal(err)
	}
	_, err = stack.Connect(ctx, stack.Use{StateDir: state, Start: stack.Config{Dir: testenv.Dir(t), Buildkitd: "/nonexistent/buildkitd"}})
	if !errors.Is(err, stack.ErrSetup) {
		t.Errorf("Connect with a dead stack: %v, want it to start a private one (ErrSetup here)", err)
	}
}

// mountsUnder lists the mount points below dir (from /proc/self/mountinfo).
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skipf("no mountinfo: %v", err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	return out
}

// TestStopAfterDaemonKilled: a buildkitd killed in the middle of a RUN
// leaves its rootfs mounted; stopping the stack unmounts what is under the
// daemon's folder, so the folder can be removed.
func TestStopAfterDaemonKilled(t *testing.T) {
	s := testenv.Stack(t, stack.Config{})
	b := testenv.Dial(t, s)[0]
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("no static busybox: %v", err)
	}
	ctxDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctxDir, "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	df := "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sleep\", \"30\"]\n"
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.Build(context.Background(), engine.Request{ID: "sleep", ContextDir: ctxDir})
		done <- err
	}()
	dir := s.Daemons[0].Dir
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(strings.Join(mountsUnder(t, dir), " "), "/rootfs") {
		if time.Now().After(deadline) {
			t.Fatalf("the RUN step never mounted its rootfs under %s", dir)
		}
		time.Sleep(50 * time.Millisecond) // polling, bounded by deadline
	}
	s.Daemons[0].Kill()
	<-done
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if m := mountsUnder(t, dir); len(m) > 0 {
		t.Fatalf("after Stop, %d mounts left under %s: %v", len(m), dir, m)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatalf("removing the daemon folder: %v", err)
	}
}

// TestStartOwnRegistry: --registry names a registry of one's own, with or
// without a port (ghcr.io, as the README's examples give it). A name that
// does not answer is an unreachable registry (exit 3), a malformed one bad
// input (exit 2); neither is refused for lacking a port.
func TestStartOwnRegistry(t *testing.T) {
	bk := testenv.Buildkitd(t)
	ctx := context.Background()
	_, err := stack.Start(ctx, stack.Config{Dir: t.TempDir(), Buildkitd: bk, Registry: "registry.invalid"})
	if !errors.Is(err, stack.ErrUnreachable) {
		t.Errorf("registry.invalid: %v, want a registry that does not answer", err)
	}
	_, err = stack.Start(ctx, stack.Config{Dir: t.TempDir(), Buildkitd: bk, Registry: "Not A Registry"})
	if !errors.Is(err, input.ErrBad) {
		t.Errorf("malformed registry: %v, want bad input", err)
	}
}
