package model

import "testing"

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
