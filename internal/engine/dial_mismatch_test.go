package engine_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/stack"
)

// TestDialTLSMismatch: TLS options that do not fit the daemon (its
// certificate signed by another CA than --tlscacert, issued for another
// name than --tlsservername, or no TLS at all) failed as an unreachable
// daemon, an infrastructure failure (exit 3) that no retry mends. They are
// an *AddrError naming the flag at fault: bad input (exit 2).
func TestDialTLSMismatch(t *testing.T) {
	f, err := stack.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	tlsAddr := "tcp://" + strings.TrimPrefix(tlsSrv.URL, "https://")
	plainAddr := "tcp://" + strings.TrimPrefix(plain.URL, "http://")

	for _, tc := range []struct {
		name, addr, flag string
		o                engine.DialOptions
	}{
		{"other CA", tlsAddr, "--tlscacert", engine.DialOptions{CACert: f.WrongCACert}},
		{"other name", tlsAddr, "--tlsservername", engine.DialOptions{CACert: f.CACert, ServerName: "buildkitd.example"}},
		{"no TLS", plainAddr, "--tlscacert", engine.DialOptions{CACert: f.CACert}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.DialWith(context.Background(), tc.addr, tc.o)
			var ae *engine.AddrError
			if !errors.As(err, &ae) || ae.Flag != tc.flag {
				t.Fatalf("DialWith: %v; want an *AddrError naming %s", err, tc.flag)
			}
			if engine.ClassOf(err) == engine.ErrInfra {
				t.Errorf("DialWith: %v is classed infrastructure", err)
			}
		})
	}
}

// TestValidateAddrNotSocket: a unix:// address naming a regular file or a
// folder (the daemon's state folder instead of its socket) never answers;
// it was an unreachable daemon (exit 3), and is bad input before any dial.
// A path that does not exist yet is left to the dial (a daemon not started).
func TestValidateAddrNotSocket(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "buildkitd.toml")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, dir} {
		err := engine.ValidateAddr("unix://"+p, engine.DialOptions{})
		var ae *engine.AddrError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "not a socket") {
			t.Errorf("ValidateAddr(unix://%s): %v; want an *AddrError saying it is not a socket", p, err)
		}
	}
	if err := engine.ValidateAddr("unix://"+filepath.Join(dir, "later.sock"), engine.DialOptions{}); err != nil {
		t.Errorf("ValidateAddr of a socket not made yet: %v", err)
	}
}
