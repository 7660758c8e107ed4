package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
)

// ErrInfra marks an infrastructure failure (daemon gone, registry down,
// disk full) that must stop a trial and the sweep. Wrap it:
// fmt.Errorf("%w: buildkitd exited", sweep.ErrInfra).
var ErrInfra = errors.New("infrastructure failure")

// infraError marks err as an infrastructure failure, its text unchanged.
type infraError struct{ error }

func (e infraError) Unwrap() error      { return e.error }
func (infraError) Is(target error) bool { return target == ErrInfra }

// Infra marks err as an infrastructure failure (IsInfra), its text
// unchanged: for a failure around the builds, such as an output file that
// cannot be written.
func Infra(err error) error {
	if err == nil {
		return nil
	}
	return infraError{err}
}

// IsInfra reports whether err is an infrastructure failure: it wraps
// ErrInfra, or engine.ClassOf classes it engine.ErrInfra.
func IsInfra(err error) bool {
	return err != nil && (errors.Is(err, ErrInfra) || engine.ClassOf(err) == engine.ErrInfra)
}

// Job runs job i (0-based, in the order given) of batch batchIndex
// (0-based; always 0 in stream mode). queued is when the job was queued:
// the start of its batch (of the whole run in stream mode), so that the
// time it waited for a free worker is its start minus queued.
type Job func(ctx context.Context, i, batchIndex int, queued time.Time) error

// Hook runs between two batches, after batch batchIndex ended and before
// batch batchIndex+1 starts: the prune policy of the real script.
type Hook func(ctx context.Context, batchIndex int) error

// RunBatches runs jobs 0..n-1 the way the real build script does. The jobs
// (already sorted) are cut into batches of batch jobs; each batch gets a
// pool of workers workers, each of which takes the next job of the batch
// as soon as it is free; a batch ends with a barrier: the next batch starts
// only when every job of this one has returned. Between two batches (not
// after the last) between runs, if not nil.
//
// batch 0 is stream: one continuous pool over all n jobs, no barrier, and
// between never runs (the real script only prunes at barriers, so a stream
// has no point where the hook would see the pool idle).
//
// A job's error does not stop the others: a failed build is the job's to
// record, as the real script records it and goes on. The exception is an
// infrastructure failure (IsInfra): no further job starts, running jobs see
// their context cancelled, and RunBatches returns that error once they have
// returned. An error from between stops the run the same way and is
// returned wrapped.
//
// When ctx is cancelled no new job starts, running jobs get the cancelled
// context, and RunBatches returns ctx.Err() after they have returned.
func RunBatches(ctx context.Context, n, workers, batch int, job Job, between Hook) error {
	if workers < 1 {
		return fmt.Errorf("running batches: %d workers, want 1 or more", workers)
	}
	if batch < 0 {
		return fmt.Errorf("running batches: batch size %d, want 1 or more, or 0 for stream", batch)
	}
	if n < 0 {
		return fmt.Errorf("running batches: %d jobs", n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	size := batch
	if size == 0 || size > n {
		size = n
	}
	for b, lo := 0, 0; lo < n; b, lo = b+1, lo+size {
		if b > 0 && batch > 0 && between != nil {
			if err := between(ctx, b-1); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("between batches %d and %d: %w", b-1, b, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := runPool(ctx, lo, min(n, lo+size), workers, b, job); err != nil {
			return err
		}
	}
	return nil
}

// runPool runs jobs lo..hi-1 on a pool of workers and waits for all of them.
func runPool(parent context.Context, lo, hi, workers, batchIndex int, job Job) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	queued := time.Now()

	var (
		mu       sync.Mutex
		next     = lo
		infraErr error
	)
	// take hands out the next job, or -1 once the batch is done or stopped.
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next >= hi || ctx.Err() != nil {
			return -1
		}
		i := next
		next++
		return i
	}

	var wg sync.WaitGroup
	for range min(workers, hi-lo) {
		wg.Go(func() {
			for i := take(); i >= 0; i = take() {
				err := job(ctx, i, batchIndex, queued)
				if IsInfra(err) && parent.Err() == nil {
					mu.Lock()
					if infraErr == nil {
						infraErr = fmt.Errorf("job %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return err
	}
	return infraErr
}
