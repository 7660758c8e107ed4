package model

import (
	"errors"
	"math"
	"math/rand/v2"
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

// simulated gives c a prediction of 200 simulated builds spread ±spread
// around its median (uniform draws, seeded by seed so that two
// candidates' rep k are independent), with Lo and Hi their 90% interval.
func simulated(c Candidate, spread float64, seed uint64) Candidate {
	const n = 200
	rng := rand.New(rand.NewPCG(seed, 7))
	c.Prediction.Samples = make([]float64, n)
	for k := range n {
		c.Prediction.Samples[k] = c.Prediction.Median * (1 + spread*(2*rng.Float64()-1))
	}
	c.Prediction.Median, _, c.Prediction.Lo, c.Prediction.Hi = summarize(c.Prediction.Samples, DefaultConfidence)
	return c
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
// differ significantly but whose predicted full-build times are shown the
// same (the difference's interval, -1.7% to +2.2%, inside ±3%) are a tie, and
// the cheaper one (cache off before max) is picked, the other named as the
// runner-up.
func TestRecommendPredictedTie(t *testing.T) {
	mx := simulated(cand("max", 4, 388, 2500, 1e7), 0.01, 0)
	mx.Config.CacheMode = "max"
	off := simulated(cand("off", 4, 389, 2600, 1e7), 0.01, 101) // 3.4% more throughput in the sample
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
	// Trials that overlap: the sample does not tell them apart, and
	// narrow predictions 1% apart show the times the same.
	w4, w2 = simulated(cand("w4", 4, 53.0, 2700, 1e7), 0.005, 0), simulated(cand("w2", 2, 53.5, 2611, 1e7), 0.005, 101)
	for i := range w2.Throughput {
		w2.Throughput[i] = 2650 * (1 + 0.06*float64(i%5-2)/2)
		w4.Throughput[i] = 2700 * (1 + 0.06*float64((i+2)%5-2)/2)
	}
	rec, _ = Recommend([]Candidate{w2, w4}, Constraints{EquivalenceMargin: 0.03})
	if rec.Best.Config.Name != "w2" || !rec.PickedCheapest {
		t.Errorf("overlapping trials: best %s, picked cheapest %v; want w2, true", rec.Best.Config.Name, rec.PickedCheapest)
	}
}

// TestRecommendOverlapIsNotEquivalence: the case of scenario 3 (a) at
// 7f78f2a. W=2 predicted 2.8% slower than W=4 (54.3 s against 52.8 s),
// each interval about ±3%, so the intervals overlap and the medians are
// within the 3% margin; the sample's throughputs do not differ
// significantly. Overlap is no evidence of equivalence: the difference's
// interval (about -1% to +7%) is not inside ±3%, so W=2 is not the cheaper
// pick; W=4 is picked, as a lead (not confident), and the reasons say the
// difference's interval. Built, W=2 measured 1.004x and 0.993x the old
// script where W=4 measured 0.949-0.959x.
func TestRecommendOverlapIsNotEquivalence(t *testing.T) {
	w4 := simulated(cand("w4", 4, 52.8, 2700, 1e7), 0.035, 0)
	w2 := simulated(cand("w2", 2, 54.3, 2613, 1e7), 0.035, 101)
	for i := range w2.Throughput { // 3% apart, spread 8%: not separated
		w2.Throughput[i] = 2613 * (1 + 0.08*float64(i%5-2)/2)
		w4.Throughput[i] = 2700 * (1 + 0.08*float64((i+2)%5-2)/2)
	}
	if !(w4.Prediction.Lo <= w2.Prediction.Hi && w2.Prediction.Lo <= w4.Prediction.Hi) {
		t.Fatalf("setup: intervals %v-%v and %v-%v do not overlap", w4.Prediction.Lo, w4.Prediction.Hi, w2.Prediction.Lo, w2.Prediction.Hi)
	}
	rec, err := Recommend([]Candidate{w2, w4}, Constraints{EquivalenceMargin: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Best.Config.Name != "w4" || rec.PickedCheapest || len(rec.Equivalent) != 1 {
		t.Errorf("best %s, picked cheapest %v, equivalent %v; want w4 alone", rec.Best.Config.Name, rec.PickedCheapest, rec.Equivalent)
	}
	if rec.Significant || rec.Confident {
		t.Errorf("significant %v confident %v; want a lead", rec.Significant, rec.Confident)
	}
	r := strings.Join(rec.Reasons, "\n")
	if !strings.Contains(r, "w2 is predicted within ±3% of the fastest (54.") || !strings.Contains(r, "but the 90% interval of the difference, ") ||
		!strings.Contains(r, "is not inside ±3%") || !strings.Contains(r, "not shown equivalent") {
		t.Errorf("reasons %q", rec.Reasons)
	}
	if !hasWarning(rec.Warnings, "differ neither significantly nor within ±3%") {
		t.Errorf("warnings %q", rec.Warnings)
	}
}

// TestPredictedWithin: the difference's interval comes from the paired
// simulated builds when both have them, and from the two intervals'
// extremes otherwise; equivalent only inside the margin.
func TestPredictedWithin(t *testing.T) {
	a := Prediction{Median: 100, Lo: 98, Hi: 102, Confidence: DefaultConfidence}
	b := Prediction{Median: 101, Lo: 99, Hi: 103}
	// No samples: (99-102)/100 to (103-98)/100, -3% to +5%, the upper
	// end outside the margin.
	d, ok := predictedWithin(a, b, 0.03)
	if ok || math.Abs(d.Lo+0.03) > 1e-9 || math.Abs(d.Hi-0.05) > 1e-9 || math.Abs(d.Median-0.01) > 1e-9 {
		t.Errorf("no samples: %+v, %v; want +1%% (-3%% to +5%%), not equivalent", d, ok)
	}
	if d, ok := predictedWithin(a, Prediction{Median: 100.5, Lo: 99.5, Hi: 101}, 0.03); !ok {
		t.Errorf("no samples, -2.5%% to +3%%: %+v not equivalent", d)
	}
	// Paired: rep k of each, a the same everywhere, b 1% slower ±0.5%.
	a.Samples, b.Samples = make([]float64, 100), make([]float64, 100)
	for k := range a.Samples {
		a.Samples[k] = 100
		b.Samples[k] = 101 + float64(k%11-5)/10
	}
	d, ok = predictedWithin(a, b, 0.03)
	if !ok || d.Lo < 0.005-1e-9 || d.Hi > 0.015+1e-9 || d.Confidence != DefaultConfidence {
		t.Errorf("paired: %+v, %v; want +0.5%% to +1.5%%, equivalent", d, ok)
	}
	if _, ok := predictedWithin(a, b, 0.01); ok {
		t.Errorf("paired at ±1%%: equivalent, but the upper end is above +1%%")
	}
	if _, ok := predictedWithin(Prediction{}, b, 0.03); ok {
		t.Error("a zero median: equivalent")
	}
}

// TestOneTrialIntervalsSeparateNothing: with one trial a side, the reasons
// said "the predicted intervals do not overlap" with nothing more, which
// reads as evidence of a gap one trial cannot show.
func TestOneTrialIntervalsSeparateNothing(t *testing.T) {
	a, b := cand("a", 4, 10000, 100, 1e9), cand("b", 2, 14000, 80, 1e9)
	a.Throughput, b.Throughput = a.Throughput[:1], b.Throughput[:1]
	rec, err := Recommend([]Candidate{a, b}, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rec.Reasons, func(r string) bool { return strings.Contains(r, "predicted intervals do not overlap") })
	if i < 0 || !strings.Contains(rec.Reasons[i], "from one trial they leave out the spread between trials and separate nothing") {
		t.Errorf("one trial a side: reasons %q; want the non-overlap qualified", rec.Reasons)
	}
	if rec.Confident {
		t.Errorf("one trial a side: confident")
	}
	// Two trials a side: the sentence stands unqualified.
	a, b = cand("a", 4, 10000, 100, 1e9), cand("b", 2, 14000, 80, 1e9)
	a.Throughput, b.Throughput = a.Throughput[:2], b.Throughput[:2]
	rec, _ = Recommend([]Candidate{a, b}, Constraints{})
	if slices.ContainsFunc(rec.Reasons, func(r string) bool { return strings.Contains(r, "from one trial") }) {
		t.Errorf("two trials a side: reasons %q qualify the intervals as one trial's", rec.Reasons)
	}
}

// TestRecommendTooWideNotConfident: a pick whose predicted interval is too
// wide to test (Hi over MaxTestableRatio times Lo, as two trials bounded to
// a plausible range give) is not confident, and the warning says why; the
// same pick with a testable interval is.
func TestRecommendTooWideNotConfident(t *testing.T) {
	c := cand("only", 2, 140, 100, 1e8)
	rec, err := Recommend([]Candidate{c}, Constraints{})
	if err != nil || !rec.Confident {
		t.Fatalf("testable interval: confident %v, err %v, warnings %q", rec.Confident, err, rec.Warnings)
	}
	c.Prediction.Lo, c.Prediction.Hi, c.Prediction.TooWide = 87, 233, true
	rec, err = Recommend([]Candidate{c}, Constraints{})
	if err != nil || rec.Confident || !hasWarning(rec.Warnings, "spans a factor of 2.7x (more than 2x): too wide to test") {
		t.Errorf("interval 87-233 s: confident %v, err %v, warnings %q; want not confident, the factor named", rec.Confident, err, rec.Warnings)
	}
}
