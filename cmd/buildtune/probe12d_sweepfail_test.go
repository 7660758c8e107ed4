package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestProbe12dSweepFailuresNameInstances: a workload whose RUN fails for one
// instance only ended the sweep with "2 images failed to build in 2 of 2
// trials": the same instance twice, named nowhere but in the records. The
// closing line (exit 1) names the instances that failed, how often, and
// the first error, on one line.
func TestProbe12dSweepFailuresNameInstances(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	cfg := record.Config{Cell: "w2-b4-off-single", Workers: 2, Batch: 4, CacheMode: "off", Strategy: "single", Temp: "cold", Rep: 1}
	fail := "failed to solve: process \"/bin/sh -c exit 1\" did not complete successfully:\nexit code: 1"
	var recs []any
	for trial := 1; trial <= 2; trial++ {
		start := t0.Add(time.Duration(trial) * time.Minute)
		for _, id := range []string{"acme__web-1", "bad__fail-1", "acme__web-2"} {
			im := record.Image{Trial: trial, Config: cfg, Instance: id, Phase: "image", Status: record.StatusBuilt}
			im.Start, im.End = start, start.Add(time.Second)
			if id == "bad__fail-1" || (trial == 2 && id == "acme__web-2") {
				im.Status, im.ErrClass, im.Error = record.StatusFailed, record.ErrBuild, fail
			}
			recs = append(recs, &im)
		}
		failed := 1 + trial - 1
		recs = append(recs, &record.Trial{Trial: trial, Config: cfg, Start: start, End: start.Add(2 * time.Second), WallSeconds: 2,
			Images: 3, Built: 3 - failed, Failed: failed, ImagesPerHour: 1})
	}
	writeSweepRecords(t, dir, recs...)
	got := sweepFailures(dir)
	for _, want := range []string{"3 images failed to build in 2 of 2 trials", "bad__fail-1 (in 2 trials), acme__web-2 (in 1)",
		`first error (bad__fail-1): failed to solve: process "/bin/sh -c exit 1" did not complete successfully: exit code: 1`} {
		if !strings.Contains(got, want) {
			t.Errorf("sweepFailures = %q: want %q", got, want)
		}
	}
	if strings.Contains(got, "\n") {
		t.Errorf("sweepFailures = %q: want one line", got)
	}
	// A three-phase trial whose shared builder failed: its record names
	// no instance, and is named as the shared phase.
	shared := record.Config{Cell: "w2-b4-off-three-phase", Workers: 2, Batch: 4, CacheMode: "off", Strategy: "three-phase", Temp: "cold", Rep: 1}
	if err := os.Remove(filepath.Join(dir, sweep.RecordsFile)); err != nil {
		t.Fatal(err)
	}
	im := record.Image{Trial: 1, Config: shared, Phase: "builder", Status: record.StatusFailed}
	im.Start, im.End, im.ErrClass, im.Error = t0, t0.Add(time.Second), record.ErrBuild, "exit code: 1"
	writeSweepRecords(t, dir, &im, &record.Trial{Trial: 1, Config: shared, Start: t0, End: t0.Add(time.Second), WallSeconds: 1, Images: 2, Failed: 2, Error: "shared phase builder failed: exit code: 1"})
	got = sweepFailures(dir)
	if want := ": shared phase builder (in 1 trial); first error (shared phase builder): exit code: 1"; !strings.Contains(got, want) {
		t.Errorf("shared phase failed: %q, want %q", got, want)
	}
}
