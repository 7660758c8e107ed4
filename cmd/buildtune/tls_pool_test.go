package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/sweep/record"
)

// lightProfile writes the default fixture profile at a tenth of its time
// scale, for tests about the plumbing rather than the timings.
func lightProfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root(t), "fixtures", "profiles", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "time_scale: 0.01", "time_scale: 0.001", 1)
	if s == string(b) {
		t.Fatal("default profile has no 'time_scale: 0.01' line to scale down")
	}
	return writeFile(t, "light.yaml", s)
}

// wantOneLine fails the test unless stderr is exactly one non-empty line.
func wantOneLine(t *testing.T, r result) {
	t.Helper()
	if n := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n"); n != 0 || r.stderr == "" {
		t.Errorf("want one line on stderr, got %q", r.stderr)
	}
}

// TestBuildTLSDaemon: `buildtune build` against a buildkitd with mutual TLS
// on loopback TCP. Bad TLS input and bad worker limits are refused before
// anything starts (exit 2, one line); a client certificate the daemon does
// not accept is refused with one line naming the address; the right
// certificates build 2 images, recorded with the daemon's address.
func TestBuildTLSDaemon(t *testing.T) {
	bk := testenv.Buildkitd(t)
	dir := testenv.Dir(t)
	files, err := stack.GenerateTLS(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := stack.StartEmbedded(filepath.Join(dir, "registry"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	d, err := stack.StartTLSDaemon(context.Background(), stack.DaemonConfig{Dir: filepath.Join(dir, "d"), Binary: bk,
		Registries: []string{reg.Addr}}, files)
	if err != nil {
		t.Fatalf("starting buildkitd with tls: %v", err)
	}
	t.Cleanup(func() { d.Stop() })
	prof := lightProfile(t)
	build := func(t *testing.T, addr string, tls ...string) result {
		t.Helper()
		args := append([]string{"build", "--sample", "2", "--workers", "2", "--cache-mode", "off", "--profile", prof,
			"--registry", reg.Addr, "--out", filepath.Join(t.TempDir(), "out"), "--buildkit-addr", addr}, tls...)
		return runIn(t, args...)
	}
	missing := filepath.Join(t.TempDir(), "nope.pem")

	for _, tc := range []struct {
		name, addr, want string
		tls              []string
	}{
		{"missing client cert file", d.Addr, "--tlscert", []string{"--tlscacert", files.CACert, "--tlscert", missing, "--tlskey", files.ClientKey}},
		{"cert without key", d.Addr, "--tlskey", []string{"--tlscacert", files.CACert, "--tlscert", files.ClientCert}},
		{"tls on a unix address", "unix:///run/x.sock", "tcp://", []string{"--tlscacert", files.CACert}},
		{"negative worker limit", d.Addr + "@-1", "worker limit", []string{"--tlscacert", files.CACert}},
		{"unknown scheme", "http://127.0.0.1:1", "unknown scheme", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t, tc.addr, tc.tls...)
			if r.code != exitUsage {
				t.Fatalf("want exit 2\n%s", r)
			}
			wantOneLine(t, r)
			t.Log(strings.TrimSpace(r.stderr))
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", r.stderr, tc.want)
			}
		})
	}

	t.Run("client cert of another CA", func(t *testing.T) {
		r := build(t, d.Addr, "--tlscacert", files.CACert, "--tlscert", files.WrongClientCert, "--tlskey", files.WrongClientKey)
		if r.code != exitUsage && r.code != exitInfra {
			t.Fatalf("want exit 2 or 3 (refused)\n%s", r)
		}
		wantOneLine(t, r)
		t.Log(strings.TrimSpace(r.stderr))
		if !strings.Contains(r.stderr, d.Addr) {
			t.Errorf("stderr %q does not name %s", r.stderr, d.Addr)
		}
	})

	t.Run("right certs", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		r := runIn(t, "build", "--sample", "2", "--workers", "2", "--cache-mode", "off", "--profile", prof,
			"--registry", reg.Addr, "--out", out, "--buildkit-addr", d.Addr+"@2",
			"--tlscacert", files.CACert, "--tlscert", files.ClientCert, "--tlskey", files.ClientKey)
		if r.code != exitOK {
			t.Fatalf("build over mutual TLS: want exit 0\n%s", r)
		}
		set := readRecords(t, filepath.Join(out, "records.jsonl"))
		if len(set.Images) != 2 {
			t.Fatalf("%d image records, want 2", len(set.Images))
		}
		for _, im := range set.Images {
			if im.Status != record.StatusBuilt || im.Daemon != d.Addr {
				t.Errorf("image %s: status %s on daemon %q; want built on %s", im.Instance, im.Status, im.Daemon, d.Addr)
			}
		}
	})
}
