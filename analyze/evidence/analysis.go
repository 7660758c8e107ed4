package evidence

import (
	"fmt"
	"slices"

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
