package engine_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/stack"
)

// TestDialValidate: ValidateAddr accepts buildctl's address forms and
// refuses bad ones, before any connection, with an *AddrError naming the
// address (and the flag and file for TLS options).
func TestDialValidate(t *testing.T) {
	dir := t.TempDir()
	f, err := stack.GenerateTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.pem")
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tcp := "tcp://127.0.0.1:1234"
	mtls := f.Client()
	for _, tc := range []struct {
		name string
		addr string
		o    engine.DialOptions
		want []string // substrings of the error; nil = valid
	}{
		{"unix", "unix:///run/buildkit/buildkitd.sock", engine.DialOptions{}, nil},
		{"tcp", tcp, engine.DialOptions{}, nil},
		{"tcp localhost", "tcp://localhost:1234", engine.DialOptions{}, nil},
		{"docker-container", "docker-container://buildx_buildkit_default", engine.DialOptions{}, nil},
		{"kube-pod", "kube-pod://buildkitd-0?namespace=ci", engine.DialOptions{}, nil},
		{"nerdctl-container", "nerdctl-container://buildkitd", engine.DialOptions{}, nil},
		{"podman-container", "podman-container://buildkitd", engine.DialOptions{}, nil},
		{"ssh", "ssh://builder@build-host:2222", engine.DialOptions{}, nil},
		{"tcp mtls", tcp, mtls, nil},
		{"tcp server tls only", tcp, engine.DialOptions{CACert: f.CACert}, nil},
		{"tcp mtls servername", tcp, engine.DialOptions{CACert: f.CACert, Cert: f.ClientCert, Key: f.ClientKey, ServerName: "localhost"}, nil},

		{"empty", "", engine.DialOptions{}, []string{"empty"}},
		{"unknown scheme", "http://127.0.0.1:1234", engine.DialOptions{}, []string{"http://127.0.0.1:1234", `unknown scheme "http"`, "unix, tcp, docker-container, kube-pod", "ssh"}},
		{"no scheme", "/run/buildkit/buildkitd.sock", engine.DialOptions{}, []string{"/run/buildkit/buildkitd.sock", `unknown scheme ""`}},
		{"npipe", "npipe:////./pipe/buildkitd", engine.DialOptions{}, []string{`unknown scheme "npipe"`}},
		{"unix no path", "unix://", engine.DialOptions{}, []string{"no socket path"}},
		{"tcp no port", "tcp://127.0.0.1", engine.DialOptions{}, []string{"tcp://127.0.0.1", "host:port"}},
		{"ssh no host", "ssh://", engine.DialOptions{}, []string{"ssh://", "no host"}},
		{"ssh password", "ssh://u:secret@host", engine.DialOptions{}, []string{"password"}},
		{"tls with unix", "unix:///run/buildkit/buildkitd.sock", mtls, []string{"unix:///run/buildkit/buildkitd.sock", "tcp://"}},
		{"tls with docker-container", "docker-container://b", mtls, []string{"docker-container://b", "tcp://"}},
		{"missing ca", tcp, engine.DialOptions{CACert: missing}, []string{tcp, "--tlscacert", missing, "does not exist"}},
		{"missing cert", tcp, engine.DialOptions{CACert: f.CACert, Cert: missing, Key: f.ClientKey}, []string{"--tlscert", missing}},
		{"missing key", tcp, engine.DialOptions{CACert: f.CACert, Cert: f.ClientCert, Key: missing}, []string{"--tlskey", missing}},
		{"ca is folder", tcp, engine.DialOptions{CACert: dir}, []string{"--tlscacert", "folder"}},
		{"cert without key", tcp, engine.DialOptions{CACert: f.CACert, Cert: f.ClientCert}, []string{"--tlscert", "--tlskey", "together"}},
		{"key without cert", tcp, engine.DialOptions{CACert: f.CACert, Key: f.ClientKey}, []string{"--tlscert", "--tlskey", "together"}},
		{"client cert without ca", tcp, engine.DialOptions{Cert: f.ClientCert, Key: f.ClientKey}, []string{"--tlscacert", "required"}},
		{"servername without ca", tcp, engine.DialOptions{ServerName: "localhost"}, []string{"--tlscacert", "required"}},
		{"ca not pem", tcp, engine.DialOptions{CACert: notPEM}, []string{"--tlscacert", notPEM, "no PEM"}},
		{"cert and key mismatch", tcp, engine.DialOptions{CACert: f.CACert, Cert: f.ClientCert, Key: f.WrongClientKey}, []string{"--tlscert", f.ClientCert, f.WrongClientKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := engine.ValidateAddr(tc.addr, tc.o)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("ValidateAddr(%q) = %v, want nil", tc.addr, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateAddr(%q) = nil, want an error with %q", tc.addr, tc.want)
			}
			var ae *engine.AddrError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is %T, want *engine.AddrError", err, err)
			}
			msg := err.Error()
			t.Log(msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			wantFlag := "" // the first flag the table expects in the message
			for _, w := range tc.want {
				if strings.HasPrefix(w, "--tls") {
					wantFlag = w
					break
				}
			}
			if ae.Flag != wantFlag {
				t.Errorf("AddrError.Flag = %q, want %q", ae.Flag, wantFlag)
			}
			// DialWith refuses the same input before connecting.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			b, derr := engine.DialWith(ctx, tc.addr, tc.o)
			if b != nil {
				b.Close()
			}
			if !errors.As(derr, &ae) || derr.Error() != msg {
				t.Errorf("DialWith error = %v, want the AddrError %q", derr, msg)
			}
		})
	}
}

// TestDialWithUnreachableTCP: a valid tcp:// address nobody listens on is
// an infra error naming the address, not an *AddrError.
func TestDialWithUnreachableTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "tcp://" + l.Addr().String()
	l.Close()
	start := time.Now()
	b, err := engine.DialWith(context.Background(), addr, engine.DialOptions{})
	if err == nil {
		b.Close()
		t.Fatalf("DialWith(%s) succeeded with nobody listening", addr)
	}
	if d := time.Since(start); d > engine.DialTimeout+5*time.Second {
		t.Errorf("DialWith took %s, want at most about %s", d, engine.DialTimeout)
	}
	var ae *engine.AddrError
	if errors.As(err, &ae) {
		t.Errorf("unreachable daemon is an AddrError: %v", err)
	}
	if engine.ClassOf(err) != engine.ErrInfra {
		t.Errorf("class = %v, want infra: %v", engine.ClassOf(err), err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name %s", err, addr)
	}
}
