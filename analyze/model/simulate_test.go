package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/analyze"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func repeat(d float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = d
	}
	return xs
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestSimulateClosedForms(t *testing.T) {
	tests := []struct {
		name string
		s    Schedule
		want SimResult
	}{
		{
			name: "batch=W equal durations: ceil(n/W)*d",
			s:    Schedule{Durations: repeat(10, 10), Workers: 3, Batch: 3},
			// 4 batches of 10 s; the last holds 1 image: 2 idle workers x 10 s.
			want: SimResult{Makespan: 40, Batches: 4, BusySeconds: 100, BarrierIdleSeconds: 20, Utilization: 100.0 / 120},
		},
		{
			name: "stream equal durations: ceil(n/W)*d",
			s:    Schedule{Durations: repeat(10, 10), Workers: 3},
			want: SimResult{Makespan: 40, Batches: 1, BusySeconds: 100, Utilization: 100.0 / 120},
		},
		{
			name: "one worker stream: sum",
			s:    Schedule{Durations: []float64{1, 2, 3, 4}, Workers: 1},
			want: SimResult{Makespan: 10, Batches: 1, BusySeconds: 10, Utilization: 1},
		},
		{
			name: "one worker batched: sum",
			s:    Schedule{Durations: []float64{1, 2, 3, 4}, Workers: 1, Batch: 3},
			want: SimResult{Makespan: 10, Batches: 2, BusySeconds: 10, Utilization: 1},
		},
		{
			// Each batch: worker 0 takes the 10, worker 1 the two 1s; span 10,
			// idle 2*10-12 = 8 per batch.
			name: "one slow image per batch",
			s:    Schedule{Durations: []float64{10, 1, 1, 10, 1, 1}, Workers: 2, Batch: 3},
			want: SimResult{Makespan: 20, Batches: 2, BusySeconds: 24, BarrierIdleSeconds: 16, Utilization: 24.0 / 40},
		},
		{
			// w1: 1,1 then the second 10 at t=2 (ends 12); w0: 10, 1, 1 (ends 12).
			name: "same list streamed",
			s:    Schedule{Durations: []float64{10, 1, 1, 10, 1, 1}, Workers: 2},
			want: SimResult{Makespan: 12, Batches: 1, BusySeconds: 24, Utilization: 1},
		},
		{
			// Disk before batches 2..5: 2, 4 (prune -> 0), 2, 4 (prune -> 0); ends at 2.
			name: "batched prunes: n=10 growth 1 threshold 4 keep 0 batch 2",
			s: Schedule{Durations: repeat(10, 10), Workers: 2, Batch: 2, FixedSeconds: 7,
				DiskPerImage: 1, PruneThreshold: 4, PruneKeep: 0, PruneSeconds: 5},
			want: SimResult{Makespan: 7 + 50 + 10, Batches: 5, Prunes: 2, PruneSeconds: 10, BusySeconds: 100, Disk: 2, Utilization: 100.0 / 134},
		},
		{
			// Disk before batches 2..5: 2, 4 (-> 1), 3, 5 (-> 1); ends at 3.
			name: "batched prunes keep 1",
			s: Schedule{Durations: repeat(10, 10), Workers: 2, Batch: 2,
				DiskPerImage: 1, PruneThreshold: 4, PruneKeep: 1, PruneSeconds: 5},
			want: SimResult{Makespan: 60, Batches: 5, Prunes: 2, PruneSeconds: 10, BusySeconds: 100, Disk: 3, Utilization: 100.0 / 120},
		},
		{
			// 0-10, 10-20 (disk 2: prune 20-25, disk 0), 25-35, 35-45 (disk 2,
			// nothing left to start: no prune).
			name: "stream prune one worker",
			s: Schedule{Durations: repeat(10, 4), Workers: 1,
				DiskPerImage: 1, PruneThreshold: 2, PruneSeconds: 5},
			want: SimResult{Makespan: 45, Batches: 1, Prunes: 1, PruneSeconds: 5, BusySeconds: 40, Disk: 2, Utilization: 40.0 / 45},
		},
		{
			// w0: 0-10; w1: 0-4, then 4-14 (in flight through the prune).
			// At 10 disk reaches 2: prune 10-15; the last image waits: 15-25.
			name: "stream prune blocks starts, in-flight continue",
			s: Schedule{Durations: []float64{10, 4, 10, 10}, Workers: 2,
				DiskPerImage: 1, PruneThreshold: 2, PruneSeconds: 5},
			want: SimResult{Makespan: 25, Batches: 1, Prunes: 1, PruneSeconds: 5, BusySeconds: 34, Disk: 2, Utilization: 34.0 / 50},
		},
		{
			name: "empty stream pays the fixed cost",
			s:    Schedule{Workers: 2, FixedSeconds: 3},
			want: SimResult{Makespan: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Simulate(tt.s)
			w := tt.want
			if !near(got.Makespan, w.Makespan, 1e-9) || got.Batches != w.Batches || got.Prunes != w.Prunes ||
				!near(got.PruneSeconds, w.PruneSeconds, 1e-9) || !near(got.BusySeconds, w.BusySeconds, 1e-9) ||
				!near(got.BarrierIdleSeconds, w.BarrierIdleSeconds, 1e-9) || !near(got.Utilization, w.Utilization, 1e-9) ||
				!near(got.Disk, w.Disk, 1e-9) {
				t.Errorf("Simulate() = %+v\nwant %+v", got, w)
			}
			if len(got.Warnings) != 0 {
				t.Errorf("unexpected warnings %q", got.Warnings)
			}
		})
	}
}

// Without fixed cost and prunes, Simulate agrees with analyze.Makespan.
func TestSimulateMatchesMakespan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + rng.IntN(40)
		ds := make([]float64, n)
		for i := range ds {
			ds[i] = rng.Float64() * 100
		}
		w := 1 + rng.IntN(6)
		b := rng.IntN(8)
		got := Simulate(Schedule{Durations: ds, Workers: w, Batch: b}).Makespan
		want := analyze.Makespan(ds, w, b)
		if !near(got, want, 1e-9) {
			t.Fatalf("n=%d w=%d b=%d: Simulate %v, Makespan %v", n, w, b, got, want)
		}
	}
}

func TestSimulateWarnings(t *testing.T) {
	r := Simulate(Schedule{Durations: []float64{math.NaN(), -1, 5}, Workers: 0})
	if r.Makespan != 5 || !hasWarning(r.Warnings, "2 non-finite") || !hasWarning(r.Warnings, "workers = 0") {
		t.Errorf("got %+v", r)
	}
	r = Simulate(Schedule{Durations: repeat(1, 4), Workers: 1, Batch: 1, DiskPerImage: 1, PruneThreshold: 1, PruneKeep: 2, PruneSeconds: 1})
	if r.Prunes != 3 || !hasWarning(r.Warnings, "not below the threshold") {
		t.Errorf("keep >= threshold: got %+v", r)
	}
}

func TestLPTOrder(t *testing.T) {
	got := LPTOrder([]float64{3, 1, 4, 1, 5})
	if want := []int{4, 2, 0, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("LPTOrder = %v, want %v", got, want)
	}
	if got := LPTOrder(nil); len(got) != 0 {
		t.Errorf("LPTOrder(nil) = %v", got)
	}
}

// TestSimulateHugeWorkers: a workers value far beyond the batch or the
// images (a typo, or a cell of a remote fleet) schedules only the slots
// that can hold an image: the simulation took time and memory in
// proportion to the workers and hung `buildtune plan`.
func TestSimulateHugeWorkers(t *testing.T) {
	ds := make([]float64, 2000)
	for i := range ds {
		ds[i] = float64(1 + i%7)
	}
	for _, batch := range []int{10, 0} {
		fit := len(ds) // a stream holds every image at once
		if batch > 0 {
			fit = batch
		}
		want := Simulate(Schedule{Durations: ds, Workers: fit, Batch: batch, FixedSeconds: 1})
		done := make(chan SimResult, 1)
		go func() { done <- Simulate(Schedule{Durations: ds, Workers: 20_000_000, Batch: batch, FixedSeconds: 1}) }()
		select {
		case got := <-done:
			if got.Makespan != want.Makespan || got.Batches != want.Batches {
				t.Errorf("batch %d: 20M workers: makespan %v in %d batches, want %v in %d (as many workers as fit)", batch, got.Makespan, got.Batches, want.Makespan, want.Batches)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("batch %d: simulating 2000 images at 20M workers took over 5s", batch)
		}
	}
}
