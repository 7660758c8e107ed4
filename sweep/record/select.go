package record

import "slices"

// Trial temperatures (Config.Temp).
const (
	// TempCold is a trial that starts from an empty BuildKit cache and an
	// empty registry namespace.
	TempCold = "cold"
	// TempWarm is a trial that keeps the state of the cold trial before it
	// and builds a new SDK sha.
	TempWarm = "warm"
	// TempWarmup is a warm-up trial on a freshly started daemon, recorded as
	// such and left out of the statistics (hyperfine's --warmup).
	TempWarmup = "warmup"
)

// Latest returns the records that stand in a set: per trial (its run id
// and index) the latest trial record (earlier ones were superseded by a
// rerun on resume), without interrupted trials, and the image records
// written by those trials (matched by trial index and run id and, when
// they carry a start time, starting within the trial's Start..End: a
// superseded attempt's images have the same trial index). Events are
// kept as they are.
//
// A trial is its run id and index: the records of two runs in one file
// (two sweeps' records joined) each number their trials from the start,
// and a trial of one run does not supersede the other run's trial of the
// same index. In such a set the trials of the second and later runs (in
// order of first appearance) are renumbered in the output, with their
// images and events, past the first run's indexes, so that every stage
// can tell trials apart by index; a set of one run keeps its indexes.
func Latest(set *Set) *Set {
	out := &Set{Torn: set.Torn}
	last := map[trialKey]int{}
	var runs []string
	maxTrial := 0
	for i, t := range set.Trials {
		k := trialKey{t.Run, t.Trial}
		if _, ok := last[k]; !ok && !slices.Contains(runs, t.Run) {
			runs = append(runs, t.Run)
		}
		last[k] = i
		maxTrial = max(maxTrial, t.Trial)
	}
	// offset[run] is added to the run's trial indexes (0 for the first).
	offset := map[string]int{}
	for i, r := range runs {
		offset[r] = i * (maxTrial + 1)
	}
	byIndex := map[int][]trialKey{}
	keep := map[trialKey]Trial{}
	for i, t := range set.Trials {
		k := trialKey{t.Run, t.Trial}
		if last[k] == i && !t.Interrupted {
			keep[k] = t
			byIndex[t.Trial] = append(byIndex[t.Trial], k)
			t.Trial += offset[t.Run]
			out.Trials = append(out.Trials, t)
		}
	}
	// owner finds the kept trial a record of run and index belongs to: the
	// same run's, or, when either side does not name its run, the one
	// trial of that index.
	owner := func(run string, trial int) (trialKey, bool) {
		k := trialKey{run, trial}
		if _, ok := keep[k]; ok {
			return k, true
		}
		var found []trialKey
		for _, c := range byIndex[trial] {
			if run == "" || c.run == "" {
				found = append(found, c)
			}
		}
		if len(found) == 1 {
			return found[0], true
		}
		return k, false
	}
	for _, im := range set.Images {
		k, ok := owner(im.Run, im.Trial)
		if !ok {
			continue
		}
		t := keep[k]
		if !im.Start.IsZero() && (im.Start.Before(t.Start) || im.Start.After(t.End)) {
			continue
		}
		im.Trial += offset[k.run]
		out.Images = append(out.Images, im)
	}
	out.Events = set.Events
	if len(runs) > 1 {
		out.Events = make([]Event, len(set.Events))
		for i, e := range set.Events {
			if k, ok := owner(e.Run, e.Trial); ok {
				e.Trial += offset[k.run]
			} else if _, known := offset[e.Run]; known {
				e.Trial += offset[e.Run] // a drop or stop event names its run's last trial
			}
			out.Events[i] = e
		}
	}
	return out
}

// trialKey identifies a trial: its run id and its index in the run.
type trialKey struct {
	run   string
	trial int
}

// Runs returns the distinct run ids of a set's trial records, in order of
// first appearance ("" for trials that do not name their run).
func Runs(set *Set) []string {
	var runs []string
	for _, t := range set.Trials {
		if !slices.Contains(runs, t.Run) {
			runs = append(runs, t.Run)
		}
	}
	return runs
}

// Counts reports whether a trial counts for statistics: it finished, it
// has no error, no image of it failed for infrastructure reasons (those
// measure the machinery, not the configuration), and it is not a warm-up.
// Every stage (adaptive halving, analysis, reports) uses this one rule.
func Counts(t Trial) bool {
	return !t.Interrupted && t.Error == "" && t.InfraFailed == 0 && t.Temp != TempWarmup
}

// Select returns the latest trials of set that count for statistics
// (Latest, then Counts), with their image records, in file order.
func Select(set *Set) *Set {
	l := Latest(set)
	out := &Set{Events: l.Events, Torn: l.Torn}
	keep := map[int]bool{}
	for _, t := range l.Trials {
		if Counts(t) {
			out.Trials = append(out.Trials, t)
			keep[t.Trial] = true
		}
	}
	for _, im := range l.Images {
		if keep[im.Trial] {
			out.Images = append(out.Images, im)
		}
	}
	return out
}

// Group is the records of one cell at one temperature.
type Group struct {
	Cell   string
	Temp   string
	Config Config
	Trials []Trial
	Images []Image
}

// ImagesPerHour returns the images/hour of each trial of the group.
func (g *Group) ImagesPerHour() []float64 {
	out := make([]float64, len(g.Trials))
	for i, t := range g.Trials {
		out[i] = t.ImagesPerHour
	}
	return out
}

// GroupByCell groups a set's trials and images by cell and temperature, in
// order of first appearance. Images are attached to the group of their
// trial. Call it on Select's output to group what counts.
func GroupByCell(set *Set) []*Group {
	var groups []*Group
	idx := map[[2]string]*Group{}
	byTrial := map[int]*Group{}
	for _, t := range set.Trials {
		k := [2]string{t.Cell, t.Temp}
		g, ok := idx[k]
		if !ok {
			g = &Group{Cell: t.Cell, Temp: t.Temp, Config: t.Config}
			g.Config.Rep = 0
			idx[k] = g
			groups = append(groups, g)
		}
		g.Trials = append(g.Trials, t)
		byTrial[t.Trial] = g
	}
	for _, im := range set.Images {
		if g, ok := byTrial[im.Trial]; ok {
			g.Images = append(g.Images, im)
		}
	}
	return groups
}

// ImagesPerHour is the throughput of a run: built images only, over its
// wall time (0 when the wall time is not positive).
func ImagesPerHour(built int, wallSeconds float64) float64 {
	if wallSeconds <= 0 {
		return 0
	}
	return float64(built) / (wallSeconds / 3600)
}
