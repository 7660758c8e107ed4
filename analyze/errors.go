package analyze

import (
	"errors"
	"math"
)

// Errors returned (wrapped) by the functions of this package.
var (
	// ErrEmpty means a sample had no values.
	ErrEmpty = errors.New("empty sample")
	// ErrNotFinite means a value was NaN or infinite.
	ErrNotFinite = errors.New("value is not finite")
	// ErrLength means paired slices differ in length.
	ErrLength = errors.New("slices differ in length")
	// ErrInvalid means a value is outside its domain (such as a
	// non-positive worker count).
	ErrInvalid = errors.New("invalid value")
	// ErrTooFewPoints means there is not enough data for a fit.
	ErrTooFewPoints = errors.New("too few points")
)

// Defaults used when a caller passes an out-of-range level.
const (
	// DefaultConfidence is used by Summary when confidence is not in (0, 1).
	DefaultConfidence = 0.95
	// DefaultAlpha is used by Compare, Rank and Halve when alpha is not
	// in (0, 1).
	DefaultAlpha = 0.05
	// DefaultReps is the number of resamples PredictMakespan draws when
	// reps <= 0.
	DefaultReps = 1000
	// ExactMax is the largest per-side sample size for which MannWhitney
	// computes the exact p-value (when there are no ties).
	ExactMax = 20
)

// isFinite reports whether x is neither NaN nor infinite.
func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// finite returns a copy of xs without NaN and infinite values, and how many
// were dropped.
func finite(xs []float64) ([]float64, int) {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if isFinite(x) {
			out = append(out, x)
		}
	}
	return out, len(xs) - len(out)
}

// sortedMedian is the median of a sorted, non-empty slice: the middle
// value, or the mean of the two middle values.
func sortedMedian(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
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
