package model

import "testing"

// TestPredictSyncStartPerBarrier: a stream trial's first wave pushed 3 s
// more because its two images started together (SyncStartSeconds, part of
// the warm-up paid once). A stream target starts together once; a barrier
// target starts every batch together, so it pays the sync again at each
// barrier after the first; a target of one batch does not.
func TestPredictSyncStartPerBarrier(t *testing.T) {
	var ims []ImageObs
	var trials []TrialObs
	for tr := range 2 {
		ims = append(ims, ImageObs{Seconds: 100, Trial: tr}, ImageObs{Seconds: 100, Trial: tr}, ImageObs{Seconds: 100, Trial: tr})
		trials = append(trials, TrialObs{Trial: tr, Images: 3, SumImageSeconds: 300, WarmupSeconds: 3, SyncStartSeconds: 3})
	}
	for _, tc := range []struct {
		batch int
		fixed float64
	}{
		{0, 3},       // stream: the warm-up once
		{10, 3},      // one batch: the same
		{4, 3 + 2*3}, // 3 batches: 2 more synchronised starts
		{3, 3 + 3*3}, // 4 batches
		{1, 3 + 9*3}, // every image its own batch
	} {
		p, err := Predict(PredictInput{Images: ims, Trials: trials, N: 10, Workers: 1, Batch: tc.batch, Reps: 10})
		if err != nil {
			t.Fatal(err)
		}
		if !near(p.FixedSeconds, tc.fixed, 1e-9) {
			t.Errorf("batch %d: fixed %v, want %v", tc.batch, p.FixedSeconds, tc.fixed)
		}
	}
}
