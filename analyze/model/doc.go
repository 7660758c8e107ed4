// Package model is buildtune's models stage. It sits after the statistics
// stage (package analyze) and before the report: from per-image and
// per-trial observations it simulates a fleet build under the real
// pipeline's batch, barrier and prune semantics (Simulate), predicts the
// wall time of a full build with an interval that carries the machine's
// between-trial spread (Predict: a new trial's speed factor is drawn from
// the t predictive of the measured ones, bounded for 2 or 3 trials, whose
// t has no finite variance, to the measured range widened by 1.5 ranges
// at each end; an interval whose ends are more than 2x apart is flagged
// TooWide, too wide to test the prediction; the target's repos are sorted
// first, so the prediction does not depend on their order), plans how many runners and workers meet
// a deadline (PlanCapacity), and recommends one configuration among
// candidates with the evidence behind the choice (Recommend).
//
// Inputs are plain structs; the caller converts records into them. Every
// function is pure: no I/O, no printing, no flags or environment, and
// randomness only from an explicit seed (math/rand/v2 PCG). Results carry
// Warnings and never hold NaN or ±Inf, so they can be encoded as JSON.
package model
