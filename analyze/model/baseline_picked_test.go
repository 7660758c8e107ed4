package model

import (
	"strings"
	"testing"
)

// TestRecommendBaselinePicked: when the pick is the baseline itself, the
// reasons say to keep it, not "Against old it saves 0s [0s, 0s]".
func TestRecommendBaselinePicked(t *testing.T) {
	best, other := cand("old", 4, 30, 100, 1e9), cand("new", 8, 40, 50, 1e9)
	best.Prediction.Samples = []float64{28, 30, 32}
	other.Prediction.Samples = []float64{38, 40, 42}
	rec, err := Recommend([]Candidate{best, other}, Constraints{Baseline: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Best.Config.Name != "old" {
		t.Fatalf("testdata: picked %s, want the baseline", rec.Best.Config.Name)
	}
	r := strings.Join(rec.Reasons, "\n")
	if strings.Contains(r, "Against old it") || !strings.Contains(r, "It is the baseline, old: keep it.") {
		t.Errorf("reasons %q", rec.Reasons)
	}
	if rec.Saving == nil || rec.Saving.Median != 0 {
		t.Errorf("saving %+v, want a zero saving still recorded", rec.Saving)
	}
}
