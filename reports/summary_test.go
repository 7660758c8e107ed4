package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// TestSweepSummaryGolden renders the sweep summary of a small records file
// (with a warm-up, an interrupted and an infra-failed trial that must not
// count) against testdata/sweep/summary.golden.md; -update rewrites it.
func TestSweepSummaryGolden(t *testing.T) {
	set, err := record.ReadFile(filepath.Join("testdata", "sweep", "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	got := SweepSummary(set, SweepInfo{RunID: "20261126T120000Z", Records: "runs/x/records.jsonl", Ran: 20, Resumed: 2,
		Elapsed: 3*time.Minute + 7*time.Second, Stop: "budget", Best: "w4-b3-off-single", Dropped: []string{"w1-b3-off-single: p=0.01"}})
	golden := filepath.Join("testdata", "sweep", "summary.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("sweep summary differs from %s (go test -run SweepSummary -update):\n%s", golden, got)
	}
	for _, bad := range []string{"99999", "| 1.0 |", "| 2.0 |"} {
		if strings.Contains(got, bad) {
			t.Errorf("summary counts a trial that must not count (%q):\n%s", bad, got)
		}
	}
}

// TestOneTrialHasNoInterval: a cell of one trial has no interval; the
// tables say "none (1 trial)" instead of a zero-width "1164.1–1164.1"
// under the 95% CI heading, in report.md and in the sweep summary.
func TestOneTrialHasNoInterval(t *testing.T) {
	d := sampleData()
	c := &d.Cells[1]
	c.N, c.LoIPH, c.HiIPH, c.CIConfidence = 1, c.MedianIPH, c.MedianIPH, 0
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	zero := throughput(c.MedianIPH) + "–" + throughput(c.MedianIPH)
	if !strings.Contains(string(md), "none (1 trial)") || strings.Contains(string(md), zero) {
		t.Errorf("report: want %q and not %q:\n%s", "none (1 trial)", zero, md)
	}

	var b strings.Builder
	summaryTable(&b, "cold trials", map[string][]float64{"w1": {1164.1}, "w2": {2000, 2100, 2050}})
	if got := b.String(); !strings.Contains(got, "| w1 | 1164.1 | none (1 trial) |") || strings.Contains(got, "1164.1-1164.1") {
		t.Errorf("summary:\n%s", got)
	}
}
