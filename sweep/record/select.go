package record

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

// Latest returns the records that stand in a set: per trial index the
// latest trial record (earlier ones were superseded by a rerun on resume),
// without interrupted trials, and the image records written by those trials
// (matched by trial index and run id and, when they carry a start time,
// starting within the trial's Start..End: a superseded attempt's images
// have the same trial index). Events are kept as they are.
func Latest(set *Set) *Set {
	out := &Set{Events: set.Events, Torn: set.Torn}
	last := map[int]int{}
	for i, t := range set.Trials {
		last[t.Trial] = i
	}
	keep := map[int]Trial{}
	for i, t := range set.Trials {
		if last[t.Trial] == i && !t.Interrupted {
			out.Trials = append(out.Trials, t)
			keep[t.Trial] = t
		}
	}
	for _, im := range set.Images {
		t, ok := keep[im.Trial]
		if !ok || (im.Run != "" && t.Run != "" && im.Run != t.Run) {
			continue
		}
		if !im.Start.IsZero() && (im.Start.Before(t.Start) || im.Start.After(t.End)) {
			continue
		}
		out.Images = append(out.Images, im)
	}
	return out
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
