package record

import (
	"testing"
	"time"
)

// TestLatestTwoRuns: the records of two runs joined in one file (two
// sweeps' records.jsonl concatenated) number their trials alike; a trial
// of one run must not supersede the other run's trial of the same index,
// and every trial keeps its own images and events.
func TestLatestTwoRuns(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	set := &Set{}
	for r, run := range []string{"A", "B"} {
		base := t0.Add(time.Duration(r) * time.Hour)
		for i := 1; i <= 2; i++ {
			start := base.Add(time.Duration(i) * time.Minute)
			cfg := Config{Cell: "w1-b1-off-single", Workers: 1, Batch: 1, Temp: TempCold, Rep: i}
			set.Images = append(set.Images, Image{Run: run, Trial: i, Config: cfg, Instance: run + "-img", Status: StatusBuilt,
				Cost: Cost{Start: start, End: start.Add(time.Second), WallSeconds: 1}})
			set.Trials = append(set.Trials, Trial{Run: run, Trial: i, Config: cfg, Start: start, End: start.Add(2 * time.Second),
				WallSeconds: 2, Images: 1, Built: 1, ImagesPerHour: 1800})
			set.Events = append(set.Events, Event{Run: run, Trial: i, Time: start, Type: EventPrune, Seconds: 1})
		}
	}
	got := Select(set)
	if len(got.Trials) != 4 || len(got.Images) != 4 {
		t.Fatalf("selected %d trials and %d images of 2 runs x 2 trials: want 4 and 4", len(got.Trials), len(got.Images))
	}
	run := map[int]string{}
	for _, tr := range got.Trials {
		if prev, ok := run[tr.Trial]; ok {
			t.Fatalf("trial index %d is both run %s's and run %s's", tr.Trial, prev, tr.Run)
		}
		run[tr.Trial] = tr.Run
	}
	for _, im := range got.Images {
		if run[im.Trial] != im.Run {
			t.Errorf("image of run %s attached to trial %d of run %s", im.Run, im.Trial, run[im.Trial])
		}
	}
	for _, e := range got.Events {
		if run[e.Trial] != e.Run {
			t.Errorf("event of run %s attached to trial %d of run %s", e.Run, e.Trial, run[e.Trial])
		}
	}
	groups := GroupByCell(got)
	if len(groups) != 1 || len(groups[0].Trials) != 4 || len(groups[0].Images) != 4 {
		t.Errorf("grouped %d cells; want 1 cell of 4 trials and 4 images", len(groups))
	}
	// One run keeps its indexes, and a rerun still supersedes.
	one := &Set{Trials: []Trial{set.Trials[0], set.Trials[1], set.Trials[1]}, Images: set.Images[:2]}
	one.Trials[2].WallSeconds = 3
	l := Latest(one)
	if len(l.Trials) != 2 || l.Trials[0].Trial != 1 || l.Trials[1].Trial != 2 || l.Trials[1].WallSeconds != 3 {
		t.Errorf("one run: got trials %+v", l.Trials)
	}
}
