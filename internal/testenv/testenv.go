// Package testenv gives integration tests the real stack: the buildkitd
// built by `make setup`, started privately per test in a short temporary
// folder, with a registry on loopback, stopped when the test ends; and the
// checks that a refused command left a folder as it was (Stamps).
package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/stack"
)

// Root returns the module root (the folder holding go.mod).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test folder")
		}
		dir = parent
	}
}

// Buildkitd returns bin/buildkitd, or skips the test when it and runc are
// missing outside CI (in CI, where `make test` runs `make setup` first, a
// missing daemon fails the test).
func Buildkitd(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(Root(t), "bin", "buildkitd")
	if err := stack.CheckSetup(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("integration test needs the real stack: %v", err)
		}
		t.Skipf("integration test needs the real stack: %v", err)
	}
	return bin
}

// Long reports whether the long suites were asked for (make test-long).
func Long() bool { return os.Getenv("BUILDTUNE_LONG") != "" }

// Dir returns a short temporary folder (unix socket paths are limited)
// removed when the test ends.
func Dir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "bt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// Stack starts a private stack (registry: "" embedded, "distribution", or
// host:port) and stops it when the test ends.
func Stack(t testing.TB, cfg stack.Config) *stack.Stack {
	t.Helper()
	if cfg.Buildkitd == "" {
		cfg.Buildkitd = Buildkitd(t)
	}
	if cfg.Dir == "" {
		cfg.Dir = Dir(t)
	}
	s, err := stack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("starting stack: %v", err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// Dial connects to every daemon of s.
func Dial(t testing.TB, s *stack.Stack) []*engine.BuildKit {
	t.Helper()
	var out []*engine.BuildKit
	for _, a := range s.Addrs() {
		b, err := engine.Dial(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		out = append(out, b)
	}
	return out
}

// Files is every file under dir and its content, to check that a refused
// command left a folder byte for byte as it was.
func Files(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
