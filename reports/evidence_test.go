package reports

import (
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// TestRecommendationTextPickedCheapest: when the pick is the cheapest of
// the settings equivalent to the fastest, the text names the fastest as
// such, not as a runner-up whose gap is "significant".
func TestRecommendationTextPickedCheapest(t *testing.T) {
	r := evidence.Recommendation{
		Images: 40, Confident: true, PickedCheapest: true, Significant: true,
		Recommended: evidence.Choice{Name: "w4-stream-off-single", PredictedS: evidence.Interval{Median: 52, Lo: 50, Hi: 55}},
		RunnerUp:    &evidence.Choice{Name: "w4-stream-max-single", PredictedS: evidence.Interval{Median: 50.8, Lo: 45, Hi: 56}},
	}
	got := RecommendationText(r)
	for _, want := range []string{"Recommended: w4-stream-off-single, predicted 52.0s (50.0s-55.0s) for 40 images",
		"Fastest: w4-stream-max-single, predicted 50.8s", "equivalent to the recommended"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Runner-up") || strings.Contains(got, "significant") {
		t.Errorf("the fastest reads as a runner-up:\n%s", got)
	}
	r.PickedCheapest = false
	if got := RecommendationText(r); !strings.Contains(got, "Runner-up: w4-stream-max-single") || !strings.Contains(got, "the gap in throughput is significant") {
		t.Errorf("runner-up line missing:\n%s", got)
	}
}

// TestUSLRowUnboundedPeak: an N* interval whose upper end analysis.json
// stores as 0 (resamples without a peak) reads as unbounded, not 0.
func TestUSLRowUnboundedPeak(t *testing.T) {
	r := uslRow(evidence.USLSeries{CacheMode: "max", Strategy: "single", Batch: 3, NStar: 10.3, NStarLo: 6, NStarHi: 0})
	if got := estimate(r.NStar, workers); got != "10.3 (6.0–∞)" {
		t.Errorf("N* = %q, want 10.3 (6.0–∞)", got)
	}
	r = uslRow(evidence.USLSeries{NStar: 0})
	if got := estimate(r.NStar, workers); got != "∞" {
		t.Errorf("no peak: N* = %q, want ∞", got)
	}
	r = uslRow(evidence.USLSeries{NStar: 7, NStarLo: 5, NStarHi: 9})
	if got := estimate(r.NStar, workers); got != "7.0 (5.0–9.0)" {
		t.Errorf("bounded: N* = %q", got)
	}
}

// TestShortCellInterval: a cell with too few trials for a 95% interval
// shows its range with the range's coverage, and the text says why.
func TestShortCellInterval(t *testing.T) {
	d := sampleData()
	d.Cells[0].N, d.Cells[0].CIConfidence = 3, 0.75
	d.Cells[1].CIConfidence = 0.95
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	if !strings.Contains(s, "(range, 75%)") || !strings.Contains(s, "fewer than 6 trials has no 95% interval") {
		t.Errorf("a 3-trial cell's interval is not marked as a range:\n%s", s)
	}
	if strings.Count(s, "(range,") != 1 {
		t.Errorf("a cell with a 95%% interval is marked as a range:\n%s", s)
	}
}

// TestRankNote: when the pick is not the cell the cells table ranks
// first, the decision says why the two orders differ.
func TestRankNote(t *testing.T) {
	d := sampleData()
	const note = "ranks the settings by their predicted time"
	d.Decision.Recommended.Cell = d.Cells[0].Name
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), note) {
		t.Errorf("a pick that tops the cells table gets the note:\n%s", md)
	}
	d.Decision.Recommended.Cell = d.Cells[1].Name
	if md, _ = Markdown(d, ""); !strings.Contains(string(md), "ranks "+d.Cells[0].Name+" first") || !strings.Contains(string(md), note) {
		t.Errorf("no note for a pick below the table's first cell:\n%s", md)
	}
}

// TestAgainstBaselineFraction: the percentage against the baseline comes
// from the pair-by-pair fraction when known, so no end passes 100% faster
// (the saving's seconds over the baseline's median did: "-148%").
func TestAgainstBaselineFraction(t *testing.T) {
	dec := Decision{
		Recommended: ConfigPrediction{Name: "workers=2 batch=2", Median: 26.4, Lo: 20, Hi: 40},
		Baseline:    ConfigPrediction{Name: "workers=4 batch=15", Median: 22.7, Lo: 10, Hi: 60},
		Saving:      Interval{Median: -3.7, Lo: -33.6, Hi: 19.7},
	}
	// 148% slower at the far end, said as the table says it.
	if got := againstBaseline(dec); !strings.Contains(got, "2.5x as long") {
		t.Fatalf("without a fraction the old arithmetic stands: %q", got)
	}
	dec.SavingFraction = Interval{Median: -0.16, Lo: -0.9, Hi: 0.6}
	got := againstBaseline(dec)
	// An interval across zero says both ends in words, not "(-60–90%)".
	if !strings.Contains(got, "16% slower (between 60% faster and 90% slower) than the baseline") || strings.Contains(got, "148") {
		t.Errorf("againstBaseline = %q, want the pair-by-pair 16%% slower (between 60%% faster and 90%% slower)", got)
	}
}
