package model

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// cand is a candidate predicted at median seconds (±10%) for 433 images,
// with per-trial throughputs around tput (±0.5%).
func cand(name string, workers int, median, tput, regBytes float64) Candidate {
	th := make([]float64, 12)
	for i := range th {
		th[i] = tput * (1 + 0.005*float64(i%5-2)/2)
	}
	return Candidate{
		Config:                Config{Name: name, Workers: workers, Batch: 15, CacheMode: "off", Strategy: "single"},
		Prediction:            Prediction{Images: 433, Workers: workers, Median: median, Lo: 0.9 * median, Hi: 1.1 * median, Confidence: DefaultConfidence},
		Throughput:            th,
		RegistryBytesPerImage: regBytes,
	}
}

func TestRecommendOrdering(t *testing.T) {
	cands := []Candidate{
		cand("c", 4, 15000, 60, 1e9),
		cand("a", 8, 10000, 100, 1e9),
		cand("b", 6, 12000, 80, 1e9),
	}
	rec, err := Recommend(cands, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Best.Config.Name != "a" || rec.Fastest != "a" || rec.RunnerUp != "b" || !rec.Significant || rec.PickedCheapest || !rec.Confident {
		t.Errorf("rec = %+v", rec)
	}
	// a: [9000, 11000], b: [10800, 13200].
	if !rec.IntervalsOverlap || !near(rec.Gap.Ratio, 0.8, 1e-9) {
		t.Errorf("overlap %v ratio %v", rec.IntervalsOverlap, rec.Gap.Ratio)
	}
	if len(rec.Equivalent) != 1 || !strings.Contains(rec.Reasons[0], "a is predicted to build 433 images in 2h47m [2h30m, 3h03m]") {
		t.Errorf("equivalent %v reasons %q", rec.Equivalent, rec.Reasons)
	}
}

func TestRecommendEquivalentPicksCheapest(t *testing.T) {
	cands := []Candidate{
		cand("fast", 8, 10000, 100, 3e9),
		cand("same-cheap", 8, 10050, 100.1, 1e9),
		cand("same-fewer-workers", 4, 10100, 99.9, 1e9),
		cand("slow", 2, 20000, 50, 1e8),
	}
	rec, err := Recommend(cands, Constraints{EquivalenceMargin: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Best.Config.Name != "same-fewer-workers" || !rec.PickedCheapest || rec.Fastest != "fast" {
		t.Errorf("best %q picked cheapest %v", rec.Best.Config.Name, rec.PickedCheapest)
	}
	if want := []string{"fast", "same-cheap", "same-fewer-workers"}; !reflect.DeepEqual(rec.Equivalent, want) {
		t.Errorf("equivalent %v, want %v", rec.Equivalent, want)
	}
	if !hasWarning(rec.Reasons, "Of these the cheapest is picked: same-fewer-workers") {
		t.Errorf("reasons %q", rec.Reasons)
	}
}

func TestRecommendConstraints(t *testing.T) {
	cands := []Candidate{
		cand("a", 16, 10000, 100, 1e9), // Hi 11000
		cand("b", 8, 12000, 80, 2e9),   // Hi 13200
		cand("c", 4, 15000, 60, 1e8),   // Hi 16500
	}
	tests := []struct {
		name     string
		c        Constraints
		want     string
		excluded []string
	}{
		{"deadline", Constraints{Deadline: 12000}, "a", []string{"b", "c"}},
		{"max workers", Constraints{MaxWorkers: 8}, "b", []string{"a"}},
		{"registry bytes", Constraints{MaxRegistryBytes: 433 * 1.5e9}, "a", []string{"b"}},
		{"all three", Constraints{Deadline: 14000, MaxWorkers: 8, MaxRegistryBytes: 433 * 1.5e9}, "", []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Recommend(cands, tt.c)
			var ex []string
			for _, e := range rec.Excluded {
				ex = append(ex, e.Name)
			}
			if !reflect.DeepEqual(ex, tt.excluded) {
				t.Errorf("excluded %v, want %v", ex, tt.excluded)
			}
			if tt.want == "" {
				if !errors.Is(err, ErrInfeasible) {
					t.Fatalf("err = %v, want ErrInfeasible", err)
				}
				for _, s := range []string{"max workers ruled out 1", "max registry bytes ruled out 1", "deadline ruled out 1"} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				return
			}
			if err != nil || rec.Best.Config.Name != tt.want {
				t.Errorf("best %q err %v, want %q", rec.Best.Config.Name, err, tt.want)
			}
		})
	}
	if _, err := Recommend(nil, Constraints{}); !errors.Is(err, ErrInfeasible) {
		t.Errorf("no candidates: err = %v", err)
	}
}

func TestRecommendTooFewTrials(t *testing.T) {
	// 3 trials a side, 3% apart with 2% noise: Mann-Whitney cannot reach
	// alpha, nor can the t-tests.
	a, b := cand("a", 4, 10000, 100, 1e9), cand("b", 4, 12000, 97, 1e9)
	a.Throughput, b.Throughput = []float64{100, 98, 102}, []float64{97, 99, 95}
	rec, err := Recommend([]Candidate{a, b}, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Confident || !hasWarning(rec.Warnings, "too few trials") || rec.Significant {
		t.Errorf("confident %v significant %v warnings %q", rec.Confident, rec.Significant, rec.Warnings)
	}
	// 20% apart with 0.25% noise, as an adaptive sweep's round 1 leaves a
	// cell it dropped: the t-tests on logs separate them, as the sweep did.
	a, b = cand("a", 4, 10000, 100, 1e9), cand("b", 4, 12000, 80, 1e9)
	a.Throughput, b.Throughput = a.Throughput[:3], b.Throughput[:3]
	rec, err = Recommend([]Candidate{a, b}, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Confident || !rec.Significant || hasWarning(rec.Warnings, "too few trials") ||
		!(rec.GapWelchP > 0 && rec.GapWelchP < 0.05) || !(rec.GapPooledP > 0 && rec.GapPooledP < 0.05) {
		t.Errorf("clear gap, 3 trials: confident %v significant %v p %v %v warnings %q", rec.Confident, rec.Significant,
			rec.GapWelchP, rec.GapPooledP, rec.Warnings)
	}
	if !slices.ContainsFunc(rec.Reasons, func(r string) bool { return strings.Contains(r, "t-tests on logs: Welch p=") }) {
		t.Errorf("reasons %q do not name the t-tests", rec.Reasons)
	}
	c := cand("c", 4, 9000, 100, 1e9)
	c.Extrapolated = true
	rec, _ = Recommend([]Candidate{c}, Constraints{})
	if rec.Confident || !hasWarning(rec.Warnings, "extrapolated") {
		t.Errorf("extrapolated: confident %v warnings %q", rec.Confident, rec.Warnings)
	}
}

func TestRecommendSavingPairsReps(t *testing.T) {
	best, base := cand("new", 8, 30, 100, 1e9), cand("old", 4, 40, 50, 1e9) // base predicted slower: no tie
	// Same marginal distributions: sorting each and differencing would give
	// a zero-width interval; paired reps give differences -40..40.
	best.Prediction.Samples = []float64{50, 40, 30, 20, 10}
	base.Prediction.Samples = []float64{10, 20, 30, 40, 50}
	rec, err := Recommend([]Candidate{best, base}, Constraints{Baseline: "old"})
	if err != nil {
		t.Fatal(err)
	}
	s := rec.Saving
	// Diffs -40, -20, 0, 20, 40: type-7 quantiles at 0.05 and 0.95 are
	// -40 + 0.2×20 and 20 + 0.8×20.
	if s == nil || s.Median != 0 || s.Pairs != 5 || !near(s.Lo, -36, 1e-9) || !near(s.Hi, 36, 1e-9) {
		t.Fatalf("saving %+v", s)
	}
	if !hasWarning(rec.Reasons, "Against old it saves") {
		t.Errorf("reasons %q", rec.Reasons)
	}
	rec, _ = Recommend([]Candidate{best, base}, Constraints{Baseline: "missing"})
	if rec.Saving != nil || !hasWarning(rec.Warnings, `baseline "missing"`) {
		t.Errorf("missing baseline: %+v", rec.Saving)
	}
}

func TestRecommendCacheReason(t *testing.T) {
	c := cand("max", 4, 433*250/4, 100, 1e9) // 250 worker-seconds per image
	c.Config.CacheMode = "max"
	c.CacheExportSeconds = 10
	rec, err := Recommend([]Candidate{c}, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(rec.Reasons, "Cache max costs 10.00 s/image of export (4% of the 250 worker-seconds per image) and brought 0% cached steps.") {
		t.Errorf("reasons %q", rec.Reasons)
	}
}

func TestRecommendDeterministic(t *testing.T) {
	cands := []Candidate{cand("a", 8, 10000, 100, 3e9), cand("b", 4, 10000, 100.2, 1e9), cand("c", 2, 11000, 90, 1e8)}
	cands[0].Prediction.Samples = []float64{1, 2, 3}
	cands[2].Prediction.Samples = []float64{3, 2, 1}
	r1, e1 := Recommend(cands, Constraints{Baseline: "c"})
	r2, e2 := Recommend(cands, Constraints{Baseline: "c"})
	if !reflect.DeepEqual(r1, r2) || e1 != nil || e2 != nil {
		t.Error("same input, different recommendations")
	}
}

// TestRecommendPredictedTie: two candidates whose sample throughputs
// differ significantly but whose predicted full-build times cannot be told
// apart (medians within the margin, intervals overlapping) are a tie, and
// the cheaper one (cache off before max) is picked, the other named as the
// runner-up.
func TestRecommendPredictedTie(t *testing.T) {
	mx := cand("max", 4, 388, 2500, 1e7)
	mx.Config.CacheMode = "max"
	off := cand("off", 4, 389, 2600, 1e7) // 3.4% more throughput in the sample
	rec, err := Recommend([]Candidate{mx, off}, Constraints{EquivalenceMargin: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Best.Config.Name != "off" || rec.RunnerUp != "max" || !rec.PickedCheapest {
		t.Errorf("best %s runner-up %s picked cheapest %v; want off, max, true", rec.Best.Config.Name, rec.RunnerUp, rec.PickedCheapest)
	}
	far := cand("off", 4, 500, 2600, 1e7) // predicted 29% slower: no tie
	rec, _ = Recommend([]Candidate{mx, far}, Constraints{EquivalenceMargin: 0.03})
	if rec.Best.Config.Name != "max" || rec.PickedCheapest {
		t.Errorf("best %s picked cheapest %v; want max, false", rec.Best.Config.Name, rec.PickedCheapest)
	}
}

// TestRecommendSignificantlySlowerNotEquivalent: a cheaper candidate
// predicted within the margin (2.6% slower, intervals overlapping) is not
// taken as equivalent when its measured throughput is significantly lower
// (3.3%, Mann-Whitney) and the prediction agrees: the fastest is picked,
// and the reasons say why. Without the significant difference (the same
// medians, trials spread wider than the gap) it is the cheaper pick, as
// before.
func TestRecommendSignificantlySlowerNotEquivalent(t *testing.T) {
	w4 := cand("w4", 4, 53.0, 2700, 1e7)
	w2 := cand("w2", 2, 54.4, 2611, 1e7)
	rec, err := Recommend([]Candidate{w2, w4}, Constraints{EquivalenceMargin: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Best.Config.Name != "w4" || rec.PickedCheapest || !rec.Significant {
		t.Errorf("best %s, picked cheapest %v, significant %v; want w4, false, true", rec.Best.Config.Name, rec.PickedCheapest, rec.Significant)
	}
	if !slices.ContainsFunc(rec.Reasons, func(r string) bool {
		return strings.Contains(r, "w2 is predicted within ±3%") && strings.Contains(r, "not taken as equivalent")
	}) {
		t.Errorf("reasons %q: want the significant difference named", rec.Reasons)
	}
	// Trials that overlap: the sample does not tell them apart.
	for i := range w2.Throughput {
		w2.Throughput[i] = 2650 * (1 + 0.06*float64(i%5-2)/2)
		w4.Throughput[i] = 2700 * (1 + 0.06*float64((i+2)%5-2)/2)
	}
	rec, _ = Recommend([]Candidate{w2, w4}, Constraints{EquivalenceMargin: 0.03})
	if rec.Best.Config.Name != "w2" || !rec.PickedCheapest {
		t.Errorf("overlapping trials: best %s, picked cheapest %v; want w2, true", rec.Best.Config.Name, rec.PickedCheapest)
	}
}
