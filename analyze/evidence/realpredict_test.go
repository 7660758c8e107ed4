package evidence

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// TestPredictFirstWavePaidOnce: in a cold trial the first wave of images
// (here 2 of 4, at 2 workers) also builds the shared builder stage and
// waits for it; the others find it cached. Found by the real prediction
// test (cmd/buildtune/prediction_test.go): drawn for 20 target images, that
// extra was paid by half of them instead of once, and the prediction of
// the full build came out too slow. Images take 2 s, the first wave 3 s;
// trials take 5 s. 20 images at 2 workers take 1 + 20×2/2 = 21 s.
func TestPredictFirstWavePaidOnce(t *testing.T) {
	dir := t.TempDir()
	w, err := record.Create(filepath.Join(dir, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Workers: 2, Batch: 0, CacheMode: "off", Strategy: "single"}
	ids := []string{"django__django-1", "django__django-2", "sympy__sympy-1", "astropy__astropy-1"}
	clock := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	for trial := 1; trial <= 4; trial++ {
		rc := record.Config{Cell: cfg.Name(), Workers: 2, CacheMode: "off", Strategy: "single", Temp: "cold", Rep: trial}
		// Rotate the ids, so every image is in the first wave of some trial.
		order := append(append([]string(nil), ids[trial%4:]...), ids[:trial%4]...)
		for i, id := range order {
			start, d := clock, 3.0
			if i >= 2 {
				start, d = clock.Add(sec(3)), 2
			}
			im := record.Image{Trial: trial, Config: rc, Instance: id, Phase: "image", Status: record.StatusBuilt, Attempts: 1,
				Cost: record.Cost{ID: id, Start: start, End: start.Add(sec(d)), WallSeconds: d, ExecSeconds: d}}
			if err := w.Write(&im); err != nil {
				t.Fatal(err)
			}
		}
		tr := record.Trial{Trial: trial, Config: rc, Start: clock, End: clock.Add(sec(5)), WallSeconds: 5, Images: 4, Built: 4,
			ImagesPerHour: record.ImagesPerHour(4, 5)}
		if err := w.Write(&tr); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	a := analyzeDir(t, dir)
	for _, tt := range []struct {
		n    int
		want float64
	}{{20, 21}, {4, 5}, {1, 3}} {
		p, err := a.Predict(cfg, Target{Images: tt.n, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if p.Median != tt.want || p.Lo != tt.want || p.Hi != tt.want {
			t.Errorf("%d images: median %v [%v, %v], want %v exactly (the shared stage paid once)", tt.n, p.Median, p.Lo, p.Hi, tt.want)
		}
	}
}

// TestFirstWave: the first wave is the images started before the first
// one ended, at most one per worker.
func TestFirstWave(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	im := func(start, end float64) record.Image {
		return record.Image{Cost: record.Cost{Start: t0.Add(time.Duration(start * 1e9)), End: t0.Add(time.Duration(end * 1e9)), WallSeconds: end - start}}
	}
	tests := []struct {
		name    string
		list    []record.Image
		workers int
		wave    int
		extra   float64
	}{
		{"serial", []record.Image{im(0, 3), im(3, 5), im(5, 7)}, 1, 1, 1},
		{"two workers", []record.Image{im(0, 3), im(0, 3), im(3, 5), im(3, 5)}, 2, 2, 1},
		// The third image ran as crowded as the wave and took as long: no
		// extra; the fourth ran alone and is not compared.
		{"capped by workers", []record.Image{im(0, 3), im(0, 3), im(0, 3), im(3, 5)}, 2, 2, 0},
		// A partial last batch runs less crowded: its speed is contention,
		// not the builder stage (W=4, batch 3, 5 images).
		{"partial last batch", []record.Image{im(0, 4), im(0, 4), im(0, 4), im(4, 6.5), im(4, 6.5)}, 4, 3, 0},
		{"one started late", []record.Image{im(0, 3), im(3.5, 5.5), im(3.5, 5.5)}, 4, 1, 1},
		{"no extra", []record.Image{im(0, 2), im(2, 5)}, 1, 1, 0},
		{"all first", []record.Image{im(0, 3), im(0, 3)}, 2, 2, 0},
		// W=16 on 20 images (the replay's PR #525 cell): 16 start together
		// and end together; the last 4 start as the first ends, crowded at
		// their start, but run nearly alone. They are not compared.
		{"wave of 16 ending together", wave16(im), 16, 16, 0},
	}
	for _, tt := range tests {
		w := firstWave(tt.list, tt.workers)
		if w != tt.wave || firstWaveExtra(tt.list, w) != tt.extra {
			t.Errorf("%s: wave %d extra %v, want %d and %v", tt.name, w, firstWaveExtra(tt.list, w), tt.wave, tt.extra)
		}
	}
}

func wave16(im func(start, end float64) record.Image) []record.Image {
	var list []record.Image
	for i := range 16 {
		list = append(list, im(0, 30+0.01*float64(i)))
	}
	for i := range 4 {
		list = append(list, im(30+0.01*float64(i), 35))
	}
	return list
}

// TestConfigBandwidthSpelling: a cap spelled two ways names one cell, in
// records (the "-bw" suffix of the cell) and in a parsed --baseline alike.
func TestConfigBandwidthSpelling(t *testing.T) {
	a := configOf(record.Config{Cell: "w2-stream-off-single-bw12582912B/s", Workers: 2, CacheMode: "off", Strategy: "single"})
	b := configOf(record.Config{Cell: "w2-stream-off-single-bw12MiB/s", Workers: 2, CacheMode: "off", Strategy: "single"})
	c, err := ParseConfig("workers=2,batch=stream,cache=off,registry-bandwidth=12582912B/s")
	if err != nil {
		t.Fatal(err)
	}
	if a != b || b != c || a.Registry != "12MiB/s" {
		t.Errorf("configs %+v, %+v, %+v: want one, registry 12MiB/s", a, b, c)
	}
}
