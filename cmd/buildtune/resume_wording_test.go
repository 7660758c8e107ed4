package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/sweep"
)

// refusedOneLine fails t unless r is bad input (exit 2) on one line of
// stderr holding every want and none of wantNot, with dir (if not "")
// left byte for byte as before.
func refusedOneLine(t *testing.T, r result, dir string, before map[string]string, want, wantNot []string) {
	t.Helper()
	if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
		t.Errorf("want exit 2 and one line\n%s", r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q\n%s", w, r)
		}
	}
	for _, w := range wantNot {
		if strings.Contains(r.stderr, w) {
			t.Errorf("stderr names %q, which the user did not give\n%s", w, r)
		}
	}
	if dir != "" {
		if after := testenv.Files(t, dir); !maps.Equal(after, before) {
			t.Errorf("the refused resume changed %s", dir)
		}
	}
}

// TestSweepResumeCacheFlagWording: `sweep --resume DIR` with a cache flag
// is refused naming the flag typed (--cache or --cache-mode), as it names
// --workers and --batch: one line, exit 2, the folder unchanged.
func TestSweepResumeCacheFlagWording(t *testing.T) {
	dir := startedFourSweep(t)
	before := testenv.Files(t, dir)
	t.Setenv("BUILDKIT_HOST", "")
	for _, tc := range []struct {
		knobs   []string
		flag    string
		wantNot []string
	}{
		{[]string{"--cache", "max"}, "--cache", []string{"--cache-mode"}},
		{[]string{"--cache-mode", "max"}, "--cache-mode", nil},
		{[]string{"--workers", "3"}, "--workers", nil},
		{[]string{"--batch", "4"}, "--batch", nil},
	} {
		t.Run(strings.Join(tc.knobs, " "), func(t *testing.T) {
			r := runIn(t, append([]string{"sweep", "--resume", dir, "--buildkitd", "/nonexistent/buildkitd"}, tc.knobs...)...)
			refusedOneLine(t, r, dir, before,
				[]string{"--resume " + dir + ": " + tc.flag + " cannot change a sweep that has started (its settings are in run.json)"}, tc.wantNot)
		})
	}
}

// TestSweepResumeSampleWording: a run.json whose sample is larger than its
// instance_list is refused as run.json's, not as a --sample the user never
// typed: one line, exit 2, naming --resume DIR, the file, its sample and
// the range wanted, the folder unchanged.
func TestSweepResumeSampleWording(t *testing.T) {
	dir := startedFourSweep(t)
	info, err := sweep.ReadRunInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	info.Grid.Sample = 9
	if err := sweep.WriteRunInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	before := testenv.Files(t, dir)
	t.Setenv("BUILDKIT_HOST", "")
	r := runIn(t, "sweep", "--resume", dir, "--buildkitd", "/nonexistent/buildkitd")
	runJSON := filepath.Join(dir, sweep.RunInfoFile)
	refusedOneLine(t, r, dir, before,
		[]string{"--resume " + dir + ": " + runJSON + ": sample 9, more than the 4 ids of its instance_list; want a sample of 1..4"},
		[]string{"--sample"})
}

// startedFourSweep is a started sweep of a 4-id list (startedSweep).
func startedFourSweep(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	ids := []string{"org1__repo1-1", "org2__repo2-2", "org3__repo3-3", "org4__repo4-4"}
	list := filepath.Join(tmp, "ids.txt")
	if err := os.WriteFile(list, []byte(strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return startedSweep(t, list, tinyProfile(t, tmp), ids)
}
