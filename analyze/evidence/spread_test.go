package evidence

import "testing"

// TestAnalysisPoolsSpread: the analysis pools the trial spread over its
// four cold cells (5 reps each: 16 degrees of freedom; the warm cell is
// left out), and a prediction draws its build's speed from that pool, not
// from its own cell's 4 degrees of freedom.
func TestAnalysisPoolsSpread(t *testing.T) {
	a := loadSweep(t)
	s := a.Models.Spread
	if s.Cells != 4 || s.DF != 16 || !(s.LogSD > 0) {
		t.Fatalf("pooled spread %+v: want 4 cold cells, 16 degrees of freedom, a positive spread", s)
	}
	p, err := a.Predict(w2, Target{Images: 60})
	if err != nil {
		t.Fatal(err)
	}
	if !p.SpreadPooled || p.FactorDF != 16 || p.FactorLogSD != s.LogSD {
		t.Errorf("prediction of %s: pooled %v, df %d, log sd %v; want the analysis's %+v", w2.Name(), p.SpreadPooled, p.FactorDF, p.FactorLogSD, s)
	}
}
