package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
)

// ErrSetup marks a missing piece that `make setup` installs.
var ErrSetup = errors.New("run `make setup`")

// DaemonConfig configures one private buildkitd.
type DaemonConfig struct {
	// Dir holds the daemon's root, socket, config and log.
	Dir string
	// Binary is the buildkitd path.
	Binary string
	// MaxParallelism caps the daemon's concurrent steps; 0 = BuildKit's default.
	MaxParallelism int
	// RegistryConcurrency is buildkitd's maxRegistryConcurrency: the
	// connections it opens to one registry host at once, shared by every
	// push and pull of the daemon; 0 = BuildKit's default (4). Over a
	// link with a long round trip it, not the bandwidth, bounds the
	// pushes (reports/bench/README.md).
	RegistryConcurrency int
	// Registries are host:port entries allowed over plain HTTP.
	Registries []string
	// ReadyTimeout bounds the wait for the daemon to answer; 0 = 60 s.
	ReadyTimeout time.Duration
}

// Daemon is a running buildkitd.
type Daemon struct {
	Addr string
	Dir  string
	Pid  int
	cmd  *exec.Cmd
	// exited is closed when the process has ended; waitErr is its status.
	exited  chan struct{}
	waitErr error
}

// SocketPath returns where the daemon in dir listens.
func SocketPath(dir string) string { return filepath.Join(dir, "buildkitd.sock") }

// CheckSetup reports which of buildkitd and runc is missing.
func CheckSetup(binary string) error {
	if binary == "" {
		return fmt.Errorf("buildkitd path is empty: %w", ErrSetup)
	}
	if _, err := os.Stat(binary); err != nil {
		return fmt.Errorf("buildkitd not found at %s: %w", binary, ErrSetup)
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return fmt.Errorf("runc not found on PATH: %w", ErrSetup)
	}
	return nil
}

// Config renders the buildkitd.toml for cfg.
func (cfg DaemonConfig) Config() string {
	var b strings.Builder
	fmt.Fprintf(&b, "root = %q\n\n[grpc]\n  address = [%q]\n\n", filepath.Join(cfg.Dir, "root"), "unix://"+SocketPath(cfg.Dir))
	if cfg.RegistryConcurrency > 0 {
		fmt.Fprintf(&b, "[system]\n  maxRegistryConcurrency = %d\n\n", cfg.RegistryConcurrency)
	}
	b.WriteString("[worker.oci]\n  enabled = true\n  gc = false\n")
	if cfg.MaxParallelism > 0 {
		fmt.Fprintf(&b, "  max-parallelism = %d\n", cfg.MaxParallelism)
	}
	b.WriteString("\n[worker.containerd]\n  enabled = false\n")
	for _, r := range cfg.Registries {
		fmt.Fprintf(&b, "\n[registry.%q]\n  http = true\n  insecure = true\n", r)
	}
	return b.String()
}

// StartDaemon starts buildkitd and waits until it lists its workers.
func StartDaemon(ctx context.Context, cfg DaemonConfig) (*Daemon, error) {
	return startDaemon(ctx, cfg, nil)
}

// startDaemon starts buildkitd on its unix socket and, with tls, also on
// tcp://127.0.0.1:PORT with mutual TLS (then the Daemon's Addr is the tcp
// address), and waits until it lists its workers.
func startDaemon(ctx context.Context, cfg DaemonConfig, tls *TLSFiles) (*Daemon, error) {
	if err := CheckSetup(cfg.Binary); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("buildkitd folder: %w", err)
	}
	sock := SocketPath(cfg.Dir)
	if len(sock) > maxSocketPath {
		return nil, fmt.Errorf("buildkitd socket path %s is longer than a unix socket allows; use a shorter state folder", sock)
	}
	_ = os.Remove(sock)
	cfgPath := filepath.Join(cfg.Dir, "buildkitd.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg.Config()), 0o644); err != nil {
		return nil, fmt.Errorf("writing buildkitd config: %w", err)
	}
	args := []string{"--config", cfgPath}
	addr, dial, what := "unix://"+sock, engine.DialOptions{}, "buildkitd"
	if tls != nil {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr, dial, what = fmt.Sprintf("tcp://127.0.0.1:%d", port), tls.Client(), "buildkitd with tls"
		// --addr given on the command line replaces the config's addresses.
		args = append(args, "--addr", "unix://"+sock, "--addr", addr,
			"--tlscacert", tls.CACert, "--tlscert", tls.ServerCert, "--tlskey", tls.ServerKey)
	}
	logf, err := os.OpenFile(filepath.Join(cfg.Dir, "buildkitd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("buildkitd log: %w", err)
	}
	cmd := exec.Command(cfg.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: a Ctrl-C at the terminal reaches buildtune, which
	// finishes what is in flight and then stops the daemon itself.
	// Pdeathsig: the daemon never outlives buildtune (`stack up` keeps a
	// buildtune process serving the stack instead).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting buildkitd %s: %w", cfg.Binary, err)
	}
	d := &Daemon{Addr: addr, Dir: cfg.Dir, Pid: cmd.Process.Pid, cmd: cmd, exited: make(chan struct{})}
	go func() { d.waitErr = cmd.Wait(); logf.Close(); close(d.exited) }()
	timeout := cfg.ReadyTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	if err := d.wait(ctx, timeout, dial); err != nil {
		d.Stop()
		return nil, fmt.Errorf("%s (log %s): %w", what, logf.Name(), err)
	}
	return d, nil
}

// wait asks the daemon for its workers until it answers.
func (d *Daemon) wait(ctx context.Context, timeout time.Duration, o engine.DialOptions) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		// Only dial once the socket exists: the listeners are up then,
		// and a dial does not wait out its whole DialTimeout.
		if _, err := os.Stat(SocketPath(d.Dir)); err == nil {
			b, err := engine.DialWith(ctx, d.Addr, o)
			if err == nil {
				b.Close()
				return nil
			}
			last = err
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("no answer on %s after %s: %v", d.Addr, timeout, last)
			}
			return fmt.Errorf("no answer on %s after %s", d.Addr, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.exited:
			return fmt.Errorf("exited before it was ready: %v", d.waitErr)
		case <-tick.C:
		}
	}
}

// Exited reports whether the daemon process has ended.
func (d *Daemon) Exited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// Stop ends the daemon: SIGTERM, then SIGKILL after 15 s. A daemon that
// died on its own (killed in the middle of a build) left the mounts of
// its builds behind: Stop unmounts what is under its folder, so that the
// folder can be removed.
func (d *Daemon) Stop() error {
	if d == nil || d.cmd == nil || d.cmd.Process == nil {
		return nil
	}
	if !d.Exited() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-d.Pid, syscall.SIGKILL)
			<-d.exited
		}
	}
	return unmountUnder(d.Dir)
}

// unmountUnder detaches every mount below dir, deepest first.
func unmountUnder(dir string) error {
	if dir == "" {
		return nil
	}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil // no mount table to read: nothing this can do
	}
	prefix := filepath.Clean(dir) + "/"
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		// Field 5 is the mount point, with spaces and the like octal-escaped.
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], prefix) {
			points = append(points, f[4])
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s left by buildkitd: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// Kill ends the daemon at once (tests of infrastructure failure).
func (d *Daemon) Kill() {
	if d != nil && d.cmd != nil && d.cmd.Process != nil && !d.Exited() {
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}
