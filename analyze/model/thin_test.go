package model

import (
	"strings"
	"testing"
)

// TestRecommendOneTrialIsALead: a pick that rests on one trial (a
// 1-rep sweep) is a lead, not a confident recommendation, whatever its
// interval looks like; and one candidate is "the only feasible
// candidate", not "1 feasible candidates".
func TestRecommendOneTrialIsALead(t *testing.T) {
	c := cand("only", 1, 1000, 100, 1e6)
	c.Throughput = c.Throughput[:1]
	rec, err := Recommend([]Candidate{c}, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Confident {
		t.Errorf("confident with 1 trial; warnings %q", rec.Warnings)
	}
	if !hasWarning(rec.Warnings, "only rests on 1 trial") {
		t.Errorf("warnings %q do not say it rests on 1 trial", rec.Warnings)
	}
	if r := strings.Join(rec.Reasons, "\n"); !strings.Contains(r, "the only feasible candidate") || strings.Contains(r, "1 feasible candidates") {
		t.Errorf("reasons %q", rec.Reasons)
	}
}

// TestRecommendZeroWidthIsALead: a predicted interval of zero width
// (every simulated build the same) shows no uncertainty, not a certain
// time: the recommendation is not confident, and says why.
func TestRecommendZeroWidthIsALead(t *testing.T) {
	c := cand("flat", 2, 1000, 100, 1e6)
	c.Prediction.Lo, c.Prediction.Hi = 1000, 1000
	rec, err := Recommend([]Candidate{c}, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Confident || !hasWarning(rec.Warnings, "zero width") {
		t.Errorf("confident %v, warnings %q", rec.Confident, rec.Warnings)
	}
	// The same candidate with an interval and 12 trials stays confident.
	rec, err = Recommend([]Candidate{cand("wide", 2, 1000, 100, 1e6)}, Constraints{})
	if err != nil || !rec.Confident {
		t.Errorf("a plain single candidate: confident %v err %v warnings %q", rec.Confident, err, rec.Warnings)
	}
}

// TestRecommendTooWideIsNotEquivalent: medians within the margin and
// overlapping intervals are no evidence of equivalence when an interval
// spans more than MaxTestableRatio (overlap is then guaranteed): the
// cheaper candidate is not picked, the two are "not separated", and the
// warning that more trials are needed is given (the sD probe: 4.45s-17.2s
// against a cheaper cell measured at 0.863x).
func TestRecommendTooWideIsNotEquivalent(t *testing.T) {
	mk := func(name string, workers int, median, lo, hi, tput, bytes float64) Candidate {
		c := cand(name, workers, median, tput, bytes)
		c.Throughput = []float64{tput * 0.9, tput * 1.1}
		c.Prediction.Lo, c.Prediction.Hi = lo, hi
		c.Prediction.TooWide = hi > MaxTestableRatio*lo
		return c
	}
	fast := mk("w2", 2, 9.22, 4.45, 17.2, 1000, 600e3)
	cheap := mk("w1", 1, 9.37, 9.22, 9.52, 863, 575e3)
	rec, err := Recommend([]Candidate{fast, cheap}, Constraints{EquivalenceMargin: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	if rec.PickedCheapest || rec.Best.Config.Name != "w2" || len(rec.Equivalent) != 1 {
		t.Errorf("picked %s (cheapest %v), equivalent %v: equivalence claimed from a 3.9x interval", rec.Best.Config.Name, rec.PickedCheapest, rec.Equivalent)
	}
	if !hasWarning(rec.Reasons, "not separated") || !hasWarning(rec.Reasons, "too wide to test") {
		t.Errorf("reasons %q", rec.Reasons)
	}
	if !hasWarning(rec.Warnings, "differ neither significantly nor within ±3%") || rec.Confident {
		t.Errorf("confident %v, warnings %q", rec.Confident, rec.Warnings)
	}
	// Narrow intervals with close medians still count as equivalent in
	// predicted time, and the cost figure shows the small size.
	fast = simulated(mk("w2", 2, 9.22, 9.0, 9.5, 1000, 600e3), 0.005, 0)
	cheap = simulated(cheap, 0.005, 101)
	rec, err = Recommend([]Candidate{fast, cheap}, Constraints{EquivalenceMargin: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.PickedCheapest || rec.Best.Config.Name != "w1" {
		t.Errorf("narrow intervals: picked %s (cheapest %v)", rec.Best.Config.Name, rec.PickedCheapest)
	}
	if !hasWarning(rec.Reasons, "(561.5 KiB to the registry per image, 1 worker)") || hasWarning(rec.Reasons, "0.00 GB") {
		t.Errorf("cost figure: reasons %q", rec.Reasons)
	}
}

// TestRecommendTTestsNotMade: with 2 trials a side the t-tests on logs
// are not made (LogTTests returns p = 1 by convention), and the reason
// says so instead of printing p=1.
func TestRecommendTTestsNotMade(t *testing.T) {
	a, b := cand("a", 2, 1000, 7200, 1e6), cand("b", 1, 1400, 5000, 1e6)
	a.Throughput, b.Throughput = []float64{7172, 7246}, []float64{4836, 5163}
	rec, err := Recommend([]Candidate{a, b}, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	r := strings.Join(rec.Reasons, "\n")
	if !strings.Contains(r, "t-tests on logs not made (need 3 trials a side): not separable at alpha") || strings.Contains(r, "Welch p=1") || strings.Contains(r, "pooled-variance p=1") {
		t.Errorf("reasons %q", rec.Reasons)
	}
	if rec.GapWelchP != 0 || rec.GapPooledP != 0 || rec.Significant || rec.Confident {
		t.Errorf("gap p %v %v significant %v confident %v", rec.GapWelchP, rec.GapPooledP, rec.Significant, rec.Confident)
	}
	if !hasWarning(rec.Warnings, "the t-tests on logs cannot be made (need 3 trials a side)") {
		t.Errorf("warnings %q", rec.Warnings)
	}
	// With 3 a side they are made, and their p-values printed.
	a.Throughput, b.Throughput = []float64{7172, 7246, 7200}, []float64{4836, 5163, 5000}
	rec, err = Recommend([]Candidate{a, b}, Constraints{})
	if err != nil || !hasWarning(rec.Reasons, "t-tests on logs: Welch p=") {
		t.Errorf("3 a side: err %v reasons %q", err, rec.Reasons)
	}
}

// TestRegistryBytesShown: sizes are written with a unit that shows them,
// not as 0.00 GB for the small images of a test sweep.
func TestRegistryBytesShown(t *testing.T) {
	big, small := cand("big", 2, 1000, 100, 3<<20), cand("small", 2, 1100, 90, 1<<20)
	rec, err := Recommend([]Candidate{big, small}, Constraints{MaxRegistryBytes: 500 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Excluded) != 1 || rec.Excluded[0].Detail != "1.3 GiB to the registry against at most 500.0 MiB" {
		t.Errorf("excluded %+v", rec.Excluded)
	}
}
