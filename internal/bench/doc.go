// Package bench is the measured-proof stage: scenario drivers that put
// buildtune's own claims to the test on the real stack and return medians,
// ratios and their confidence intervals, never printing. Each scenario is
// a function taking options and returning a result struct with a Markdown
// summary:
//
//   - Overhead: the fleet (buildtune's Go client path) against plain
//     `buildctl build` processes on the same images, daemon and registry;
//   - Schemes: the old batch-barrier script (one buildctl per image, a
//     barrier per batch, prunes between batches) at its real settings and
//     at PR #525's, against buildtune's production build, with the host's
//     CPU and the registry's bytes sampled to name the bottleneck;
//   - Replay: the ratios of the real history (FACTS.md) measured from a
//     sweep on the replay profile, each a hit or a miss at ±15%;
//   - SweepCost: an adaptive sweep against the full grid, same
//     recommendation or not, and what each cost.
//
// The Benchmark functions in bench_test.go run them on a private stack.
package bench
