package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/testenv"
)

// TestReportOutOtherRun: report RUN --out OTHER, where OTHER holds another
// sweep's run.json or records.jsonl, overwrote that run's analysis.json,
// report.md, report.html and plots with RUN's; it is bad input (exit 2, one
// line naming --out and what it holds), before anything is written. So for
// analyze --out. The run folder itself, by another path, stays accepted, and
// so does a new folder.
func TestReportOutOtherRun(t *testing.T) {
	run := copyRun(t)
	other := copyRun(t)
	if r := runIn(t, "report", other); r.code != exitOK {
		t.Fatalf("report of the other run: %s", r)
	}
	// A build's folder: records.jsonl, no run.json.
	recsOnly := filepath.Join(t.TempDir(), "recs")
	if err := os.MkdirAll(recsOnly, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(other, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(recsOnly, "records.jsonl"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		out, holds string
		args       []string
	}{
		{other, "run.json", []string{"report", run, "--images", "40", "--out", other}},
		{other, "run.json", []string{"analyze", run, "--out", other}},
		{recsOnly, "records.jsonl", []string{"report", run, "--out", recsOnly}},
		{recsOnly, "records.jsonl", []string{"analyze", run, "--out", recsOnly}},
	} {
		before := testenv.Files(t, tc.out)
		r := runIn(t, tc.args...)
		if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("%v: want exit 2 and one line\n%s", tc.args, r)
		}
		for _, w := range []string{"--out " + tc.out, "holds " + tc.holds, "another run"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q\n%s", tc.args, w, r)
			}
		}
		if after := testenv.Files(t, tc.out); !maps.Equal(after, before) {
			t.Errorf("%v: the refused command changed %s", tc.args, tc.out)
		}
	}
	for _, args := range [][]string{
		{"report", run, "--images", "40", "--out", run + "/."},
		{"analyze", run, "--out", filepath.Join(run, "..", filepath.Base(run))},
		{"report", run, "--images", "40", "--out", filepath.Join(t.TempDir(), "new")},
	} {
		if r := runIn(t, args...); r.code != exitOK {
			t.Errorf("%v: want exit 0\n%s", args, r)
		}
	}
}
