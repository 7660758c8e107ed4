package model

import "testing"

// TestUnseenOneImageWording: one target image of a repo the sweep never
// built "has no observations of its repo", not "have ... of their repo".
func TestUnseenOneImageWording(t *testing.T) {
	ims, trials := cellObs([]float64{200, 50, 200, 50, 200, 50}, []string{"slow", "fast"}, []float64{1, 1})
	in := PredictInput{Images: ims, Trials: trials, Workers: 2, Reps: 50, Seed: 5,
		Repos: []string{"slow", "fast", "fast", "new"}}
	p, err := Predict(in)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(p.Warnings, "1 of 4 target images (1 repo) has no observations of its repo: drawn from the pooled set") {
		t.Errorf("warnings %q", p.Warnings)
	}
	in.Repos = []string{"slow", "new", "new", "other"}
	if p, _ = Predict(in); !hasWarning(p.Warnings, "3 of 4 target images (2 repos) have no observations of their repo") {
		t.Errorf("warnings %q", p.Warnings)
	}
}
