// Package evidence is buildtune's evidence stage. It sits after the sweep
// (which writes a run folder: run.json and records.jsonl) and after the
// statistics (package analyze) and models (package analyze/model), and
// before the report: it turns one run folder into decisions.
//
// One topic per file:
//
//   - load.go: Load reads a run folder (run.json, records.jsonl);
//   - jobs.go: the unit of a build is the instance: a three-phase
//     instance's base and assembly records are one job of the worker
//     pool, and the shared builder, built once per run before any
//     instance, is no image but part of the fixed per-run cost;
//   - cells.go: per-cell summaries (throughput, phases, bytes, disk),
//     the Holm-ranked comparison, comparisons against a baseline, TOST
//     equivalence to the best, and per knob whether it matters;
//   - model.go: USL fits per series, fixed per-run cost, prune cost and
//     barrier loss;
//   - predict.go: Config, ParseConfig and Analysis.Predict, the full
//     build's wall time for a measured or extrapolated configuration (an
//     extrapolation to other builds at once than measured needs a scaling
//     model, a USL or a crowding fit; without one it is refused,
//     ErrNoScalingModel);
//   - recommend.go: Analysis.Recommend, one configuration with its
//     evidence, and its JSON shape;
//   - plan.go: Analysis.Plan, runners and workers for a deadline;
//   - validate.go: Validate (a prediction against a measured full build of
//     the sweep's workload, counted in instances; a FULL that is a sweep
//     or of another workload is bad input; an interval too wide to test
//     the prediction is never a hit) and Prove (base against head for a
//     pull request);
//   - analysis.go: Analysis, Analyze and WriteJSON.
//
// Nothing here reads flags or the environment or prints. Bad user input
// (a folder that is not a run, a config that cannot be parsed) is reported
// as an error wrapping input.ErrBad. Results carry Warnings and never hold
// NaN or ±Inf, so they can be encoded as JSON. Randomness comes only from
// the seed in Options.
package evidence
