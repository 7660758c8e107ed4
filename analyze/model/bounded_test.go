package model

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestPredictTwoTrialsBounded: with two trials the predictive of the next
// trial's factor is a Cauchy; drawn unbounded, two trials 1.5x apart gave
// a 90% interval some 60x wide (builds far faster than any trial). The
// draw is bounded to the measured range widened by FactorWidening ranges
// at each end, and the interval is flagged too wide to test anything.
func TestPredictTwoTrialsBounded(t *testing.T) {
	ims, trials := cellObs([]float64{10, 10, 10, 10}, []string{"django"}, []float64{1, 1.5})
	p, err := Predict(PredictInput{Images: ims, Trials: trials, N: 10, Workers: 1, Reps: 4000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	// Factors 0.8 and 1.2 of a pooled 12.5 s: a build is 125 s × factor.
	lo, hi := 0.8/math.Pow(1.5, FactorWidening), 1.2*math.Pow(1.5, FactorWidening)
	if p.Lo < 125*lo-1e-9 || p.Hi > 125*hi+1e-9 {
		t.Errorf("interval %v-%v outside the bounded %v-%v", p.Lo, p.Hi, 125*lo, 125*hi)
	}
	for _, s := range p.Samples {
		if s < 125*lo-1e-9 || s > 125*hi+1e-9 {
			t.Fatalf("a simulated build of %v s, outside the bounded %v-%v", s, 125*lo, 125*hi)
		}
	}
	if !p.TooWide || !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "too wide to test the prediction") }) {
		t.Errorf("interval %v-%v: too wide %v, warnings %q", p.Lo, p.Hi, p.TooWide, p.Warnings)
	}

	// Two trials 2% apart: bounded near them, testable.
	ims, trials = cellObs([]float64{10, 10, 10, 10}, []string{"django"}, []float64{0.99, 1.01})
	p, err = Predict(PredictInput{Images: ims, Trials: trials, N: 10, Workers: 1, Reps: 4000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if p.TooWide || p.Hi/p.Lo > math.Pow(1.01/0.99, 1+2*FactorWidening)+1e-9 {
		t.Errorf("two close trials: interval %v-%v, too wide %v", p.Lo, p.Hi, p.TooWide)
	}
}

// TestPredictOrderIndependent: the same target repos in another order is
// the same prediction, rep by rep (the draws used to follow the order in
// which repos were first listed).
func TestPredictOrderIndependent(t *testing.T) {
	ims, trials := cellObs([]float64{10, 30, 12, 50, 8, 25}, []string{"django", "sympy", "astropy"}, []float64{0.95, 1, 1.08})
	repos := []string{"sympy", "django", "astropy", "django", "sympy", "flask", "astropy", "django", "sympy", "django"}
	in := PredictInput{Images: ims, Trials: trials, Repos: repos, Workers: 2, Batch: 3, Reps: 300, Seed: 11}
	p, err := Predict(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, perm := range [][]string{slices.Sorted(slices.Values(repos)), reversed(repos)} {
		in.Repos = perm
		q, err := Predict(in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Samples, q.Samples) {
			t.Errorf("repos %q: median %v, want %v as for %q", perm, q.Median, p.Median, repos)
		}
	}
	if !slices.Equal(repos, []string{"sympy", "django", "astropy", "django", "sympy", "flask", "astropy", "django", "sympy", "django"}) {
		t.Errorf("Predict reordered its input: %q", repos)
	}
}

func reversed(xs []string) []string {
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}
