package model

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
)

// Schedule describes one fleet build to simulate.
type Schedule struct {
	// Durations are the per-image build seconds, in build order.
	Durations []float64
	// Workers is the pool size (at least 1).
	Workers int
	// Batch is the batch size: 0 (or less) streams the whole list through
	// one pool with no barrier; B > 0 cuts the list into batches of B, each
	// a fresh pool of Workers that ends with a barrier.
	Batch int
	// FixedSeconds is a per-run cost paid once at the start, before any
	// image starts (for example the shared builder stage).
	FixedSeconds float64
	// DiskPerImage is the BuildKit disk growth per finished image and
	// DiskStart the disk in use at the start, in bytes.
	DiskPerImage, DiskStart float64
	// PruneThreshold is the disk use in bytes at which a prune runs (0: never
	// prune); a prune leaves min(disk, PruneKeep) bytes and costs
	// PruneSeconds of wall time.
	PruneThreshold, PruneKeep, PruneSeconds float64
	// Crowding, when above 0, runs each pool under processor sharing:
	// Durations are seconds alone, and with n images in flight each
	// progresses at 1/(1 + Crowding·(n−1)) of that speed (see crowd.go).
	// 0: every image takes its duration, however many run beside it.
	Crowding float64
}

// SimResult is the outcome of one simulated build.
type SimResult struct {
	// Makespan is the wall time in seconds, FixedSeconds and prunes
	// included.
	Makespan float64
	// Batches is the number of batches (1 for a stream).
	Batches int
	// Prunes is the number of prunes and PruneSeconds their total cost.
	Prunes       int
	PruneSeconds float64
	// BarrierIdleSeconds is the worker-seconds the pool spends idle inside
	// batches waiting for the batch's last image (Workers × batch span −
	// busy seconds, summed over batches; a worker with no image in a short
	// batch is idle the whole span). 0 for a stream.
	BarrierIdleSeconds float64
	// BusySeconds is the sum of the image durations.
	BusySeconds float64
	// Utilization is BusySeconds / (Workers × Makespan), 0 when Makespan
	// is 0.
	Utilization float64
	// Disk is the disk use in bytes at the end.
	Disk float64
	// Warnings explain inputs that were corrected.
	Warnings []string
}

// Simulate runs a discrete-event simulation of one fleet build.
//
// Within a pool, a worker that frees takes the next image of the list
// (greedy list scheduling; ties go to the lowest worker index), as the
// real script's process pool does.
//
// Pruning, batched (Batch > 0): as in the real script, disk is checked only
// between batches (before every batch but the first, never after the last).
// If it is at or above PruneThreshold, the prune stalls everything for
// PruneSeconds and the disk becomes min(disk, PruneKeep).
//
// Pruning, stream (Batch <= 0): when an image finishes, the disk is at or
// above PruneThreshold, no prune is running and images remain to start, a
// prune starts at that instant. Images in flight keep running; no new image
// starts until the prune ends. The disk drops to min(disk, PruneKeep) when
// the prune starts; images finishing during the prune add their growth
// afterwards and cannot start a second prune until the first has ended.
//
// Non-finite or negative durations count as 0, and Workers < 1 as 1, each
// with a warning.
func Simulate(s Schedule) SimResult {
	return simulate(s, nil)
}

// SimulateContext is Simulate, stopped once ctx is cancelled: it looks at
// ctx every checkEvery simulated events (an image started or finished),
// and then returns the partial result with an error wrapping ctx.Err().
func SimulateContext(ctx context.Context, s Schedule) (SimResult, error) {
	st := newStopper(ctx)
	if err := st.now(); err != nil {
		return SimResult{}, fmt.Errorf("simulating %d images at %d workers stopped before it started: %w", len(s.Durations), s.Workers, err)
	}
	r := simulate(s, st)
	if err := st.stopped(); err != nil {
		return r, fmt.Errorf("simulating %d images at %d workers stopped: %w", len(s.Durations), s.Workers, err)
	}
	return r, nil
}

// checkEvery is the number of simulated events between two looks at a
// context: a look takes a lock, an event some nanoseconds (a few
// microseconds at thousands of workers), so the simulation stays as fast
// and still stops within a millisecond or so of a cancel (some
// milliseconds at thousands of workers).
const checkEvery = 1 << 10

// stopper counts a simulation's events and looks at its context every
// checkEvery of them. A nil *stopper never stops (Simulate), so the hot
// path of an uncancellable simulation is one nil check per event.
type stopper struct {
	ctx  context.Context
	left int
	err  error
}

// newStopper returns the stopper of ctx, nil when ctx can never be
// cancelled.
func newStopper(ctx context.Context) *stopper {
	if ctx == nil || ctx.Done() == nil {
		return nil
	}
	return &stopper{ctx: ctx, left: checkEvery}
}

// event counts one simulated event and reports whether the simulation
// must stop (its context was cancelled). It inlines: the look at the
// context is in check, every checkEvery events.
func (s *stopper) event() bool {
	if s == nil {
		return false
	}
	s.left--
	return s.left <= 0 && s.check()
}

// events counts n simulated events at once (a chunk of a tight loop,
// which then needs no test per event) and reports whether the simulation
// must stop.
func (s *stopper) events(n int) bool {
	if s == nil {
		return false
	}
	s.left -= n
	return s.left <= 0 && s.check()
}

// check looks at the context and reports whether it was cancelled; once it
// was, every later event says so too.
func (s *stopper) check() bool {
	if s.err == nil {
		s.err = s.ctx.Err()
	}
	if s.err != nil {
		s.left = 0
		return true
	}
	s.left = checkEvery
	return false
}

// now looks at the context at once and returns its error (nil when s is
// nil or the context is live).
func (s *stopper) now() error {
	if s == nil {
		return nil
	}
	s.check()
	return s.err
}

// stopped returns the error that stopped the simulation, nil if none did.
func (s *stopper) stopped() error {
	if s == nil {
		return nil
	}
	return s.err
}

// simulate is Simulate, stopping early when st says so (st.stopped is then
// not nil and the result is partial).
func simulate(s Schedule, st *stopper) SimResult {
	var r SimResult
	w := s.Workers
	if w < 1 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("workers = %d: simulated with 1", w))
		w = 1
	}
	ds := make([]float64, len(s.Durations))
	bad := 0
	for i, d := range s.Durations {
		if isFinite(d) && d >= 0 {
			ds[i] = d
		} else {
			bad++
		}
	}
	if bad > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d non-finite or negative durations counted as 0", bad))
	}
	fixed := nonNeg(s.FixedSeconds)
	pruneCost := nonNeg(s.PruneSeconds)
	pruning := s.PruneThreshold > 0
	if pruning && s.PruneKeep >= s.PruneThreshold {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"prune keep %.4g B is not below the threshold %.4g B: every check past the threshold prunes", s.PruneKeep, s.PruneThreshold))
	}
	r.Disk = nonNeg(s.DiskStart)
	for _, d := range ds {
		r.BusySeconds += d
	}

	switch beta := nonNeg(s.Crowding); {
	case beta > 0 && s.Batch > 0:
		simulateBatched(&r, ds, w, s.Batch, fixed, nonNeg(s.DiskPerImage), pruning, s.PruneThreshold, s.PruneKeep, pruneCost, beta, st)
	case beta > 0:
		simulateCrowdedStream(&r, ds, min(w, len(ds)), fixed, nonNeg(s.DiskPerImage), pruning, s.PruneThreshold, s.PruneKeep, pruneCost, beta, st)
	case s.Batch > 0:
		simulateBatched(&r, ds, w, s.Batch, fixed, nonNeg(s.DiskPerImage), pruning, s.PruneThreshold, s.PruneKeep, pruneCost, 0, st)
	default:
		simulateStream(&r, ds, w, fixed, nonNeg(s.DiskPerImage), pruning, s.PruneThreshold, s.PruneKeep, pruneCost, st)
	}
	r.Utilization = safeDiv(r.BusySeconds, float64(w)*r.Makespan)
	return r
}

// simulateBatched runs the batches one after the other, each a fresh pool
// ending in a barrier, with the prune check between them. beta above 0
// runs each pool under processor sharing (crowdedBatch), else as a list
// schedule (listBatch). It returns early, the result partial, once st
// says to stop.
func simulateBatched(r *SimResult, ds []float64, w, batch int, fixed, grow float64, pruning bool, threshold, keep, cost, beta float64, st *stopper) {
	t := fixed
	// A pool never holds more than one batch: workers beyond it stay idle
	// (they count as idle at the barriers below), so only the batch's
	// slots are scheduled, which keeps a huge workers value cheap.
	slots := min(w, batch)
	free := make([]float64, slots)
	if beta > 0 {
		r.BusySeconds = 0 // the stretched durations, summed per batch
	}
	for start := 0; start < len(ds); start += batch {
		end := min(start+batch, len(ds))
		if start > 0 && pruning && r.Disk >= threshold {
			r.Prunes++
			r.PruneSeconds += cost
			t += cost
			r.Disk = math.Min(r.Disk, keep)
		}
		var span, busy float64
		if beta > 0 {
			span, busy = crowdedBatch(ds[start:end], slots, beta, st)
			r.BusySeconds += busy
		} else {
			span, busy = listBatch(ds[start:end], free, st)
		}
		if st.stopped() != nil {
			r.Makespan = t + span
			return
		}
		t += span
		r.BarrierIdleSeconds += float64(w)*span - busy
		r.Disk += grow * float64(end-start)
		r.Batches++
	}
	r.BarrierIdleSeconds = math.Max(0, r.BarrierIdleSeconds)
	r.Makespan = t
}

// listBatch schedules one batch on the slots of free (a worker that frees
// takes the next image, ties to the lowest index) and returns its span and
// busy seconds (partial once st says to stop).
func listBatch(ds, free []float64, st *stopper) (span, busy float64) {
	clear(free)
	// A chunk of checkEvery images at a time, counted at once: the loop
	// over a chunk (listChunk) tests nothing per image.
	for len(ds) > 0 {
		n := min(len(ds), checkEvery)
		if st.events(n) {
			break
		}
		busy += listChunk(ds[:n], free)
		ds = ds[n:]
	}
	return slices.Max(free), busy
}

// listChunk gives each image of ds to the worker of free that frees first
// (ties to the lowest index) and returns their summed seconds.
func listChunk(ds, free []float64) (busy float64) {
	for _, d := range ds {
		k := 0
		for i := 1; i < len(free); i++ {
			if free[i] < free[k] {
				k = i
			}
		}
		free[k] += d
		busy += d
	}
	return busy
}

func simulateStream(r *SimResult, ds []float64, w int, fixed, grow float64, pruning bool, threshold, keep, cost float64, st *stopper) {
	r.Batches = 1
	if len(ds) == 0 {
		r.Batches = 0
		r.Makespan = fixed
		return
	}
	// free[k] is when worker k finishes its current image; running[k] says
	// whether it has one. Workers beyond the images never get one, so
	// only as many as there are images are scheduled.
	w = min(w, len(ds))
	free := make([]float64, w)
	running := make([]bool, w)
	next := 0
	blockedUntil := fixed
	for k := 0; k < w && next < len(ds); k++ {
		free[k] = fixed + ds[next]
		running[k] = true
		next++
	}
	end := fixed
	for !st.event() {
		k := -1
		for i := range w {
			if running[i] && (k < 0 || free[i] < free[k]) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		f := free[k]
		running[k] = false
		end = math.Max(end, f)
		r.Disk += grow
		if next >= len(ds) {
			continue
		}
		if pruning && f >= blockedUntil && r.Disk >= threshold {
			r.Prunes++
			r.PruneSeconds += cost
			blockedUntil = f + cost
			r.Disk = math.Min(r.Disk, keep)
		}
		startAt := math.Max(f, blockedUntil)
		free[k] = startAt + ds[next]
		running[k] = true
		next++
	}
	r.Makespan = end
}

// LPTOrder returns the indices of durations longest first (longest
// processing time first), ties in index order. Durations[LPTOrder(d)[0]]
// is the longest.
func LPTOrder(durations []float64) []int {
	idx := make([]int, len(durations))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(durations[b], durations[a])
	})
	return idx
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// nonNeg returns x, or 0 when x is negative or not finite.
func nonNeg(x float64) float64 {
	if isFinite(x) && x > 0 {
		return x
	}
	return 0
}

// safeDiv returns a/b, or 0 when b is 0 or the result is not finite.
func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	if q := a / b; isFinite(q) {
		return q
	}
	return 0
}
