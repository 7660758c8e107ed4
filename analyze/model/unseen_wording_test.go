package model

import (
	"errors"
	"strings"
	"testing"
)

// TestWidthWarningRatioAboveLimit: a ratio just above MaxTestableRatio
// is printed with the digits that show it is above ("2.05x"), never as
// "a factor of 2x (more than 2x)".
func TestWidthWarningRatioAboveLimit(t *testing.T) {
	p := Prediction{Lo: 1195, Hi: 2448, TooWide: true} // 19m55s-40m48s: 2.049x
	w := p.WidthWarning()
	if strings.Contains(w, "factor of 2x") || !strings.Contains(w, "factor of 2.05x") {
		t.Errorf("WidthWarning = %q, want the factor 2.05x", w)
	}
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{{1, 4.9, "4.9x"}, {1, 24.3, "24x"}, {1, 2.0004, "2.0004x"}, {0, 3, "infinity"}} {
		if got := ratioText(c.lo, c.hi); got != c.want {
			t.Errorf("ratioText(%v, %v) = %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

// TestVerbS: "1 runner moves 17.4 MiB/s", not "1 runner move".
func TestVerbS(t *testing.T) {
	if verbS(1, "move") != "moves" || verbS(2, "move") != "move" {
		t.Error("verbS does not agree with its count")
	}
}

// TestWithFloor: simulated builds below the floor are raised to it, the
// summary is taken again, and a too-wide warning that no longer holds is
// dropped.
func TestWithFloor(t *testing.T) {
	p := Prediction{Images: 10, Samples: []float64{10, 20, 30, 40, 50}, Confidence: 0.9}
	p.Median, p.Mean, p.Lo, p.Hi = summarize(p.Samples, 0.9)
	p.TooWide = true
	p.Warnings = []string{"other", p.WidthWarning()}
	q := p.WithFloor(35, "the link")
	if q.Lo != 35 || q.Median != 35 || q.Hi < 45 {
		t.Errorf("floored: %v (%v-%v)", q.Median, q.Lo, q.Hi)
	}
	if q.TooWide || len(q.Warnings) != 2 || q.Warnings[0] != "other" || q.Warnings[1] != "the link" {
		t.Errorf("too wide %v, warnings %q", q.TooWide, q.Warnings)
	}
	if p.Samples[0] != 10 {
		t.Error("WithFloor changed the samples of its receiver")
	}
	if r := p.WithFloor(5, "unused"); r.Lo != p.Lo || len(r.Warnings) != len(p.Warnings) {
		t.Errorf("a floor below Lo changed the prediction: %+v", r)
	}
}

// TestInfeasibleNamesFastest: when every candidate is ruled out, the
// error names the fastest one, its prediction and what ruled it out,
// not only "deadline ruled out 2: infeasible".
func TestInfeasibleNamesFastest(t *testing.T) {
	cands := []Candidate{cand("slow", 1, 300, 100, 1), cand("fast", 2, 120, 200, 1)}
	_, err := Recommend(cands, Constraints{Deadline: 1})
	if err == nil || !errors.Is(err, ErrInfeasible) {
		t.Fatalf("err = %v, want ErrInfeasible", err)
	}
	if !strings.Contains(err.Error(), "the fastest, fast, predicted at 2m00s, was ruled out by the deadline") {
		t.Errorf("err = %v: does not name the fastest and why", err)
	}
}
