package evidence

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// A cell every trial of which failed (here: its cache export to an
// unreachable registry, an infrastructure failure) has no trial that
// counts. It used to vanish without a word: not in the cells, its knob
// "not varied", the survivor "the only feasible candidate", and only "2 of
// 4 measured trial records do not count" left to guess from. The analysis
// names the cell and why none of its trials counts.
func TestProbe11bCellWithoutCountingTrial(t *testing.T) {
	dir := t.TempDir()
	cells := conditionCells("")[:1]
	cells[0].reps = 2
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	w, err := record.Create(filepath.Join(dir, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for rep := 1; rep <= 2; rep++ {
		rc := record.Config{Cell: "w2-b3-min-single", Workers: 2, Batch: 3, CacheMode: "min", Strategy: "single", Temp: "cold", Rep: rep}
		trial := 10 + rep
		s := t0.Add(time.Duration(rep) * time.Minute)
		im := record.Image{Trial: trial, Config: rc, Instance: instances[0], Phase: "image", Status: record.StatusFailed, Attempts: 1,
			Cost: record.Cost{ID: instances[0], Start: s, End: s.Add(time.Second), WallSeconds: 1,
				ErrClass: record.ErrInfra, Error: "exporting cache: dial tcp 127.0.0.1:1: connect: connection refused"}}
		tr := record.Trial{Trial: trial, Config: rc, Start: s, End: s.Add(time.Second), WallSeconds: 1, Images: 1, Failed: 1, InfraFailed: 1}
		for _, r := range []any{&im, &tr} {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	a := analyzeDir(t, dir)
	all := strings.Join(a.Warnings, "\n")
	if !strings.Contains(all, "cell w2-b3-min-single has no trial that counts") ||
		!strings.Contains(all, "2 trials with infrastructure failures") ||
		!strings.Contains(all, "connection refused") {
		t.Errorf("warnings:\n%s\nwant one naming w2-b3-min-single, that none of its 2 trials counts, and the first error", all)
	}
}
