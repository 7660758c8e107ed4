package evidence

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// warmupOf: images of the trial's first half that pushed more than its
// second half did (layers and cache the later images found pushed, and
// the first wave's pushes colliding because it started together) carry
// the excess, which costs the trial its sum / workers once; the first
// wave's part of it is kept apart (a barrier build pays it per batch).
func TestWarmupPushes(t *testing.T) {
	im := func(push, cache, wall float64) record.Image {
		return record.Image{Cost: record.Cost{WallSeconds: wall, LayerPushSeconds: push, CacheExportSeconds: cache}}
	}
	list := []record.Image{
		im(1.4, 2.8, 6), im(1.2, 2.6, 6), // first wave, pushing together
		im(0.6, 1.2, 5), im(0.9, 1.1, 5), // still pushing shared content
		im(0.5, 0.5, 9), im(0.5, 0.5, 4), im(0.5, 0.5, 3), im(0.5, 0.5, 3), // steady: 1.0
	}
	w := warmupOf(list, 2, 2)
	// No sizes recorded: each excess counts at most the steady push (1.0).
	want := []float64{1, 1, 0.8, 1, 0, 0, 0, 0}
	for i := range want {
		if math.Abs(w.excess[i]-want[i]) > 1e-9 {
			t.Fatalf("excess %v, want %v", w.excess, want)
		}
	}
	// The wave's part is its layer push above the steady layer push (0.5):
	// the cache export's excess is a first upload, paid once whatever the
	// batches.
	if math.Abs(w.once-1.9) > 1e-9 || math.Abs(w.wave-0.8) > 1e-9 {
		t.Errorf("once %v, wave %v; want (1+1+0.8+1)/2 and (0.9+0.7)/2", w.once, w.wave)
	}
	// Too short a trial to have a steady state after its first wave: none.
	if w := warmupOf(list[:3], 2, 2); w.once != 0 || w.excess[2] != 0 || w.wave != 0 {
		t.Errorf("3 images: %+v, want nothing", w)
	}
	// An excess never exceeds the image's own seconds.
	list[2].WallSeconds = 0.5
	if w := warmupOf(list, 2, 2); w.excess[2] != 0.5 {
		t.Errorf("excess %v, want capped at the image's 0.5 s", w.excess[2])
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

// A custom workload whose early images are the big ones: images 2 and 3,
// after the first wave, push 3x the bytes of the steady images and take
// 3x their push time. That is their own cost, paid wherever they are
// built, and must not become a one-time warm-up (which would predict the
// build too fast). An image of the steady size that pushes longer still
// warms up; one a little bigger counts only the excess beyond its size;
// without sizes, at most the steady push counts, and the cell says so.
func TestWarmupPushesBiggerImages(t *testing.T) {
	const mb = 1 << 20
	im := func(push float64, bytes int64) record.Image {
		return record.Image{Cost: record.Cost{WallSeconds: 10, LayerPushSeconds: push / 2, CacheExportSeconds: push / 2, ImageBytes: bytes}}
	}
	trial := func(early ...record.Image) []record.Image {
		list := []record.Image{im(4, 30*mb), im(4, 30*mb)} // first wave: firstWaveExtra's
		list = append(list, early...)
		return append(list, im(1, 10*mb), im(1, 11*mb), im(1, 9*mb), im(1, 10*mb)) // steady: 1 s for 10 MB
	}
	for _, tc := range []struct {
		name    string
		list    []record.Image
		want    []float64 // excess of images 2 and 3
		unsized int
	}{
		{"3x bytes, 3x push", trial(im(3, 30*mb), im(3, 30*mb)), []float64{0, 0}, 0},
		{"3x bytes, 4x push", trial(im(4, 30*mb), im(3.5, 31*mb)), []float64{0, 0}, 0},
		{"same bytes, 3x push", trial(im(3, 10*mb), im(2, 10*mb)), []float64{2, 1}, 0},
		{"1.2x bytes, 3x push", trial(im(3, 12*mb), im(1.1, 12*mb)), []float64{1.8, 0}, 0},
		{"no bytes, 3x push", trial(im(3, 0), im(1.5, 0)), []float64{1, 0.5}, 2},
	} {
		w := warmupOf(tc.list, 2, 2)
		got := w.excess[2:4]
		var sum float64
		for i := range got {
			sum += got[i]
			if math.Abs(got[i]-tc.want[i]) > 1e-9 {
				t.Errorf("%s: excess %v, want %v", tc.name, got, tc.want)
				break
			}
		}
		if math.Abs(w.once-sum/2) > 1e-9 || w.unsized != tc.unsized {
			t.Errorf("%s: once %v, unsized %d; want %v and %d", tc.name, w.once, w.unsized, sum/2, tc.unsized)
		}
	}

	// Through a cell's observations, as a prediction reads them: no
	// warm-up at all for the big early images, and no warning.
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	cell := func(list []record.Image) *Cell {
		c := &Cell{Name: "w2", Config: Config{Workers: 2, Batch: 0, CacheMode: "off", Strategy: "single"},
			trials: []record.Trial{{Trial: 1, Images: len(list)}}}
		for i, im := range list {
			// Two at a time, each 10 s: the first two are the first wave.
			im.Trial, im.Instance, im.Status = 1, fmt.Sprintf("r__r-%d", i), record.StatusBuilt
			im.Start = t0.Add(time.Duration(i/2*10) * time.Second)
			im.End = im.Start.Add(10 * time.Second)
			c.images = append(c.images, im)
		}
		return c
	}
	big := cell(trial(im(3, 30*mb), im(3, 30*mb)))
	ims, trs := big.observations()
	if trs[0].WarmupSeconds != 0 {
		t.Errorf("big early images: the trial pays %v s of warm-up once, want 0", trs[0].WarmupSeconds)
	}
	for _, o := range ims {
		if o.WarmupSeconds != 0 {
			t.Errorf("image %s: %v s taken out as warm-up, want none", o.Image, o.WarmupSeconds)
		}
	}
	if w := big.warmupWarnings(); len(w) != 0 {
		t.Errorf("warnings %q for images with sizes", w)
	}
	if w := cell(trial(im(3, 0), im(1.5, 0))).warmupWarnings(); len(w) != 1 || !strings.Contains(w[0], "2 images") || !strings.Contains(w[0], "image_bytes 0") {
		t.Errorf("no sizes: warnings %q, want one naming the 2 images without a size", w)
	}
}
