package model

import (
	"math"
	"testing"
)

// FitCrowding recovers the slowdown of images observed both alone and
// crowded, each image at its own speed; it says 0 when the crowding does
// not vary or only one image carries it.
func TestFitCrowding(t *testing.T) {
	var obs []CrowdObs
	alone := map[string]float64{"a": 4, "b": 9, "c": 2.5, "d": 6}
	for id, a := range alone {
		for _, c := range []float64{1, 1.4, 2, 2} {
			obs = append(obs, CrowdObs{Image: id, Seconds: a * (1 + 0.3*(c-1)), Crowd: c})
		}
	}
	f := FitCrowding(obs)
	if math.Abs(f.Beta-0.3) > crowdGrid || f.Images != 4 || f.Observations != 16 || f.Span != 1 {
		t.Errorf("fit %+v, want beta 0.3 over 4 images, 16 observations, span 1", f)
	}
	// No image faster alone: beta 0, never negative.
	var flat []CrowdObs
	for id, a := range alone {
		flat = append(flat, CrowdObs{Image: id, Seconds: a * 1.1, Crowd: 1}, CrowdObs{Image: id, Seconds: a, Crowd: 2})
	}
	if f := FitCrowding(flat); f.Beta != 0 {
		t.Errorf("faster when crowded: beta %v, want 0", f.Beta)
	}
	for name, o := range map[string][]CrowdObs{
		"one crowding": {{"a", 4, 2}, {"a", 4.1, 2.1}, {"b", 3, 2}, {"b", 3.2, 2}},
		"one image":    {{"a", 4, 1}, {"a", 8, 2}, {"b", 3, 2}},
		"bad values":   {{"a", math.NaN(), 1}, {"a", 8, 2}, {"b", 3, 0.5}, {"b", 6, 2}, {"", 1, 1}, {"", 2, 2}},
	} {
		if f := FitCrowding(o); f.Beta != 0 {
			t.Errorf("%s: beta %v, want 0", name, f.Beta)
		}
	}
}

// Under processor sharing, images in flight share the slowdown: two
// images of 10 s alone at beta 0.5 both end at 15 s; a short one ends
// first and the long one finishes its rest alone; a batch's last image
// runs alone.
func TestSimulateCrowded(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Schedule
		want float64
		busy float64
	}{
		{"pair", Schedule{Durations: []float64{10, 10}, Workers: 2, Crowding: 0.5}, 15, 30},
		{"short first", Schedule{Durations: []float64{10, 4}, Workers: 2, Crowding: 0.5}, 12, 18},
		{"stream refill", Schedule{Durations: []float64{4, 4, 4}, Workers: 2, Crowding: 1}, 12, 20},
		{"batch tail alone", Schedule{Durations: []float64{4, 4, 4}, Workers: 2, Batch: 3, Crowding: 1}, 12, 20},
		{"two batches", Schedule{Durations: []float64{4, 4, 4, 4}, Workers: 2, Batch: 2, Crowding: 1, FixedSeconds: 1}, 17, 32},
		{"one worker", Schedule{Durations: []float64{3, 5}, Workers: 1, Crowding: 2}, 8, 8},
	} {
		r := Simulate(tc.s)
		if math.Abs(r.Makespan-tc.want) > 1e-9 || math.Abs(r.BusySeconds-tc.busy) > 1e-9 {
			t.Errorf("%s: makespan %v busy %v, want %v and %v", tc.name, r.Makespan, r.BusySeconds, tc.want, tc.busy)
		}
	}
	// Beta 0 is the list schedule; a tiny beta is next to it.
	ds := []float64{5, 3, 8, 1, 4, 4, 2}
	for _, b := range []int{0, 3} {
		plain := Simulate(Schedule{Durations: ds, Workers: 3, Batch: b})
		near := Simulate(Schedule{Durations: ds, Workers: 3, Batch: b, Crowding: 1e-9})
		if math.Abs(plain.Makespan-near.Makespan) > 1e-6 {
			t.Errorf("batch %d: beta ~0 gives %v, the list schedule %v", b, near.Makespan, plain.Makespan)
		}
	}
}

// A stream prune under crowding: images in flight keep running, none
// starts until the prune ends, and its seconds are counted.
func TestSimulateCrowdedPrune(t *testing.T) {
	s := Schedule{Durations: []float64{2, 2, 2}, Workers: 1, Crowding: 1, DiskPerImage: 10, PruneThreshold: 10, PruneKeep: 0, PruneSeconds: 5}
	r := Simulate(s)
	// 2 s, prune 5 s (disk 10), 2 s, prune 5 s, 2 s.
	if r.Makespan != 16 || r.Prunes != 2 || r.PruneSeconds != 10 {
		t.Errorf("makespan %v prunes %d (%v s), want 16, 2, 10", r.Makespan, r.Prunes, r.PruneSeconds)
	}
	s.Workers = 2
	r = Simulate(s)
	// Two start at g=2: both end at 4; prune to 9; the third runs alone to 11.
	if r.Makespan != 11 || r.Prunes != 1 {
		t.Errorf("2 workers: makespan %v prunes %d, want 11 and 1", r.Makespan, r.Prunes)
	}
}

// Predict with crowding: observations measured two at a time stand for
// less work alone, so the last image of an odd stream, alone, is
// predicted faster than measured; warm-up pushes are taken out of the
// images that paid them and paid once per build.
func TestPredictCrowdingAndWarmup(t *testing.T) {
	var ims []ImageObs
	for _, id := range []string{"a", "b", "c", "d"} {
		ims = append(ims, ImageObs{Image: id, Repo: "r", Seconds: 10, Crowd: 2, Trial: 0})
	}
	trs := []TrialObs{{Trial: 0, WallSeconds: 20, Images: 4, SumImageSeconds: 40}}
	in := PredictInput{Images: ims, Trials: trs, N: 3, Workers: 2, Reps: 20}
	plain, err := Predict(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Crowding = 1
	crowded, err := Predict(in)
	if err != nil {
		t.Fatal(err)
	}
	// Plain: 10 + 10 (the third after one of the first two). Crowded: 5 s
	// alone each; two at g=2 end at 10, the third alone 5 s later.
	if plain.Median != 20 || crowded.Median != 15 {
		t.Errorf("median %v plain, %v crowded; want 20 and 15", plain.Median, crowded.Median)
	}
	// Warm-up: image a paid 4 s of pushes the others did not; the trial
	// paid 2 s of wall for it once.
	ims[0].Seconds, ims[0].WarmupSeconds = 14, 4
	trs[0].SumImageSeconds, trs[0].WarmupSeconds = 44, 2
	in = PredictInput{Images: ims, Trials: trs, N: 4, Workers: 2, Reps: 20}
	p, err := Predict(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.FixedSeconds != 2 || p.Median != 22 {
		t.Errorf("with warm-up: fixed %v, median %v; want 2 and 22 (2 + two rounds of 10)", p.FixedSeconds, p.Median)
	}
}
