package reports

import (
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// TestRecommendationTextLoss: a pick slower than the baseline (a target of
// one image, where the baseline's extrapolation came out faster) printed
// "Saving against the baseline: -0.63s (-4.36s to 1.54s)", a negative
// time; it is said as the loss it is, as the reasons say it.
func TestRecommendationTextLoss(t *testing.T) {
	r := evidence.Recommendation{
		Recommended: evidence.Choice{Name: "w1-b3-off-single", PredictedS: evidence.Interval{Median: 2.5, Lo: 1, Hi: 6}},
		Baseline:    &evidence.Choice{Name: "w4-b15-max-single", PredictedS: evidence.Interval{Median: 1.9, Lo: 1, Hi: 3.6}},
		SavingS:     &evidence.Interval{Median: -0.63, Lo: -4.36, Hi: 1.54},
	}
	got := RecommendationText(r)
	if strings.Contains(got, "Saving against the baseline: -") {
		t.Errorf("a negative saving printed as one:\n%s", got)
	}
	if !strings.Contains(got, "takes longer by 0.63s (-1.54s to 4.36s)") {
		t.Errorf("want the loss, 0.63s (-1.54s to 4.36s):\n%s", got)
	}
	r.SavingS = &evidence.Interval{Median: 30, Lo: 10, Hi: 50}
	if got := RecommendationText(r); !strings.Contains(got, "Saving against the baseline: "+duration(30)+" ("+duration(10)+" to "+duration(50)+")") {
		t.Errorf("a positive saving:\n%s", got)
	}
}

// TestRecommendationTextBaselinePicked: when the pick is the baseline,
// `recommend` says to keep it, not "Saving against the baseline: 0s (0s
// to 0s)".
func TestRecommendationTextBaselinePicked(t *testing.T) {
	c := evidence.Choice{Name: "w2-stream-off-single", PredictedS: evidence.Interval{Median: 241, Lo: 125, Hi: 471}}
	r := evidence.Recommendation{Recommended: c, Baseline: &c, SavingS: &evidence.Interval{}, Confident: true}
	got := RecommendationText(r)
	if strings.Contains(got, "Saving against the baseline") || !strings.Contains(got, "Baseline: w2-stream-off-single, the same settings: keep them") {
		t.Errorf("the baseline picked:\n%s", got)
	}
}
