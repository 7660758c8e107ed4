package evidence

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/sweep/record"
)

// Summary is analyze.Sample with JSON keys: a sample's median, its
// distribution-free confidence interval [Lo, Hi] at Confidence, quartiles
// and extremes.
type Summary struct {
	N          int      `json:"n"`
	Median     float64  `json:"median"`
	Lo         float64  `json:"lo"`
	Hi         float64  `json:"hi"`
	Confidence float64  `json:"confidence"`
	Q1         float64  `json:"q1"`
	Q3         float64  `json:"q3"`
	IQR        float64  `json:"iqr"`
	Min        float64  `json:"min"`
	Max        float64  `json:"max"`
	Mean       float64  `json:"mean"`
	Warnings   []string `json:"warnings,omitempty"`
}

func summarize(xs []float64) Summary {
	s := analyze.Summary(xs, analyze.DefaultConfidence)
	return Summary{N: s.N, Median: s.Median, Lo: s.Lo, Hi: s.Hi, Confidence: s.Confidence,
		Q1: s.Q1, Q3: s.Q3, IQR: s.IQR, Min: s.Min, Max: s.Max, Mean: s.Mean, Warnings: s.Warnings}
}

// Phases are the medians over a cell's built images of each phase's
// seconds; Other is the wall time the phases do not account for
// (wall − their sum, at least 0).
type Phases struct {
	Exec        float64 `json:"exec_s"`
	ImageExport float64 `json:"image_export_s"`
	LayerPush   float64 `json:"layer_push_s"`
	// ExportBesidesPush is the image export's time outside its layer
	// pushes (BuildKit reports the pushes inside the "exporting to image"
	// vertex): stacked with LayerPush it counts the export once.
	ExportBesidesPush float64 `json:"export_besides_push_s"`
	CacheExport       float64 `json:"cache_export_s"`
	CacheImport       float64 `json:"cache_import_s"`
	Queue             float64 `json:"queue_s"`
	Other             float64 `json:"other_s"`
}

// Outlier is a trial whose throughput lies outside the cell's median ±
// 3 scaled MADs. It is reported, never dropped.
type Outlier struct {
	// Index is the position among the cell's trials, Trial the trial
	// number of the records.
	Index         int     `json:"index"`
	Trial         int     `json:"trial"`
	ImagesPerHour float64 `json:"images_per_hour"`
}

// Cell summarises one measured configuration at one temperature.
type Cell struct {
	Name   string `json:"name"`
	Config Config `json:"config"`
	// Temp is "cold" or "warm".
	Temp string `json:"temp"`
	// N is the number of trials that count and Trials their numbers.
	N      int   `json:"n"`
	Trials []int `json:"trials"`
	// Images is the number of built images observed: instance builds,
	// so a three-phase instance's base and assembly count once and the
	// shared builder not at all (see jobsOf).
	Images int `json:"images"`
	// SharedWall summarises the wall seconds of the shared phases built
	// once per trial before any instance (the three-phase builder), nil
	// when there are none. They are part of the fixed per-run cost.
	SharedWall *Summary `json:"shared_wall_s,omitempty"`
	// ImagesPerHour summarises the trials' throughput and ImageWall the
	// built images' wall seconds.
	ImagesPerHour Summary   `json:"images_per_hour"`
	ImageWall     Summary   `json:"image_wall_s"`
	Outliers      []Outlier `json:"outliers,omitempty"`
	Phases        Phases    `json:"phases"`
	// BytesPushedPerImage is the registry bytes per built image,
	// CachedStepFraction the share of build steps that were cache hits,
	// DiskPerImage the median over trials of BuildKit's disk growth per
	// built image (0 when no trial grew).
	BytesPushedPerImage float64 `json:"bytes_pushed_per_image"`
	CachedStepFraction  float64 `json:"cached_step_fraction"`
	DiskPerImage        float64 `json:"disk_per_image"`
	// HostCPU is the median over the trials that measured it of the share
	// of the host's cores busy during the trial's builds (record.Trial's
	// host_cpu), 0 when none did: near 1, the CPU was the limit.
	HostCPU  float64  `json:"host_cpu,omitempty"`
	Warnings []string `json:"warnings,omitempty"`

	trials []record.Trial
	// images are the built instance jobs (jobsOf), in record order.
	images []record.Image
}

// throughput returns the trials' images per hour.
func (c *Cell) throughput() []float64 {
	out := make([]float64, len(c.trials))
	for i, t := range c.trials {
		out[i] = t.ImagesPerHour
	}
	return out
}

// builtImages returns the images that were built without error.
func builtImages(ims []record.Image) []record.Image {
	var out []record.Image
	for _, im := range ims {
		if im.Status == record.StatusBuilt && im.OK() {
			out = append(out, im)
		}
	}
	return out
}

// buildCells groups the selected records by cell and temperature, cold
// cells first, each list sorted by name.
func buildCells(sel *record.Set) (cold, warm []*Cell) {
	for _, g := range record.GroupByCell(sel) {
		c := newCell(g)
		if c.Temp == record.TempWarm {
			warm = append(warm, c)
		} else {
			cold = append(cold, c)
		}
	}
	byName := func(a, b *Cell) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(cold, byName)
	slices.SortFunc(warm, byName)
	return cold, warm
}

func newCell(g *record.Group) *Cell {
	jobs, shared := jobsOf(g.Images)
	c := &Cell{Config: configOf(g.Config), Temp: g.Temp, trials: g.Trials, images: builtImages(jobs)}
	if sh := builtImages(shared); len(sh) > 0 {
		var xs []float64
		for _, im := range sh {
			xs = append(xs, im.WallSeconds)
		}
		s := summarize(xs)
		c.SharedWall = &s
	}
	if c.Temp == "" {
		c.Temp = record.TempCold
	}
	c.Name = g.Cell
	if c.Name == "" {
		c.Name = c.Config.Name()
	}
	c.N = len(g.Trials)
	for _, t := range g.Trials {
		c.Trials = append(c.Trials, t.Trial)
	}
	c.Images = len(c.images)
	ipx := c.throughput()
	c.ImagesPerHour = summarize(ipx)
	for _, i := range analyze.Outliers(ipx, 0) {
		c.Outliers = append(c.Outliers, Outlier{Index: i, Trial: g.Trials[i].Trial, ImagesPerHour: finite(ipx[i])})
	}
	if len(c.Outliers) > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d of %d trials are throughput outliers (kept in every statistic)", len(c.Outliers), c.N))
	}

	var wall, exec, export, push, rest, cexp, cimp, queue, other []float64
	var cached, total int
	for _, im := range c.images {
		wall = append(wall, im.WallSeconds)
		exec = append(exec, im.ExecSeconds)
		export = append(export, im.ImageExportSeconds)
		push = append(push, im.LayerPushSeconds)
		rest = append(rest, math.Max(0, im.ImageExportSeconds-im.LayerPushSeconds))
		cexp = append(cexp, im.CacheExportSeconds)
		cimp = append(cimp, im.CacheImportSeconds)
		queue = append(queue, im.QueueSeconds)
		// The layer pushes are inside the image export: counted once.
		sum := im.ExecSeconds + math.Max(im.ImageExportSeconds, im.LayerPushSeconds) + im.CacheExportSeconds + im.CacheImportSeconds + im.QueueSeconds
		other = append(other, math.Max(0, im.WallSeconds-sum))
		cached += im.CachedSteps
		total += im.TotalSteps
	}
	c.ImageWall = summarize(wall)
	c.Phases = Phases{Exec: med(exec), ImageExport: med(export), LayerPush: med(push), ExportBesidesPush: med(rest), CacheExport: med(cexp),
		CacheImport: med(cimp), Queue: med(queue), Other: med(other)}
	if total > 0 {
		c.CachedStepFraction = float64(cached) / float64(total)
	}
	var pushed int64
	built := 0
	var disk []float64
	for _, t := range g.Trials {
		pushed += t.BytesPushed
		built += t.Built
		if t.Built > 0 && t.DiskAfter > t.DiskBefore {
			disk = append(disk, float64(t.DiskAfter-t.DiskBefore)/float64(t.Built))
		}
	}
	if built > 0 {
		c.BytesPushedPerImage = float64(pushed) / float64(built)
	}
	c.DiskPerImage = med(disk)
	var busy []float64
	for _, t := range g.Trials {
		if t.HostCPU > 0 {
			busy = append(busy, t.HostCPU)
		}
	}
	c.HostCPU = med(busy)
	c.Warnings = append(c.Warnings, c.warmupWarnings()...)
	if c.Images == 0 {
		c.Warnings = append(c.Warnings, "no built image records: per-image statistics and predictions are not available")
	}
	return c
}

// med is the median of xs, 0 for none.
func med(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return finite(analyze.Summary(xs, analyze.DefaultConfidence).Median)
}

// finite returns x, or 0 when x is NaN or infinite.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// Ranked is one cell of the Holm-ranked comparison against the best.
type Ranked struct {
	Name string `json:"name"`
	// Registry is the registry bandwidth condition the cell was measured
	// under ("unlimited", "16MiB/s"), set when the run measured several:
	// a cell is ranked only among the cells of its condition, so
	// Position, Best and the p-values are within that condition.
	Registry string  `json:"registry_bandwidth,omitempty"`
	Position int     `json:"position"`
	Median   float64 `json:"median_images_per_hour"`
	// P is the raw two-sided Mann-Whitney p against the best and
	// PAdjusted the Holm-adjusted one; Worse is PAdjusted < Alpha with a
	// lower median.
	P         float64  `json:"p"`
	PAdjusted float64  `json:"p_adjusted"`
	Worse     bool     `json:"worse"`
	Best      bool     `json:"best,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
}

// Versus compares one cell's throughput with the baseline's.
type Versus struct {
	Name string `json:"name"`
	// Registry is the cell's registry bandwidth condition, set when the
	// run measured several: the cell is compared with the baseline
	// measured under the same condition (Condition.Baseline).
	Registry string `json:"registry_bandwidth,omitempty"`
	// Ratio is median(cell) / median(baseline) images per hour (above 1:
	// faster) and [RatioLo, RatioHi] the Hodges-Lehmann interval.
	Ratio   float64 `json:"ratio"`
	RatioLo float64 `json:"ratio_lo"`
	RatioHi float64 `json:"ratio_hi"`
	// P is the Mann-Whitney p and PAdjusted the Holm-adjusted one over all
	// cells compared with the baseline.
	P           float64  `json:"p"`
	PAdjusted   float64  `json:"p_adjusted"`
	Significant bool     `json:"significant"`
	Warnings    []string `json:"warnings,omitempty"`
}

// Equiv is the TOST of one cell's throughput against the best's (the
// best of its registry bandwidth condition, when the run measured several).
type Equiv struct {
	Name string `json:"name"`
	// Registry is the cell's registry bandwidth condition, set when the
	// run measured several.
	Registry   string   `json:"registry_bandwidth,omitempty"`
	Equivalent bool     `json:"equivalent"`
	Ratio      float64  `json:"ratio"`
	RatioLo    float64  `json:"ratio_lo"`
	RatioHi    float64  `json:"ratio_hi"`
	P          float64  `json:"p"`
	Warnings   []string `json:"warnings,omitempty"`
}

// Knob verdicts.
const (
	KnobMatters      = "matters"
	KnobDoesNot      = "does not matter"
	KnobInconclusive = "inconclusive"
	KnobNotVaried    = "not varied"
)

// Knob says whether one knob matters: it compares every pair of cold cells
// that differ only in that knob.
type Knob struct {
	Knob string `json:"knob"`
	// Registry is the registry bandwidth condition the verdict holds
	// under ("unlimited", "16MiB/s"), set when the run measured several:
	// the bandwidth is a condition, not a knob, so each knob is judged
	// within each condition.
	Registry string `json:"registry_bandwidth,omitempty"`
	// Verdict is KnobDoesNot when every pair is equivalent (TOST),
	// KnobMatters when some pair differs significantly (Mann-Whitney, Holm
	// over the knob's pairs), KnobInconclusive otherwise, and KnobNotVaried
	// when no two cells differ only in this knob.
	Verdict    string   `json:"verdict"`
	Pairs      int      `json:"pairs"`
	Equivalent int      `json:"equivalent"`
	Different  int      `json:"different"`
	Details    []string `json:"details,omitempty"`
}

// Comparisons are the decisions between cold cells, on images per hour.
//
// The registry bandwidth is a condition a build runs under, not a knob to
// choose: a cell measured at an unlimited link and one at a 12 MiB/s link
// are never compared. A run that measured several conditions is ranked,
// compared with its baseline and judged knob by knob within each
// condition: every entry then names its condition (Registry), Best and
// Baseline are "" (there is no best across conditions) and Conditions
// holds each condition's best and baseline.
type Comparisons struct {
	Alpha  float64 `json:"alpha"`
	Margin float64 `json:"margin"`
	Best   string  `json:"best"`
	// Ranking is every cold cell, best first, Holm-corrected against the
	// best; with several conditions, condition by condition (Conditions'
	// order), each ranked and corrected within its condition. Unranked
	// are cells without throughput values.
	Ranking  []Ranked `json:"ranking"`
	Unranked []string `json:"unranked,omitempty"`
	// Baseline names the cell compared against (BaselineConfig when it
	// was measured, otherwise the nearest measured cell, with a warning).
	BaselineConfig   Config   `json:"baseline_config"`
	Baseline         string   `json:"baseline,omitempty"`
	VsBaseline       []Versus `json:"vs_baseline,omitempty"`
	EquivalentToBest []Equiv  `json:"equivalent_to_best,omitempty"`
	Knobs            []Knob   `json:"knobs"`
	// Conditions are the registry bandwidth conditions of a run that
	// measured several, the caps ascending and "unlimited" last, each
	// with its best cell and its baseline cell; nil for a run of one.
	Conditions []Condition `json:"conditions,omitempty"`
	Warnings   []string    `json:"warnings,omitempty"`
}

// Condition is one registry bandwidth condition's best cell and the cell
// its cells are compared with as the baseline (the baseline's knobs
// under this condition, or the nearest measured cell).
type Condition struct {
	Registry string `json:"registry_bandwidth"`
	Best     string `json:"best"`
	Baseline string `json:"baseline,omitempty"`
}

// BestUnder returns the best cell among the cells measured under the
// registry bandwidth condition label ("unlimited", "16MiB/s", as Ranked
// and Conditions spell it), or Best for a run of one condition, whatever
// the label.
func (cm Comparisons) BestUnder(label string) string {
	if len(cm.Conditions) == 0 {
		return cm.Best
	}
	for _, c := range cm.Conditions {
		if c.Registry == label {
			return c.Best
		}
	}
	return ""
}

// compareCells compares the cold cells within each registry bandwidth
// condition (see Comparisons): one condition is compared as a whole; with
// several, each is compared on its own and the results are concatenated,
// labelled with the condition. The baseline is the baseline's knobs under
// each condition, whatever registry it names: a run of one condition, even
// a capped one only, compares with the baseline's knobs under that cap
// (BaselineConfig then names the cap).
func compareCells(cells []*Cell, baseline Config, margin, alpha float64) Comparisons {
	regs := (&Analysis{Cells: cells}).registries()
	if len(regs) <= 1 {
		if len(regs) == 1 {
			baseline.Registry = regs[0]
		}
		return compareWithin(cells, baseline, margin, alpha)
	}
	cmpr := Comparisons{Alpha: alpha, Margin: margin, BaselineConfig: baseline}
	for _, reg := range regs {
		var in []*Cell
		for _, c := range cells {
			if c.Config.Registry == reg {
				in = append(in, c)
			}
		}
		// The baseline is today's knobs on the same registry, whatever
		// registry it names (as Recommend compares it).
		b := baseline
		b.Registry = reg
		label := RegistryLabel(reg)
		cc := compareWithin(in, b, margin, alpha)
		for _, r := range cc.Ranking {
			r.Registry = label
			cmpr.Ranking = append(cmpr.Ranking, r)
		}
		cmpr.Unranked = append(cmpr.Unranked, cc.Unranked...)
		for _, v := range cc.VsBaseline {
			v.Registry = label
			cmpr.VsBaseline = append(cmpr.VsBaseline, v)
		}
		for _, e := range cc.EquivalentToBest {
			e.Registry = label
			cmpr.EquivalentToBest = append(cmpr.EquivalentToBest, e)
		}
		for _, k := range cc.Knobs {
			k.Registry = label
			cmpr.Knobs = append(cmpr.Knobs, k)
		}
		for _, w := range cc.Warnings {
			cmpr.Warnings = append(cmpr.Warnings, "registry bandwidth "+label+": "+w)
		}
		cmpr.Conditions = append(cmpr.Conditions, Condition{Registry: label, Best: cc.Best, Baseline: cc.Baseline})
	}
	return cmpr
}

// compareWithin compares cells measured under one registry bandwidth
// condition: ranks them against the best, compares each with the
// baseline and with the best (TOST), and judges each knob.
func compareWithin(cells []*Cell, baseline Config, margin, alpha float64) Comparisons {
	cmpr := Comparisons{Alpha: alpha, Margin: margin, BaselineConfig: baseline}
	tp := map[string][]float64{}
	byName := map[string]*Cell{}
	for _, c := range cells {
		tp[c.Name] = c.throughput()
		byName[c.Name] = c
	}
	r := analyze.Rank(tp, true, alpha)
	cmpr.Best = r.Best
	cmpr.Unranked = r.Unranked
	cmpr.Warnings = append(cmpr.Warnings, r.Warnings...)
	for _, rc := range r.Cells {
		cmpr.Ranking = append(cmpr.Ranking, Ranked{Name: rc.Name, Position: rc.Position, Median: rc.Sample.Median,
			P: rc.P, PAdjusted: rc.PAdjusted, Worse: rc.Worse, Best: rc.Best, Warnings: rc.Warnings})
	}
	if best := byName[r.Best]; best != nil {
		for _, c := range cells {
			if c == best {
				continue
			}
			if !analyze.CanSeparate(c.N, best.N, alpha) {
				c.Warnings = append(c.Warnings, fmt.Sprintf("too few reps to separate from the best (%d and %d trials)", c.N, best.N))
			}
			e := analyze.Equivalent(tp[best.Name], tp[c.Name], margin, alpha)
			cmpr.EquivalentToBest = append(cmpr.EquivalentToBest, Equiv{Name: c.Name, Equivalent: e.Equivalent,
				Ratio: e.Ratio, RatioLo: e.RatioLo, RatioHi: e.RatioHi, P: e.P, Warnings: e.Warnings})
		}
	}

	base, exact := nearestCell(cells, baseline)
	if base == nil {
		cmpr.Warnings = append(cmpr.Warnings, fmt.Sprintf("baseline %s: no measured cell with cache %s and strategy %s to compare against", baseline.Name(), baseline.CacheMode, baseline.Strategy))
	} else {
		cmpr.Baseline = base.Name
		if !exact {
			cmpr.Warnings = append(cmpr.Warnings, fmt.Sprintf("baseline %s was not measured: cells are compared with the nearest measured cell, %s", baseline.Name(), base.Name))
		}
		var ps []float64
		for _, c := range cells {
			if c == base {
				continue
			}
			cp := analyze.Compare(tp[base.Name], tp[c.Name], alpha)
			cmpr.VsBaseline = append(cmpr.VsBaseline, Versus{Name: c.Name, Ratio: cp.Ratio, RatioLo: cp.RatioLo, RatioHi: cp.RatioHi, P: cp.P, Warnings: cp.Warnings})
			ps = append(ps, cp.P)
		}
		for i, p := range holm(ps) {
			cmpr.VsBaseline[i].PAdjusted = p
			cmpr.VsBaseline[i].Significant = p < alpha
		}
	}
	for _, k := range knobNames {
		cmpr.Knobs = append(cmpr.Knobs, knobMatters(cells, k, tp, margin, alpha))
	}
	return cmpr
}

// nearestCell returns the cell with config want, or else the cell with the
// same cache mode, strategy and registry and the nearest workers (then
// nearest batch); exact says it was want itself.
func nearestCell(cells []*Cell, want Config) (c *Cell, exact bool) {
	var best *Cell
	for _, c := range cells {
		if c.Config == want {
			return c, true
		}
		if c.Config.CacheMode != want.CacheMode || c.Config.Strategy != want.Strategy || c.Config.Registry != want.Registry || c.Images == 0 {
			continue
		}
		if best == nil || less(distance(c.Config, want), distance(best.Config, want)) {
			best = c
		}
	}
	return best, false
}

// distance orders configs by worker difference first, then batch.
func distance(a, b Config) [2]int {
	bd := abs(a.Batch - b.Batch)
	if (a.Batch == 0) != (b.Batch == 0) {
		bd = 1 << 20
	}
	return [2]int{abs(a.Workers - b.Workers), bd}
}

func less(a, b [2]int) bool { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) < 0 }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// holm returns Holm-Bonferroni adjusted p-values, in input order.
func holm(ps []float64) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	out := make([]float64, m)
	run := 0.0
	for k, i := range idx {
		run = math.Max(run, math.Min(1, float64(m-k)*ps[i]))
		out[i] = run
	}
	return out
}

var knobNames = []string{"cache_mode", "batch", "workers", "strategy"}

// without clears one knob of a config, so configs that differ only in it
// compare equal.
func without(c Config, knob string) Config {
	switch knob {
	case "cache_mode":
		c.CacheMode = ""
	case "batch":
		c.Batch = -1
	case "workers":
		c.Workers = 0
	case "strategy":
		c.Strategy = ""
	}
	return c
}

func knobMatters(cells []*Cell, knob string, tp map[string][]float64, margin, alpha float64) Knob {
	k := Knob{Knob: knob}
	groups := map[Config][]*Cell{}
	var keys []Config
	for _, c := range cells {
		key := without(c.Config, knob)
		if groups[key] == nil {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], c)
	}
	type pair struct{ a, b *Cell }
	var pairs []pair
	// A cell that built no image has a throughput of 0 because its builds
	// failed, not because of its setting: a pair with it says nothing
	// about the knob, and is left out with the cell named.
	var failed []string
	for _, key := range keys {
		g := groups[key]
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				if g[i].Images == 0 || g[j].Images == 0 {
					for _, c := range []*Cell{g[i], g[j]} {
						if c.Images == 0 && !slices.Contains(failed, c.Name) {
							failed = append(failed, c.Name)
						}
					}
					continue
				}
				pairs = append(pairs, pair{g[i], g[j]})
			}
		}
	}
	for _, name := range failed {
		k.Details = append(k.Details, fmt.Sprintf("%s built no image: its pairs are left out", name))
	}
	k.Pairs = len(pairs)
	if len(pairs) == 0 {
		k.Verdict = KnobNotVaried
		return k
	}
	ps := make([]float64, len(pairs))
	eq := make([]bool, len(pairs))
	for i, p := range pairs {
		ps[i] = analyze.Compare(tp[p.a.Name], tp[p.b.Name], alpha).P
		eq[i] = analyze.Equivalent(tp[p.a.Name], tp[p.b.Name], margin, alpha).Equivalent
	}
	adj := holm(ps)
	// The pairs that differ first, then the equivalent ones, then the
	// rest: a grid of many cells has many pairs, and a reader of the first
	// few should see what the knob does.
	var differ, equiv, neither []string
	for i, p := range pairs {
		switch {
		case eq[i]:
			k.Equivalent++
			equiv = append(equiv, fmt.Sprintf("%s and %s are equivalent within ±%.0f%%", p.a.Name, p.b.Name, 100*margin))
		case adj[i] < alpha:
			k.Different++
			differ = append(differ, fmt.Sprintf("%s and %s differ (Holm-adjusted p=%.3g)", p.a.Name, p.b.Name, adj[i]))
		default:
			neither = append(neither, fmt.Sprintf("%s and %s: neither different nor shown equivalent (p=%.3g)", p.a.Name, p.b.Name, adj[i]))
		}
	}
	k.Details = append(append(append(k.Details, differ...), equiv...), neither...)
	switch {
	case k.Equivalent == k.Pairs:
		k.Verdict = KnobDoesNot
	case k.Different > 0:
		k.Verdict = KnobMatters
	default:
		k.Verdict = KnobInconclusive
	}
	return k
}

// sortedInts returns the distinct values of xs, ascending.
func sortedInts(xs []int) []int {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}
