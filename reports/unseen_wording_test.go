package reports

import (
	"strings"
	"testing"
)

// TestRunnerUpGapNamesItsTest: when the runner-up's gap is judged by the
// t-tests on logs (too few trials for Mann-Whitney), the decision names
// those tests' p-values, not "significant (p = 0.1)" with the
// Mann-Whitney p above alpha beside it.
func TestRunnerUpGapNamesItsTest(t *testing.T) {
	d := sampleData()
	d.Decision.Significant = true
	d.Decision.GapP = 0.1
	d.Decision.GapWelchP, d.Decision.GapPooledP = 0.0469, 0.000175
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	got := string(md)
	if strings.Contains(got, "significant (p = 0.1)") {
		t.Errorf("a significant gap printed beside p = 0.1 alone:\n%s", got)
	}
	if !strings.Contains(got, "The gap to it is significant (t-tests on logs: Welch p = 0.0469, pooled-variance p = 0.000175") {
		t.Errorf("the decision does not name the t-tests it rests on:\n%s", got)
	}
	// Mann-Whitney alone: unchanged.
	d.Decision.GapWelchP, d.Decision.GapPooledP = 0, 0
	d.Decision.Significant, d.Decision.GapP = false, 0.2143
	md, _ = Markdown(d, "")
	if !strings.Contains(string(md), "The gap to it is not significant (p = 0.214)") {
		t.Errorf("Mann-Whitney gap changed:\n%s", md)
	}
}

// TestSummaryBestHasNoP: the summary's best cell is not tested against
// itself, so its p column is "–", not "1".
func TestSummaryBestHasNoP(t *testing.T) {
	var b strings.Builder
	summaryTable(&b, "cold trials", map[string][]float64{
		"w2-stream-off-single": {801.7, 721.4, 917.4},
		"w1-stream-off-single": {625.4, 594.1, 725.2},
	})
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, "| best |") && !strings.Contains(line, "| – | best |") {
			t.Errorf("best row %q: want p \"–\"", line)
		}
	}
}

// TestUSLTableRoundingNoise: a σ or κ interval end of 4.04e-17 (the
// optimizer's rounding at the bound 0) is shown as 0.
func TestUSLTableRoundingNoise(t *testing.T) {
	d := sampleData()
	d.Model.USL[0].Sigma = [3]float64{0.168, 4.04e-17, 1.04}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "e-17") || !strings.Contains(string(md), "0.168 (0–1.04)") {
		t.Errorf("σ shown with rounding noise:\n%s", md)
	}
}

// TestValidationTableNamesImages: a validated build can be another size
// than the build the predictions are for (a 40-image full build of a
// sweep whose predictions are for its 8-image list); the validation table
// says how many images each validated build had.
func TestValidationTableNamesImages(t *testing.T) {
	d := sampleData()
	d.Validation[0].Images = 40
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| configuration | images | predicted |") || !strings.Contains(string(md), "| workers=4 batch=stream cache=off | 40 | 1h52m |") {
		t.Errorf("validation table without the validated build's images:\n%s", md)
	}
}

// TestPredictionTableExplainsPairedPercent: the decision says "20%
// slower than the baseline" (pair by pair) while the predictions table
// says "16% slower" (medians); the report says why the two differ.
func TestPredictionTableExplainsPairedPercent(t *testing.T) {
	d := sampleData()
	// 1h52m against 2h43m: 31% faster by medians; pair by pair 35%.
	d.Decision.SavingFraction = Interval{Median: 0.35, Lo: 0.2, Hi: 0.45}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "the decision's 35% is the median over paired simulated builds") {
		t.Errorf("no note on the two percentages:\n%s", md)
	}
	d.Decision.SavingFraction = Interval{Median: 0.31, Lo: 0.2, Hi: 0.45}
	md, _ = Markdown(d, "")
	if strings.Contains(string(md), "paired simulated builds, each pair") {
		t.Errorf("a note though both read 31%%:\n%s", md)
	}
}
