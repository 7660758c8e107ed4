package stack

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is a running registry: embedded (in this process), Debian's
// docker-registry (a child process), or an external one given by address.
type Registry struct {
	// Addr is host:port.
	Addr string
	// Kind is "embedded", "distribution" or "external".
	Kind string
	srv  *http.Server
	cmd  *exec.Cmd
	// exited is closed when the server or process has ended.
	exited  chan struct{}
	waitErr error
}

// StartEmbedded serves go-containerregistry's registry with blobs on disk
// under dir, on addr ("" = 127.0.0.1 with a free port). Manifests live in
// memory, as pkg/registry keeps them.
func StartEmbedded(dir, addr string) (*Registry, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("registry blob folder: %w", err)
	}
	// The registry writes every pushed blob there: a folder it cannot
	// write into would only show at the first push, as a server error.
	if err := checkWritable(dir); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for the embedded registry on %s: %w", addr, err)
	}
	h := registry.New(
		registry.WithBlobHandler(registry.NewDiskBlobHandler(dir)),
		registry.Logger(log.New(io.Discard, "", 0)),
	)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	r := &Registry{Addr: ln.Addr().String(), Kind: "embedded", srv: srv, exited: make(chan struct{})}
	go func() { r.waitErr = srv.Serve(ln); close(r.exited) }()
	return r, nil
}

// checkWritable creates and removes a file in dir.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("registry folder %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("registry folder %s: removing a test file: %w", dir, err)
	}
	return nil
}

// DistributionBinary is where Debian's docker-registry package installs the
// CNCF distribution server.
const DistributionBinary = "/usr/bin/docker-registry"

// StartDistribution runs Debian's docker-registry (the CNCF distribution
// server) with filesystem storage under dir, on a free loopback port.
func StartDistribution(ctx context.Context, dir, binary string) (*Registry, error) {
	if binary == "" {
		binary = DistributionBinary
	}
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("docker-registry not found at %s (run `make setup`, which installs Debian's docker-registry): %w", binary, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, fmt.Errorf("registry folder: %w", err)
	}
	if err := checkWritable(filepath.Join(dir, "storage")); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "storage"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("writing registry config: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, fmt.Errorf("registry log: %w", err)
	}
	cmd := exec.Command(binary, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting docker-registry: %w", err)
	}
	r := &Registry{Addr: addr, Kind: "distribution", cmd: cmd, exited: make(chan struct{})}
	go func() { r.waitErr = cmd.Wait(); logf.Close(); close(r.exited) }()
	if err := waitRegistry(ctx, r, 15*time.Second); err != nil {
		r.Close()
		return nil, fmt.Errorf("docker-registry on %s (log %s): %w", addr, logf.Name(), err)
	}
	return r, nil
}

// CheckRegistry checks a --registry value without connecting: "",
// "embedded", "distribution", or the host[:port] of a running registry,
// with no scheme or path.
func CheckRegistry(s string) error {
	if s == "" || s == RegistryEmbedded || s == RegistryDistribution {
		return nil
	}
	if strings.Contains(s, "://") {
		return fmt.Errorf("registry %q: want host:port without a scheme, %q or %q", s, RegistryEmbedded, RegistryDistribution)
	}
	if _, err := name.NewRegistry(s, name.StrictValidation); err != nil {
		return fmt.Errorf("registry %q: want host:port, %q or %q", s, RegistryEmbedded, RegistryDistribution)
	}
	// name.NewRegistry takes any digits after the colon: a port beyond
	// 65535 (or 0) would only fail when dialled, as a registry that "does
	// not answer" (exit 3) rather than the typo it is.
	if _, port, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("registry %q: port %q: want host:port with a port from 1 to 65535", s, port)
		}
	}
	return nil
}

// External names a registry that something else runs.
func External(addr string) *Registry { return &Registry{Addr: addr, Kind: "external"} }

// ErrUnreachable marks a registry that does not answer: an
// infrastructure failure (exit status 3), not bad input.
var ErrUnreachable = errors.New("registry does not answer")

// unreachable is an error that errors.Is ErrUnreachable.
type unreachable struct{ error }

func (u unreachable) Unwrap() error      { return u.error }
func (unreachable) Is(target error) bool { return target == ErrUnreachable }

// Ping checks that the registry answers GET /v2/; an error wraps
// ErrUnreachable when it did not answer at all or answered a server error
// (5xx).
//
// A registry on this machine is asked over plain HTTP first, any other over
// HTTPS first (as the daemons and the base-image push reach them), and the
// other scheme is tried when the first gets no registry's answer: a
// registry with TLS on its own port (registry.example.com:5000) answers
// plain HTTP with 400, and was refused as "not a registry".
func (r *Registry) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	schemes := []string{"https", "http"}
	if Loopback(r.Addr) {
		schemes = []string{"http", "https"}
	}
	var first error
	for _, scheme := range schemes {
		err := pingScheme(ctx, scheme, r.Addr)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return first
}

// pingClient asks GET /v2/ over either scheme. The certificate is not
// checked: this only asks whether a registry answers there; the daemons
// and the pushes check it themselves.
var pingClient = &http.Client{Transport: &http.Transport{
	Proxy:           http.ProxyFromEnvironment,
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // reachability only, see above
}}

// pingScheme asks scheme://addr/v2/ once.
func pingScheme(ctx context.Context, scheme, addr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+"/v2/", nil)
	if err != nil {
		return fmt.Errorf("registry %s: %w", addr, err)
	}
	resp, err := pingClient.Do(req)
	if err != nil {
		return unreachable{fmt.Errorf("registry %s does not answer: %w", addr, err)}
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		// Down behind a proxy or load balancer (502, 503, 504): as down
		// as one that does not answer.
		return unreachable{fmt.Errorf("registry %s: GET /v2/ answered %s", addr, resp.Status)}
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized:
		return fmt.Errorf("registry %s: GET /v2/ answered %s; want 200 or 401 from a registry's API (is it a registry?)", addr, resp.Status)
	}
	return nil
}

// waitRegistry asks the registry until it answers, the process exits, or
// the timeout passes.
func waitRegistry(ctx context.Context, r *Registry, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := r.Ping(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.exited:
			return fmt.Errorf("exited before it was ready: %v", r.waitErr)
		case <-tick.C:
		}
	}
}

// Close stops a registry this package started; an external one is left alone.
func (r *Registry) Close() error {
	switch {
	case r.srv != nil:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := r.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = r.srv.Close()
		}
		return err
	case r.cmd != nil && r.cmd.Process != nil:
		select {
		case <-r.exited:
			return nil
		default:
		}
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(10 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Loopback reports whether a registry host:port is on this machine.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
