package model

import (
	"math"
	"testing"
)

// withWalls sets each trial's wall seconds.
func withWalls(trials []TrialObs, walls ...float64) []TrialObs {
	for i := range trials {
		trials[i].WallSeconds = walls[i]
	}
	return trials
}

// TestPoolSpread: the pooled standard deviation of the log trial factors
// is the root of the within-cell squared deviations summed over the cells
// over the summed (trials − 1); a one-trial cell adds nothing, and the
// larger of the image and the wall measures is used.
func TestPoolSpread(t *testing.T) {
	e := math.Exp
	// Cell A: log factors -0.1, 0, 0.1 (SS 0.02, 2 df); cell B: -0.05,
	// 0.05 (SS 0.005, 1 df); cell C: one trial. Walls equal: no spread.
	imsA, trA := cellObs([]float64{10, 20, 30}, []string{"a"}, []float64{e(-0.1), 1, e(0.1)})
	imsB, trB := cellObs([]float64{5, 50}, []string{"b"}, []float64{e(-0.05), e(0.05)})
	imsC, trC := cellObs([]float64{7}, []string{"c"}, []float64{1.3})
	trA, trB, trC = withWalls(trA, 60, 60, 60), withWalls(trB, 40, 40), withWalls(trC, 9)
	cells := []CellTrials{{Images: imsA, Trials: trA}, {Images: imsB, Trials: trB}, {Images: imsC, Trials: trC}}
	s := PoolSpread(cells)
	want := math.Sqrt(0.025 / 3)
	if math.Abs(s.ImageLogSD-want) > 1e-9 || s.DF != 3 || s.Cells != 2 || s.LogSD != s.ImageLogSD || s.WallLogSD != 0 || s.WallDF != 3 {
		t.Errorf("image spread: got %+v, want log sd %.6f over 2 cells, 3 df", s, want)
	}
	if !s.Usable(2) || s.Usable(3) {
		t.Errorf("3 pooled df: usable for a 3-trial cell %v (want true), for a 4-trial cell %v (want false)", s.Usable(2), s.Usable(3))
	}

	// Walls that vary more than the image means (a shared stage whose
	// time is in no image's seconds): the wall spread is used. A trial
	// that built fewer images is left out of the walls.
	trA = withWalls(trA, 60*e(-0.3), 60, 60*e(0.3))
	trB = withWalls(trB, 40, 40*e(0.2))
	trB = append(trB, TrialObs{Trial: 9, Images: 1, WallSeconds: 5, SumImageSeconds: 27.5})
	s = PoolSpread([]CellTrials{{Images: imsA, Trials: trA}, {Images: imsB, Trials: trB}})
	// Walls: cell A's logs about their mean -0.3, 0, 0.3 (SS 0.18);
	// cell B's 0 and 0.2 about a mean wall that is not their log mean:
	// the SS of the logs about their own mean is 0.02. 3 df.
	wantWall := math.Sqrt(0.2 / 3)
	if math.Abs(s.WallLogSD-wantWall) > 1e-9 || s.WallDF != 3 || s.LogSD != s.WallLogSD || s.DF != 3 {
		t.Errorf("wall spread: got %+v, want wall log sd %.6f with 3 df, used", s, wantWall)
	}

	if s := PoolSpread([]CellTrials{{Images: imsC, Trials: trC}}); s != (Spread{}) || s.Usable(0) {
		t.Errorf("one trial: got %+v, want the zero Spread, not usable", s)
	}
}

// TestPredictPooledSpread: a cell whose three trials happen to agree
// predicts an interval as narrow as the image resampling alone, narrower
// than the machine's drift; with the sweep's pooled spread it widens. A
// cell with one outlying trial draws from the pooled spread too, narrower
// than its own three factors allow.
func TestPredictPooledSpread(t *testing.T) {
	// Images close in cost: the resampling alone gives a narrow interval.
	base := []float64{15, 15.5, 14.5, 15.2, 14.8, 15.1, 14.9, 15.3, 14.7, 15}
	width := func(factors []float64, s Spread) (Prediction, float64) {
		t.Helper()
		ims, trials := cellObs(base, []string{"a"}, factors)
		p, err := Predict(PredictInput{Images: ims, Trials: trials, N: 40, Workers: 2, Reps: 2000, Seed: 3, Spread: s})
		if err != nil {
			t.Fatal(err)
		}
		return p, p.Hi / p.Lo
	}
	pooled := Spread{LogSD: 0.05, DF: 12, Cells: 6}

	agree := []float64{1, 1, 1}
	own, wOwn := width(agree, Spread{})
	got, wPooled := width(agree, pooled)
	if own.SpreadPooled || !got.SpreadPooled || got.FactorDF != 12 || got.FactorLogSD != 0.05 {
		t.Errorf("pooled flags: own %v, with the spread %v (df %d, sd %v)", own.SpreadPooled, got.SpreadPooled, got.FactorDF, got.FactorLogSD)
	}
	// A ±5% machine: the 90% interval of the factor alone spans about
	// exp(2 × 1.78 × 0.05 × 1.15) = 1.23.
	if !(wPooled > wOwn*1.15) {
		t.Errorf("three agreeing trials: interval width %.3f with the pooled spread, %.3f without: want it wider by the machine's drift", wPooled, wOwn)
	}

	outlier := []float64{0.7, 1, 1.3}
	_, wOut := width(outlier, Spread{})
	_, wOutPooled := width(outlier, pooled)
	if !(wOutPooled < wOut/1.3) {
		t.Errorf("one outlying trial: interval width %.3f with the pooled spread, %.3f without: want it narrower", wOutPooled, wOut)
	}

	// A pooled spread with no more degrees of freedom than the cell's
	// own is not used.
	if p, _ := width([]float64{0.95, 1, 1.05}, Spread{LogSD: 0.3, DF: 2, Cells: 1}); p.SpreadPooled || p.FactorDF != 2 {
		t.Errorf("2 pooled df for a 3-trial cell: pooled %v, df %d; want the cell's own 2", p.SpreadPooled, p.FactorDF)
	}
	// A one-trial cell has no spread of its own: the pooled one is drawn
	// about its factor.
	p1, w1 := width([]float64{1}, pooled)
	if !p1.SpreadPooled || !(w1 > 1.15) {
		t.Errorf("one trial with the pooled spread: pooled %v, width %.3f", p1.SpreadPooled, w1)
	}
}
