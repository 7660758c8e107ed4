package evidence

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/input"
)

// conditionCells are two knob settings measured under two registry
// bandwidths: the capped registry slows every build, so a ranking across
// conditions would put every unlimited cell first.
func conditionCells(capped string) []cellSpec {
	var cells []cellSpec
	for _, reg := range []string{"", capped} {
		slow := 1.0
		if reg != "" {
			slow = 3
		}
		cells = append(cells,
			cellSpec{cfg: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single", Registry: reg}, seconds: 10 * slow, reps: 6, temp: "cold", fixed: 1},
			cellSpec{cfg: Config{Workers: 4, Batch: 3, CacheMode: "off", Strategy: "single", Registry: reg}, seconds: 12 * slow, reps: 6, temp: "cold", fixed: 1},
		)
	}
	return cells
}

func conditionRun(t *testing.T) *Analysis {
	t.Helper()
	dir := t.TempDir()
	writeRun(t, dir, conditionCells("16MiB/s"), instances, 0.004, nil, false)
	return analyzeDir(t, dir)
}

// TestRecommendPerCondition: the registry bandwidth is a condition, not a
// choice. Without a condition, Recommend refuses naming the conditions;
// RecommendEach gives one recommendation per condition, each picking and
// comparing only cells of its condition; the knob verdicts are per
// condition.
func TestRecommendPerCondition(t *testing.T) {
	a := conditionRun(t)
	if got := strings.Join(a.Conditions(), ","); got != "16MiB/s,unlimited" {
		t.Fatalf("conditions %q", got)
	}
	_, err := a.Recommend(Constraints{})
	if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "16MiB/s, unlimited") {
		t.Errorf("no condition named: %v, want bad input naming 16MiB/s, unlimited", err)
	}
	// The baseline w2 (measured under both) is compared within each condition.
	each := a.RecommendEach(Constraints{Baseline: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}})
	if len(each) != 2 {
		t.Fatalf("%d recommendations, want 2", len(each))
	}
	for _, e := range each {
		if e.Err != nil {
			t.Fatalf("%s: %v", e.Registry, e.Err)
		}
		r := e.Recommendation
		want := e.Registry
		if want == "unlimited" {
			want = ""
		}
		if r.Registry != e.Registry || r.Recommended.Config.Registry != want || r.Recommended.Config.Workers != 4 {
			t.Errorf("%s: recommended %+v (registry %q)", e.Registry, r.Recommended.Config, r.Registry)
		}
		if r.RunnerUp == nil || r.RunnerUp.Config.Registry != want {
			t.Errorf("%s: runner-up %+v, want one of the same condition", e.Registry, r.RunnerUp)
		}
		if r.Baseline == nil || r.Baseline.Config.Registry != want {
			t.Errorf("%s: baseline %+v, want it under the same condition", e.Registry, r.Baseline)
		}
	}
	// A named condition, in any spelling.
	r, err := a.Recommend(Constraints{Registry: "16777216B/s"})
	if err != nil || r.Recommended.Config.Registry != "16MiB/s" {
		t.Errorf("16777216B/s: %+v, %v", r.Recommended, err)
	}
	if _, err := a.Recommend(Constraints{Registry: "32MiB/s"}); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "16MiB/s, unlimited") {
		t.Errorf("32MiB/s (not measured): %v", err)
	}
	// Knob verdicts within each condition.
	seen := map[string]bool{}
	for _, k := range a.Comparisons.Knobs {
		if k.Registry == "" {
			t.Errorf("knob %s has no condition in a run of two", k.Knob)
		}
		seen[k.Knob+"@"+k.Registry] = true
		if k.Knob == "workers" && k.Pairs != 1 {
			t.Errorf("workers under %s: %d pairs, want 1 (within the condition)", k.Registry, k.Pairs)
		}
	}
	if !seen["workers@16MiB/s"] || !seen["workers@unlimited"] {
		t.Errorf("knobs %v: want workers under each condition", seen)
	}
}

// TestOneConditionUnchanged: a run of one condition gets no condition
// labels (its output stays as it was).
func TestOneConditionUnchanged(t *testing.T) {
	a := loadSweep(t)
	r, err := a.Recommend(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Registry != "" {
		t.Errorf("registry %q, want none", r.Registry)
	}
	for _, k := range a.Comparisons.Knobs {
		if k.Registry != "" {
			t.Errorf("knob %+v has a condition", k)
		}
	}
}

// TestBandwidthSpellingsOneCell: "16777216B/s" and "16MiB/s" are one cap,
// so their trials are one cell.
func TestBandwidthSpellingsOneCell(t *testing.T) {
	dir := t.TempDir()
	cells := []cellSpec{
		{cfg: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single", Registry: "16MiB/s"}, seconds: 10, reps: 3, temp: "cold", fixed: 1},
		{cfg: Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single", Registry: "16777216B/s"}, seconds: 10, reps: 3, temp: "cold", fixed: 1},
	}
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	a := analyzeDir(t, dir)
	if len(a.Cells) != 1 || a.Cells[0].N != 6 || a.Cells[0].Name != "w2-b3-off-single-bw16MiB/s" {
		var names []string
		for _, c := range a.Cells {
			names = append(names, c.Name)
		}
		t.Errorf("cells %q, want one, w2-b3-off-single-bw16MiB/s with 6 trials", names)
	}
}

// TestPlanStopsOnCancel: a cancelled context stops a plan with an error
// wrapping context.Canceled.
func TestPlanStopsOnCancel(t *testing.T) {
	a := loadSweep(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, runners := range []int{0, 2} {
		_, err := a.PlanContext(ctx, 60, time.Hour, runners, 0, 0)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("runners %d: %v, want context.Canceled", runners, err)
		}
	}
}

// TestPlanCondition: with several registry bandwidths, the plan starts
// from the cells of the condition asked for (else the unlimited one).
func TestPlanCondition(t *testing.T) {
	a := conditionRun(t)
	cp, err := a.Plan(60, 0, 2, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Basis.Registry != "" {
		t.Errorf("unlimited: basis %+v", cp.Basis)
	}
	cp, err = a.Plan(60, 0, 2, 0, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Basis.Registry != "16MiB/s" {
		t.Errorf("16MiB/s: basis %+v", cp.Basis)
	}
	cp, err = a.Plan(60, 0, 2, 0, 8<<20)
	if err != nil || cp.Basis.Registry != "" {
		t.Errorf("8MiB/s (not measured): basis %+v, %v; want the unlimited cells", cp.Basis, err)
	}
}

// TestPlanLeftOutNotExtrapolated: workers values left out (more than the
// images per runner) are not listed as extrapolated nor as capped by the
// batch, and one runner "achieves".
func TestPlanLeftOutNotExtrapolated(t *testing.T) {
	a := loadSweep(t)
	cp, err := a.Plan(3, 0, 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cp.Extrapolated {
		if w > 3 {
			t.Errorf("extrapolated %v lists %d workers, left out for 3 images", cp.Extrapolated, w)
		}
	}
	text := cp.Text()
	if strings.Contains(text, "caps the builds at once") {
		t.Errorf("batch-cap warning about left-out workers:\n%s", text)
	}
	if !strings.Contains(text, "what 1 runner achieves:") {
		t.Errorf("want 'what 1 runner achieves:'\n%s", text)
	}
}

// TestRankPerCondition: cells are ranked within their registry bandwidth
// condition, never across: the capped link slows every build 3x, so a
// ranking across conditions would put both unlimited cells first and call
// the capped ones worse. Each condition has its own best at position 1,
// every entry names its condition, and the TOST against the best and the
// comparison with the baseline stay within the condition.
func TestRankPerCondition(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, conditionCells("16MiB/s"), instances, 0.004, nil, false)
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := opts
	o.Baseline = Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"} // measured under both
	a, err := Analyze(run, o)
	if err != nil {
		t.Fatal(err)
	}
	cm := a.Comparisons
	if cm.Best != "" {
		t.Errorf("best %q across conditions, want none", cm.Best)
	}
	if len(cm.Ranking) != 4 {
		t.Fatalf("ranking %+v, want 4 cells", cm.Ranking)
	}
	cond := map[string]string{} // cell -> condition
	for _, c := range a.Cells {
		cond[c.Name] = RegistryLabel(c.Config.Registry)
	}
	bests := map[string]string{}
	order := []string{}
	for _, r := range cm.Ranking {
		if r.Registry != cond[r.Name] {
			t.Errorf("%s: ranked under %q, measured under %q", r.Name, r.Registry, cond[r.Name])
		}
		if len(order) == 0 || order[len(order)-1] != r.Registry {
			order = append(order, r.Registry)
		}
		if r.Best {
			if bests[r.Registry] != "" {
				t.Errorf("%s: two bests, %s and %s", r.Registry, bests[r.Registry], r.Name)
			}
			bests[r.Registry] = r.Name
			if r.Position != 1 || r.PAdjusted != 1 {
				t.Errorf("best %s: position %d, p %v; want 1 and 1", r.Name, r.Position, r.PAdjusted)
			}
		} else if r.Position != 2 {
			t.Errorf("%s: position %d, want 2 within %s", r.Name, r.Position, r.Registry)
		}
	}
	if strings.Join(order, ",") != "16MiB/s,unlimited" {
		t.Errorf("conditions in the ranking %v, want 16MiB/s then unlimited", order)
	}
	// w4 is the faster knob setting under either link.
	for reg, want := range map[string]string{"16MiB/s": "w4-b3-off-single-bw16MiB/s", "unlimited": "w4-b3-off-single"} {
		if bests[reg] != want || cm.BestUnder(reg) != want {
			t.Errorf("%s: best %q (BestUnder %q), want %s", reg, bests[reg], cm.BestUnder(reg), want)
		}
	}
	if len(cm.Conditions) != 2 || cm.Conditions[0].Registry != "16MiB/s" || cm.Conditions[1].Registry != "unlimited" {
		t.Fatalf("conditions %+v", cm.Conditions)
	}
	for _, c := range cm.Conditions {
		if c.Best != bests[c.Registry] || cond[c.Baseline] != c.Registry {
			t.Errorf("condition %+v: want its best %s and a baseline measured under it", c, bests[c.Registry])
		}
	}
	for _, e := range cm.EquivalentToBest {
		if e.Registry != cond[e.Name] || e.Name == bests[e.Registry] {
			t.Errorf("TOST %+v: want a non-best cell against the best of its own condition", e)
		}
		// Within a condition w2 is 2/3 of w4's images/hour (a ratio of
		// 1/3 or 3 would be across the link).
		if !(e.Ratio > 0.5 && e.Ratio < 0.8) {
			t.Errorf("TOST %s: ratio %v, want about 0.67 (w2 against w4 of the same link)", e.Name, e.Ratio)
		}
	}
	if len(cm.VsBaseline) != 2 {
		t.Errorf("vs baseline %+v, want one other cell per condition", cm.VsBaseline)
	}
	for _, v := range cm.VsBaseline {
		if v.Registry != cond[v.Name] {
			t.Errorf("vs baseline %+v: want the cell's condition", v)
		}
	}
	// A run of one condition keeps its one ranking, without labels.
	one := loadSweep(t).Comparisons
	if one.Best == "" || one.Conditions != nil || one.BestUnder("unlimited") != one.Best {
		t.Errorf("one condition: best %q, conditions %+v", one.Best, one.Conditions)
	}
	for _, r := range one.Ranking {
		if r.Registry != "" {
			t.Errorf("one condition: %+v has a condition", r)
		}
	}
}

// TestPlanStopsPromptly: a plan for a million images, whose first
// prediction alone simulates 200 builds of a million images (seconds),
// stops within a fraction of a second of a cancel, inside that prediction,
// with an error wrapping context.Canceled; before, it ran on to the end of
// the prediction. A prediction stops the same way.
func TestPlanStopsPromptly(t *testing.T) {
	a := loadSweep(t)
	w2 := Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}
	for name, f := range map[string]func(ctx context.Context) error{
		"plan": func(ctx context.Context) error {
			_, err := a.PlanContext(ctx, 1_000_000, time.Hour, 0, 0, 0)
			return err
		},
		"prediction": func(ctx context.Context) error {
			_, err := a.PredictContext(ctx, w2, Target{Images: 1_000_000})
			return err
		},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f(ctx) }()
		time.Sleep(100 * time.Millisecond)
		cancel()
		start := time.Now()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v, want context.Canceled", name, err)
			}
			// A second: a loaded host (other tests, a compile) delays the
			// goroutine's wake-up by tenths; the whole prediction takes many.
			if d := time.Since(start); d > time.Second {
				t.Errorf("%s: stopped %v after the cancel, want within a second", name, d)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: still running 10s after the cancel", name)
		}
	}
}

// TestBaselineUnderOnlyCondition: a run measured under one capped registry
// only has no cell at an unlimited registry. The baseline's knobs under
// that cap are its baseline, in the comparisons and in the recommendation
// (before, both looked for the baseline at an unlimited registry and found
// nothing: no comparison with the baseline, and no saving).
func TestBaselineUnderOnlyCondition(t *testing.T) {
	var cells []cellSpec
	for _, c := range conditionCells("12MiB/s") {
		if c.cfg.Registry != "" {
			cells = append(cells, c)
		}
	}
	dir := t.TempDir()
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := opts
	o.Baseline = Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"} // as --baseline spells it: no registry
	a, err := Analyze(run, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Conditions(), ","); got != "12MiB/s" {
		t.Fatalf("conditions %q, want 12MiB/s alone", got)
	}
	const capped = "w2-b3-off-single-bw12MiB/s"
	cm := a.Comparisons
	if cm.Baseline != capped || cm.BaselineConfig.Registry != "12MiB/s" || len(cm.VsBaseline) != 1 {
		t.Errorf("comparisons: baseline %q (%+v), %d compared with it; want %s and the other cell", cm.Baseline, cm.BaselineConfig, len(cm.VsBaseline), capped)
	}
	for _, w := range cm.Warnings {
		if strings.Contains(w, "baseline") {
			t.Errorf("comparisons warn about the baseline: %s", w)
		}
	}
	r, err := a.Recommend(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Registry != "" {
		t.Errorf("registry %q: a run of one condition gets no label", r.Registry)
	}
	if r.Baseline == nil || r.Baseline.Name != capped || r.Baseline.Extrapolated || r.SavingS == nil {
		t.Fatalf("baseline %+v, saving %+v; want the measured %s and a saving against it", r.Baseline, r.SavingS, capped)
	}
	for _, w := range r.Warnings {
		if strings.Contains(w, "baseline") {
			t.Errorf("recommendation warns about the baseline: %s", w)
		}
	}
	// Knobs outside the grid are extrapolated from the cells under the
	// cap, not refused for want of an unlimited cell.
	r, err = a.Recommend(Constraints{Baseline: Config{Workers: 4, Batch: 6, CacheMode: "off", Strategy: "single"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Baseline == nil || r.Baseline.Config.Registry != "12MiB/s" || !r.Baseline.Extrapolated {
		t.Errorf("unmeasured baseline %+v (warnings %q), want it extrapolated under 12MiB/s", r.Baseline, r.Warnings)
	}
}
