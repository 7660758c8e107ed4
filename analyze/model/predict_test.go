package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/buildtune/buildtune/analyze"
)

// cellObs builds a cell of len(factors) trials that each build the same
// images (base seconds, one repo per image), scaled by the trial's factor.
func cellObs(base []float64, repos []string, factors []float64) ([]ImageObs, []TrialObs) {
	var ims []ImageObs
	var trials []TrialObs
	for t, f := range factors {
		tr := TrialObs{Trial: t, Images: len(base)}
		for i, b := range base {
			s := b * f
			ims = append(ims, ImageObs{Repo: repos[i%len(repos)], Image: strconv.Itoa(i), Seconds: s, Trial: t})
			tr.SumImageSeconds += s
			tr.ImageSeconds = append(tr.ImageSeconds, s)
		}
		trials = append(trials, tr)
	}
	return ims, trials
}

func TestPredictZeroSpreadCollapses(t *testing.T) {
	ims, trials := cellObs(repeat(100, 6), []string{"a"}, []float64{1, 1, 1})
	for _, tc := range []struct {
		workers, batch, n int
		want              float64
	}{
		{4, 4, 20, 500},  // 5 batches of 100 s
		{4, 0, 20, 500},  // stream
		{3, 3, 10, 400},  // ceil(10/3) batches
		{1, 0, 7, 700},   // sum
		{2, 2, 4, 200},   // 2 batches
		{5, 10, 12, 300}, // batches of 10 and 2 at 5 workers: 200 + 100
	} {
		p, err := Predict(PredictInput{Images: ims, Trials: trials, N: tc.n, Workers: tc.workers, Batch: tc.batch, Reps: 50, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if p.Median != tc.want || p.Lo != tc.want || p.Hi != tc.want || p.Mean != tc.want {
			t.Errorf("W=%d B=%d n=%d: got median %v [%v, %v] mean %v, want %v", tc.workers, tc.batch, tc.n, p.Median, p.Lo, p.Hi, p.Mean, tc.want)
		}
		if p.Confidence != DefaultConfidence || p.Reps != 50 || len(p.Samples) != 50 || p.Observations != 18 || p.Units != 6 {
			t.Errorf("confidence %v reps %d samples %d observations %d units %d", p.Confidence, p.Reps, len(p.Samples), p.Observations, p.Units)
		}
	}
}

func TestPredictOneWorkerIsNTimesMean(t *testing.T) {
	base := make([]float64, 40)
	for i := range base {
		base[i] = 50 + 100*float64(i)/39 // 50..150, mean 100
	}
	ims, trials := cellObs(base, []string{"a"}, []float64{1, 1})
	p, err := Predict(PredictInput{Images: ims, Trials: trials, N: 200, Workers: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	// sd of a sum of 200 draws: sqrt(200)*~29.6 = ~419 s on 20000 s.
	if !near(p.Median, 20000, 300) {
		t.Errorf("median %v, want ~20000", p.Median)
	}
	if !(p.Lo < p.Median && p.Median < p.Hi) || !near(p.ImagesPerHour, 200*3600/p.Median, 1e-9) {
		t.Errorf("interval [%v, %v] around %v", p.Lo, p.Hi, p.Median)
	}
}

// The machine's speed varies between trials (factors 0.9, 1.0, 1.2). Over
// many worlds, each with its own observed cell and a true build on a
// machine of one of those speeds, the 90% interval covers the truth about
// 90% of the time; resampling images alone covers it far less often.
func TestPredictTrialFactorCoversTruth(t *testing.T) {
	factors := []float64{0.9, 1.0, 1.2}
	const worlds, n, w, b = 60, 400, 4, 20
	rng := rand.New(rand.NewPCG(7, 7))
	covered, coveredImagesOnly := 0, 0
	for k := range worlds {
		base := make([]float64, 60)
		for i := range base {
			base[i] = 80 + 40*rng.Float64()
		}
		ims, trials := cellObs(base, []string{"a"}, factors)
		f := factors[rng.IntN(len(factors))]
		truthDs := make([]float64, n)
		for i := range truthDs {
			truthDs[i] = (80 + 40*rng.Float64()) * f
		}
		truth := Simulate(Schedule{Durations: truthDs, Workers: w, Batch: b}).Makespan

		p, err := Predict(PredictInput{Images: ims, Trials: trials, N: n, Workers: w, Batch: b, Reps: 300, Seed: uint64(k)})
		if err != nil {
			t.Fatal(err)
		}
		if p.Lo <= truth && truth <= p.Hi {
			covered++
		}
		if len(p.TrialFactors) != 3 || !near(p.TrialFactors[2]/p.TrialFactors[0], 1.2/0.9, 1e-9) {
			t.Fatalf("trial factors %v", p.TrialFactors)
		}
		// Images only: every observation pooled unnormalised, no trials.
		only, err := Predict(PredictInput{Images: ims, N: n, Workers: w, Batch: b, Reps: 300, Seed: uint64(k)})
		if err != nil {
			t.Fatal(err)
		}
		if only.Lo <= truth && truth <= only.Hi {
			coveredImagesOnly++
		}
		if k == 0 && !hasWarning(only.Warnings, "no trial speed factors") {
			t.Errorf("warnings %q", only.Warnings)
		}
	}
	if covered < worlds*8/10 {
		t.Errorf("interval covered the truth in %d of %d worlds, want about 90%%", covered, worlds)
	}
	if coveredImagesOnly >= covered*3/4 {
		t.Errorf("image resampling alone covered %d of %d, with trial factors %d: the trial spread should matter", coveredImagesOnly, worlds, covered)
	}
	t.Logf("coverage: %d/%d with trial factors, %d/%d images only", covered, worlds, coveredImagesOnly, worlds)
}

func TestPredictRepoWeighting(t *testing.T) {
	// repo "slow" images take 200 s, "fast" ones 50 s.
	ims, trials := cellObs([]float64{200, 50, 200, 50, 200, 50}, []string{"slow", "fast"}, []float64{1, 1})
	in := PredictInput{Images: ims, Trials: trials, Workers: 2, Batch: 0, Reps: 200, Seed: 5}
	in.N = 10
	pooled, _ := Predict(in)
	in.N = 0
	in.Repos = slices.Repeat([]string{"slow"}, 10)
	slow, _ := Predict(in)
	in.Repos = slices.Repeat([]string{"fast"}, 10)
	fast, _ := Predict(in)
	if slow.Median != 1000 || fast.Median != 250 {
		t.Errorf("slow %v (want 1000), fast %v (want 250)", slow.Median, fast.Median)
	}
	if !(fast.Median < pooled.Median && pooled.Median < slow.Median) {
		t.Errorf("fast %v, pooled %v, slow %v", fast.Median, pooled.Median, slow.Median)
	}
	in.Repos = []string{"slow", "new", "new", "other"}
	unseen, _ := Predict(in)
	if !hasWarning(unseen.Warnings, "3 of 4 target images (2 repos)") {
		t.Errorf("warnings %q", unseen.Warnings)
	}
}

func TestPredictDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	base := make([]float64, 30)
	for i := range base {
		base[i] = 10 + 90*rng.Float64()
	}
	ims, trials := cellObs(base, []string{"a", "b", "c"}, []float64{0.95, 1, 1.1})
	in := PredictInput{Images: ims, Trials: trials, Repos: slices.Repeat([]string{"a", "b", "d"}, 20), Workers: 3, Batch: 6, Order: OrderLPT, Reps: 300, Seed: 42}
	a, _ := Predict(in)
	b, _ := Predict(in)
	if !slices.Equal(a.Samples, b.Samples) || a.Median != b.Median || a.Hi != b.Hi {
		t.Error("same seed, different predictions")
	}
	in.Seed = 43
	c, _ := Predict(in)
	if slices.Equal(a.Samples, c.Samples) {
		t.Error("different seeds, same samples")
	}
}

func TestPredictFirstImageExtraAndPrunes(t *testing.T) {
	// Each trial's first image paid 50 s for the shared stage.
	var ims []ImageObs
	var trials []TrialObs
	for tr := range 2 {
		ims = append(ims, ImageObs{Seconds: 150, Trial: tr, First: true}, ImageObs{Seconds: 100, Trial: tr}, ImageObs{Seconds: 100, Trial: tr})
		trials = append(trials, TrialObs{Trial: tr, Images: 3, SumImageSeconds: 350, FirstImageExtraSeconds: 50})
	}
	// 10 images of 100 s at 1 worker, batches of 2; disk +1 per image,
	// prune at 4 keeping 0 costing 30 s: prunes before batches 3 and 5.
	p, err := Predict(PredictInput{Images: ims, Trials: trials, N: 10, Workers: 1, Batch: 2, FixedSeconds: 20,
		DiskPerImage: 1, PruneThreshold: 4, PruneSeconds: 30, Reps: 20})
	if err != nil {
		t.Fatal(err)
	}
	if want := 20 + 50 + 1000 + 60.0; p.Median != want || p.Hi != want {
		t.Errorf("median %v Hi %v, want %v", p.Median, p.Hi, want)
	}
	if p.FixedSeconds != 70 || p.Prunes != 2 || !near(p.PruneShare, 60/1130.0, 1e-12) {
		t.Errorf("fixed %v prunes %v share %v", p.FixedSeconds, p.Prunes, p.PruneShare)
	}
}

func TestPredictErrors(t *testing.T) {
	ims, trials := cellObs([]float64{1}, []string{"a"}, []float64{1})
	for _, in := range []PredictInput{
		{Images: ims, Trials: trials, N: 0, Workers: 1},
		{Images: ims, Trials: trials, N: 5, Workers: 0},
		{Images: ims, Trials: trials, N: 5, Workers: 1, Order: "random"},
	} {
		if _, err := Predict(in); err == nil {
			t.Errorf("%+v: no error", in)
		}
	}
	_, err := Predict(PredictInput{Images: []ImageObs{{Seconds: math.NaN()}}, N: 5, Workers: 1})
	if !errors.Is(err, ErrNoData) {
		t.Errorf("err = %v, want ErrNoData", err)
	}
}

func TestScaleForWorkers(t *testing.T) {
	// Amdahl with sigma 0.1: n/X(n) = 1 + 0.1(n-1).
	fit := analyze.USLFit{Lambda: 1, Sigma: 0.1}
	s, err := ScaleForWorkers(fit, 4, 8, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !near(s.Factor, 1.7/1.3, 1e-12) || !s.Extrapolated || !hasWarning(s.Warnings, "outside the measured 1-4") {
		t.Errorf("got %+v", s)
	}
	s, _ = ScaleForWorkers(fit, 4, 2, 1, 4)
	if !near(s.Factor, 1.1/1.3, 1e-12) || s.Extrapolated {
		t.Errorf("got %+v", s)
	}
	if _, err := ScaleForWorkers(analyze.USLFit{}, 4, 2, 1, 4); err == nil {
		t.Error("zero fit: no error")
	}
	// The scaling reaches the prediction.
	ims, trials := cellObs(repeat(100, 3), []string{"a"}, []float64{1})
	s, _ = ScaleForWorkers(fit, 4, 8, 1, 4)
	p, _ := Predict(PredictInput{Images: ims, Trials: trials, N: 8, Workers: 8, Scaling: s, Reps: 10})
	if !near(p.Median, 100*1.7/1.3, 1e-9) || !p.Extrapolated || !hasWarning(p.Warnings, "extrapolated") {
		t.Errorf("scaled prediction %v extrapolated=%v", p.Median, p.Extrapolated)
	}
}

func TestFixedCost(t *testing.T) {
	ds := repeat(10, 4) // makespan 20 at 2 workers
	trials := []TrialObs{{WallSeconds: 25, ImageSeconds: ds}, {WallSeconds: 27, ImageSeconds: ds}, {WallSeconds: 30, ImageSeconds: ds}, {WallSeconds: 99}}
	fixed, ci, ws := FixedCost(trials, 2, 0)
	if fixed != 7 || ci != [2]float64{5, 10} {
		t.Errorf("fixed %v ci %v", fixed, ci)
	}
	if !hasWarning(ws, "1 trials without per-image seconds") {
		t.Errorf("warnings %q", ws)
	}
	fixed, ci, ws = FixedCost([]TrialObs{{WallSeconds: 15, ImageSeconds: ds}}, 2, 2)
	if fixed != 0 || ci != [2]float64{0, 0} || !hasWarning(ws, "clamped at 0") {
		t.Errorf("fixed %v ci %v warnings %q", fixed, ci, ws)
	}
}

func TestBarrierLoss(t *testing.T) {
	// Equal durations, batches a multiple of W: no loss.
	l := BarrierLoss(repeat(10, 5), 4, 8, 64, 100, 1)
	if l.Median != 0 || l.Lo != 0 || l.Hi != 0 {
		t.Errorf("equal durations: %+v", l)
	}
	// One image in ten is 10x slower: barriers lose time.
	ds := append(repeat(10, 9), 100)
	l = BarrierLoss(ds, 4, 8, 64, 300, 1)
	if !(l.Lo > 0 && l.Median > l.Lo && l.Hi < 1) {
		t.Errorf("skewed durations: %+v", l)
	}
	if l2 := BarrierLoss(ds, 4, 8, 64, 300, 1); l2.Median != l.Median || l2.Lo != l.Lo || l2.Hi != l.Hi {
		t.Error("not deterministic")
	}
	if l := BarrierLoss(ds, 4, 0, 64, 10, 1); !hasWarning(l.Warnings, "stream") {
		t.Errorf("stream: %+v", l)
	}
}
