package sweep

import (
	"context"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
)

// TestETACalibratedByMeasuredTrials: the ETA of a cell not measured yet
// comes from the Estimate model at --per-image-seconds (2.3 s by default,
// the default profile's figure), which another profile or a real workload
// may miss many times over. Once trials have run, the warm-up included,
// the model is scaled by what they measured against what it said for
// them, so that the first round of a sweep whose images take 20 times the
// model's does not show an ETA 20 times too short.
func TestETACalibratedByMeasuredTrials(t *testing.T) {
	clock := newFakeClock()
	// Two cells of one shape (the model gives them the same time), so the
	// calibrated ETA is the measured wall per trial times the trials left.
	g := Grid{Workers: []int{1}, Batches: []int{2}, Cache: []engine.CacheMode{"off", "max"}, Strategies: []string{"single"},
		Registry: []string{Direct}, Temps: []string{Cold}, Reps: 2, Sample: 3, Seed: 5, Profile: "test"}
	opts := testOptions(t, g, clock)
	opts.Warmup = true
	prog := &fakeProgress{}
	opts.Progress = prog
	const wall = 200.0
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock, sample: 3, wall: func(Trial) float64 { return wall }}); err != nil {
		t.Fatal(err)
	}
	plan := Plan(g)
	prog.mu.Lock()
	defer prog.mu.Unlock()
	// Events: the warm-up's start and end, then a start and an end per
	// trial. The first trial's start follows the warm-up: nothing cold is
	// measured yet, but the warm-up measured the model's error.
	if len(prog.trials) != 2+2*len(plan) {
		t.Fatalf("%d trial events, want %d", len(prog.trials), 2+2*len(plan))
	}
	ev := prog.trials[2]
	if ev.Record != nil || ev.N != plan[0].Index {
		t.Fatalf("event 2 = %+v, want the start of the first trial", ev)
	}
	want := time.Duration(len(plan)) * time.Duration(wall) * time.Second
	if d := ev.ETA - want; d < -time.Second || d > time.Second {
		model := time.Duration(float64(len(plan)) * trialSeconds(plan[0].Cell, g.Sample, opts.PerImageSeconds, 2) * float64(time.Second))
		t.Errorf("ETA at the start of the first trial after a %vs warm-up: %v, want about %v (the model alone says %v)", wall, ev.ETA, want, model)
	}
	// The second trial's cell (cache max) is not measured yet either: its
	// estimate is the calibrated model, not the model's few seconds.
	ev = prog.trials[4]
	want = time.Duration(len(plan)-1) * time.Duration(wall) * time.Second
	if d := ev.ETA - want; ev.Record != nil || d < -time.Second || d > time.Second {
		t.Errorf("ETA at the start of the second trial: %v, want about %v", ev.ETA, want)
	}
}
