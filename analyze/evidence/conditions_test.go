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
