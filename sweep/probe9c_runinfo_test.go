package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/input"
)

// TestResumeRefusesBadPlan: a run.json edited by hand (or damaged) whose
// plan settings cannot be: an adaptive sweep with initial_reps -1 doubled
// its target reps for ever on resume (it never returned), alpha 7 and a
// negative per_image_s were taken as they were, and an adaptive sweep
// with no budget_s ran a round with a budget of 0 and recorded its stop.
// Each is bad input naming run.json and the key, before any trial runs or
// any record is written.
func TestResumeRefusesBadPlan(t *testing.T) {
	opts, first := interruptedSweep(t, 2)
	runJSON := filepath.Join(opts.OutDir, RunInfoFile)
	orig, err := os.ReadFile(runJSON)
	if err != nil {
		t.Fatal(err)
	}
	records, err := os.ReadFile(filepath.Join(opts.OutDir, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
	}{
		{"adaptive without budget", func(m map[string]any) { m["adaptive"] = true }},
		{"initial_reps -1", func(m map[string]any) { m["adaptive"], m["budget_s"], m["initial_reps"] = true, 3600, -1 }},
		{"max_reps -5", func(m map[string]any) { m["adaptive"], m["budget_s"], m["max_reps"] = true, 3600, -5 }},
		{"alpha 7", func(m map[string]any) { m["adaptive"], m["budget_s"], m["alpha"] = true, 3600, 7 }},
		{"equivalence 2", func(m map[string]any) { m["adaptive"], m["budget_s"], m["equivalence"] = true, 3600, 2 }},
		{"per_image_s -1", func(m map[string]any) { m["per_image_s"] = -1 }},
		{"budget_s -1", func(m map[string]any) { m["budget_s"] = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(orig, &m); err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(runJSON, b, 0o644); err != nil {
				t.Fatal(err)
			}
			r := &fakeRunner{clock: first.clock, sample: first.sample}
			ro := opts
			ro.Resume, ro.Grid = true, Grid{}
			done := make(chan error, 1)
			go func() { _, err := Run(context.Background(), ro, r); done <- err }()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("resume with run.json's %s did not return", tc.name)
			}
			if !errors.Is(err, input.ErrBad) || !bytes.Contains([]byte(err.Error()), []byte(RunInfoFile)) {
				t.Errorf("resume with run.json's %s: %v; want bad input naming %s", tc.name, err, RunInfoFile)
			}
			if len(r.indexes()) > 0 {
				t.Errorf("resume with run.json's %s ran trials %v", tc.name, r.indexes())
			}
			if now, _ := os.ReadFile(filepath.Join(opts.OutDir, RecordsFile)); !bytes.Equal(now, records) {
				t.Errorf("resume with run.json's %s changed the records", tc.name)
			}
		})
	}
}

// interruptedSweep runs a small fake sweep (smallGrid, cold) that is
// stopped as trial stop starts, and returns its options, for a resume,
// and its runner.
func interruptedSweep(t *testing.T, stop int) (Options, *fakeRunner) {
	t.Helper()
	clock := newFakeClock()
	g := smallGrid(Cold)
	opts := testOptions(t, g, clock)
	first := &fakeRunner{clock: clock, sample: g.Sample, behave: func(ctx context.Context, tr Trial) error {
		if tr.Index == stop {
			return context.Canceled
		}
		return nil
	}}
	if _, err := Run(context.Background(), opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v; want it stopped at trial %d", err, stop)
	}
	return opts, first
}
