package evidence

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/model"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// Constraints say what to recommend for and what limits the choice.
type Constraints struct {
	// Target is the build to recommend for; zero (no Images, no Repos) is
	// the run's default build (Analysis.ResolveTarget: the instance list
	// the sweep drew its sample from, or Options.Images images).
	Target Target
	// Baseline is the configuration to compute the saving against
	// (Options.Baseline when zero); it may lie outside the grid.
	Baseline Config
	// Deadline must be met by a candidate's predicted Hi (0: none).
	Deadline time.Duration
	// MaxWorkers caps workers and MaxRegistryBytes the bytes a full build
	// sends to the registry (0: none).
	MaxWorkers       int
	MaxRegistryBytes int64
	// EquivalenceMargin is the relative TOST margin (Options' when <= 0).
	EquivalenceMargin float64
	// Registry is the registry bandwidth condition to recommend for, a
	// label such as "16MiB/s" (any spelling input.Bandwidth reads) or
	// "unlimited". The registry's bandwidth is a condition the build runs
	// under, not a knob to choose: only cells measured under it are
	// candidates. "" is the run's only condition; a run that measured
	// several needs one (RecommendEach gives one recommendation each).
	Registry string
}

// Interval is a median with its interval.
type Interval struct {
	Median float64 `json:"median"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
}

// Choice is one configuration with its predicted wall time in seconds.
type Choice struct {
	Config       Config   `json:"config"`
	Name         string   `json:"name"`
	PredictedS   Interval `json:"predicted_s"`
	Extrapolated bool     `json:"extrapolated,omitempty"`
}

func choiceOf(c Config, p model.Prediction) Choice {
	return Choice{Config: c, Name: c.Name(), PredictedS: Interval{p.Median, p.Lo, p.Hi}, Extrapolated: p.Extrapolated}
}

// Recommendation is the recommended configuration for a target build and
// the evidence for it. Its JSON is the recommendation's published shape.
type Recommendation struct {
	Images int `json:"images"`
	// Target names the build predicted when it is not just a count of
	// images (Target.Describe): "the 40 instances of set.txt, the list the
	// sweep drew its sample from".
	Target string `json:"target,omitempty"`
	// Registry is the registry bandwidth condition the recommendation is
	// for ("unlimited" or a cap such as "16MiB/s"), set when the run
	// measured more than one.
	Registry    string    `json:"registry_bandwidth,omitempty"`
	Recommended Choice    `json:"recommended"`
	Baseline    *Choice   `json:"baseline,omitempty"`
	RunnerUp    *Choice   `json:"runner_up,omitempty"`
	SavingS     *Interval `json:"saving_s,omitempty"`
	// SavingFraction is the saving as a fraction of the baseline's time,
	// per paired simulated build (so its interval stays below 1).
	SavingFraction *Interval `json:"saving_fraction,omitempty"`
	// Significant says the gap to the runner-up is significant
	// (Mann-Whitney on per-trial throughput).
	Significant bool `json:"significant"`
	// Confident is false when the data cannot support the choice; then
	// Warnings say why and a report must say so.
	Confident bool `json:"confident"`
	// PickedCheapest says the recommended configuration is the cheapest
	// of those equivalent to the fastest, and RunnerUp is then the
	// fastest itself.
	PickedCheapest bool     `json:"picked_cheapest,omitempty"`
	Equivalent     []string `json:"equivalent,omitempty"`
	Excluded       []string `json:"excluded,omitempty"`
	Reasons        []string `json:"reasons"`
	Warnings       []string `json:"warnings,omitempty"`

	// Model is model.Recommend's full result.
	Model model.Recommendation `json:"-"`
}

// JSON encodes the recommendation, indented.
func (r Recommendation) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

// Recommend picks one configuration among the measured cold cells, each
// predicted for the target (model.Recommend: the fastest, or the cheapest
// of those equivalent to it), and computes the saving against the
// baseline, which is predicted like any configuration (extrapolated when
// it was not measured). No feasible cell is an error wrapping
// model.ErrInfeasible.
func (a *Analysis) Recommend(c Constraints) (Recommendation, error) {
	var r Recommendation
	t := a.ResolveTarget(c.Target)
	if t.Seed == 0 { // the analysis' seed (--seed), as prove and plan use
		t.Seed = a.Options.Seed
	}
	if c.Deadline < 0 || c.MaxWorkers < 0 || c.MaxRegistryBytes < 0 {
		return r, input.Errorf("constraints", "deadline, max workers and max registry bytes must not be negative")
	}
	baseline := c.Baseline
	if baseline.Workers == 0 {
		baseline = a.Options.Baseline
	}
	margin := c.EquivalenceMargin
	if margin <= 0 {
		margin = a.Options.EquivalenceMargin
	}
	reg, err := a.condition(c.Registry)
	if err != nil {
		return r, err
	}
	conds := a.registries()
	// Compared under the same condition: the baseline is today's knobs on
	// the same registry, whatever registry --baseline names. So too for a
	// run of one condition, which may be a capped one only: its baseline
	// is the baseline's knobs under that cap, not a cell at an unlimited
	// registry it never measured. A --baseline that names another
	// bandwidth is told so rather than silently moved.
	if b := baseline.Registry; b != "" && b != reg {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"the baseline names registry bandwidth %s, a condition the build runs under and not a setting: it is compared under the run's %s, as every candidate is",
			RegistryLabel(b), RegistryLabel(reg)))
	}
	baseline.Registry = reg
	if len(conds) > 1 {
		r.Registry = RegistryLabel(reg)
	}

	var cands []model.Candidate
	byName := map[string]Config{}
	baseName := ""
	// Cells that are no candidate are said after the pick's own warnings:
	// the first warning is the report's reason why the pick is not
	// confident, which another cell's failed builds are not.
	var notCands []string
	for _, cell := range a.Cells {
		if cell.Config.Registry != reg {
			continue
		}
		if cell.Images == 0 {
			notCands = append(notCands, fmt.Sprintf("%s has no built images: not a candidate", cell.Name))
			continue
		}
		if !cell.timed() {
			notCands = append(notCands, fmt.Sprintf("%s: its %d built images record no build time (wall_s 0): not a candidate", cell.Name, cell.Images))
			continue
		}
		p, err := a.Predict(cell.Config, t)
		if err != nil {
			return r, fmt.Errorf("recommending: %w", err)
		}
		cands = append(cands, model.Candidate{
			Config:     model.Config{Name: cell.Name, Workers: cell.Config.Workers, Batch: cell.Config.Batch, CacheMode: cell.Config.CacheMode, Strategy: cell.Config.Strategy},
			Prediction: p, Throughput: cell.throughput(),
			RegistryBytesPerImage: cell.BytesPushedPerImage, CacheExportSeconds: cell.Phases.CacheExport,
			CachedStepsFrac: cell.CachedStepFraction,
		})
		byName[cell.Name] = cell.Config
		if cell.Config == baseline {
			baseName = cell.Name
		}
	}
	if len(cands) == 0 {
		// The run holds no evidence to recommend from: bad input, naming it.
		under := ""
		if len(conds) > 1 {
			under = " under registry bandwidth " + RegistryLabel(reg)
		}
		return r, input.Bad(a.Dir, fmt.Errorf("recommending: %w: no cell%s has built images that record their build time (every build failed, or every image says wall_s 0)", model.ErrInfeasible, under))
	}
	r.Images = cands[0].Prediction.Images
	if t.Name != "" {
		r.Target = t.Describe()
		r.Reasons = append(r.Reasons, fmt.Sprintf("Predicted for %s.", t.Describe()))
	}
	mr, err := model.Recommend(cands, model.Constraints{
		Deadline: c.Deadline.Seconds(), MaxWorkers: c.MaxWorkers, MaxRegistryBytes: float64(c.MaxRegistryBytes),
		EquivalenceMargin: margin, Alpha: a.Options.Alpha, Baseline: baseName,
	})
	r.Model = mr
	for _, ex := range mr.Excluded {
		r.Excluded = append(r.Excluded, fmt.Sprintf("%s: %s (%s)", ex.Name, ex.Constraint, ex.Detail))
	}
	if err != nil {
		r.Warnings = append(r.Warnings, notCands...)
		return r, fmt.Errorf("recommending for %s: %w", analyze.Plural(r.Images, "image"), err)
	}
	r.Recommended = choiceOf(byName[mr.Best.Config.Name], mr.Best.Prediction)
	r.Recommended.Name = mr.Best.Config.Name
	if mr.RunnerUp != "" {
		i := slices.IndexFunc(cands, func(cd model.Candidate) bool { return cd.Config.Name == mr.RunnerUp })
		ru := choiceOf(byName[mr.RunnerUp], cands[i].Prediction)
		ru.Name = mr.RunnerUp
		r.RunnerUp = &ru
	}
	r.Significant, r.Confident, r.PickedCheapest = mr.Significant, mr.Confident, mr.PickedCheapest
	r.Equivalent = mr.Equivalent
	r.Reasons = append(r.Reasons, mr.Reasons...)
	r.Warnings = append(r.Warnings, mr.Warnings...)
	// The pick's own prediction limits (e.g. a prune policy no sweep
	// measured), which would otherwise stay inside analysis.json.
	for _, w := range mr.Best.Prediction.Warnings {
		if w = "prediction of " + mr.Best.Config.Name + ": " + w; !slices.Contains(r.Warnings, w) {
			r.Warnings = append(r.Warnings, w)
		}
	}
	// The other side of the choice (the runner-up, or the fastest when the
	// cheapest was picked): an interval of its too wide to test is why the
	// two are not separated, so it is said as the pick's would be.
	if i := slices.IndexFunc(cands, func(cd model.Candidate) bool { return cd.Config.Name == mr.RunnerUp }); mr.RunnerUp != "" && i >= 0 {
		if w := cands[i].Prediction.WidthWarning(); w != "" {
			if w = "prediction of " + mr.RunnerUp + ": " + w; !slices.Contains(r.Warnings, w) {
				r.Warnings = append(r.Warnings, w)
			}
		}
	}

	// Too few reps: the best cannot be separated from some other cell by
	// Mann-Whitney whatever the data, nor do the t-tests on logs separate
	// them (what an adaptive sweep drops cells by after round 1). The
	// pooled variance is the condition's, as the sweep pools it.
	best := a.cellNamed(mr.Best.Config.Name)
	var all [][]float64
	for _, cell := range a.Cells {
		if cell.Config.Registry == reg {
			all = append(all, cell.throughput())
		}
	}
	// Every such cell, in the ranking's order (the closest to the best
	// first), not just the first in analysis.json's order, which may be
	// the slowest.
	var unseparated []*Cell
	for _, rk := range a.Comparisons.Ranking {
		cell := a.cellNamed(rk.Name)
		if cell == nil || cell.Config.Registry != reg {
			continue
		}
		if cell != best && best != nil && !analyze.CanSeparate(cell.N, best.N, a.Options.Alpha) &&
			!separatedByTTests(best.throughput(), cell.throughput(), all, a.Options.Alpha) {
			unseparated = append(unseparated, cell)
		}
	}
	if len(unseparated) > 0 {
		r.Confident = false
		var names []string
		for i, cell := range unseparated {
			if i == maxNamedCells {
				names = append(names, fmt.Sprintf("%d more", len(unseparated)-maxNamedCells))
				break
			}
			names = append(names, fmt.Sprintf("%s (%s)", cell.Name, analyze.Plural(cell.N, "trial")))
		}
		list := names[0]
		if n := len(names); n > 1 {
			list = strings.Join(names[:n-1], ", ") + " and " + names[n-1]
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"too few reps: %s cannot be separated from %s (%s) at alpha=%v whatever the data; run more reps before trusting this choice",
			list, best.Name, analyze.Plural(best.N, "trial"), a.Options.Alpha))
	}

	// Baseline and saving.
	var bp model.Prediction
	var bsrc source
	if baseName != "" {
		i := slices.IndexFunc(cands, func(cd model.Candidate) bool { return cd.Config.Name == baseName })
		bp = cands[i].Prediction
	} else {
		bp, bsrc, err = a.predictFrom(context.Background(), baseline, t)
		if err != nil && !errors.Is(err, input.ErrBad) {
			return r, fmt.Errorf("recommending: baseline: %w", err)
		}
		if err != nil {
			// Refused like a baseline of an unmeasured cache mode: no
			// prediction, so no saving and no "keep the baseline".
			// The error names the config ("config: workers=4,...: "),
			// which the warning names already.
			msg := err.Error()
			if rest, ok := strings.CutPrefix(msg, "config: "); ok {
				if _, why, ok := strings.Cut(rest, ": "); ok {
					msg = why
				}
			}
			if !strings.HasPrefix(msg, "cannot be predicted") {
				msg = "cannot be predicted: " + msg
			}
			r.Warnings = append(r.Warnings, fmt.Sprintf("baseline %s %s", baseline, msg))
		}
	}
	if err == nil {
		b := choiceOf(baseline, bp)
		r.Baseline = &b
		if bp.Extrapolated {
			r.Warnings = append(r.Warnings, fmt.Sprintf("baseline %s was not measured: its prediction is extrapolated", baseline.Name()))
		}
		// What the extrapolation rests on (the scaling model, how far,
		// and the model's own caveats), which would otherwise stay in
		// the prediction.
		for _, w := range bsrc.basis {
			r.Warnings = append(r.Warnings, "baseline "+baseline.Name()+": "+w)
		}
		if iv, ok := pairedFraction(bp.Samples, mr.Best.Prediction.Samples, bp.Confidence); ok {
			r.SavingFraction = &iv
		}
		if s := mr.Saving; s != nil {
			r.SavingS = &Interval{s.Median, s.Lo, s.Hi}
		} else if iv, ok := pairedDiff(bp.Samples, mr.Best.Prediction.Samples, bp.Confidence); ok {
			r.SavingS = &iv
			verb, m, lo, hi := "saves", iv.Median, iv.Lo, iv.Hi
			if m < 0 {
				// A negative saving reads as a cost: "takes 26.1s longer [22.7s, 29.1s]".
				verb, m, lo, hi = "takes longer by", -m, -hi, -lo
			}
			r.Reasons = append(r.Reasons, fmt.Sprintf("Against the baseline %s it %s %s [%s, %s] (%.0f%% interval of paired simulated builds).",
				baseline.Name(), verb, analyze.FormatSeconds(m), analyze.FormatSeconds(lo), analyze.FormatSeconds(hi), 100*confOr(bp.Confidence)))
		}
		if s := r.SavingS; s != nil && s.Hi < 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("the baseline %s is predicted faster than the recommended %s (by %s, interval %s-%s): keep the baseline, or sweep a grid that contains it",
				baseline.Name(), mr.Best.Config.Name, analyze.FormatSeconds(-s.Median), analyze.FormatSeconds(-s.Hi), analyze.FormatSeconds(-s.Lo)))
		}
	}
	r.Warnings = append(r.Warnings, notCands...)
	return r, nil
}

// ConditionRecommendation is the recommendation for one registry
// bandwidth condition, or the error that left it without one.
type ConditionRecommendation struct {
	// Registry is the condition's label ("unlimited", "16MiB/s").
	Registry       string
	Recommendation Recommendation
	Err            error
}

// RecommendEach recommends for each registry bandwidth condition the run
// measured (Conditions' order), c.Registry ignored: one entry for a run of
// one condition.
func (a *Analysis) RecommendEach(c Constraints) []ConditionRecommendation {
	var out []ConditionRecommendation
	for _, label := range a.Conditions() {
		c.Registry = label
		rec, err := a.Recommend(c)
		out = append(out, ConditionRecommendation{Registry: label, Recommendation: rec, Err: err})
	}
	return out
}

// RegistryLabel is the label of a cell's registry bandwidth condition:
// "unlimited" for a direct registry (Config.Registry "").
func RegistryLabel(reg string) string {
	if reg == "" {
		return "unlimited"
	}
	return reg
}

// ConditionOf is the registry bandwidth condition of a record's
// configuration, labelled as RegistryLabel labels it ("unlimited",
// "16MiB/s"): the "-bw" suffix of its cell's name, one spelling per cap.
func ConditionOf(rc record.Config) string {
	return RegistryLabel(configOf(rc).Registry)
}

// SortConditions sorts registry bandwidth condition labels as Conditions
// orders them: the caps ascending, then "unlimited" (and any label that
// is no bandwidth) last.
func SortConditions(labels []string) {
	bw := func(s string) int64 {
		if s == "" || s == "unlimited" {
			return math.MaxInt64
		}
		n, err := input.Bandwidth(s)
		if err != nil || n <= 0 {
			return math.MaxInt64 - 1
		}
		return n
	}
	slices.SortStableFunc(labels, func(x, y string) int {
		if c := cmp.Compare(bw(x), bw(y)); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
}

// registries returns the registry bandwidths (Config.Registry) of the cold
// cells, the caps ascending, then "" (unlimited).
func (a *Analysis) registries() []string {
	var out []string
	for _, c := range a.Cells {
		if !slices.Contains(out, c.Config.Registry) {
			out = append(out, c.Config.Registry)
		}
	}
	SortConditions(out)
	return out
}

// Conditions returns the labels of the registry bandwidth conditions the
// run's cold cells were measured under (RegistryLabel), the caps
// ascending and "unlimited" last.
func (a *Analysis) Conditions() []string {
	var out []string
	for _, r := range a.registries() {
		out = append(out, RegistryLabel(r))
	}
	return out
}

// condition resolves a registry bandwidth label to a measured condition
// (a Config.Registry value): "" is the run's only condition. A label not
// measured, or "" for a run of several conditions, is bad input naming
// the conditions measured.
func (a *Analysis) condition(label string) (string, error) {
	regs := a.registries()
	measured := strings.Join(a.Conditions(), ", ")
	if strings.TrimSpace(label) == "" {
		if len(regs) > 1 {
			return "", input.Errorf("registry bandwidth", "the run measured %d registry bandwidth conditions (%s): the registry is a condition the build runs under, not a setting to choose; name one",
				len(regs), measured)
		}
		if len(regs) == 0 {
			return "", nil
		}
		return regs[0], nil
	}
	n, err := input.Bandwidth(label)
	if err != nil {
		return "", input.Bad("registry bandwidth", err)
	}
	reg := ""
	if n > 0 {
		reg = input.FormatBandwidth(n)
	}
	if !slices.Contains(regs, reg) {
		return "", input.Errorf("registry bandwidth "+label, "not measured by the run; it measured %s", measured)
	}
	return reg, nil
}

// maxNamedCells is how many cells a warning names before it counts the
// rest.
const maxNamedCells = 3

// cellNamed returns the cold cell of that name, nil if none.
func (a *Analysis) cellNamed(name string) *Cell {
	for _, c := range a.Cells {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// pairedDiff pairs rep i of a with rep i of b and returns the median and
// central conf interval of a[i] − b[i].
func pairedDiff(a, b []float64, conf float64) (Interval, bool) {
	n := min(len(a), len(b))
	if n == 0 {
		return Interval{}, false
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = a[i] - b[i]
	}
	slices.Sort(d)
	conf = confOr(conf)
	return Interval{quantile7(d, 0.5), quantile7(d, (1-conf)/2), quantile7(d, 1-(1-conf)/2)}, true
}

// pairedFraction is the interval of (a[i] - b[i]) / a[i] over the pairs
// with a[i] > 0: b's saving as a fraction of a, pair by pair.
func pairedFraction(a, b []float64, conf float64) (Interval, bool) {
	var d []float64
	for i := range min(len(a), len(b)) {
		if a[i] > 0 {
			d = append(d, (a[i]-b[i])/a[i])
		}
	}
	if len(d) == 0 {
		return Interval{}, false
	}
	slices.Sort(d)
	conf = confOr(conf)
	return Interval{quantile7(d, 0.5), quantile7(d, (1-conf)/2), quantile7(d, 1-(1-conf)/2)}, true
}

func confOr(c float64) float64 {
	if c > 0 && c < 1 {
		return c
	}
	return model.DefaultConfidence
}

// quantile7 is the p-quantile of sorted xs, interpolated as R's type 7.
func quantile7(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	h := p * float64(len(xs)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return finite(xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo]))
}

// separatedByTTests says whether other's throughput is below best's by
// both t-tests on logs at alpha (analyze.LogTTests, the rule an adaptive
// sweep drops cells by when there are too few trials for Mann-Whitney).
func separatedByTTests(best, other []float64, all [][]float64, alpha float64) bool {
	w, p := analyze.LogTTests(best, other, all)
	return w < alpha && p < alpha && analyze.Summary(other, 0.95).Median < analyze.Summary(best, 0.95).Median
}
