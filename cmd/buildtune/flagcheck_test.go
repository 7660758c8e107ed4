package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadFlagsBeforeStart: inputs that used to be accepted (and fail late, with the wrong exit
// status, or crash) are bad input: exit 2, one line naming the flag and what was expected, and
// nothing started. The commands point at a missing buildkitd and a registry nobody listens on, so
// that an input accepted by mistake fails fast with a message the checks reject.
func TestBadFlagsBeforeStart(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	one := filepath.Join(tmp, "one.txt")
	shard := filepath.Join(tmp, "shard")
	ctxDir := filepath.Join(tmp, "ctx")
	for p, data := range map[string]string{file: "x", one: "django__django-11133\r\n", filepath.Join(shard, "manifest.jsonl"): "",
		filepath.Join(ctxDir, "Dockerfile"): "FROM scratch\n"} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reps := filepath.Join(tmp, "reps.yaml")
	if err := os.WriteFile(reps, []byte("reps: 99999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := copyRun(t)
	bk := []string{"--buildkitd", "/nonexistent/buildkitd", "--registry", "127.0.0.1:1"}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"build out is a file", []string{"build", "--out", file}, []string{"--out", file, "a file, not a folder", "want a folder"}},
		{"build out under a file", []string{"build", "--out", filepath.Join(file, "sub")}, []string{"--out", file, "is a file"}},
		{"build out empty", []string{"build", "--out", ""}, []string{"--out", "empty value"}},
		{"build huge workers", []string{"build", "--workers", "100000000"}, []string{"--workers", "100000000", "want 1 to 100000"}},
		{"build huge batch", []string{"build", "--batch", "100001"}, []string{"--batch", "100001", "at most 100000"}},
		{"build bad workers with recommendation", []string{"build", "--from-recommendation", run, "--workers", "0"}, []string{"--workers 0"}},
		{"build list shorter than default sample", []string{"build", "--instances", one}, []string{"--instances", "1 instances", "default", "--sample 1 or less", "--all"}},
		{"sweep list shorter than default sample", []string{"sweep", "--instances", one}, []string{"--instances", "1 instances", "--sample 1 or less"}},
		{"sweep huge workers", []string{"sweep", "--workers", "200000"}, []string{"--workers", "200000", "at most 100000"}},
		{"sweep huge reps", []string{"sweep", "--reps", "1000000000000", "--budget", "1h"}, []string{"--reps", "1000000000000", "at most 10000"}},
		{"sweep huge reps in grid", []string{"sweep", "--grid", reps}, []string{"--grid", reps, "reps 99999999", "at most 10000"}},
		{"sweep cache max without a cache ref", []string{"sweep", "--context", ctxDir, "--tag", "r/{{.Slug}}:x", "--cache", "off,max"},
			[]string{"--cache-mode max", "no --cache-ref"}},
		{"sweep out under a file", []string{"sweep", "--out", filepath.Join(file, "x")}, []string{"--out", "is a file"}},
		{"prove huge images", []string{"prove", "--head", "workers=16", "--images", "99999999999"}, []string{"--images", "99999999999", "at most 100000"}},
		{"prove huge head workers", []string{"prove", "--head", "workers=99999999999999"}, []string{"--head", "workers", "at most 100000"}},
		{"merge out is a file", []string{"merge", "--out", file, shard}, []string{"--out", file, "a file, not a folder"}},
		{"merge out empty", []string{"merge", "--out", "", shard}, []string{"--out", "empty value"}},
		{"stack status state is a file", []string{"stack", "status", "--state", file}, []string{"--state", file, "a file, not a folder"}},
		{"stack down state is a file", []string{"stack", "down", "--state", file}, []string{"--state", file, "a file, not a folder"}},
		{"stack up state empty", []string{"stack", "up", "--state", "", "--buildkitd", "/nonexistent/buildkitd"}, []string{"--state", "empty value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			switch args[0] {
			case "build", "sweep", "prove":
				args = append(args, bk...)
				if !strings.Contains(strings.Join(args, " "), "--out") {
					args = append(args, "--out", filepath.Join(t.TempDir(), "out"))
				}
			}
			t.Setenv("BUILDKIT_HOST", "")
			r := runIn(t, args...)
			if r.code != exitUsage {
				t.Fatalf("buildtune %q: exit %d, want %d\n%s", args, r.code, exitUsage, r)
			}
			msg := strings.TrimRight(r.stderr, "\n")
			if strings.Contains(msg, "\n") {
				t.Errorf("buildtune %q: more than one line on stderr:\n%s", args, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("buildtune %q: message %q does not mention %q", args, msg, w)
				}
			}
		})
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Errorf("the file given as a folder was changed: %q", b)
	}
}
