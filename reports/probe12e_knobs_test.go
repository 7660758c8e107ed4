package reports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// On a grid of 60 cells each knob has up to 60 pairs, and the Knobs
// section printed every one of them on one line: 11,000 characters of
// "w1-b3-max-single and w1-b3-min-single: neither different nor shown
// equivalent (p=1)" that no reviewer reads. A knob of many pairs is
// summarised by its counts and its first pairs (those that differ come
// first), the rest left to analysis.json.
func TestProbe12eKnobsSummarised(t *testing.T) {
	k := evidence.Knob{Knob: "cache_mode", Verdict: evidence.KnobMatters, Pairs: 40, Different: 2, Equivalent: 3}
	for i := range 2 {
		k.Details = append(k.Details, fmt.Sprintf("w%d-b3-max-single and w%d-b3-off-single differ (Holm-adjusted p=0.01)", i, i))
	}
	for i := range 3 {
		k.Details = append(k.Details, fmt.Sprintf("w%d-b3-min-single and w%d-b3-off-single are equivalent within ±3%%", i, i))
	}
	for i := range 35 {
		k.Details = append(k.Details, fmt.Sprintf("w%d-stream-max-single and w%d-stream-min-single: neither different nor shown equivalent (p=1)", i, i))
	}
	got := knobFinding(k)
	if len(got) > 1000 {
		t.Errorf("knob finding of %d characters:\n%s", len(got), got)
	}
	for _, want := range []string{"matters", "40 pairs", "2 differ", "3 equivalent", "35 neither",
		"w0-b3-max-single and w0-b3-off-single differ", "w1-b3-max-single and w1-b3-off-single differ", "analysis.json"} {
		if !strings.Contains(got, want) {
			t.Errorf("knob finding lacks %q:\n%s", want, got)
		}
	}
	// A knob of few pairs is listed in full, as before.
	few := evidence.Knob{Knob: "workers", Verdict: evidence.KnobMatters, Pairs: 1, Different: 1, Details: []string{"w1-b3-off-single and w2-b3-off-single differ (Holm-adjusted p=0.01)"}}
	if got, want := knobFinding(few), "matters: w1-b3-off-single and w2-b3-off-single differ (Holm-adjusted p=0.01)"; got != want {
		t.Errorf("few pairs: %q, want %q", got, want)
	}
}
