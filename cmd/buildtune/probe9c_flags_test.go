package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbe9cStackFlagsEmpty: the stack flags given an empty value (an
// unset variable in a CI script) were taken as left out: --registry ""
// built against the embedded registry, --state "" looked for no running
// stack, --buildkitd "" started bin/buildkitd, --grid "" swept the default
// grid. --state naming a file failed with exit 1 ("open FILE/stack.json:
// not a directory"). Each is bad input naming the flag, before anything
// starts, in every command that takes them.
func TestProbe9cStackFlagsEmpty(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	file := writeFile(t, "a-file", "x")
	// A daemon that does not answer: without the checks, the command
	// ends at once with exit 3 instead of starting anything.
	noDaemon := []string{"--buildkit-addr", "unix:///nonexistent/buildkitd.sock"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "--registry="}, "--registry: empty value"},
		{[]string{"sweep", "--state="}, "--state: empty value"},
		{[]string{"sweep", "--buildkitd="}, "--buildkitd: empty value"},
		{[]string{"sweep", "--tlscacert="}, "--tlscacert: empty value"},
		{[]string{"sweep", "--grid="}, "--grid: empty value"},
		{[]string{"sweep", "--state", file}, "--state " + file + ": a file, not a folder"},
		{[]string{"build", "--registry="}, "--registry: empty value"},
		{[]string{"build", "--state", file}, "--state " + file + ": a file, not a folder"},
		{[]string{"prove", "--head", "workers=2", "--registry="}, "--registry: empty value"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append(append(append([]string{}, tc.args...), "--out", out), noDaemon...)
			r := runIn(t, args...)
			msg := strings.TrimRight(r.stderr, "\n")
			if r.code != exitUsage || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("%q: want exit 2 and one line with %q\n%s", args, tc.want, r)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%q created %s", args, out)
			}
		})
	}
	// stack up: the same flags, with no daemon to start.
	r := runIn(t, "stack", "up", "--state", filepath.Join(t.TempDir(), "st"), "--buildkitd", "/nonexistent/buildkitd", "--registry=")
	if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, "--registry: empty value") || strings.Contains(msg, "\n") {
		t.Errorf("stack up --registry '': want exit 2 naming --registry as empty\n%s", r)
	}
}

// TestProbe9cSweepHugeNumbers: --per-image-seconds 1e308 overflowed the
// estimates (a negative ETA, and a budget check any grid passed), and
// --attempts 99999999999 retried a failing image for ever; a --grid that
// is a folder said "read g: is a directory" without what was wanted. Each
// is bad input naming the flag and its bound.
func TestProbe9cSweepHugeNumbers(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	noDaemon := []string{"--buildkit-addr", "unix:///nonexistent/buildkitd.sock", "--sample", "1", "--workers", "1", "--cache", "off", "--reps", "1"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--per-image-seconds", "1e308"}, "--per-image-seconds 1e+308: want a finite number of seconds >= 0, at most 86400"},
		{[]string{"--per-image-seconds", "86401"}, "--per-image-seconds 86401: want"},
		{[]string{"--attempts", "99999999999"}, "--attempts 99999999999: want 1 or more, at most 100"},
		{[]string{"--attempts", "0"}, "--attempts 0: want 1 or more"},
		{[]string{"--grid", t.TempDir()}, "a folder; want a YAML grid file"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		args := append(append(append([]string{"sweep"}, tc.args...), "--out", out), noDaemon...)
		r := runIn(t, args...)
		if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%q: want exit 2 and one line with %q\n%s", args, tc.want, r)
		}
	}
}
