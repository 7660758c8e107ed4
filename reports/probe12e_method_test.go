package reports

import (
	"strings"
	"testing"
)

// A sweep of --reps 1 had its Method say "Trials: 1 reps per cell".
func TestProbe12eOneRepMethod(t *testing.T) {
	var d Data
	d.Method.Reps = 1
	d.Method.Temps = []string{"cold"}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if s := string(md); strings.Contains(s, "1 reps") || !strings.Contains(s, "1 rep per cell") {
		t.Errorf("method of a one-rep sweep:\n%s", s)
	}
}
