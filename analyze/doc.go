// Package analyze is buildtune's statistics stage: statistics over records
// (per-image build seconds, per-trial wall seconds, images per hour) read by
// other packages. It imports nothing else of buildtune and does no I/O.
//
// One topic per file, in the manner of golang.org/x/perf/benchmath:
//
//   - sample.go: Summary (median and its distribution-free confidence
//     interval, quartiles), Percentile and MAD-based Outliers;
//   - mannwhitney.go: the Mann-Whitney U test, two-sided and one-sided,
//     and CanSeparate (can these sample sizes ever reach significance);
//   - compare.go: Compare two samples, with a Hodges-Lehmann ratio and its
//     interval;
//   - equivalence.go: Equivalent, a TOST equivalence test within a
//     relative margin;
//   - rank.go: Rank cells against the best, Holm-Bonferroni corrected;
//   - halving.go: Halve and HalveWith, which cells an adaptive sweep drops,
//     with their Evidence;
//   - usl.go: FitUSL, FitAmdahl and FitUSLBootstrap, the Universal
//     Scalability Law of throughput against workers;
//   - makespan.go: Makespan and PredictMakespan, the wall time of a fleet
//     build under the real pipeline's batch-and-barrier semantics;
//   - errors.go: errors, defaults and small helpers.
//
// Every function here is pure: no I/O, no printing, no global state, and
// random resampling only from an explicit seed. Results are structs that
// carry their own Warnings: when the data cannot support a conclusion, the
// result says so instead of guessing. Values that are undefined (a ratio
// over a zero median, an optimum that does not exist) are reported as 0
// together with a warning, never as NaN or ±Inf, so every result can be
// encoded as JSON.
package analyze
