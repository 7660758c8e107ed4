package stack_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
)

// TestTLSGenerate: the files exist with mode 0600, and the client
// certificates load with their keys.
func TestTLSGenerate(t *testing.T) {
	f, err := stack.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.CACert, f.ServerCert, f.ServerKey, f.ClientCert, f.ClientKey, f.WrongCACert, f.WrongClientCert, f.WrongClientKey} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	for _, o := range []engine.DialOptions{f.Client(), f.WrongClient()} {
		if err := engine.ValidateAddr("tcp://127.0.0.1:1", o); err != nil {
			t.Errorf("generated files do not validate: %v", err)
		}
	}
}

// TestTLSDaemon: a buildkitd with mutual TLS on loopback TCP answers a
// client holding a certificate of its CA, and refuses one with a
// certificate of another CA or with none, with a one-line error naming
// the address.
func TestTLSDaemon(t *testing.T) {
	bin := filepath.Join(testenv.Root(t), "bin", "buildkitd")
	if _, err := os.Stat(bin); err != nil && testing.Short() {
		t.Skipf("needs %s (make setup): %v", bin, err)
	}
	if err := stack.CheckSetup(bin); err != nil {
		t.Fatalf("mutual TLS test needs the real stack: %v", err)
	}
	dir := testenv.Dir(t)
	files, err := stack.GenerateTLS(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := stack.StartTLSDaemon(ctx, stack.DaemonConfig{Dir: filepath.Join(dir, "d"), Binary: bin}, files)
	if err != nil {
		t.Fatalf("starting buildkitd with tls: %v", err)
	}
	t.Cleanup(func() { d.Kill() })
	if !strings.HasPrefix(d.Addr, "tcp://127.0.0.1:") {
		t.Fatalf("daemon address %s is not loopback tcp", d.Addr)
	}

	t.Run("right client cert", func(t *testing.T) {
		b, err := engine.DialWith(ctx, d.Addr, files.Client())
		if err != nil {
			t.Fatalf("dial with the right client cert: %v", err)
		}
		defer b.Close()
		ws, err := b.Client().ListWorkers(ctx)
		if err != nil || len(ws) == 0 {
			t.Fatalf("ListWorkers over mutual TLS = %d workers, %v", len(ws), err)
		}
		// A server name that is in the certificate works too.
		o := files.Client()
		o.ServerName = "localhost"
		b2, err := engine.DialWith(ctx, d.Addr, o)
		if err != nil {
			t.Fatalf("dial with server name localhost: %v", err)
		}
		b2.Close()
	})

	// refused dials with o, expecting a refusal whose message contains hint.
	refused := func(t *testing.T, o engine.DialOptions, hint string) {
		t.Helper()
		b, err := engine.DialWith(ctx, d.Addr, o)
		if err == nil {
			b.Close()
			t.Fatalf("daemon at %s accepted the connection", d.Addr)
		}
		t.Log(err)
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("error is not one line: %q", msg)
		}
		if !strings.Contains(msg, d.Addr) {
			t.Errorf("error %q does not name %s", msg, d.Addr)
		}
		if !strings.Contains(msg, hint) {
			t.Errorf("error %q does not contain %q", msg, hint)
		}
		var ae *engine.AddrError
		if errors.As(err, &ae) {
			t.Errorf("refused connection is an AddrError (bad input): %v", err)
		}
		if engine.ClassOf(err) != engine.ErrInfra {
			t.Errorf("class = %v, want infra", engine.ClassOf(err))
		}
	}
	t.Run("wrong client cert", func(t *testing.T) { refused(t, files.WrongClient(), files.WrongClientCert) })
	t.Run("no client cert", func(t *testing.T) {
		refused(t, engine.DialOptions{CACert: files.CACert}, "require a client certificate")
	})
	// The client itself finds that its TLS options do not fit the daemon:
	// no retry mends that, so it is bad input naming the flag at fault
	// (an *AddrError, exit 2), not a daemon that is down.
	mismatch := func(t *testing.T, o engine.DialOptions, flag, hint string) {
		t.Helper()
		_, err := engine.DialWith(ctx, d.Addr, o)
		var ae *engine.AddrError
		if !errors.As(err, &ae) || ae.Flag != flag {
			t.Fatalf("DialWith: %v; want an *AddrError naming %s", err, flag)
		}
		if msg := err.Error(); !strings.Contains(msg, hint) || !strings.Contains(msg, d.Addr) || strings.Contains(msg, "\n") {
			t.Errorf("error %q: want one line naming %s and %q", msg, d.Addr, hint)
		}
	}
	t.Run("wrong ca", func(t *testing.T) {
		// The client does not trust the daemon's certificate.
		mismatch(t, engine.DialOptions{CACert: files.WrongCACert, Cert: files.ClientCert, Key: files.ClientKey}, "--tlscacert", "certificate signed by unknown authority")
	})
	t.Run("wrong server name", func(t *testing.T) {
		o := files.Client()
		o.ServerName = "buildkitd.example"
		mismatch(t, o, "--tlsservername", "buildkitd.example")
	})
	t.Run("plain tcp", func(t *testing.T) { refused(t, engine.DialOptions{}, "may require TLS") })

	if d.Exited() {
		t.Fatal("daemon exited during the test")
	}
}
