package analyze

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Makespan returns the wall time to build images with the given durations,
// in list order, under the real pipeline's semantics: the list is cut into
// consecutive batches of batch images; each batch is served by a pool of
// workers in which a worker that frees takes the next image of the batch
// (greedy list scheduling); the next batch starts only when the batch's
// last image finishes (a barrier). batch <= 0 means stream: one pool over
// the whole list, no barrier. Overheads between batches (pool start-up,
// prunes) are not included. It panics if workers < 1.
func Makespan(durations []float64, workers, batch int) float64 {
	if workers < 1 {
		panic(fmt.Sprintf("analyze: Makespan: workers = %d, must be >= 1", workers))
	}
	if batch <= 0 || batch > len(durations) {
		batch = len(durations)
	}
	free := make([]float64, workers)
	var total float64
	for start := 0; start < len(durations); start += batch {
		end := min(start+batch, len(durations))
		clear(free)
		for _, d := range durations[start:end] {
			w := 0 // the worker that frees first (lowest index on ties)
			for i := 1; i < workers; i++ {
				if free[i] < free[w] {
					w = i
				}
			}
			free[w] += d
		}
		total += slices.Max(free)
	}
	return total
}

// Prediction is a Monte Carlo prediction of a fleet build's wall time.
type Prediction struct {
	// Images, Workers and Batch describe the predicted build (Batch 0 is
	// stream); Reps is the number of resamples and Samples the number of
	// measured per-image times they were drawn from.
	Images, Workers, Batch, Reps, Samples int
	// Median is the median predicted wall time in seconds; Lo and Hi
	// bound the central 95% of the resampled wall times.
	Median, Lo, Hi float64
	// ImagesPerHour is Images per Median hour, with the interval
	// [ImagesPerHourLo, ImagesPerHourHi] from Hi and Lo.
	ImagesPerHour, ImagesPerHourLo, ImagesPerHourHi float64
	// Warnings explain limits of the prediction.
	Warnings []string
}

// PredictMakespan predicts the wall time of building n images with the
// given workers and batch size (batch <= 0: stream) by the bootstrap: each
// of reps resamples (DefaultReps if reps <= 0) draws n per-image times with
// replacement from perImageSeconds and computes their Makespan. It assumes
// per-image times are independent of the configuration they were measured
// under and of each other (no shared-cache warming, no prunes, no
// contention that grows with workers); feed it times measured under a
// comparable configuration. Non-finite and negative times are dropped with
// a warning. The result depends only on its arguments and seed.
func PredictMakespan(perImageSeconds []float64, workers, batch, n int, reps int, seed int64) Prediction {
	if reps <= 0 {
		reps = DefaultReps
	}
	if batch < 0 {
		batch = 0
	}
	p := Prediction{Images: n, Workers: workers, Batch: batch, Reps: reps}
	times := make([]float64, 0, len(perImageSeconds))
	for _, t := range perImageSeconds {
		if isFinite(t) && t >= 0 {
			times = append(times, t)
		}
	}
	if dropped := len(perImageSeconds) - len(times); dropped > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("dropped %d non-finite or negative per-image times", dropped))
	}
	p.Samples = len(times)
	switch {
	case workers < 1:
		p.Warnings = append(p.Warnings, fmt.Sprintf("workers = %d: need at least 1", workers))
		return p
	case n < 1:
		p.Warnings = append(p.Warnings, fmt.Sprintf("n = %d images: nothing to predict", n))
		return p
	case len(times) == 0:
		p.Warnings = append(p.Warnings, "no per-image times: nothing to resample")
		return p
	}
	if len(times) < 30 {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"only %d per-image times: the bootstrap can only reuse these values, so the interval understates the uncertainty", len(times)))
	}
	if reps < 200 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("only %d resamples: the ends of the 95%% interval are noisy", reps))
	}

	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	draw := make([]float64, n)
	walls := make([]float64, reps)
	for r := range walls {
		for i := range draw {
			draw[i] = times[rng.IntN(len(times))]
		}
		walls[r] = Makespan(draw, workers, batch)
	}
	sort.Float64s(walls)
	p.Median = sortedMedian(walls)
	p.Lo = stat.Quantile(0.025, stat.LinInterp, walls, nil)
	p.Hi = stat.Quantile(0.975, stat.LinInterp, walls, nil)
	p.ImagesPerHour = safeDiv(float64(n)*3600, p.Median)
	p.ImagesPerHourLo = safeDiv(float64(n)*3600, p.Hi)
	p.ImagesPerHourHi = safeDiv(float64(n)*3600, p.Lo)
	if p.Median == 0 {
		p.Warnings = append(p.Warnings, "predicted wall time is 0: images per hour undefined")
	}
	return p
}
