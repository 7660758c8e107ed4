package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestInstancesFileBOM: an --instances file saved with a UTF-8 byte order
// mark (Windows editors; CRLF line ends were already taken) is the same
// list: sweep and build read it (they get as far as the missing buildkitd),
// and recommend --instances predicts for its instances.
func TestInstancesFileBOM(t *testing.T) {
	list := writeFile(t, "bom.txt", "\ufeffdjango__django-11099\r\nsympy__sympy-20590\r\n")
	t.Setenv("BUILDKIT_HOST", "")
	bk := []string{"--buildkitd", "/nonexistent/buildkitd", "--registry", "127.0.0.1:1"}
	for _, args := range [][]string{
		{"sweep", "--instances", list, "--sample", "2", "--out", filepath.Join(t.TempDir(), "s")},
		{"build", "--instances", list, "--all", "--out", filepath.Join(t.TempDir(), "b")},
	} {
		r := runIn(t, append(args, bk...)...)
		if !strings.Contains(r.stderr, "buildkitd not found at /nonexistent/buildkitd") {
			t.Errorf("%v: want the list read (and the missing buildkitd reported)\n%s", args, r)
		}
	}
	r := runIn(t, "recommend", copyRun(t), "--instances", list)
	if r.code != exitOK || !strings.Contains(r.stdout, "the 2 instances of bom.txt") {
		t.Errorf("recommend --instances: want the prediction for its 2 instances\n%s", r)
	}
}

// TestSampleBeyondList: a --sample larger than the --instances list it is
// drawn from said "--sample: sample size 3: want 1..2", without saying whose
// size the 2 is; the message names the list.
func TestSampleBeyondList(t *testing.T) {
	list := writeFile(t, "two.txt", "django__django-11099\nsympy__sympy-20590\n")
	t.Setenv("BUILDKIT_HOST", "")
	bk := []string{"--buildkitd", "/nonexistent/buildkitd", "--registry", "127.0.0.1:1"}
	for _, cmd := range []string{"sweep", "build"} {
		args := append([]string{cmd, "--instances", list, "--sample", "3", "--out", filepath.Join(t.TempDir(), "o")}, bk...)
		r := runIn(t, args...)
		if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("%s: want exit 2 and one line\n%s", cmd, r)
		}
		for _, w := range []string{"--sample 3", "the 2 instances of --instances " + list, "want 1..2"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q\n%s", cmd, w, r)
			}
		}
	}
}
