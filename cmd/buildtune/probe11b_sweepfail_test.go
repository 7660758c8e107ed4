package main

import (
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// A cache export to a --cache-ref registry that does not answer fails
// every image of its cell as an infrastructure failure, and such trials do
// not count at all. The sweep's closing line said only that "the
// statistics count the built images only", as if the trials still counted.
func TestProbe11bSweepFailuresInfra(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ok := record.Config{Cell: "w1-b3-off-single", Workers: 1, Batch: 3, CacheMode: "off", Strategy: "single", Temp: "cold", Rep: 1}
	bad := record.Config{Cell: "w1-b3-min-single", Workers: 1, Batch: 3, CacheMode: "min", Strategy: "single", Temp: "cold", Rep: 1}
	writeSweepRecords(t, dir,
		&record.Trial{Trial: 1, Config: ok, Start: t0, End: t0.Add(time.Second), WallSeconds: 1, Images: 1, Built: 1, ImagesPerHour: 3600},
		&record.Trial{Trial: 2, Config: bad, Start: t0, End: t0.Add(time.Second), WallSeconds: 1, Images: 1, Failed: 1, InfraFailed: 1})
	got := sweepFailures(dir)
	if !strings.Contains(got, "1 image failed to build in 1 of 2 trials (1 trial with infrastructure failures") || !strings.Contains(got, "left out of the statistics altogether") {
		t.Errorf("sweepFailures = %q: want the infrastructure failure said to leave its trial out", got)
	}
}
