package plot

import (
	"bytes"
	"testing"
)

// TestPredictionLabelsAsTheReport: the predictions chart labels each
// configuration as the report's tables write durations (1m04s), not in
// decimal minutes ("1.06 min" reads as 1m06s), and names the deadline
// the same way.
func TestPredictionLabelsAsTheReport(t *testing.T) {
	ch, err := Predictions(PredictionData{DeadlineSeconds: 90, Configs: []PredictedConfig{
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
