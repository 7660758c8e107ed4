package evidence

import (
	"math"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// warmupPushes: images after the first wave that pushed more than the
// trial's second half did (layers and cache the later images found
// pushed) carry the excess, which costs the trial its sum / workers once.
func TestWarmupPushes(t *testing.T) {
	im := func(push, cache, wall float64) record.Image {
		return record.Image{Cost: record.Cost{WallSeconds: wall, LayerPushSeconds: push, CacheExportSeconds: cache}}
	}
	list := []record.Image{
		im(1.4, 2.8, 6), im(1.2, 2.6, 6), // first wave: firstWaveExtra's
		im(0.6, 1.2, 5), im(0.9, 1.1, 5), // still pushing shared content
		im(0.5, 0.5, 9), im(0.5, 0.5, 4), im(0.5, 0.5, 3), im(0.5, 0.5, 3), // steady: 1.0
	}
	ex, once := warmupPushes(list, 2, 2)
	want := []float64{0, 0, 0.8, 1, 0, 0, 0, 0}
	for i := range want {
		if math.Abs(ex[i]-want[i]) > 1e-9 {
			t.Fatalf("excess %v, want %v", ex, want)
		}
	}
	if math.Abs(once-0.9) > 1e-9 {
		t.Errorf("once %v, want (0.8+1)/2", once)
	}
	// Too short a trial to have a steady state after its first wave: none.
	if ex, once := warmupPushes(list[:3], 2, 2); once != 0 || ex[2] != 0 {
		t.Errorf("3 images: %v %v, want nothing", ex, once)
	}
	// An excess never exceeds the image's own seconds.
	list[2].WallSeconds = 0.5
	if ex, _ := warmupPushes(list, 2, 2); ex[2] != 0.5 {
		t.Errorf("excess %v, want capped at the image's 0.5 s", ex[2])
	}
}

// fitCrowding reads each image's crowding off the records' start and end
// times: the same images built one at a time and two at a time, 30% slower
// two at a time, give beta 0.3 for their family and none for a family
// measured at one crowding only.
func TestFitCrowdingFromCells(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	alone := []float64{4, 6, 5, 7}
	ids := []string{"a__a-1", "b__b-1", "c__c-1", "d__d-1"}
	mk := func(name string, workers int, cache string) *Cell {
		c := &Cell{Name: name, Config: Config{Workers: workers, CacheMode: cache, Strategy: "single"}}
		for tr := range 2 {
			c.trials = append(c.trials, record.Trial{Trial: tr})
			start := 0.0
			if workers == 1 {
				for i, id := range ids {
					d := alone[i]
					c.images = append(c.images, record.Image{Trial: tr, Instance: id,
						Cost: record.Cost{Start: at(start), End: at(start + d), WallSeconds: d}})
					start += d
				}
				continue
			}
			// Pairs that start and end together, 1.3x slower.
			for i := 0; i < len(ids); i += 2 {
				d := 1.3 * alone[i]
				for j := i; j < i+2; j++ {
					c.images = append(c.images, record.Image{Trial: tr, Instance: ids[j],
						Cost: record.Cost{Start: at(start), End: at(start + d), WallSeconds: 1.3 * alone[j]}})
				}
				start += d
			}
		}
		return c
	}
	got := fitCrowding([]*Cell{mk("w1-off", 1, "off"), mk("w2-off", 2, "off"), mk("w2-max", 2, "max")})
	if len(got) != 2 {
		t.Fatalf("%d families, want 2: %+v", len(got), got)
	}
	for _, f := range got {
		switch f.CacheMode {
		case "off":
			// The pairs' seconds do not match their shared span exactly
			// (1.3x each image's own alone time), so allow the grid's step
			// and a little more.
			if math.Abs(f.Beta-0.3) > 0.02 || f.Images < 2 {
				t.Errorf("off: %+v, want beta 0.3", f)
			}
		case "max":
			if f.Beta != 0 {
				t.Errorf("max (one crowding only): %+v, want beta 0", f)
			}
		}
	}
}
