package evidence

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/input"
)

var (
	w1max  = Config{Workers: 1, Batch: 3, CacheMode: "max", Strategy: "single"}
	w2s    = Config{Workers: 2, Batch: 0, CacheMode: "off", Strategy: "single"}
	w4b15x = Config{Workers: 4, Batch: 15, CacheMode: "max", Strategy: "single"}
	w4b15o = Config{Workers: 4, Batch: 15, CacheMode: "off", Strategy: "single"}
)

// oneWorkerRun is the sE probe's shape: only workers=1 measured, batch 3,
// cache off and max, 2 reps. No worker count to fit a USL to, no image
// seen at two crowdings: no scaling model.
func oneWorkerRun(t *testing.T) *Analysis {
	t.Helper()
	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{
		{cfg: w1, seconds: 9, reps: 2, temp: "cold", fixed: 1},
		{cfg: w1max, seconds: 9.3, reps: 2, temp: "cold", fixed: 1},
	}, instances, 0.01, map[string]any{"workers": []int{1}, "batch": []any{3}}, false)
	return analyzeDir(t, dir)
}

// TestPredictRefusesWithoutScalingModel: a configuration that runs more
// builds at once than its family was measured at, with no USL or crowding
// fit, cannot be predicted (unscaled per-image seconds would assume a
// perfectly linear speed-up: the sE probe's 4x on 2 cores). It is refused
// as an unmeasured cache mode is: bad input, naming what was measured and
// what is needed. Its own builds at once, at another batch, still are.
func TestPredictRefusesWithoutScalingModel(t *testing.T) {
	a := oneWorkerRun(t)
	_, err := a.Predict(w4b15x, Target{Images: 433, Seed: 1})
	if !errors.Is(err, ErrNoScalingModel) || !errors.Is(err, input.ErrBad) {
		t.Fatalf("w4 from w1 only: err = %v, want ErrNoScalingModel and input.ErrBad", err)
	}
	for _, want := range []string{"cannot be predicted from this sweep", "4 builds at once", "cache max, strategy single at 1 build at once only", "sweep at least two worker counts to extrapolate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	p, err := a.Predict(Config{Workers: 1, Batch: 15, CacheMode: "max", Strategy: "single"}, Target{Images: 433, Seed: 1})
	if err != nil || !p.Extrapolated {
		t.Errorf("w1 b15 (1 build at once, measured): extrapolated %v err %v", p.Extrapolated, err)
	}
}

// TestPredictRefusesFewerWithoutScalingModel: fewer builds at once than
// measured is refused too (see sourceFor): unscaled, a less crowded build
// is over-predicted by an amount nothing in the sweep bounds.
func TestPredictRefusesFewerWithoutScalingModel(t *testing.T) {
	a := analyzeDir(t, constRun(t, 3)) // w2 b3 only
	_, err := a.Predict(w1, Target{Images: 12, Seed: 1})
	if !errors.Is(err, ErrNoScalingModel) || !strings.Contains(err.Error(), "at 2 builds at once only") {
		t.Errorf("w1 from w2 only: err = %v", err)
	}
	// The measured cell itself, for fewer images than its workers, is
	// its own trials' drain: predicted.
	if _, err := a.Predict(w2, Target{Images: 1, Seed: 1}); err != nil {
		t.Errorf("w2 for 1 image: %v", err)
	}
}

// TestRecommendNoBaselineWithoutScalingModel: the sE probe. The baseline
// w4-b15-max cannot be predicted from a w1-only sweep, so there is no
// baseline prediction, no saving, and no "keep the baseline".
func TestRecommendNoBaselineWithoutScalingModel(t *testing.T) {
	a := oneWorkerRun(t)
	r, err := a.Recommend(Constraints{Baseline: w4b15x, Target: Target{Images: 433}})
	if err != nil {
		t.Fatal(err)
	}
	ws := strings.Join(r.Warnings, "\n")
	if r.Baseline != nil || r.SavingS != nil || r.SavingFraction != nil {
		t.Errorf("baseline %+v saving %+v predicted without a scaling model", r.Baseline, r.SavingS)
	}
	if strings.Contains(ws, "keep the baseline") || !strings.Contains(ws, "baseline "+w4b15x.String()+" cannot be predicted") ||
		!strings.Contains(ws, "1 build at once only") {
		t.Errorf("warnings:\n%s", ws)
	}
	if strings.Contains(strings.Join(r.Reasons, "\n"), "Against the baseline") {
		t.Errorf("reasons %q claim a saving", r.Reasons)
	}
}

// TestValidateRefusesWithoutScalingModel: a full build at 4 workers
// cannot be validated against a w1-only sweep's prediction: there is none.
func TestValidateRefusesWithoutScalingModel(t *testing.T) {
	a := oneWorkerRun(t)
	fullDir := t.TempDir()
	writeRun(t, fullDir, []cellSpec{{cfg: Config{Workers: 4, Batch: 15, CacheMode: "off", Strategy: "single"}, seconds: 9, reps: 1}}, instances, 0, nil, false)
	full, err := Load(fullDir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Validate(a, full, Config{})
	if !errors.Is(err, ErrNoScalingModel) || !errors.Is(err, input.ErrBad) {
		t.Errorf("validate w4 from w1 only: err = %v", err)
	}
}

// TestPlanLeavesOutUnscalable: plan's workers beyond the measured ones
// need a scaling model too: without one they are left out with a warning
// rather than planned at a linear speed-up.
func TestPlanLeavesOutUnscalable(t *testing.T) {
	a := oneWorkerRun(t)
	cp, err := a.Plan(433, time.Hour, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cp.Workers, []int{1}) || len(cp.Extrapolated) != 0 {
		t.Errorf("workers %v extrapolated %v", cp.Workers, cp.Extrapolated)
	}
	if !strings.Contains(strings.Join(cp.Warnings, "\n"), "2 workers per runner left out: config: ") {
		t.Errorf("warnings %q", cp.Warnings)
	}
	// Runners of 1 core: one build loads it as 2 builds loaded the
	// sweep's 2 cores, which the sweep never measured and nothing
	// scales to: no workers value can be planned.
	a.Machine = &Machine{Cores: 2}
	_, err = a.Plan(433, time.Hour, 0, 1, 0)
	if !errors.Is(err, ErrNoScalingModel) || !errors.Is(err, input.ErrBad) {
		t.Errorf("1-core runners: err = %v", err)
	}
}

// crowdOnlyRun measures one worker count (2) at batch 3 and as a stream,
// so no USL fit, but images 3 and 6 run alone at batch 3 and beside
// another in the stream (12 s against 10 s): a crowding fit. The stream
// is the faster cell (3 rounds of 12 s against 4 of 10 s).
func crowdOnlyRun(t *testing.T) *Analysis {
	t.Helper()
	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{
		{cfg: w2, seconds: 10, reps: 3, temp: "cold", fixed: 1},
		{cfg: w2s, seconds: 12, reps: 3, temp: "cold", fixed: 1},
	}, instances, 0.01, map[string]any{"workers": []int{2}, "batch": []any{3, "stream"}}, false)
	return analyzeDir(t, dir)
}

// TestExtrapolationSaysWhatItRestsOn: with no USL fit ("usl": [] or
// null) an extrapolation is not said to come "from the USL fit": it rests
// on the crowding fit, and its warnings and plan's text say so, and how
// far beyond that fit's crowdings it goes.
func TestExtrapolationSaysWhatItRestsOn(t *testing.T) {
	a := crowdOnlyRun(t)
	if len(a.Models.USL) != 0 || a.Models.crowdFitFor(w2) == nil {
		t.Fatalf("want no USL fit and a crowding fit: usl %+v crowding %+v", a.Models.USL, a.Models.Crowding)
	}
	p, err := a.Predict(Config{Workers: 4, Batch: 4, CacheMode: "off", Strategy: "single"}, Target{Images: 60, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ws := strings.Join(p.Warnings, "\n")
	for _, want := range []string{"no USL fit for cache off, strategy single", "run at 4 under the crowding fit", "4 builds at once is beyond the 2 the crowding fit saw"} {
		if !strings.Contains(ws, want) {
			t.Errorf("warnings lack %q:\n%s", want, ws)
		}
	}
	if strings.Contains(ws, "unscaled") || strings.Contains(ws, "by the USL fit") {
		t.Errorf("warnings name a USL fit or unscaled seconds:\n%s", ws)
	}
	cp, err := a.Plan(60, 0, 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	txt := cp.Text()
	if len(cp.Extrapolated) == 0 || strings.Contains(txt, "from the USL fit") || !strings.Contains(txt, "per-image seconds from the crowding fit of cache off, strategy single") {
		t.Errorf("plan extrapolated %v by %v:\n%s", cp.Extrapolated, cp.ExtrapolatedBy, txt)
	}
}

// TestUSLCaveatsReachWarnings: a fit's own warnings (3 worker counts for
// 3 parameters and no peak; 2 worker counts, Amdahl's law and no degrees
// of freedom) reach the recommendation's warnings when its baseline is
// scaled by that fit, and the plan's when its rows are.
func TestUSLCaveatsReachWarnings(t *testing.T) {
	a := loadSweep(t)
	r, err := a.Recommend(Constraints{Baseline: w4b15o})
	if err != nil {
		t.Fatal(err)
	}
	rw := strings.Join(r.Warnings, "\n")
	for _, want := range []string{
		"baseline w4-b15-off-single: per-image seconds measured at 3 builds at once are scaled to 4 by the USL fit of cache off, strategy single, batch 3",
		"(x1.08, outside the measured 1-3: extrapolated)",
		"baseline w4-b15-off-single: USL fit of cache off, strategy single, batch 3, fitted on 1, 2 and 3 builds at once: 3 distinct worker counts for 3 parameters",
	} {
		if !strings.Contains(rw, want) {
			t.Errorf("recommendation warnings lack %q:\n%s", want, rw)
		}
	}

	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{
		{cfg: Config{Workers: 1, CacheMode: "off", Strategy: "single"}, seconds: 9, reps: 3, temp: "cold", fixed: 1},
		{cfg: w2s, seconds: 12, reps: 3, temp: "cold", fixed: 1},
	}, instances, 0.01, map[string]any{"workers": []int{1, 2}, "batch": []any{"stream"}}, false)
	two := analyzeDir(t, dir)
	cp, err := two.Plan(60, 0, 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	txt := cp.Text()
	for _, want := range []string{
		"per-image seconds from the USL fit of cache off, strategy single, batch stream (Amdahl's law, kappa 0), fitted on 1 and 2 builds at once): [3 4]",
		"warning: USL fit of cache off, strategy single, batch stream (Amdahl's law, kappa 0), fitted on 1 and 2 builds at once: only 2 distinct worker counts: cannot fit kappa",
		"no degrees of freedom left to check the model",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("plan lacks %q:\n%s", want, txt)
		}
	}
}

// TestRecommendRunnerUpTooWide: the runner-up's too-wide interval is why
// the two are not separated: the warnings say so, not only the pick's.
func TestRecommendRunnerUpTooWide(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{
		{cfg: w1, seconds: 9, reps: 2, temp: "cold", fixed: 1},
		{cfg: w2, seconds: 10, reps: 2, temp: "cold", fixed: 1},
	}, instances, 0.5, map[string]any{"workers": []int{1, 2}, "batch": []any{3}}, false)
	a := analyzeDir(t, dir)
	r, err := a.Recommend(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if r.RunnerUp == nil {
		t.Fatalf("no runner-up: %+v", r)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "prediction of "+r.RunnerUp.Name+": the interval") {
		t.Errorf("warnings lack the runner-up %s's too-wide interval:\n%s", r.RunnerUp.Name, strings.Join(r.Warnings, "\n"))
	}
}

// TestRecommendOneTrialNotConfident: the sFD probe, a 1-rep sweep: the
// recommendation is a lead, with a warning saying why.
func TestRecommendOneTrialNotConfident(t *testing.T) {
	a := analyzeDir(t, constRun(t, 1))
	r, err := a.Recommend(Constraints{Target: Target{Images: 433}})
	if err != nil {
		t.Fatal(err)
	}
	ws := strings.Join(r.Warnings, "\n")
	if r.Confident || !strings.Contains(ws, "rests on 1 trial") || !strings.Contains(ws, "zero width") {
		t.Errorf("confident %v, warnings:\n%s", r.Confident, ws)
	}
	if rs := strings.Join(r.Reasons, "\n"); !strings.Contains(rs, "the only feasible candidate") {
		t.Errorf("reasons %q", r.Reasons)
	}
}

// TestPlanCapWarningNamesPlannedOnly: plan warned "batch 3 caps the builds
// at once per runner at 3: 4 workers run no more builds at once than 3",
// then "4 workers per runner left out": the first warning spoke of a
// workers value the plan does not have.
func TestPlanCapWarningNamesPlannedOnly(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{
		{cfg: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}, seconds: 9, reps: 2, temp: "cold", fixed: 1},
	}, instances, 0.01, map[string]any{"workers": []int{2}, "batch": []any{3}}, false)
	cp, err := analyzeDir(t, dir).Plan(433, time.Hour, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(cp.Warnings, "\n"), "4 workers per runner left out") {
		t.Fatalf("workers %v warnings %q: want 4 workers left out (the case this tests)", cp.Workers, cp.Warnings)
	}
	for _, w := range cp.Warnings {
		if strings.Contains(w, "caps the builds at once") {
			t.Errorf("plan of workers %v warns of a batch cap on workers it left out: %q", cp.Workers, w)
		}
	}
}
