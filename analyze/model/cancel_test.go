package model

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// stopsWithin runs f, cancels its context after delay and fails unless f
// returns within limit of the cancel with an error wrapping
// context.Canceled that contains want.
func stopsWithin(t *testing.T, delay, limit time.Duration, want string, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	time.Sleep(delay)
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one wrapping context.Canceled naming %q", err, want)
		}
		if d := time.Since(start); d > limit {
			t.Errorf("stopped %v after the cancel, want within %v", d, limit)
		}
	case <-time.After(20 * limit):
		t.Fatalf("still running %v after the cancel", 20*limit)
	}
}

// TestPredictContextStops: a prediction of a big build (200,000 images
// at 5,000 workers: each simulated build takes over a second, each of its
// events some microseconds) stops within a fraction of one simulated
// build (600 ms: room for a loaded machine or -race; it failed at 337 ms at a load of 7 on 2 cores) when its context is
// cancelled, with an error wrapping context.Canceled that names what
// stopped; so does a crowded batched one. Looking at the context only
// between simulated builds would take up to a second.
func TestPredictContextStops(t *testing.T) {
	ims, trials := cellObs([]float64{9, 10, 11, 12}, []string{"a", "b"}, []float64{1, 1.02, 0.99})
	for _, in := range []PredictInput{
		{Images: ims, Trials: trials, N: 200_000, Workers: 5000, Reps: 1000},
		{Images: ims, Trials: trials, N: 1_000_000, Workers: 64, Batch: 5000, Crowding: 0.2, Reps: 1000},
	} {
		stopsWithin(t, 50*time.Millisecond, 600*time.Millisecond, "images at", func(ctx context.Context) error {
			_, err := PredictContext(ctx, in)
			return err
		})
	}
	// Cancelled before it starts: no simulated build at all.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := PredictContext(ctx, PredictInput{Images: ims, Trials: trials, N: 10, Workers: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
}

// TestSimulateContextStops: one simulated build that takes over a second
// stops in its middle, and a live context changes nothing.
func TestSimulateContextStops(t *testing.T) {
	ds := make([]float64, 200_000)
	for i := range ds {
		ds[i] = 1 + float64(i%97)/97
	}
	stopsWithin(t, 20*time.Millisecond, 600*time.Millisecond, "simulating 200000 images at 5000 workers stopped", func(ctx context.Context) error {
		_, err := SimulateContext(ctx, Schedule{Durations: ds, Workers: 5000})
		return err
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, s := range []Schedule{
		{Durations: ds[:100_000], Workers: 4, Batch: 7, Crowding: 0.3, DiskPerImage: 1, PruneThreshold: 50, PruneKeep: 10, PruneSeconds: 2},
		{Durations: ds[:100_000], Workers: 3, Crowding: 0.3, DiskPerImage: 1, PruneThreshold: 50, PruneKeep: 10, PruneSeconds: 2},
		{Durations: ds[:100_000], Workers: 5, DiskPerImage: 1, PruneThreshold: 50, PruneKeep: 10, PruneSeconds: 2},
	} {
		got, err := SimulateContext(ctx, s)
		if want := Simulate(s); err != nil || got.Makespan != want.Makespan || got.Prunes != want.Prunes || got.BusySeconds != want.BusySeconds {
			t.Errorf("live context: %+v, %v; want %+v", got, err, want)
		}
	}
}

// TestPredictContextSameResult: with a context that is never cancelled,
// PredictContext is Predict, draw for draw.
func TestPredictContextSameResult(t *testing.T) {
	ims, trials := cellObs([]float64{9, 10, 11, 12}, []string{"a", "b"}, []float64{1, 1.02, 0.99})
	in := PredictInput{Images: ims, Trials: trials, N: 50_000, Workers: 4, Batch: 15, Reps: 20, Seed: 3}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got, err := PredictContext(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Predict(in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Samples, want.Samples) {
		t.Errorf("samples differ with a live context")
	}
}
