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
			[]string{"--cache max: cache mode max", "no --cache-ref"}},
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

// helpFlags reads a --help's flag lines: each flag's description, without
// the column padding (which differs between commands).
func helpFlags(t *testing.T, args ...string) map[string]string {
	t.Helper()
	r := runIn(t, append(args, "--help")...)
	if r.code != exitOK {
		t.Fatalf("buildtune %q --help: exit %d\n%s", args, r.code, r)
	}
	flags := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		name, _, _ = strings.Cut(strings.TrimPrefix(name, "--"), "[")
		// The value type, if any, then two or more spaces, then the text.
		if i := strings.Index(rest, "  "); i >= 0 {
			rest = rest[i:]
		}
		flags[name] = strings.TrimSpace(rest)
	}
	return flags
}

// TestHelpSameFlagSameWords: a flag that prove passes on to its sweep, and
// the prune and trace flags build shares with sweep, say the same in every
// command's --help; sweep's --help names the default grid, and prove's
// --images no fixed default that its own text contradicts.
func TestHelpSameFlagSameWords(t *testing.T) {
	sw := helpFlags(t, "sweep")
	pr := helpFlags(t, "prove")
	bu := helpFlags(t, "build")
	for _, name := range proveForward {
		if _, ok := sw[name]; !ok {
			t.Errorf("prove passes --%s on to sweep, which has no such flag", name)
			continue
		}
		if pr[name] != sw[name] {
			t.Errorf("--%s: prove --help says %q, sweep --help %q", name, pr[name], sw[name])
		}
	}
	for _, name := range []string{"prune-threshold", "prune-keep", "trace"} {
		if bu[name] != sw[name] {
			t.Errorf("--%s: build --help says %q, sweep --help %q", name, bu[name], sw[name])
		}
	}
	for name, want := range map[string]string{"workers": "(default 1,2,4)", "batch": "(default 3)", "cache-mode": "(default off,min,max)",
		"reps": "(default 6", "sample": "(default 5)", "seed": "(default 1)", "strategy": "(default single)", "temp": "(default cold)",
		"registry-bandwidth": "(default unlimited)"} {
		if !strings.Contains(sw[name], want) {
			t.Errorf("sweep --help --%s: %q does not name the default grid's %q", name, sw[name], want)
		}
	}
	if strings.Contains(pr["images"], "(default 433)") {
		t.Errorf("prove --help --images: %q shows a fixed default beside the run's instance list", pr["images"])
	}
	for _, name := range []string{"cache", "configs"} {
		if !strings.Contains(sw["grid"], name) {
			t.Errorf("sweep --help --grid: %q does not name the key %s", sw["grid"], name)
		}
	}
	if _, ok := helpFlags(t, "report")["deadline"]; !ok {
		t.Errorf("report --help has no --deadline (the README: the predictions chart marks it)")
	}
}

// TestStackFlagsOnlyUsed: stack's subcommands take only the flags they use:
// a daemon address or a TLS file given to 'stack up' (which starts its own
// daemons) is refused, not ignored, and down and status take --state alone.
func TestStackFlagsOnlyUsed(t *testing.T) {
	state := t.TempDir()
	for _, args := range [][]string{
		{"stack", "up", "--state", state, "--buildkit-addr", "tcp://127.0.0.1:1"},
		{"stack", "up", "--state", state, "--tlscacert", "/nonexistent/ca.pem"},
		{"stack", "status", "--state", state, "--daemons", "2"},
		{"stack", "down", "--state", state, "--buildkit-addr", "tcp://127.0.0.1:1"},
	} {
		r := runIn(t, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "unknown flag") {
			t.Errorf("buildtune %q: want exit 2, unknown flag\n%s", args, r)
		}
	}
	up := helpFlags(t, "stack", "up")
	for _, name := range []string{"state", "registry", "buildkitd", "max-parallelism", "registry-concurrency", "daemons"} {
		if _, ok := up[name]; !ok {
			t.Errorf("stack up --help: no --%s", name)
		}
	}
	if _, ok := up["buildkit-addr"]; ok {
		t.Errorf("stack up --help lists --buildkit-addr, which it does not use")
	}
	if r := runIn(t, "stack", "--help"); !strings.Contains(r.stdout, "--daemons") {
		t.Errorf("stack --help: no flags\n%s", r)
	}
}

// TestReportDeadline: report --deadline marks the deadline in the report
// (the decision's table), and a bad one is bad input before anything is
// written.
func TestReportDeadline(t *testing.T) {
	run := copyRun(t)
	bad := filepath.Join(t.TempDir(), "bad")
	if r := runIn(t, "report", run, "--out", bad, "--deadline", "3x"); r.code != exitUsage || !strings.Contains(r.stderr, "--deadline") {
		t.Fatalf("report --deadline 3x: want exit 2 naming --deadline\n%s", r)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Errorf("report --deadline 3x left %s", bad)
	}
	out := filepath.Join(t.TempDir(), "rep")
	if r := runIn(t, "report", run, "--out", out, "--deadline", "1s"); r.code != exitOK {
		t.Fatalf("report --deadline 1s: want exit 0\n%s", r)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "deadline") {
		t.Errorf("report --deadline 1s: report.md does not mention the deadline")
	}
}
