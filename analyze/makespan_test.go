package analyze

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestMakespan(t *testing.T) {
	tests := []struct {
		name      string
		d         []float64
		w, b      int
		want      float64
		rationale string
	}{
		{"brief example batched", []float64{4, 1, 1, 1}, 2, 2, 5, "batch [4,1] takes 4, batch [1,1] takes 1"},
		{"brief example stream", []float64{4, 1, 1, 1}, 2, 0, 4, "w0 runs 4, w1 runs 1+1+1"},
		{"negative batch is stream", []float64{4, 1, 1, 1}, 2, -1, 4, ""},
		{"batch larger than list", []float64{4, 1, 1, 1}, 2, 10, 4, ""},
		{"one worker is the sum", []float64{4, 1, 1, 1}, 1, 2, 7, ""},
		{"more workers than images", []float64{4, 1, 1, 1}, 8, 0, 4, ""},
		{"empty", nil, 3, 2, 0, ""},
		{"list order, not LPT", []float64{3, 3, 2, 2, 2}, 2, 0, 7, "3|3, then 2 on w0 (5), 2 on w1 (5), 2 on w0 (7)"},
		{"barrier wastes", []float64{3, 3, 2, 2, 2}, 2, 3, 7, "[3,3,2] takes 5, [2,2] takes 2"},
		{"barrier hurts", []float64{5, 1, 1, 5, 1, 1}, 2, 3, 10, "[5,1,1] takes 5, twice; stream: 5|1,1,5 -> 7"},
		{"stream of the same", []float64{5, 1, 1, 5, 1, 1}, 2, 0, 7, ""},
		{"batch of one is sequential", []float64{2, 3, 4}, 4, 1, 9, ""},
		{"greedy picks the first free", []float64{2, 2, 1, 1, 2}, 2, 0, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Makespan(tt.d, tt.w, tt.b); got != tt.want {
				t.Errorf("Makespan(%v, W=%d, B=%d) = %v, want %v (%s)", tt.d, tt.w, tt.b, got, tt.want, tt.rationale)
			}
		})
	}
	// The real pipeline: 433 images in 29 batches of 15 (the last 13).
	d := make([]float64, 433)
	for i := range d {
		d[i] = 100
	}
	if got := Makespan(d, 4, 15); got != 29*400 {
		t.Errorf("433x100s W=4 B=15: %v, want %v", got, 29*400)
	}
	if got := Makespan(d, 4, 0); got != 109*100 {
		t.Errorf("433x100s W=4 stream: %v, want %v", got, 109*100)
	}
}

func TestMakespanLastBatch(t *testing.T) {
	// W=16 B=50 on 433 images: 8 batches of 50 (4 rounds each) and one of
	// 33 (3 rounds): 8*400 + 300.
	d := make([]float64, 433)
	for i := range d {
		d[i] = 100
	}
	if got, want := Makespan(d, 16, 50), 8*400.0+300; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMakespanPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for workers = 0")
		}
	}()
	Makespan([]float64{1}, 0, 1)
}

// TestMakespanBounds checks Graham's bounds batch by batch: each batch takes
// at least max(its longest image, its sum / W) and at most sum / W + longest.
func TestMakespanBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 500; trial++ {
		n := rng.IntN(60)
		d := make([]float64, n)
		for i := range d {
			d[i] = rng.ExpFloat64() * 100
		}
		w := 1 + rng.IntN(8)
		b := rng.IntN(20)
		size := b
		if size <= 0 {
			size = max(n, 1)
		}
		var lower, upper float64
		for s := 0; s < n; s += size {
			chunk := d[s:min(s+size, n)]
			var sum float64
			for _, x := range chunk {
				sum += x
			}
			lower += math.Max(slices.Max(chunk), sum/float64(w))
			upper += sum/float64(w) + slices.Max(chunk)
		}
		got := Makespan(d, w, b)
		if got < lower*(1-1e-12) || got > upper*(1+1e-12) {
			t.Fatalf("n=%d W=%d B=%d: %v outside [%v, %v]", n, w, b, got, lower, upper)
		}
	}
}

func TestPredictMakespan(t *testing.T) {
	t.Run("constant times are exact", func(t *testing.T) {
		times := make([]float64, 50)
		for i := range times {
			times[i] = 100
		}
		p := PredictMakespan(times, 4, 15, 433, 100, 1)
		if p.Median != 11600 || p.Lo != 11600 || p.Hi != 11600 || !near(p.ImagesPerHour, 433*3600/11600.0, 1e-12) {
			t.Errorf("got %+v", p)
		}
		if !hasWarning(p.Warnings, "only 100 resamples") || p.Reps != 100 || p.Samples != 50 {
			t.Errorf("got %+v", p)
		}
	})
	rng := rand.New(rand.NewPCG(11, 12))
	times := make([]float64, 200)
	for i := range times {
		times[i] = 154 * math.Exp(0.5*rng.NormFloat64())
	}
	t.Run("deterministic for a seed", func(t *testing.T) {
		p1 := PredictMakespan(times, 4, 15, 433, 0, 42)
		p2 := PredictMakespan(times, 4, 15, 433, 0, 42)
		if !reflect.DeepEqual(p1, p2) {
			t.Errorf("same seed, different results: %+v vs %+v", p1, p2)
		}
		if p1.Reps != DefaultReps || len(p1.Warnings) != 0 {
			t.Errorf("got %+v", p1)
		}
		if !(p1.Lo <= p1.Median && p1.Median <= p1.Hi && p1.Lo < p1.Hi) {
			t.Errorf("interval [%v, %v] around %v", p1.Lo, p1.Hi, p1.Median)
		}
		if !(p1.ImagesPerHourLo <= p1.ImagesPerHour && p1.ImagesPerHour <= p1.ImagesPerHourHi) {
			t.Errorf("images/hour [%v, %v] around %v", p1.ImagesPerHourLo, p1.ImagesPerHourHi, p1.ImagesPerHour)
		}
		// The mean image takes ~154*e^(1/8) = 175 s, so 4 workers build
		// at most ~82 images/hour; barriers cost some of that.
		if p1.ImagesPerHour < 50 || p1.ImagesPerHour > 85 {
			t.Errorf("implausible images/hour %v", p1.ImagesPerHour)
		}
		p3 := PredictMakespan(times, 4, 15, 433, 0, 43)
		if p3.Median == p1.Median && p3.Lo == p1.Lo {
			t.Errorf("different seeds gave identical predictions")
		}
		stream := PredictMakespan(times, 4, 0, 433, 0, 42)
		if stream.Median >= p1.Median {
			t.Errorf("stream %v not faster than batches of 15 %v", stream.Median, p1.Median)
		}
	})
	t.Run("warnings", func(t *testing.T) {
		p := PredictMakespan([]float64{100, math.NaN(), -1, 120}, 4, 15, 433, 500, 1)
		if p.Samples != 2 || !hasWarning(p.Warnings, "dropped 2") || !hasWarning(p.Warnings, "only 2 per-image times") {
			t.Errorf("got %+v", p)
		}
		for _, c := range []struct {
			times      []float64
			workers, n int
			warn       string
		}{
			{[]float64{1}, 0, 10, "workers = 0"},
			{[]float64{1}, 2, 0, "nothing to predict"},
			{nil, 2, 10, "no per-image times"},
		} {
			p := PredictMakespan(c.times, c.workers, 2, c.n, 10, 1)
			if p.Median != 0 || !hasWarning(p.Warnings, c.warn) {
				t.Errorf("%+v: got %+v", c, p)
			}
		}
		p = PredictMakespan([]float64{0, 0}, 2, 2, 10, 10, 1)
		if p.ImagesPerHour != 0 || !hasWarning(p.Warnings, "undefined") {
			t.Errorf("zero times: %+v", p)
		}
		if _, err := json.Marshal(p); err != nil {
			t.Errorf("json: %v", err)
		}
	})
}
