package model

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// TestPredictFirstWaveExtra: a first wave of two images (2 workers), each
// 50 s slower for the shared stage, is paid once per build: 10 images of
// 100 s at 2 workers take 50 + 500 s. Trials whose first wave showed no
// extra count as 0 in the median.
func TestPredictFirstWaveExtra(t *testing.T) {
	var ims []ImageObs
	var trials []TrialObs
	for tr := range 3 {
		ims = append(ims, ImageObs{Seconds: 150, Trial: tr, First: true}, ImageObs{Seconds: 150, Trial: tr, First: true},
			ImageObs{Seconds: 100, Trial: tr}, ImageObs{Seconds: 100, Trial: tr})
		trials = append(trials, TrialObs{Trial: tr, Images: 4, SumImageSeconds: 500, FirstImageExtraSeconds: 50})
	}
	p, err := Predict(PredictInput{Images: ims, Trials: trials, N: 10, Workers: 2, Reps: 20})
	if err != nil {
		t.Fatal(err)
	}
	if want := 50 + 500.0; p.Median != want || p.Lo != want || p.Hi != want {
		t.Errorf("median %v [%v, %v], want %v", p.Median, p.Lo, p.Hi, want)
	}
	for _, f := range p.TrialFactors {
		if f != 1 {
			t.Errorf("trial factors %v, want 1 (the extra of both first-wave images taken out of the trial mean)", p.TrialFactors)
			break
		}
	}
	// Three more trials whose first wave showed no extra (0, as the
	// evidence package reports it): the median over the 6 trials is 25.
	for tr := 3; tr < 6; tr++ {
		ims = append(ims, ImageObs{Seconds: 100, Trial: tr, First: true}, ImageObs{Seconds: 100, Trial: tr, First: true},
			ImageObs{Seconds: 100, Trial: tr}, ImageObs{Seconds: 100, Trial: tr})
		trials = append(trials, TrialObs{Trial: tr, Images: 4, SumImageSeconds: 400})
	}
	p, err = Predict(PredictInput{Images: ims, Trials: trials, N: 10, Workers: 2, Reps: 20})
	if err != nil {
		t.Fatal(err)
	}
	if p.FixedSeconds != 25 {
		t.Errorf("fixed %v, want 25, the median extra over all 6 trials (zeros count)", p.FixedSeconds)
	}
}

// TestPredictNewTrialFactor: the full build is a new trial. Three trials
// whose machine ran 2% slower and faster than the middle one give an
// interval wider than their range: exp(±t(0.95, 2) · s · sqrt(1 + 1/3)),
// s = 0.02, about ±6.7%. Drawing among the three factors bounded it at
// ±2%, and a real build fell just outside such an interval.
func TestPredictNewTrialFactor(t *testing.T) {
	var ims []ImageObs
	var trials []TrialObs
	for tr, f := range []float64{0.98, 1, 1.02} {
		for i := range 10 {
			ims = append(ims, ImageObs{Seconds: 10 * f, Trial: tr, Image: fmt.Sprint("django__", i), Repo: "django"})
		}
		trials = append(trials, TrialObs{Trial: tr, Images: 10, SumImageSeconds: 100 * f})
	}
	p, err := Predict(PredictInput{Images: ims, Trials: trials, N: 10, Workers: 1, Reps: 20000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	s := stat.StdDev([]float64{math.Log(0.98), 0, math.Log(1.02)}, nil)
	want := 2.919986 * s * math.Sqrt(1+1.0/3) // t(0.95, 2)
	if hi := math.Log(p.Hi / 100); math.Abs(hi-want) > 0.1*want {
		t.Errorf("Hi %v: log(Hi/100) = %.4f, want %.4f ± 10%%", p.Hi, hi, want)
	}
	if lo := -math.Log(p.Lo / 100); math.Abs(lo-want) > 0.1*want {
		t.Errorf("Lo %v: -log(Lo/100) = %.4f, want %.4f ± 10%%", p.Lo, lo, want)
	}
	if math.Abs(p.Median-100) > 0.5 {
		t.Errorf("median %v, want 100", p.Median)
	}
}
