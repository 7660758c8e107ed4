package evidence

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/model"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// DefaultBaseline is the real CI pipeline's configuration before the
// three-phase redesign: 4 workers, batch 15, cache max.
var DefaultBaseline = Config{Workers: 4, Batch: 15, CacheMode: "max", Strategy: "single"}

// DefaultImages is the number of SWT-Bench images of a full build.
const DefaultImages = 433

// Options set how a run is analysed. Zero values mean the defaults.
type Options struct {
	// Baseline is the configuration cells are compared against and
	// savings are computed from (DefaultBaseline when zero).
	Baseline Config `json:"baseline"`
	// EquivalenceMargin is the relative TOST margin (model.DefaultMargin,
	// 0.03, when not in (0, 1)); Alpha the significance level
	// (analyze.DefaultAlpha when not in (0, 0.5)).
	EquivalenceMargin float64 `json:"equivalence_margin"`
	Alpha             float64 `json:"alpha"`
	// Seed fixes every resampling.
	Seed uint64 `json:"seed"`
	// Images is the full build's image count used for barrier losses and
	// predicted by default (when <= 0: the size of the instance list the
	// sweep drew its sample from, when run.json records one, else
	// DefaultImages; see Analysis.ResolveTarget).
	Images int `json:"images"`
	// Reps is the number of simulated builds per prediction
	// (model.DefaultReps when <= 0).
	Reps int `json:"reps"`
}

func (o Options) withDefaults() Options {
	if o.Baseline.Workers == 0 {
		o.Baseline = DefaultBaseline
	}
	if !(o.EquivalenceMargin > 0 && o.EquivalenceMargin < 1) {
		o.EquivalenceMargin = model.DefaultMargin
	}
	if !(o.Alpha > 0 && o.Alpha < 0.5) {
		o.Alpha = analyze.DefaultAlpha
	}
	if o.Images <= 0 {
		o.Images = DefaultImages
	}
	if o.Reps <= 0 {
		o.Reps = model.DefaultReps
	}
	return o
}

// Analysis is the evidence from one run folder.
type Analysis struct {
	Dir string `json:"dir"`
	// Run metadata from run.json (empty for a folder without one).
	RunID            string   `json:"run_id,omitempty"`
	Machine          *Machine `json:"machine,omitempty"`
	BuildKitVersion  string   `json:"buildkit_version,omitempty"`
	BuildtuneVersion string   `json:"buildtune_version,omitempty"`
	Commit           string   `json:"git_commit,omitempty"`
	GoVersion        string   `json:"go_version,omitempty"`
	Workload         string   `json:"workload,omitempty"`
	Grid             *Grid    `json:"grid,omitempty"`
	// Reps is the planned reps per cell (the grid's, or the most trials
	// of a cold cell without run.json) and Temps the temperatures seen.
	Reps    int      `json:"reps"`
	Temps   []string `json:"temps"`
	Options Options  `json:"options"`
	// Cells are the cold cells by name; Warm the warm ones, reported
	// apart and not used for decisions.
	Cells       []*Cell     `json:"cells"`
	Warm        []*Cell     `json:"warm,omitempty"`
	Comparisons Comparisons `json:"comparisons"`
	Models      Models      `json:"models"`
	// InstanceList is the instance list the sweep drew its sample from,
	// from run.json (nil for the SWT-Bench ids, or a sweep that did not
	// record it): unless Options.Images is set, the full build that is
	// predicted by default (ResolveTarget).
	InstanceList *InstanceList `json:"instance_list,omitempty"`
	// Adaptive is what an adaptive sweep (--budget) decided on the way:
	// the cells it dropped and why, and why it stopped. Nil for a full
	// grid.
	Adaptive *Adaptive `json:"adaptive,omitempty"`
	// Setup is how the sweep was set up, for a report's method: what was
	// built, on what stack and registry, and how the trials were planned;
	// nil for a folder without run.json.
	Setup *Setup `json:"setup,omitempty"`
	// Diagnoses say what limits a knob where the records show it (e.g.
	// more workers queueing for their pushes), one line each.
	Diagnoses []string `json:"diagnoses,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`

	run *Run
	// listTarget says InstanceList is the default target: Options.Images
	// was not set, and was taken from the list's size.
	listTarget bool
}

// Adaptive is an adaptive sweep's decisions, from its drop and stop
// events, in the order they were made.
type Adaptive struct {
	Drops []AdaptiveDrop `json:"drops,omitempty"`
	Stop  string         `json:"stop,omitempty"`
}

// AdaptiveDrop is one cell dropped: its name and the sweep's words (the
// round, the trials and the test that separated it).
type AdaptiveDrop struct {
	Cell string `json:"cell"`
	Why  string `json:"why"`
}

// adaptiveOf collects the drop and stop events of a run; nil when it has
// none (a full grid). A resumed sweep may repeat its stop: the last counts.
func adaptiveOf(events []record.Event) *Adaptive {
	var a Adaptive
	seen := map[string]bool{}
	for _, e := range events {
		switch e.Type {
		case record.EventDrop:
			if !seen[e.Cell] {
				seen[e.Cell] = true
				a.Drops = append(a.Drops, AdaptiveDrop{Cell: e.Cell, Why: e.Message})
			}
		case record.EventStop:
			a.Stop = e.Message
		}
	}
	if len(a.Drops) == 0 && a.Stop == "" {
		return nil
	}
	return &a
}

// Analyze turns a loaded run into evidence: cell summaries, comparisons
// and models. It fails only when the run has no cold trial that counts.
func Analyze(run *Run, o Options) (*Analysis, error) {
	if run == nil || run.Selected == nil {
		return nil, fmt.Errorf("analyzing: no run loaded")
	}
	var list *InstanceList
	if in := run.Info; in != nil && in.InstanceList != nil && len(in.InstanceList.IDs) > 0 {
		list = in.InstanceList
	}
	// The full build is the list the sweep drew its sample from, unless
	// the caller set another size.
	listTarget := list != nil && o.Images <= 0
	if listTarget {
		o.Images = len(list.IDs)
	}
	o = o.withDefaults()
	a := &Analysis{Dir: run.Dir, Options: o, run: run, InstanceList: list, listTarget: listTarget}
	a.Warnings = append(a.Warnings, run.Warnings...)
	if in := run.Info; in != nil {
		m := in.Machine
		g := in.Grid
		a.RunID, a.Machine, a.BuildKitVersion, a.BuildtuneVersion = in.ID, &m, in.BuildKitVersion, in.BuildtuneVersion
		a.Commit, a.GoVersion, a.Workload, a.Grid, a.Reps = in.Commit, in.GoVersion, in.Workload, &g, g.Reps
	}
	a.Cells, a.Warm = buildCells(run.Selected)
	if len(a.Cells) == 0 {
		// Warm trials are only reported beside cold ones: without a cold
		// trial there is nothing to decide from, which is the input's fault.
		return nil, input.Errorf(run.Dir, "%d trials count but none is cold (warm trials are compared only beside cold ones); want at least one cold trial", len(run.Selected.Trials))
	}
	for _, c := range append(slices.Clone(a.Cells), a.Warm...) {
		if !slices.Contains(a.Temps, c.Temp) {
			a.Temps = append(a.Temps, c.Temp)
		}
		if run.Info == nil {
			a.Reps = max(a.Reps, c.N)
		}
	}
	if a.BuildKitVersion == "" {
		for _, t := range run.Selected.Trials {
			if t.BuildKitVersion != "" {
				a.BuildKitVersion = t.BuildKitVersion
				break
			}
		}
	}
	for _, c := range a.Cells {
		switch {
		case c.Images == 0:
			a.Warnings = append(a.Warnings, fmt.Sprintf("cell %s built no image in its %s: its throughput is 0 and it is no candidate for a recommendation",
				c.Name, analyze.Plural(c.N, "trial")))
		case !c.timed():
			a.Warnings = append(a.Warnings, fmt.Sprintf("cell %s: its %d built images record no build time (wall_s 0): it cannot be predicted nor recommended",
				c.Name, c.Images))
		}
	}
	a.Warnings = append(a.Warnings, hostLoadWarnings(run.Selected.Trials)...)
	a.Setup = setupOf(run)
	a.Adaptive = adaptiveOf(run.Selected.Events)
	a.Comparisons = compareCells(a.Cells, o.Baseline, o.EquivalenceMargin, o.Alpha)
	a.Models = fitModels(a.Cells, prunesOf(run.Selected), o.Images, o.Seed)
	a.Diagnoses = pushQueueing(a.Cells)
	return a, nil
}

// prunesOf returns the prune events of trials that count.
func prunesOf(sel *record.Set) []record.Event {
	keep := map[int]bool{}
	for _, t := range sel.Trials {
		keep[t.Trial] = true
	}
	var out []record.Event
	for _, e := range sel.Events {
		if e.Type == record.EventPrune && keep[e.Trial] {
			out = append(out, e)
		}
	}
	return out
}

// Cell returns the cold cell measured with config c, nil if none.
func (a *Analysis) Cell(c Config) *Cell {
	for _, cell := range a.Cells {
		if cell.Config == c {
			return cell
		}
	}
	return nil
}

// WriteJSON writes the analysis to path as indented JSON, atomically (a
// temporary file in the same folder, then a rename).
func (a *Analysis) WriteJSON(path string) error {
	return record.WriteJSONAtomic(path, a)
}

// Setup is how a sweep was set up, from run.json, source.json and the
// records, and from the command line where only it says (the registry
// kind, the shape of a private stack, the prune policy): what a reviewer
// needs to tell this run from another and to repeat it.
type Setup struct {
	// Workload names what was built: the fixture profile's name or
	// "custom:<context>" (run.json's workload).
	Workload string `json:"workload,omitempty"`
	// Profile is the fixture profile as the sweep was given it (a name or
	// a YAML file; "" for the default) and ProfileDigest its SHA-256.
	Profile       string `json:"profile,omitempty"`
	ProfileDigest string `json:"profile_digest,omitempty"`
	// Source is what a custom workload built (source.json), nil for the
	// fixtures.
	Source *Source `json:"source,omitempty"`
	// Sample is the planned sample size (0: every instance) and Seed the
	// seed of the sample and the trial order.
	Sample int   `json:"sample"`
	Seed   int64 `json:"seed"`
	// Universe is the number of instances the sample was drawn from: the
	// instance list's, or DefaultImages for the SWT-Bench ids.
	Universe int `json:"universe"`
	// Sampled are the instances the counted trials built, sorted.
	Sampled []string `json:"sampled,omitempty"`
	// Registries are the registry conditions of the counted trials as the
	// records label them ("bw=16MiB/s,latency=20ms", "direct" or ""),
	// keyed by the bandwidth condition (RegistryLabel).
	Registries map[string]string `json:"registries,omitempty"`
	// Daemons are the BuildKit daemons' addresses that built the counted
	// images, sorted.
	Daemons []string `json:"daemons,omitempty"`
	// Warmup says a warm-up trial was run first (and left out).
	Warmup bool `json:"warmup"`
	// Adaptive settings (run.json): successive halving within a budget.
	Adaptive      bool    `json:"adaptive,omitempty"`
	InitialReps   int     `json:"initial_reps,omitempty"`
	Alpha         float64 `json:"alpha,omitempty"`
	BudgetSeconds float64 `json:"budget_s,omitempty"`
	// Prunes counts the prunes of the counted trials.
	Prunes int `json:"prunes,omitempty"`
	// Flags are the stack and policy flags of the command line that ran
	// the sweep, where it gave them (registry, daemons, max-parallelism,
	// registry-concurrency, buildkit-addr, prune-threshold, prune-keep):
	// run.json records them nowhere else.
	Flags map[string]string `json:"flags,omitempty"`
	// Stack is the stack and prune policy as run.json records them (nil
	// in runs recorded before: Flags then stands in for it).
	Stack *StackInfo `json:"stack,omitempty"`
	// CommandLine is the command that ran the sweep (run.json).
	CommandLine []string `json:"command_line,omitempty"`
	// Modified says buildtune was built from a modified tree.
	Modified bool `json:"git_modified,omitempty"`
}

// setupFlags are the command-line flags Setup.Flags keeps.
var setupFlags = []string{"registry", "buildkit-addr", "daemons", "max-parallelism", "registry-concurrency", "prune-threshold", "prune-keep", "grid"}

// setupOf collects a run's Setup; nil without run.json.
func setupOf(run *Run) *Setup {
	in := run.Info
	if in == nil {
		return nil
	}
	s := &Setup{Workload: in.Workload, Profile: in.Grid.Profile, ProfileDigest: in.ProfileDigest, Source: run.Source,
		Sample: in.Grid.Sample, Seed: in.Seed, Universe: DefaultImages, Adaptive: in.Adaptive, InitialReps: in.InitialReps,
		Alpha: in.Alpha, BudgetSeconds: in.BudgetSeconds, CommandLine: in.CommandLine, Modified: in.Modified}
	if in.Grid.Seed != 0 {
		s.Seed = in.Grid.Seed
	}
	if l := in.InstanceList; l != nil && len(l.IDs) > 0 {
		s.Universe = len(l.IDs)
	}
	sampled, daemons := map[string]bool{}, map[string]bool{}
	for _, im := range run.Selected.Images {
		if im.Instance != "" {
			sampled[im.Instance] = true
		}
		if im.Daemon != "" {
			daemons[im.Daemon] = true
		}
		if s.Registries == nil {
			s.Registries = map[string]string{}
		}
		s.Registries[ConditionOf(im.Config)] = im.Registry
	}
	s.Sampled, s.Daemons = sortedKeys(sampled), sortedKeys(daemons)
	for _, t := range run.Records.Trials {
		if t.Temp == record.TempWarmup {
			s.Warmup = true
		}
	}
	s.Prunes = len(prunesOf(run.Selected))
	for _, f := range setupFlags {
		if v, ok := flagValue(in.CommandLine, f); ok {
			if s.Flags == nil {
				s.Flags = map[string]string{}
			}
			s.Flags[f] = v
		}
	}
	if st := in.Stack; st != nil {
		// What the command resolved wins over what its flags said (a
		// --grid file's prune policy, defaults).
		s.Stack = st
		if s.Flags == nil {
			s.Flags = map[string]string{}
		}
		s.Flags["prune-threshold"], s.Flags["prune-keep"] = sizeFlag(st.PruneThresholdBytes), sizeFlag(st.PruneKeepBytes)
		if st.Private {
			s.Flags["max-parallelism"], s.Flags["registry-concurrency"] = strconv.Itoa(st.MaxParallelism), strconv.Itoa(st.RegistryConcurrency)
			s.Flags["daemons"] = strconv.Itoa(st.Daemons)
			if st.RegistryKind == "embedded" || st.RegistryKind == "distribution" {
				s.Flags["registry"] = st.RegistryKind
			}
		}
	}
	return s
}

// sizeFlag writes bytes as a size flag's value ("0" for none).
func sizeFlag(b int64) string {
	if b <= 0 {
		return "0"
	}
	return input.FormatSize(b)
}

// flagValue returns the value of --name in args ("--name v" or
// "--name=v"; the values of a repeated flag joined with commas), and
// whether it was given. Arguments after "--" are not flags.
func flagValue(args []string, name string) (string, bool) {
	var vals []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case a == "--"+name && i+1 < len(args) && !strings.HasPrefix(args[i+1], "--"):
			vals = append(vals, args[i+1])
			i++
		case strings.HasPrefix(a, "--"+name+"="):
			vals = append(vals, strings.TrimPrefix(a, "--"+name+"="))
		}
	}
	return strings.Join(vals, ","), len(vals) > 0
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
