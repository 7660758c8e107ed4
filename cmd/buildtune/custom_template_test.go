package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCustomTemplateBadInput: a custom workload whose --tag gives every
// instance one tag, whose --target names no stage, or whose templates yield
// no image reference for an instance of --instances (though they do for a
// probe) is bad input before anything starts: exit 2, one line naming the
// flag, for build and sweep alike. buildkitd is missing, so a wrongly
// accepted input fails with another message.
func TestCustomTemplateBadInput(t *testing.T) {
	dir := t.TempDir()
	ctx := filepath.Join(dir, "ctx")
	if err := os.MkdirAll(ctx, 0o755); err != nil {
		t.Fatal(err)
	}
	df := "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS base\nFROM base AS source-minimal\nRUN true\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	ids := writeFile(t, "ids.txt", "django__django-11099\nSympy__sympy-13647\n")
	base := []string{"--buildkitd", "/nonexistent/buildkitd", "--instances", ids, "--context", ctx,
		"--base-image", "{{.BaseRegistry}}/swebench/{{.Slug}}:latest", "--cache-ref", "{{.Registry}}/agent:buildcache-source-minimal-{{.Slug}}"}
	good := "{{.Registry}}/agent:{{.SDKSha7}}-{{.Slug}}-source-minimal"
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"same tag", []string{"--tag", "{{.Registry}}/agent:{{.SDKSha7}}-source-minimal", "--target", "source-minimal"}, []string{"--tag", "{{.Slug}}"}},
		{"missing target", []string{"--tag", good, "--target", "source-minmal"}, []string{"--target", "source-minmal", "source-minimal"}},
		{"upper-case id in a path", []string{"--tag", "{{.Registry}}/agent/{{.ID}}:latest"}, []string{"--tag", "Sympy__sympy-13647"}},
	} {
		for _, cmd := range []string{"build", "sweep"} {
			args := append([]string{cmd, "--out", filepath.Join(t.TempDir(), "out")}, base...)
			if cmd == "build" {
				args = append(args, "--all")
			} else {
				args = append(args, "--sample", "2", "--reps", "1")
			}
			args = append(args, c.args...)
			r := runIn(t, args...)
			if r.code != exitUsage {
				t.Errorf("%s, %s: exit %d, want %d\n%s", c.name, cmd, r.code, exitUsage, r)
				continue
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Errorf("%s, %s: %d lines on stderr, want one:\n%s", c.name, cmd, len(lines), r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("%s, %s: %q does not mention %q", c.name, cmd, lines[0], w)
				}
			}
		}
	}
}
