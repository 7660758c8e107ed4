package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/testenv"
)

// TestBuildResumeOtherKnobs: `build --out DIR` into the folder of a build
// whose summary records other knobs is bad input (exit 2) on one line
// naming --out DIR, the recorded value, the given one and the flag to keep,
// with the folder left byte for byte as it was (--cache, the alias of
// --cache-mode, too, named as typed). The same knobs resume it.
func TestBuildResumeOtherKnobs(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "") // a resume writes the step summary
	ids := []string{"django__django-11099", "sympy__sympy-20590"}
	list := writeFile(t, "ids.txt", strings.Join(ids, "\n")+"\n")
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	var lines []byte
	for _, id := range ids {
		b, err := json.Marshal(manifest.Output{Instance: id, Status: manifest.StatusBuilt, AttemptCount: 1})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(append(lines, b...), '\n')
	}
	if err := os.WriteFile(filepath.Join(out, manifest.ManifestFile), lines, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := manifest.Summarize(nil, 0, manifest.SummaryExtra{Settings: manifest.Settings{
		Workers: 2, Batch: 0, CacheMode: "off", Strategy: "single", SDKSha: fixtures.SDKSha(1, 0)}})
	sum.Total, sum.Built, sum.Planned, sum.WallSeconds = 2, 2, 2, 60
	if err := manifest.WriteSummary(filepath.Join(out, manifest.SummaryFile), sum); err != nil {
		t.Fatal(err)
	}
	args := func(knobs ...string) []string {
		return append([]string{"build", "--instances", list, "--all", "--out", out}, knobs...)
	}
	for _, tc := range []struct {
		knobs         []string
		flag, was, is string
	}{
		{[]string{"--workers", "3"}, "--workers", "2", "3"},
		{[]string{"--batch", "4"}, "--batch", "stream", "4"},
		{[]string{"--cache-mode", "max"}, "--cache-mode", "off", "max"},
		{[]string{"--cache", "min"}, "--cache", "off", "min"},
		{[]string{"--strategy", "three-phase"}, "--strategy", "single", "three-phase"},
	} {
		t.Run(strings.Join(tc.knobs, " "), func(t *testing.T) {
			before := testenv.Files(t, out)
			r := runIn(t, args(tc.knobs...)...)
			want := "--out " + out + ": holds a build with " + tc.flag + " " + tc.was + ", and this one has " + tc.flag + " " + tc.is +
				": want a new folder, or the same " + tc.flag + " to resume"
			if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.Contains(r.stderr, want) {
				t.Errorf("want exit 2 and one line: %s\n%s", want, r)
			}
			if after := testenv.Files(t, out); !maps.Equal(after, before) {
				t.Errorf("the refused folder changed")
			}
		})
	}
	r := runIn(t, args("--workers", "2", "--batch", "stream", "--cache", "off", "--strategy", "single")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "2 done by an earlier run") {
		t.Errorf("resume with the same knobs: want exit 0, 2 done by an earlier run\n%s", r)
	}
}
