package reports

import (
	"time"

	"github.com/buildtune/buildtune/reports/plot"
)

// Data is everything a report shows, filled by the analysis. Values are in
// base units: seconds, bytes, images per hour, percent where a name says
// Pct. Zero values mean "not known" and are left out of the report unless
// a field says otherwise.
type Data struct {
	// Title is the report's heading (default "Build tuning report").
	Title    string
	Run      Run
	Decision Decision
	// Decisions are one decision per registry bandwidth condition, for a
	// run that measured several (the registry is a condition the build
	// runs under, not a setting); Decision is then the first. Empty for
	// a run of one condition.
	Decisions []Decision
	// Cells are the measured grid cells, in ranking order (best first);
	// for a run of several registry bandwidths, condition by condition,
	// each ranked within its condition (CellRow.Registry). They are the
	// cold trials' cells: the ones the decision rests on.
	Cells []CellRow
	// Warm are the cells of the warm trials of a --temp cold,warm sweep
	// (a warm trial keeps the state of the cold trial before it), fastest
	// first within each registry bandwidth condition. They are shown for
	// comparison and enter no ranking, decision, model or prediction.
	// Empty for a sweep of cold trials only.
	Warm []WarmRow
	// Adaptive lists what an adaptive sweep dropped on the way and why it
	// stopped; nil for a full grid.
	Adaptive *Adaptive
	// Knobs are one finding per knob (workers, batch, cache mode, ...).
	Knobs []KnobFinding
	// Diagnoses say what limits a knob where the records show it.
	Diagnoses []string
	// Predictions are the predicted full builds of the configurations worth
	// showing; empty means the decision's recommended, runner-up and
	// baseline configurations.
	Predictions []ConfigPrediction
	Model       Model
	Phases      PhaseTable
	// Validation compares predictions with real full builds (optional).
	Validation []ValidationRow
	Method     Method
	Charts     Charts
}

// Adaptive is an adaptive sweep's decisions: each dropped cell with the
// sweep's reason (round, trials, test), then why it stopped.
type Adaptive struct {
	Drops []AdaptiveDrop
	Stop  string
}

// AdaptiveDrop is one dropped cell.
type AdaptiveDrop struct {
	Cell, Why string
}

// Run identifies the sweep the report is about.
type Run struct {
	ID   string
	Date time.Time
}

// ConfigPrediction is one configuration's predicted wall time for the full
// build, in seconds: the median and its interval [Lo, Hi].
type ConfigPrediction struct {
	// Name spells the configuration as key=value fields separated by
	// spaces, e.g. "workers=4 batch=stream cache=off strategy=single".
	Name           string
	Median, Lo, Hi float64
	// Cell is the measured cell's name (e.g. "w4-b3-off-single"), as the
	// cells table names it; "" when none.
	Cell string
	// Extrapolated says the prediction relies on a configuration outside
	// the measured grid.
	Extrapolated bool
	// Registry is the registry bandwidth condition it is predicted under
	// ("unlimited", "16MiB/s"), set when the run measured several: its
	// notes come from that condition's decision.
	Registry string
}

// Interval is a median with its interval, in the unit its field names.
type Interval struct {
	Median, Lo, Hi float64
}

// Decision is the recommendation and the evidence for it.
type Decision struct {
	// Recommended is the configuration to use, RunnerUp the next best
	// (Name "" when alone) and Baseline the configuration in use today
	// (Name "" when none).
	Recommended, RunnerUp, Baseline ConfigPrediction
	// Images is the size of the full build predicted (e.g. 433).
	Images int
	// Saving is the predicted wall time saved against the baseline in
	// seconds (baseline minus recommended), with its interval.
	Saving Interval
	// SavingFraction is the saving as a fraction of the baseline's time,
	// pair by pair (zero when unknown).
	SavingFraction Interval
	// Significant says the gap between Recommended and RunnerUp is
	// significant, with GapP its Mann-Whitney p-value. With too few
	// trials for Mann-Whitney the verdict rests on the t-tests on the
	// logs of throughput instead, whose p-values are GapWelchP and
	// GapPooledP (0 when not made).
	Significant           bool
	GapP                  float64
	GapWelchP, GapPooledP float64
	// PickedCheapest says Recommended is the cheapest of the settings
	// equivalent to the fastest, and RunnerUp is the fastest itself.
	PickedCheapest bool
	// Confident is false when the data cannot support a choice; Warnings
	// then say why, the first one in the headline.
	Confident bool
	// Reasons are plain sentences for the choice; Warnings its limits.
	Reasons, Warnings []string
	// Deadline is the wall time the full build must fit in, in seconds
	// (0: none).
	Deadline float64
	// Registry is the registry bandwidth condition of the decision
	// ("unlimited", "16MiB/s"), set in Data.Decisions.
	Registry string
	// NoRecommendation says why there is no recommendation at all (e.g. no
	// cell built an image); the other fields are then empty.
	NoRecommendation string
}

// Verdicts of a cell against the best one.
const (
	VerdictBest         = "best"
	VerdictWorse        = "worse"
	VerdictEquivalent   = "equivalent"
	VerdictNotSeparable = "not separable: too few reps"
	// VerdictNoImage is a cell whose every build failed: its 0 images/hour
	// is a failure, not a slower setting.
	VerdictNoImage = "no image built"
	// VerdictDropped is a cell the adaptive sweep stopped measuring once
	// its tests showed it plainly slower (the Adaptive sweep section says
	// how), though the table's Mann-Whitney cannot separate its few trials.
	VerdictDropped      = "dropped by the adaptive sweep"
	VerdictInconclusive = ""
)

// CellRow is one measured grid cell.
type CellRow struct {
	Name string
	// Registry is the registry bandwidth condition the cell was measured
	// under ("unlimited", "16MiB/s"), set when the run measured several:
	// the registry is a condition, not a setting, so a cell is ranked
	// only among the cells of its condition. Position is its 1-based
	// place in that ranking (0: not known, the row's place is used).
	Registry string
	Position int
	// N is the number of trials.
	N int
	// MedianIPH is the median images/hour with its 95% CI [LoIPH, HiIPH]
	// and IQR its interquartile range.
	MedianIPH, LoIPH, HiIPH, IQR float64
	// CIConfidence is the actual coverage of [LoIPH, HiIPH]: 0.95, or less
	// when too few trials allow only their range (0.75 for 3 trials).
	CIConfidence float64
	// PerImageMedianS is the median wall time of one image in seconds.
	PerImageMedianS float64
	// PAdj is the Holm-adjusted p-value against the best cell of the
	// same condition (NaN or ignored for the best cell itself).
	PAdj float64
	// Verdict is one of the Verdict constants.
	Verdict string
	// Outliers is the number of trials flagged as outliers.
	Outliers int
	// HostCPU is the median share of the host's cores busy during the
	// cell's trials (0: not measured).
	HostCPU float64
}

// WarmRow is one cell measured by warm trials: its throughput as CellRow
// has it, beside the same cell's cold median.
type WarmRow struct {
	Name string
	// Registry is the registry bandwidth condition, set when the run
	// measured several (as CellRow.Registry).
	Registry string
	N        int
	// MedianIPH, LoIPH, HiIPH, IQR, CIConfidence, PerImageMedianS and
	// Outliers are as in CellRow.
	MedianIPH, LoIPH, HiIPH, IQR, CIConfidence float64
	PerImageMedianS                            float64
	Outliers                                   int
	// ColdMedianIPH is the median images/hour of the cold trials of the
	// same cell (0: no cold cell of that configuration).
	ColdMedianIPH float64
}

// KnobFinding is what the sweep says about one knob.
type KnobFinding struct {
	Knob, Finding string
}

// Model holds the fitted performance model. Each [3]float64 is (estimate,
// lo, hi); lo = hi = 0 means no interval.
type Model struct {
	USL []USLRow
	// NoFit are the series whose USL fit failed, with the reason.
	NoFit []USLFailure
	// Fixed is the fixed per-run cost of each cell: the cell a decision
	// picked first (Role set; the best cell's when there is no decision),
	// then the others in the cells table's order. A prediction pays its
	// cell's own fixed cost once per build.
	Fixed []FixedRow
	// PruneS is the cost of one prune in seconds, DiskGrowthBytes
	// BuildKit's disk growth per image and BarrierLossPct the share of
	// wall time lost to batch barriers.
	PruneS, DiskGrowthBytes, BarrierLossPct [3]float64
	// BarrierCell is the cell BarrierLossPct was simulated for and
	// BarrierRole what the decision made of it ("recommended", "best so
	// far", "best measured"): a stream pick runs no barrier, and the loss
	// then is another cell's ("": not named).
	BarrierCell, BarrierRole string
	// PruneWithWarm says PruneS counts prunes of warm trials too.
	PruneWithWarm bool
	// Crowding is the fitted slowdown per other image in flight, per
	// series with a fit (evidence.Crowding with Beta > 0).
	Crowding []CrowdingRow
	// TrialSpreadPct is one standard deviation of a trial's speed in
	// percent, pooled over SpreadCells cells with SpreadDF degrees of
	// freedom (evidence.Models.Spread; 0 cells: none the predictions
	// use, as when it pools one cell or fewer than 3 degrees of freedom).
	TrialSpreadPct        float64
	SpreadCells, SpreadDF int
}

// CrowdingRow is one series' crowding: an image with n images in flight
// (itself included) takes 1 + Beta·(n−1) times its seconds alone, fitted
// from Images images seen at different crowding.
type CrowdingRow struct {
	Series string
	Beta   float64
	Images int
}

// USLRow is one series' Universal Scalability Law fit: Lambda in images
// per hour at one worker (optional), Sigma (contention), Kappa (coherency)
// and NStar, the worker count of peak throughput (+Inf: no peak).
// Warnings are the fit's caveats as the analysis words them (too few
// worker counts, a poor fit, ...).
type USLRow struct {
	Series                      string
	Lambda, Sigma, Kappa, NStar [3]float64
	Warnings                    []string
}

// USLFailure is a series whose USL fit failed, and why.
type USLFailure struct {
	Series, Error string
}

// FixedRow is one cell's fixed per-run cost: its trials' wall time beyond
// the simulated makespan of their images, (estimate, lo, hi) in seconds.
type FixedRow struct {
	Cell    string
	Seconds [3]float64
	// PerImageS is the cell's median wall time of one image in seconds
	// (NaN or 0: not known), the scale the fixed cost is read against.
	PerImageS float64
	// Role says what a decision made of the cell: "recommended", "best so
	// far" (a lead, not a confident choice) or "best measured" (no
	// decision); "" for the others.
	Role string
}

// PhaseTable is where each image's time goes, per cell.
type PhaseTable struct {
	// Stat names the statistic, e.g. "median" or "mean" (default "mean").
	Stat string
	Rows []PhaseRow
}

// PhaseRow is one cell's seconds per image: the wall time and each phase.
type PhaseRow struct {
	Name    string
	WallS   float64
	Seconds plot.PhaseSeconds
}

// ValidationRow checks one prediction against a real build, in seconds.
type ValidationRow struct {
	Name string
	// Images is the size of the real build (0 when unknown): it can be
	// another build than the one the report's predictions are for.
	Images                                    int
	PredictedMedian, PredictedLo, PredictedHi float64
	Measured                                  float64
	// ErrorPct is (predicted - measured) / measured in percent, and Inside
	// says the measurement fell inside the predicted interval.
	ErrorPct float64
	Inside   bool
	// TooWide says the interval was too wide to test the prediction.
	TooWide bool
}

// Method says how the numbers were obtained: what was built, on what,
// how, and the command to repeat it. Empty fields are left out.
type Method struct {
	// Workload says what was built: the fixtures with their profile
	// (named, with its file and digest, when not the default), or the
	// custom workload (its context, Dockerfile, tag, ... or its file).
	Workload string
	// Instances says which instances the trials built: the sample, the
	// list it was drawn from, its seed and the sampled ids.
	Instances string
	// Target is the build the predictions are for (evidence
	// Target.Describe), e.g. "the 20 instances of ids.txt, the list the
	// sweep drew its sample from".
	Target string
	// Machine describes the host (CPU, memory, OS) and Cores its CPU count.
	Machine string
	Cores   int
	// BuildKit is the BuildKit version and Commit buildtune's commit.
	BuildKit, Commit string
	// Buildtune is buildtune's version, with its commit's state and the
	// Go version, e.g. "(devel), modified tree, go1.26.8".
	Buildtune string
	// Daemons are the BuildKit daemons and their limits; Registry the
	// registry and its emulation (bandwidth, latency, error and drop
	// rates, per condition); Prune the prune policy during the sweep.
	Daemons, Registry, Prune string
	// Plan says how trials were planned beyond the reps: a fixed grid or
	// an adaptive sweep within a budget, and the warm-up trial.
	Plan string
	// Command is the command line that ran the sweep and Grid the grid in
	// words.
	Command, Grid string
	// Reps is the repetitions per cell, Temps the trial temperatures
	// ("cold", "warm") and Sample the number of sampled instances.
	Reps   int
	Temps  []string
	Sample int
	// Warnings are about the method (noisy host, failed builds, ...).
	Warnings []string
}

// Charts are the inputs of the charts of package plot. A chart whose data
// is empty is skipped with a note.
type Charts struct {
	Throughput plot.ThroughputData
	Heatmap    plot.HeatData
	Phases     plot.PhaseData
	ECDF       plot.ECDFData
	// ECDFShown says which cells the ECDF draws when it leaves some out
	// ("12 of 60 cells, ..."); empty when it draws every cell.
	ECDFShown   string
	Predictions plot.PredictionData
	Validation  *plot.ValidationData
	Bytes       plot.BytesData
	Disk        plot.DiskData
}
