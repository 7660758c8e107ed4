package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// A sweep in which every trial of one cell failed printed a summary of the
// other cell alone ("only one cell has samples"), as if the failed one had
// never been swept; and "1 trials run". The summary names the cell that
// has no trial that counts, and why.
func TestProbe11bSummaryNamesFailedCell(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ok := record.Config{Cell: "w1-b3-off-single", Workers: 1, Batch: 3, CacheMode: "off", Strategy: "single", Temp: "cold", Rep: 1}
	bad := record.Config{Cell: "w1-b3-min-single", Workers: 1, Batch: 3, CacheMode: "min", Strategy: "single", Temp: "cold", Rep: 1}
	set := &record.Set{
		Trials: []record.Trial{
			{Trial: 1, Config: ok, Start: t0, End: t0.Add(10 * time.Second), WallSeconds: 10, Images: 1, Built: 1, ImagesPerHour: 360},
			{Trial: 2, Config: bad, Start: t0, End: t0.Add(time.Second), WallSeconds: 1, Images: 1, Failed: 1, InfraFailed: 1},
		},
		Images: []record.Image{{Trial: 2, Config: bad, Instance: "a__b-1", Status: record.StatusFailed,
			Cost: record.Cost{ID: "a__b-1", ErrClass: record.ErrInfra, Error: "exporting cache: connection refused"}}},
	}
	got := SweepSummary(set, SweepInfo{RunID: "r", Records: "records.jsonl", Ran: 1})
	if !strings.Contains(got, "cell w1-b3-min-single has no trial that counts: 1 trial with infrastructure failures (first error: exporting cache: connection refused)") {
		t.Errorf("summary:\n%s\nwant it to name w1-b3-min-single, none of whose trials counts, with its first error", got)
	}
	if strings.Contains(got, "1 trials run") || !strings.Contains(got, "1 trial run,") {
		t.Errorf("summary:\n%s\nwant \"1 trial run\"", got)
	}
}
