package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/engine"
)

// The scheduler tests run inside a synctest bubble: time is virtual, so a
// job "taking" d seconds (time.Sleep(d) in the bubble) advances the fake
// clock by exactly d once every goroutine is blocked, and makespans come
// out exact. Sleeps here are the jobs' durations, never waits for another
// goroutine: those use channels and synctest.Wait.

type span struct {
	batch      int
	queued     time.Time
	start, end time.Time
}

func TestRunBatchesMakespan(t *testing.T) {
	durations := []float64{5, 1, 8, 2, 2, 7, 3, 1, 4, 6, 2, 9, 1}
	for _, tc := range []struct{ workers, batch int }{
		{1, 1}, {1, 4}, {1, 0}, {2, 4}, {3, 4}, {4, 4}, {8, 4}, {3, 5}, {2, 0}, {4, 0}, {3, 13}, {2, 20},
	} {
		t.Run(fmt.Sprintf("W%d-B%d", tc.workers, tc.batch), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				spans := make([]span, len(durations))
				var mu sync.Mutex
				running, maxRunning := 0, 0
				var hooks []int
				start := time.Now()
				err := RunBatches(t.Context(), len(durations), tc.workers, tc.batch,
					func(ctx context.Context, i, b int, queued time.Time) error {
						mu.Lock()
						running++
						maxRunning = max(maxRunning, running)
						spans[i] = span{batch: b, queued: queued, start: time.Now()}
						mu.Unlock()
						time.Sleep(time.Duration(durations[i] * float64(time.Second))) // the job's duration, virtual
						mu.Lock()
						running--
						spans[i].end = time.Now()
						mu.Unlock()
						return nil
					},
					func(ctx context.Context, b int) error {
						hooks = append(hooks, b)
						return nil
					})
				if err != nil {
					t.Fatal(err)
				}
				got := time.Since(start).Seconds()
				if want := analyze.Makespan(durations, tc.workers, tc.batch); got != want {
					t.Errorf("makespan %v s, want analyze.Makespan = %v s", got, want)
				}

				size := tc.batch
				if size == 0 || size > len(durations) {
					size = len(durations)
				}
				batches := (len(durations) + size - 1) / size
				for i, s := range spans {
					if s.batch != i/size {
						t.Errorf("job %d ran as batch %d, want %d", i, s.batch, i/size)
					}
				}
				// Barrier: no job of batch k+1 starts (or is queued) before
				// every job of batch k has ended.
				for k := 0; k+1 < batches; k++ {
					var lastEnd time.Time
					for _, s := range spans[k*size : min((k+1)*size, len(spans))] {
						if s.end.After(lastEnd) {
							lastEnd = s.end
						}
					}
					for i, s := range spans[(k+1)*size : min((k+2)*size, len(spans))] {
						if s.start.Before(lastEnd) || s.queued.Before(lastEnd) {
							t.Errorf("job %d of batch %d started at %v, before batch %d ended at %v",
								(k+1)*size+i, k+1, s.start.Sub(start), k, lastEnd.Sub(start))
						}
					}
				}
				if want := min(tc.workers, size); maxRunning != want {
					t.Errorf("max concurrency %d, want %d", maxRunning, want)
				}
				wantHooks := []int{}
				if tc.batch > 0 {
					for k := 0; k+1 < batches; k++ {
						wantHooks = append(wantHooks, k)
					}
				}
				if !slices.Equal(append([]int{}, hooks...), wantHooks) {
					t.Errorf("hook ran after batches %v, want %v (between batches only, never in stream)", hooks, wantHooks)
				}
			})
		})
	}
}

// TestRunBatchesControlled holds every job on its own channel and releases
// them one at a time, in an order the scheduler cannot predict (the newest
// running job first), checking at every step which jobs are running.
func TestRunBatchesControlled(t *testing.T) {
	for _, tc := range []struct{ n, workers, batch int }{
		{10, 3, 4}, {10, 4, 4}, {7, 2, 0}, {9, 5, 3}, {6, 1, 2},
	} {
		t.Run(fmt.Sprintf("n%d-W%d-B%d", tc.n, tc.workers, tc.batch), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make([]chan struct{}, tc.n)
				for i := range release {
					release[i] = make(chan struct{})
				}
				var mu sync.Mutex
				running := map[int]bool{}
				finished := 0
				var hookErrs []string
				done := make(chan error, 1)
				go func() {
					done <- RunBatches(t.Context(), tc.n, tc.workers, tc.batch,
						func(ctx context.Context, i, b int, queued time.Time) error {
							mu.Lock()
							running[i] = true
							mu.Unlock()
							<-release[i]
							mu.Lock()
							delete(running, i)
							finished++
							mu.Unlock()
							return nil
						},
						func(ctx context.Context, b int) error {
							mu.Lock()
							defer mu.Unlock()
							if len(running) != 0 || finished != (b+1)*tc.batch {
								hookErrs = append(hookErrs, fmt.Sprintf("hook after batch %d: %d running, %d finished", b, len(running), finished))
							}
							return nil
						})
				}()
				size := tc.batch
				if size == 0 {
					size = tc.n
				}
				for step := 0; step < tc.n; step++ {
					synctest.Wait() // every goroutine is blocked: the set of running jobs is settled
					mu.Lock()
					batch := finished / size
					lo, hi := batch*size, min((batch+1)*size, tc.n)
					left := hi - lo - (finished - lo) // jobs of this batch not finished
					if want := min(tc.workers, left); len(running) != want {
						t.Fatalf("step %d: %d jobs running %v, want %d", step, len(running), keys(running), want)
					}
					newest := -1
					for i := range running {
						if i < lo || i >= hi {
							t.Fatalf("step %d: job %d runs while batch %d (jobs %d..%d) is not done", step, i, batch, lo, hi-1)
						}
						newest = max(newest, i)
					}
					mu.Unlock()
					close(release[newest])
				}
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				for _, e := range hookErrs {
					t.Error(e)
				}
			})
		})
	}
}

func keys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestRunBatchesCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var mu sync.Mutex
		started := map[int]bool{}
		sawCancel := 0
		done := make(chan error, 1)
		go func() {
			done <- RunBatches(ctx, 10, 3, 4, func(ctx context.Context, i, b int, queued time.Time) error {
				mu.Lock()
				started[i] = true
				mu.Unlock()
				<-ctx.Done()
				mu.Lock()
				sawCancel++
				mu.Unlock()
				return ctx.Err()
			}, func(context.Context, int) error {
				t.Error("hook ran after cancellation")
				return nil
			})
		}()
		synctest.Wait()
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunBatches = %v, want context.Canceled", err)
		}
		if len(started) != 3 || sawCancel != 3 {
			t.Errorf("%d jobs started (%v), %d saw the cancellation; want 3 and 3", len(started), keys(started), sawCancel)
		}
	})
}

func TestRunBatchesCancelledBefore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := RunBatches(ctx, 5, 2, 2, func(context.Context, int, int, time.Time) error {
		t.Error("a job ran")
		return nil
	}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("RunBatches = %v, want context.Canceled", err)
	}
}

func TestRunBatchesJobErrorGoesOn(t *testing.T) {
	var mu sync.Mutex
	ran := 0
	err := RunBatches(context.Background(), 9, 2, 3, func(ctx context.Context, i, b int, q time.Time) error {
		mu.Lock()
		ran++
		mu.Unlock()
		if i%2 == 0 {
			return &engine.BuildError{ID: fmt.Sprint(i), Class: engine.ErrBuild, Err: errors.New("RUN apt-get exited 100")}
		}
		return nil
	}, nil)
	if err != nil || ran != 9 {
		t.Errorf("RunBatches = %v after %d jobs; want nil after 9: build failures are the job's to record", err, ran)
	}
}

func TestRunBatchesInfraStops(t *testing.T) {
	for name, infra := range map[string]error{
		"sentinel":     fmt.Errorf("%w: buildkitd exited", ErrInfra),
		"engine class": &engine.BuildError{ID: "x", Class: engine.ErrInfra, Err: errors.New("connection reset")},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				started := map[int]bool{}
				cancelled := 0
				err := RunBatches(t.Context(), 12, 3, 6, func(ctx context.Context, i, b int, q time.Time) error {
					mu.Lock()
					started[i] = true
					mu.Unlock()
					if i == 1 {
						time.Sleep(time.Second) // job 1 fails after 1 s, while 0 and 2 still run
						return infra
					}
					<-ctx.Done()
					mu.Lock()
					cancelled++
					mu.Unlock()
					return ctx.Err()
				}, func(context.Context, int) error {
					t.Error("hook ran after an infrastructure failure")
					return nil
				})
				if !errors.Is(err, infra) || !IsInfra(err) || !strings.Contains(err.Error(), "job 1") {
					t.Errorf("RunBatches = %v, want job 1's infrastructure error", err)
				}
				if len(started) != 3 || cancelled != 2 {
					t.Errorf("started %v, %d cancelled; want jobs 0-2 started and the two others cancelled", keys(started), cancelled)
				}
			})
		})
	}
}

func TestRunBatchesHookError(t *testing.T) {
	var mu sync.Mutex
	ran := 0
	err := RunBatches(context.Background(), 9, 2, 3, func(context.Context, int, int, time.Time) error {
		mu.Lock()
		ran++
		mu.Unlock()
		return nil
	}, func(ctx context.Context, b int) error {
		if b == 1 {
			return fmt.Errorf("%w: prune: daemon gone", ErrInfra)
		}
		return nil
	})
	if err == nil || !errors.Is(err, ErrInfra) || !strings.Contains(err.Error(), "between batches 1 and 2") {
		t.Errorf("RunBatches = %v, want the hook's error naming the batches", err)
	}
	if ran != 6 {
		t.Errorf("%d jobs ran, want 6 (batch 2 never starts)", ran)
	}
}

func TestRunBatchesArgs(t *testing.T) {
	job := func(context.Context, int, int, time.Time) error { return nil }
	for _, tc := range []struct {
		n, w, b int
		want    string
	}{
		{5, 0, 2, "0 workers"},
		{5, 2, -1, "batch size -1"},
		{-1, 2, 2, "-1 jobs"},
	} {
		if err := RunBatches(context.Background(), tc.n, tc.w, tc.b, job, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RunBatches(n=%d, w=%d, b=%d) = %v, want %q", tc.n, tc.w, tc.b, err, tc.want)
		}
	}
	if err := RunBatches(context.Background(), 0, 2, 2, job, nil); err != nil {
		t.Errorf("no jobs: %v", err)
	}
}
