package plot

import (
	"bytes"
	"fmt"
	"testing"
)

// TestPredictionLabelsAsTheReport: the predictions chart labels each
// configuration with the Duration it is given (the report's, 1m04s), not
// in decimal minutes ("1.06 min" reads as 1m06s), and names the deadline
// the same way.
func TestPredictionLabelsAsTheReport(t *testing.T) {
	ch, err := Predictions(PredictionData{DeadlineSeconds: 90, Duration: testDuration, Configs: []PredictedConfig{
		{Name: "a", Seconds: Interval{Median: 64, Lo: 42.8, Hi: 114}},
		{Name: "b", Seconds: Interval{Median: 29.6, Lo: 17.2, Hi: 125}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := SVG(ch, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1m04s (42.8s–1m54s)", "29.6s (17.2s–2m05s)", "deadline 1m30s"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("chart has no label %q", want)
		}
	}
	if bytes.Contains(b, []byte(" min (")) {
		t.Error("a label in decimal minutes")
	}
}

// testDuration writes seconds as the report does (analyze.FormatSeconds,
// which this package may not import) for the values of the test above.
func testDuration(s float64) string {
	if s < 60 {
		return fmt.Sprintf("%.1fs", s)
	}
	return fmt.Sprintf("%dm%02ds", int(s)/60, int(s+0.5)%60)
}
