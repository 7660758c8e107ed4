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
