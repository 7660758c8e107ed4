package sweep

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/sweep/record"
)

// throughputRunner is a fakeRunner whose trials reach images/hour drawn
// from a fixed normal distribution per cell: mean base[cell], 2% spread,
// seeded by (cell, rep, temp) so that a trial always gets the same value.
func throughputRunner(clock *fakeClock, sample int, base map[string]float64) *fakeRunner {
	return spreadRunner(clock, sample, base, 0.02)
}

// spreadRunner is throughputRunner with a spread of its own.
func spreadRunner(clock *fakeClock, sample int, base map[string]float64, spread float64) *fakeRunner {
	return &fakeRunner{clock: clock, sample: sample, wall: func(t Trial) float64 {
		seed := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", t.Cell.Name(), t.Temp, t.Rep))
		rng := rand.New(rand.NewChaCha8(seed))
		mean := base[t.Cell.Name()]
		iph := mean * max(0.05, 1+spread*rng.NormFloat64())
		return float64(sample) * 3600 / iph
	}}
}

func adaptiveGrid() Grid {
	return Grid{Workers: []int{1, 2, 4}, Batches: []int{2}, Cache: []engine.CacheMode{"off", "max"}, Strategies: []string{"single"},
		Registry: []string{Direct}, Temps: []string{Cold}, Reps: 1, Sample: 4, Seed: 11}
}

func adaptiveOptions(t *testing.T, clock *fakeClock, budget time.Duration) Options {
	opts := testOptions(t, adaptiveGrid(), clock)
	opts.Adaptive = true
	opts.Budget = budget
	opts.PerImageSeconds = 5
	opts.EquivalenceMargin = 0.01
	// These tests follow the doubling (3, 6, 12, 24 reps) to the budget
	// or the tests' stop: no cap (TestAdaptiveStopsAtMaxReps has one).
	opts.MaxReps = 1 << 20
	return opts
}

const best = "w2-b2-off-single"

// runnerUp is the second best cell's images/hour against the best's 1000:
// 2.5% behind, near enough that 3 trials do not separate it. The tests
// of separation run with a 1% equivalence margin (adaptiveOptions), so
// the sweep must separate the two rather than stop at their equivalence.
const runnerUp = 975

var clearlyWorse = []string{"w1-b2-off-single", "w1-b2-max-single", "w4-b2-off-single", "w4-b2-max-single"}

func baseThroughput(runnerUp float64) map[string]float64 {
	return map[string]float64{
		best:               1000,
		"w2-b2-max-single": runnerUp,
		"w1-b2-off-single": 300,
		"w1-b2-max-single": 250,
		"w4-b2-off-single": 600,
		"w4-b2-max-single": 550,
	}
}

func events(set *record.Set, typ record.EventType) []record.Event {
	var out []record.Event
	for _, e := range set.Events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestAdaptiveFindsBest(t *testing.T) {
	clock := newFakeClock()
	budget := time.Hour
	opts := adaptiveOptions(t, clock, budget)
	runner := throughputRunner(clock, 4, baseThroughput(runnerUp))
	sum, err := Run(context.Background(), opts, runner)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Best != best || !strings.HasPrefix(sum.Stop, "done: "+best) || !reflect.DeepEqual(sum.Kept, []string{best}) {
		t.Errorf("best %q kept %v stop %q; want %s alone, done", sum.Best, sum.Kept, sum.Stop, best)
	}
	if sum.Elapsed > budget {
		t.Errorf("elapsed %v, over the budget %v", sum.Elapsed, budget)
	}
	set := readRecords(t, opts.OutDir)
	drops := events(set, record.EventDrop)
	var dropped []string
	for _, e := range drops {
		dropped = append(dropped, e.Cell)
		if !strings.Contains(e.Message, "median") || !strings.Contains(e.Message, "p=") || !strings.Contains(e.Message, "n=") {
			t.Errorf("drop event %q lacks the evidence", e.Message)
		}
	}
	for _, c := range clearlyWorse {
		if !slices.Contains(dropped, c) {
			t.Errorf("clearly worse cell %s not dropped (dropped %v)", c, dropped)
		}
	}
	if slices.Contains(dropped, best) {
		t.Errorf("the best cell was dropped")
	}
	// Round 1 (3 reps) cannot separate anything with Mann-Whitney; the
	// t-tests on logs drop the clearly worse (half the best's rate or
	// less) there, and never the runner-up 2.5% behind.
	for _, e := range drops {
		round1 := strings.HasPrefix(e.Message, "round 1:")
		if e.Cell == "w2-b2-max-single" && round1 {
			t.Errorf("the runner-up dropped in round 1: %s", e.Message)
		}
		if slices.Contains(clearlyWorse, e.Cell) && (!round1 || !strings.Contains(e.Message, "t-tests on logs")) {
			t.Errorf("a clearly worse cell dropped after round 1, or not by the t-tests: %s", e.Message)
		}
	}
	stops := events(set, record.EventStop)
	if len(stops) != 1 || stops[0].Message != sum.Stop {
		t.Errorf("stop events %+v, want one saying %q", stops, sum.Stop)
	}
	// Survivors got doubling reps; dropped cells stopped getting trials.
	reps := map[string]int{}
	for _, tr := range record.Latest(set).Trials {
		reps[tr.Cell] = max(reps[tr.Cell], tr.Rep)
	}
	if reps[best] < 12 || reps[clearlyWorse[0]] != 3 {
		t.Errorf("reps per cell %v: want >= 12 for the best, 3 for the dropped after round 1", reps)
	}
	if sum.Planned != len(record.Latest(set).Trials) {
		t.Errorf("planned %d, %d trials recorded", sum.Planned, len(record.Latest(set).Trials))
	}
}

func TestAdaptiveRespectsBudget(t *testing.T) {
	clock := newFakeClock()
	budget := 30 * time.Minute
	opts := adaptiveOptions(t, clock, budget)
	// Two cells alike, with a 10% spread: no test can separate them, nor
	// show them equivalent within 1% in the trials the budget allows; only
	// the budget stops.
	runner := spreadRunner(clock, 4, baseThroughput(1000), 0.10)
	sum, err := Run(context.Background(), opts, runner)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sum.Stop, "budget: ") || !strings.Contains(sum.Stop, "still in the running") {
		t.Errorf("stop %q, want a budget stop naming the remaining cells", sum.Stop)
	}
	if sum.Elapsed > budget {
		t.Errorf("elapsed %v, over the budget %v", sum.Elapsed, budget)
	}
	if sum.Rounds < 3 {
		t.Errorf("%d rounds, want the budget to allow at least 3", sum.Rounds)
	}
	if len(sum.Kept) != 2 || !slices.Contains(sum.Kept, best) || !slices.Contains(sum.Kept, "w2-b2-max-single") {
		t.Errorf("kept %v, want the two alike cells", sum.Kept)
	}
	var dropped []string
	for _, d := range sum.Dropped {
		dropped = append(dropped, d.Cell)
	}
	slices.Sort(dropped)
	want := slices.Clone(clearlyWorse)
	slices.Sort(want)
	if !slices.Equal(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
}

func TestAdaptiveRefusals(t *testing.T) {
	clock := newFakeClock()
	opts := adaptiveOptions(t, clock, 0)
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock}); err == nil || !strings.Contains(err.Error(), "needs a budget") {
		t.Errorf("adaptive without budget = %v", err)
	}
	opts = adaptiveOptions(t, clock, time.Minute)
	_, err := Run(context.Background(), opts, &fakeRunner{clock: clock})
	if err == nil || !strings.Contains(err.Error(), "round 1") || !strings.Contains(err.Error(), "budget 1m0s") {
		t.Errorf("adaptive with a budget too small for round 1 = %v", err)
	}
}

func TestAdaptiveResume(t *testing.T) {
	// An uninterrupted sweep...
	clock := newFakeClock()
	opts := adaptiveOptions(t, clock, time.Hour)
	want, err := Run(context.Background(), opts, throughputRunner(clock, 4, baseThroughput(runnerUp)))
	if err != nil {
		t.Fatal(err)
	}
	// ...and the same one interrupted in round 2 (trial 21: round 1 was
	// 18 trials, round 2 is the two cells left, 3 trials each), then
	// resumed.
	clock = newFakeClock()
	opts = adaptiveOptions(t, clock, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := throughputRunner(clock, 4, baseThroughput(runnerUp))
	first.behave = interruptAt(21, cancel)
	if _, err := Run(ctx, opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	opts.Resume = true
	opts.Adaptive = false // taken from run.json
	opts.Grid = Grid{}
	got, err := Run(context.Background(), opts, throughputRunner(clock, 4, baseThroughput(runnerUp)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Best != want.Best || !reflect.DeepEqual(got.Kept, want.Kept) || got.Rounds != want.Rounds ||
		got.Planned != want.Planned || len(got.Dropped) != len(want.Dropped) || got.Resumed != 20 {
		t.Errorf("resumed sweep %+v, want the decisions of %+v", got, want)
	}
	set := readRecords(t, opts.OutDir)
	seen := map[string]bool{}
	for _, e := range events(set, record.EventDrop) {
		if seen[e.Cell] {
			t.Errorf("cell %s dropped twice in the records", e.Cell)
		}
		seen[e.Cell] = true
	}
}

// The cells of a grid of two registry bandwidths: every capped cell is
// about half as fast as its unlimited twin (the link, not the knobs), and
// within each bandwidth one cell is best, a runner-up 2.5% behind, and the
// rest plainly worse.
const cappedBest = "w1-b2-off-single-bw12MiB/s"

func twoConditionGrid() Grid {
	g := adaptiveGrid()
	g.Registry = []string{Direct, "12MiB/s"}
	return g
}

func twoConditionThroughput() map[string]float64 {
	tp := baseThroughput(runnerUp)
	for k, v := range map[string]float64{
		cappedBest:                   500,
		"w1-b2-max-single-bw12MiB/s": 487.5,
		"w2-b2-off-single-bw12MiB/s": 250,
		"w2-b2-max-single-bw12MiB/s": 230,
		"w4-b2-off-single-bw12MiB/s": 150,
		"w4-b2-max-single-bw12MiB/s": 140,
	} {
		tp[k] = v
	}
	return tp
}

func twoConditionOptions(t *testing.T, clock *fakeClock) Options {
	opts := adaptiveOptions(t, clock, 3*time.Hour)
	opts.Grid = twoConditionGrid()
	return opts
}

// cond is the registry bandwidth of a cell name, as the sweep labels it.
func cond(name string) string {
	if _, bw, ok := strings.Cut(name, "-bw"); ok {
		return bw
	}
	return Direct
}

func TestAdaptivePerCondition(t *testing.T) {
	clock := newFakeClock()
	opts := twoConditionOptions(t, clock)
	sum, err := Run(context.Background(), opts, throughputRunner(clock, 4, twoConditionThroughput()))
	if err != nil {
		t.Fatal(err)
	}
	// Each condition keeps its own best: the capped best, half as fast as
	// the unlimited one because of its link, is not dropped against it.
	kept := slices.Sorted(slices.Values(sum.Kept))
	if want := []string{cappedBest, best}; !slices.Equal(kept, want) {
		t.Errorf("kept %v, want one cell per registry bandwidth %v", sum.Kept, want)
	}
	for _, d := range sum.Dropped {
		if cond(d.Cell) != cond(d.Best) {
			t.Errorf("%s (registry bandwidth %s) dropped against %s of another bandwidth: %s", d.Cell, cond(d.Cell), d.Best, d)
		}
		if d.Cell == best || d.Cell == cappedBest {
			t.Errorf("the best of a condition was dropped: %s", d)
		}
	}
	if len(sum.Dropped) != 10 {
		t.Errorf("%d cells dropped, want the 10 that are not the best of their bandwidth: %v", len(sum.Dropped), sum.Dropped)
	}
	// Done means one survivor per condition, and the stop says so for each.
	if !strings.HasPrefix(sum.Stop, "done: ") || !strings.Contains(sum.Stop, best+" is") || !strings.Contains(sum.Stop, cappedBest+" is") ||
		strings.Contains(sum.Stop, "still in the running") {
		t.Errorf("stop %q, want done with the best of each registry bandwidth", sum.Stop)
	}
	if bests := strings.Split(sum.Best, ", "); !slices.Equal(bests, []string{cappedBest, best}) {
		t.Errorf("best %q, want the best of each registry bandwidth, capped first", sum.Best)
	}
	set := readRecords(t, opts.OutDir)
	reps := map[string]int{}
	for _, tr := range record.Latest(set).Trials {
		reps[tr.Cell] = max(reps[tr.Cell], tr.Rep)
	}
	// The plainly worse went in round 1, by the t-tests against their own
	// best. The capped bandwidth was done after round 1 (its runner-up
	// separated at once, with these draws), and its survivor got no more
	// trials while the unlimited bandwidth's runner-up took until round 3.
	if reps["w2-b2-off-single-bw12MiB/s"] != 3 || reps["w1-b2-off-single"] != 3 {
		t.Errorf("reps per cell %v: want the plainly worse dropped after round 1", reps)
	}
	if !strings.Contains(sum.Stop, "under 12MiB/s, "+cappedBest+" is significantly ahead of every other cell of that bandwidth after round 1") ||
		!strings.Contains(sum.Stop, "under unlimited, "+best+" is significantly ahead of every other cell of that bandwidth after round 3") {
		t.Errorf("stop %q, want the capped bandwidth done after round 1, the unlimited after round 3", sum.Stop)
	}
	if reps[cappedBest] != 3 || reps[best] != 12 {
		t.Errorf("reps per cell %v: want 3 for the capped survivor (done after round 1), 12 for the unlimited best", reps)
	}
	if stops := events(set, record.EventStop); len(stops) != 1 || stops[0].Message != sum.Stop {
		t.Errorf("stop events %+v, want one saying %q", stops, sum.Stop)
	}
}

func TestAdaptivePerConditionResume(t *testing.T) {
	clock := newFakeClock()
	opts := twoConditionOptions(t, clock)
	want, err := Run(context.Background(), opts, throughputRunner(clock, 4, twoConditionThroughput()))
	if err != nil {
		t.Fatal(err)
	}
	// Interrupted in round 2 (round 1 is 36 trials), then resumed.
	clock = newFakeClock()
	opts = twoConditionOptions(t, clock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := throughputRunner(clock, 4, twoConditionThroughput())
	first.behave = interruptAt(40, cancel)
	if _, err := Run(ctx, opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	opts.Resume = true
	opts.Adaptive = false // taken from run.json
	opts.Grid = Grid{}
	got, err := Run(context.Background(), opts, throughputRunner(clock, 4, twoConditionThroughput()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Best != want.Best || !reflect.DeepEqual(got.Kept, want.Kept) || got.Rounds != want.Rounds || got.Stop != want.Stop ||
		got.Planned != want.Planned || len(got.Dropped) != len(want.Dropped) || got.Resumed != 39 {
		t.Errorf("resumed sweep %+v, want the decisions of %+v", got, want)
	}
}

// TestAdaptivePerConditionBudget: when the budget stops a sweep of two
// registry bandwidths, the stop names the cells still in the running under
// each, and every condition keeps its own.
func TestAdaptivePerConditionBudget(t *testing.T) {
	clock := newFakeClock()
	opts := twoConditionOptions(t, clock)
	opts.Budget = time.Hour
	tp := twoConditionThroughput()
	tp["w2-b2-max-single"] = tp[best]                 // alike: only the budget can stop
	tp["w1-b2-max-single-bw12MiB/s"] = tp[cappedBest] // alike too
	sum, err := Run(context.Background(), opts, throughputRunner(clock, 4, tp))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"budget: ", "still in the running under registry bandwidth 12MiB/s: " + cappedBest + ", w1-b2-max-single-bw12MiB/s",
		"still in the running under registry bandwidth unlimited: w2-b2-off-single, w2-b2-max-single"} {
		if !strings.Contains(sum.Stop, want) {
			t.Errorf("stop %q, want %q", sum.Stop, want)
		}
	}
	if len(sum.Kept) != 4 || sum.Elapsed > opts.Budget {
		t.Errorf("kept %v after %v: want the two alike cells of each bandwidth, within the budget", sum.Kept, sum.Elapsed)
	}
}

// TestAdaptiveStopsAtEquivalence: two cells alike (the same images/hour,
// 2% spread) can never be separated; without the equivalence stop the
// sweep measured them round after round until its budget ran out (3, 6,
// 12, 24 reps). With the default margin, it stops as soon as the two
// one-sided tests show them within ±3%, keeps both, and says so; run.json
// keeps the margin, and a resume replays the same decisions.
func TestAdaptiveStopsAtEquivalence(t *testing.T) {
	clock := newFakeClock()
	opts := adaptiveOptions(t, clock, 3*time.Hour)
	opts.EquivalenceMargin = 0 // the default, 3%
	sum, err := Run(context.Background(), opts, throughputRunner(clock, 4, baseThroughput(1000)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sum.Stop, "done: ") || !strings.Contains(sum.Stop, "are equivalent within ±3% (two one-sided tests, p=") {
		t.Errorf("stop %q, want done at the two cells' equivalence", sum.Stop)
	}
	if kept := slices.Sorted(slices.Values(sum.Kept)); !slices.Equal(kept, []string{"w2-b2-max-single", best}) {
		t.Errorf("kept %v, want the two alike cells", sum.Kept)
	}
	set := readRecords(t, opts.OutDir)
	reps := map[string]int{}
	for _, tr := range record.Latest(set).Trials {
		reps[tr.Cell] = max(reps[tr.Cell], tr.Rep)
	}
	// 3 reps cannot show equivalence (Mann-Whitney's smallest one-sided
	// p with 3 and 3 is 0.05); 6 or 12 can, long before the budget.
	if r := reps[best]; r < 6 || r > 12 || reps["w2-b2-max-single"] != r {
		t.Errorf("reps per cell %v: want the two alike cells stopped together after 6 or 12", reps)
	}
	if sum.Elapsed > opts.Budget/2 {
		t.Errorf("elapsed %v of a %v budget: the equivalence stop should come well before it", sum.Elapsed, opts.Budget)
	}
	info, err := ReadRunInfo(opts.OutDir)
	if err != nil || info.EquivalenceMargin != DefaultEquivalenceMargin {
		t.Errorf("run.json equivalence %v (%v), want %v", info.EquivalenceMargin, err, DefaultEquivalenceMargin)
	}

	// Cells 2.5% apart are equivalent within 3% too, but not within 1%:
	// there the sweep separates them (TestAdaptiveFindsBest).
	clock = newFakeClock()
	opts = adaptiveOptions(t, clock, 3*time.Hour)
	opts.EquivalenceMargin = 0.01
	sum, err = Run(context.Background(), opts, throughputRunner(clock, 4, baseThroughput(1000)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sum.Stop, "equivalent within ±3%") {
		t.Errorf("margin 1%%: stop %q names the default margin", sum.Stop)
	}

	// Interrupted in round 2 and resumed (the margin from run.json): the
	// same decisions.
	clock = newFakeClock()
	opts = adaptiveOptions(t, clock, 3*time.Hour)
	opts.EquivalenceMargin = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := throughputRunner(clock, 4, baseThroughput(1000))
	first.behave = interruptAt(21, cancel)
	if _, err := Run(ctx, opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	opts.Resume, opts.Adaptive, opts.Grid = true, false, Grid{}
	opts.EquivalenceMargin = 0.2 // not the sweep's: run.json's is taken
	got, err := Run(context.Background(), opts, throughputRunner(clock, 4, baseThroughput(1000)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Stop != sum0(t, 1000) || !reflect.DeepEqual(slices.Sorted(slices.Values(got.Kept)), []string{"w2-b2-max-single", best}) {
		t.Errorf("resumed: stop %q kept %v, want the uninterrupted sweep's decisions", got.Stop, got.Kept)
	}
}

// sum0 is the stop message of an uninterrupted adaptive sweep with the
// default margin and the runner-up at runnerUp images/hour.
func sum0(t *testing.T, runnerUp float64) string {
	t.Helper()
	clock := newFakeClock()
	opts := adaptiveOptions(t, clock, 3*time.Hour)
	opts.EquivalenceMargin = 0
	sum, err := Run(context.Background(), opts, throughputRunner(clock, 4, baseThroughput(runnerUp)))
	if err != nil {
		t.Fatal(err)
	}
	return sum.Stop
}

// TestAdaptiveStopsAtMaxReps: two cells 1.5% apart with a 6% spread per
// trial can be neither separated nor shown within a 1% margin in a few
// dozen reps. Capped at the grid's reps (the fixed sweep's, by default),
// the sweep stops when the cells left have that many, names them, keeps
// the cap in run.json, and a resume keeps the cap whatever it is given.
// Uncapped, the same sweep doubles on until the budget stops it.
func TestAdaptiveStopsAtMaxReps(t *testing.T) {
	base := baseThroughput(985)
	run := func(t *testing.T, gridReps, maxReps int) (*Summary, Options, map[string]int) {
		t.Helper()
		clock := newFakeClock()
		opts := adaptiveOptions(t, clock, 3*time.Hour)
		opts.Grid.Reps, opts.MaxReps = gridReps, maxReps
		sum, err := Run(context.Background(), opts, spreadRunner(clock, 4, base, 0.06))
		if err != nil {
			t.Fatal(err)
		}
		reps := map[string]int{}
		for _, tr := range record.Latest(readRecords(t, opts.OutDir)).Trials {
			reps[tr.Cell] = max(reps[tr.Cell], tr.Rep)
		}
		return sum, opts, reps
	}
	for _, tc := range []struct {
		name              string
		gridReps, maxReps int
		want              int
	}{
		{"the grid's reps", 6, 0, 6},
		{"the default reps", 0, 0, DefaultReps},
		{"not a power of two", 6, 10, 10},
		{"below round 1", 1, 0, DefaultInitialReps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, opts, reps := run(t, tc.gridReps, tc.maxReps)
			if !strings.HasPrefix(sum.Stop, "max reps: ") || !strings.Contains(sum.Stop, fmt.Sprintf("have %d reps each", tc.want)) ||
				!strings.Contains(sum.Stop, "still in the running: "+best+", w2-b2-max-single") {
				t.Errorf("stop %q, want a stop at %d reps naming the two cells left", sum.Stop, tc.want)
			}
			if reps[best] != tc.want || reps["w2-b2-max-single"] != tc.want {
				t.Errorf("reps per cell %v, want %d for the two cells left", reps, tc.want)
			}
			for _, c := range clearlyWorse {
				if reps[c] != DefaultInitialReps {
					t.Errorf("%s: %d reps, want it dropped after round 1", c, reps[c])
				}
			}
			info, err := ReadRunInfo(opts.OutDir)
			if err != nil || info.MaxReps != tc.want {
				t.Errorf("run.json max_reps %d (%v), want %d", info.MaxReps, err, tc.want)
			}
		})
	}

	// Uncapped, the same cells are measured on, round after round (to 96
	// reps here, where they are separated at last).
	sum, _, reps := run(t, 6, 1<<20)
	if strings.HasPrefix(sum.Stop, "max reps: ") || reps[best] <= 12 {
		t.Errorf("uncapped: stop %q, reps %v; want the doubling to go past 12 reps", sum.Stop, reps)
	}

	// Interrupted in round 2 and resumed with another cap: run.json's.
	clock := newFakeClock()
	opts := adaptiveOptions(t, clock, 3*time.Hour)
	opts.Grid.Reps, opts.MaxReps = 6, 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := spreadRunner(clock, 4, base, 0.06)
	first.behave = interruptAt(21, cancel)
	if _, err := Run(ctx, opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	opts.Resume, opts.Adaptive, opts.Grid, opts.MaxReps = true, false, Grid{}, 48
	got, err := Run(context.Background(), opts, spreadRunner(clock, 4, base, 0.06))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Stop, "max reps: ") || !strings.Contains(got.Stop, "have 6 reps each") {
		t.Errorf("resumed: stop %q, want run.json's cap of 6", got.Stop)
	}

	// A sweep started before run.json kept a cap had none, nor has its
	// resume: it ends as the uncapped sweep above.
	clock = newFakeClock()
	opts = adaptiveOptions(t, clock, 3*time.Hour)
	opts.Grid.Reps, opts.MaxReps = 6, 0
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	first = spreadRunner(clock, 4, base, 0.06)
	first.behave = interruptAt(21, cancel)
	if _, err := Run(ctx, opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	info, err := ReadRunInfo(opts.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	info.MaxReps = 0
	if err := WriteRunInfo(opts.OutDir, info); err != nil {
		t.Fatal(err)
	}
	opts.Resume, opts.Adaptive, opts.Grid = true, false, Grid{}
	got, err = Run(context.Background(), opts, spreadRunner(clock, 4, base, 0.06))
	if err != nil {
		t.Fatal(err)
	}
	if got.Stop != sum.Stop {
		t.Errorf("resumed without a cap in run.json: stop %q, want the uncapped sweep's %q", got.Stop, sum.Stop)
	}
}
