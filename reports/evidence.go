package reports

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/evidence"
	amodel "github.com/buildtune/buildtune/analyze/model"
	"github.com/buildtune/buildtune/reports/plot"
)

// predictionConfidence is the coverage of model.Predict's intervals.
const predictionConfidence = amodel.DefaultConfidence

// FormatSeconds formats seconds as the reports do: 0.28s, 38.2s, 12m05s
// or 1h52m.
func FormatSeconds(s float64) string { return duration(s) }

// FromAnalysis fills a report's view model from an analysis and the
// recommendation for c's target (the decision comes first in a report).
func FromAnalysis(a *evidence.Analysis, c evidence.Constraints) (Data, error) {
	// One decision per registry bandwidth condition unless c names one.
	var results []evidence.ConditionRecommendation
	if c.Registry == "" && len(a.Conditions()) > 1 {
		results = a.RecommendEach(c)
	} else {
		rec, err := a.Recommend(c)
		results = []evidence.ConditionRecommendation{{Recommendation: rec, Err: err}}
	}
	// The build predicted, as Recommend resolves it (the same seed), so
	// that every cell's prediction is the one its decision shows.
	target := a.ResolveTarget(c.Target)
	if target.Seed == 0 {
		target.Seed = a.Options.Seed
	}
	d := Data{Title: "Build tuning report", Run: Run{ID: a.RunID}}
	if t, err := time.Parse("20060102T150405Z", a.RunID); err == nil {
		d.Run.Date = t
	}
	var recs []evidence.Recommendation // the recommendations made
	for _, r := range results {
		dec, err := decisionOf(r.Recommendation, r.Err, c)
		if err != nil {
			return Data{}, err
		}
		if len(results) > 1 {
			dec.Registry = r.Registry
		}
		d.Decisions = append(d.Decisions, dec)
		if r.Err == nil {
			recs = append(recs, r.Recommendation)
		}
	}
	d.Decision = d.Decisions[0]
	if len(d.Decisions) == 1 {
		d.Decisions = nil
	}
	var rec evidence.Recommendation // the first recommendation (zero when none)
	if len(recs) > 0 {
		rec = recs[0]
	}

	// Cells, in ranking order.
	cells := map[string]*evidence.Cell{}
	for _, cl := range a.Cells {
		cells[cl.Name] = cl
	}
	equiv := map[string]bool{}
	for _, e := range a.Comparisons.EquivalentToBest {
		equiv[e.Name] = e.Equivalent
	}
	dropped := map[string]bool{}
	if a.Adaptive != nil {
		for _, dr := range a.Adaptive.Drops {
			dropped[dr.Cell] = true
		}
	}
	// Cells are ranked within their registry bandwidth condition (one
	// ranking when the run measured one): each against its condition's best.
	for _, r := range a.Comparisons.Ranking {
		cl := cells[r.Name]
		if cl == nil {
			continue
		}
		row := CellRow{Name: r.Name, Registry: r.Registry, Position: r.Position, N: cl.N, MedianIPH: cl.ImagesPerHour.Median, LoIPH: cl.ImagesPerHour.Lo,
			HiIPH: cl.ImagesPerHour.Hi, IQR: cl.ImagesPerHour.IQR, CIConfidence: cl.ImagesPerHour.Confidence, PerImageMedianS: cl.ImageWall.Median,
			PAdj: r.PAdjusted, Outliers: len(cl.Outliers), HostCPU: cl.HostCPU}
		if cl.Images == 0 {
			row.PerImageMedianS = math.NaN() // no built image: "n/a", not 0s
		}
		best := cells[a.Comparisons.BestUnder(r.Registry)]
		switch {
		case cl.Images == 0:
			row.Verdict = VerdictNoImage
		case r.Best:
			row.Verdict = VerdictBest
		case r.Worse:
			row.Verdict = VerdictWorse
		case dropped[r.Name]:
			// The sweep's own tests (t-tests on logs after the first
			// round) separated it; the table's cannot on so few trials.
			row.Verdict = VerdictDropped
		case equiv[r.Name]:
			row.Verdict = VerdictEquivalent
		case best != nil && !analyze.CanSeparate(cl.N, best.N, a.Comparisons.Alpha):
			row.Verdict = VerdictNotSeparable
		}
		d.Cells = append(d.Cells, row)
	}
	if ad := a.Adaptive; ad != nil {
		d.Adaptive = &Adaptive{Stop: ad.Stop}
		for _, dr := range ad.Drops {
			d.Adaptive.Drops = append(d.Adaptive.Drops, AdaptiveDrop{Cell: dr.Cell, Why: dr.Why})
		}
	}
	for _, k := range a.Comparisons.Knobs {
		f := knobFinding(k)
		name := k.Knob
		if k.Registry != "" {
			name += " (registry bandwidth " + k.Registry + ")"
		}
		d.Knobs = append(d.Knobs, KnobFinding{Knob: name, Finding: f})
	}
	d.Diagnoses = a.Diagnoses

	// Predictions of every measured cell and the baseline, fastest first
	// within each registry bandwidth condition (Conditions' order): the
	// chart does not rank one condition's cells against another's.
	condOrder := map[string]int{}
	for i, c := range a.Conditions() {
		condOrder[c] = i
	}
	var preds []plot.PredictedConfig
	var predCond []int // the condition of each of preds
	for _, cl := range a.Cells {
		p, err := a.Predict(cl.Config, target)
		if err != nil {
			continue
		}
		cp := ConfigPrediction{Name: cl.Config.String(), Cell: cl.Name, Median: p.Median, Lo: p.Lo, Hi: p.Hi, Extrapolated: p.Extrapolated}
		if several := len(a.Conditions()) > 1; several {
			cp.Registry = evidence.RegistryLabel(cl.Config.Registry)
		}
		d.Predictions = append(d.Predictions, cp)
		preds = append(preds, plot.PredictedConfig{Name: cl.Config.Name(), Seconds: plot.Interval{Median: p.Median, Lo: p.Lo, Hi: p.Hi}})
		predCond = append(predCond, condOrder[evidence.RegistryLabel(cl.Config.Registry)])
	}
	for _, r := range recs {
		if r.Baseline != nil && a.Cell(r.Baseline.Config) == nil {
			b := choice(*r.Baseline)
			if len(a.Conditions()) > 1 {
				b.Registry = evidence.RegistryLabel(r.Baseline.Config.Registry)
			}
			d.Predictions = append(d.Predictions, b)
			preds = append(preds, plot.PredictedConfig{Name: r.Baseline.Config.Name() + " (baseline)", Seconds: plot.Interval{Median: b.Median, Lo: b.Lo, Hi: b.Hi}, Baseline: true})
			predCond = append(predCond, condOrder[evidence.RegistryLabel(r.Baseline.Config.Registry)])
		}
	}
	order := make([]int, len(preds))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		x, y := order[i], order[j]
		if predCond[x] != predCond[y] {
			return predCond[x] < predCond[y]
		}
		return preds[x].Seconds.Median < preds[y].Seconds.Median
	})
	// The table in the chart's order: by condition, fastest first.
	sorted := make([]plot.PredictedConfig, len(preds))
	table := make([]ConfigPrediction, len(preds))
	for i, k := range order {
		sorted[i], table[i] = preds[k], d.Predictions[k]
	}
	preds, d.Predictions = sorted, table
	d.Charts.Predictions = plot.PredictionData{Configs: preds, DeadlineSeconds: c.Deadline.Seconds(), Duration: analyze.FormatSeconds,
		Title:         "Predicted wall time of a build of " + analyze.Plural(target.Count(), "image"),
		IntervalLabel: fmt.Sprintf("%.0f%% prediction interval", 100*predictionConfidence)}

	// Model.
	for _, u := range a.Models.USL {
		row := uslRow(u)
		if len(a.Conditions()) > 1 {
			// Named with its registry bandwidth, as the throughput chart
			// names the series: one fit per condition.
			row.Series += ", registry " + evidence.RegistryLabel(u.Registry)
		}
		if u.Error != "" {
			d.Model.NoFit = append(d.Model.NoFit, USLFailure{Series: row.Series, Error: u.Error})
			continue
		}
		d.Model.USL = append(d.Model.USL, row)
	}
	for _, c := range a.Models.Crowding {
		if c.Beta > 0 {
			series := "cache " + c.CacheMode + ", " + c.Strategy
			if c.Registry != "" {
				series += ", registry " + c.Registry
			}
			d.Model.Crowding = append(d.Model.Crowding, CrowdingRow{Series: series, Beta: c.Beta, Images: c.Images})
		}
	}
	if sp := a.Models.Spread; spreadShown(sp) {
		d.Model.TrialSpreadPct = 100 * (math.Exp(sp.LogSD) - 1)
		d.Model.SpreadCells, d.Model.SpreadDF = sp.Cells, sp.DF
	}
	// The median of the prunes, without an interval (none is computed).
	d.Model.PruneS = [3]float64{a.Models.Prune.MedianSeconds, 0, 0}
	d.Model.PruneWithWarm = pruneWithWarm(a)
	// The barrier loss of the recommended configuration's cell (or of the
	// best cell: the first condition's, when the run measured several),
	// where batching is measured.
	bestCell := a.Comparisons.Best
	if len(a.Comparisons.Conditions) > 0 {
		bestCell = a.Comparisons.Conditions[0].Best
	}
	d.Model.Fixed = fixedRows(a, d, bestCell)
	for _, name := range []string{rec.Recommended.Config.Name(), bestCell} {
		if len(recs) == 0 && name != bestCell {
			continue
		}
		// For the build the report predicts, which --images or
		// --instances may make another than the analysis' default.
		if b, ok := a.BarrierFor(name, target.Count()); ok {
			d.Model.BarrierLossPct = [3]float64{100 * b.Median, 100 * b.Lo, 100 * b.Hi}
			// Named, with what the decision made of it: the pick's own
			// loss, or (a stream pick has no barrier) the best cell's.
			d.Model.BarrierCell, d.Model.BarrierRole = name, "best measured"
			if len(recs) > 0 && name == rec.Recommended.Config.Name() {
				d.Model.BarrierRole = "best so far"
				if rec.Confident {
					d.Model.BarrierRole = "recommended"
				}
			}
			break
		}
	}
	var disk []float64
	for _, cl := range a.Cells {
		if cl.DiskPerImage > 0 {
			disk = append(disk, cl.DiskPerImage)
		}
	}
	if len(disk) > 0 {
		s := analyze.Summary(disk, 0.95)
		d.Model.DiskGrowthBytes = [3]float64{s.Median, s.Lo, s.Hi}
	}

	d.Warm = warmRows(a)

	// Phases.
	d.Phases.Stat = "median"
	several := len(a.Conditions()) > 1
	for _, cl := range a.Cells {
		if cl.Images == 0 {
			// No built image: no per-image phases or times to draw (a bar
			// of 0 s would read as a cell that built in no time), and in
			// the heat map "failed", not 0 images/hour on its scale.
			d.Charts.Heatmap.Failed = append(d.Charts.Heatmap.Failed, plot.HeatCell{CacheMode: cl.Config.CacheMode + " " + cl.Config.Strategy, Row: heatRow(cl.Config, several),
				Workers: cl.Config.Workers, Batch: cl.Config.Batch})
			continue
		}
		// Stacked, the export counts once: its part besides the pushes,
		// then the pushes.
		ps := plot.PhaseSeconds{Exec: cl.Phases.Exec, ImageExport: cl.Phases.ExportBesidesPush, LayerPush: cl.Phases.LayerPush,
			CacheExport: cl.Phases.CacheExport, CacheImport: cl.Phases.CacheImport, Queue: cl.Phases.Queue, Other: cl.Phases.Other}
		d.Phases.Rows = append(d.Phases.Rows, PhaseRow{Name: cl.Name, WallS: cl.ImageWall.Median, Seconds: ps})
		d.Charts.Phases.Cells = append(d.Charts.Phases.Cells, plot.PhaseCell{Name: cl.Name, Seconds: ps})
		d.Charts.ECDF.Series = append(d.Charts.ECDF.Series, plot.ECDFSeries{Name: cl.Name, Seconds: cl.ImageWallSeconds()})
		d.Charts.Heatmap.Cells = append(d.Charts.Heatmap.Cells, plot.HeatCell{CacheMode: cl.Config.CacheMode + " " + cl.Config.Strategy, Row: heatRow(cl.Config, several),
			Workers: cl.Config.Workers, Batch: cl.Config.Batch, ImagesPerHour: cl.ImagesPerHour.Median})
	}
	d.Charts.Phases.Stat = "median"
	d.Charts.ECDF, d.Charts.ECDFShown = fewestECDF(d.Charts.ECDF, d)
	d.Charts.Throughput = throughputChart(a)
	d.Charts.Bytes = bytesChart(a)
	d.Charts.Disk = diskChart(a, c.Target.PruneThreshold)

	// Method.
	m := methodOf(a, target)
	m.Warnings = append(m.Warnings, a.Comparisons.Warnings...)
	d.Method = m
	return d, nil
}

// maxECDFSeries is how many cells the ECDF chart draws: beyond about a
// dozen step lines over each other no curve can be followed.
const maxECDFSeries = 12

// fewestECDF keeps, of a chart of more than maxECDFSeries cells, the
// fastest cells of each condition (the cells table's order) and every
// decision's pick, and returns what it drew ("12 of 60 cells: ...") for
// the title and caption; it returns "" when it keeps every cell.
func fewestECDF(e plot.ECDFData, d Data) (plot.ECDFData, string) {
	if len(e.Series) <= maxECDFSeries {
		return e, ""
	}
	keep := map[string]bool{}
	for _, dec := range append([]Decision{d.Decision}, d.Decisions...) {
		if c := dec.Recommended.Cell; c != "" {
			keep[c] = true
		}
	}
	picks := len(keep)
	conds := map[string]int{}
	for _, r := range d.Cells {
		conds[r.Registry]++
	}
	per := max(1, (maxECDFSeries-picks)/len(conds))
	taken := map[string]int{}
	for _, r := range d.Cells {
		if keep[r.Name] || r.Verdict == VerdictNoImage || taken[r.Registry] >= per {
			continue
		}
		keep[r.Name] = true
		taken[r.Registry]++
	}
	var out []plot.ECDFSeries
	for _, s := range e.Series {
		if keep[s.Name] {
			out = append(out, s)
		}
	}
	which := "the fastest by throughput"
	if len(conds) > 1 {
		which += " under each registry bandwidth"
	}
	if picks > 0 {
		which += " and the recommended"
	}
	shown := fmt.Sprintf("%d of %d cells, %s", len(out), len(e.Series), which)
	e.Title = fmt.Sprintf("Per-image wall time, cumulative distribution (%d of %d cells)", len(out), len(e.Series))
	e.Series = out
	return e, shown
}

// knobDetailsShown is how many of a knob's pairs the report lists; a grid
// of many cells has dozens, which analysis.json lists in full.
const knobDetailsShown = 6

// knobFinding is a knob's verdict and its pairs: every pair when they are
// few, else their counts and the first knobDetailsShown (the pairs that
// differ come first).
func knobFinding(k evidence.Knob) string {
	f := k.Verdict
	if len(k.Details) == 0 {
		return f
	}
	if len(k.Details) <= knobDetailsShown {
		return f + ": " + strings.Join(k.Details, "; ")
	}
	neither := k.Pairs - k.Different - k.Equivalent
	head := fmt.Sprintf("%s over %s (%d differ, %d equivalent, %d neither different nor shown equivalent)",
		f, analyze.Plural(k.Pairs, "pair"), k.Different, k.Equivalent, neither)
	rest := len(k.Details) - knobDetailsShown
	return head + ": " + strings.Join(k.Details[:knobDetailsShown], "; ") +
		fmt.Sprintf("; and %d more, listed in analysis.json", rest)
}

// fixedRows are the cells' fixed per-run costs: first each decision's
// pick (the best cell when there is no decision), then the other cells in
// the cells table's order.
func fixedRows(a *evidence.Analysis, d Data, bestCell string) []FixedRow {
	byCell := map[string]evidence.FixedCost{}
	for _, f := range a.Models.Fixed {
		byCell[f.Cell] = f
	}
	var rows []FixedRow
	added := map[string]bool{}
	add := func(cell, role string) {
		f, ok := byCell[cell]
		if !ok || added[cell] {
			return
		}
		added[cell] = true
		row := FixedRow{Cell: cell, Seconds: [3]float64{f.Seconds, f.Lo, f.Hi}, PerImageS: math.NaN(), Role: role}
		for _, cl := range a.Cells {
			if cl.Name != cell {
				continue
			}
			if cl.Images == 0 {
				// Every build failed: there is no schedule of images for
				// the wall time to go beyond, and no fixed cost to show.
				return
			}
			row.PerImageS = cl.ImageWall.Median
		}
		rows = append(rows, row)
	}
	decs := d.Decisions
	if len(decs) == 0 {
		decs = []Decision{d.Decision}
	}
	for _, dec := range decs {
		if dec.NoRecommendation != "" || dec.Recommended.Cell == "" {
			continue
		}
		role := "best so far"
		if dec.Confident {
			role = "recommended"
		}
		add(dec.Recommended.Cell, role)
	}
	if len(rows) == 0 {
		add(bestCell, "best measured")
	}
	for _, c := range d.Cells {
		add(c.Name, "")
	}
	for _, f := range a.Models.Fixed {
		add(f.Cell, "")
	}
	return rows
}

// warmRows are the warm trials' cells, fastest first within each
// registry bandwidth condition (in the run's order of conditions).
func warmRows(a *evidence.Analysis) []WarmRow {
	conds := a.Conditions()
	several := len(conds) > 1
	var rows []WarmRow
	for _, cl := range a.Warm {
		row := WarmRow{Name: cl.Name, N: cl.N, MedianIPH: cl.ImagesPerHour.Median, LoIPH: cl.ImagesPerHour.Lo, HiIPH: cl.ImagesPerHour.Hi,
			IQR: cl.ImagesPerHour.IQR, CIConfidence: cl.ImagesPerHour.Confidence, PerImageMedianS: cl.ImageWall.Median, Outliers: len(cl.Outliers)}
		if cl.Images == 0 {
			row.PerImageMedianS = math.NaN()
		}
		if several {
			row.Registry = evidence.RegistryLabel(cl.Config.Registry)
		}
		if cold := a.Cell(cl.Config); cold != nil {
			row.ColdMedianIPH = cold.ImagesPerHour.Median
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ci, cj := slices.Index(conds, rows[i].Registry), slices.Index(conds, rows[j].Registry)
		if ci != cj {
			return ci < cj
		}
		return rows[i].MedianIPH > rows[j].MedianIPH
	})
	return rows
}

// pruneWithWarm says the analysis' prune cost counts prunes of warm
// trials: warm trials pruned, and the prune events it priced outnumber
// the cold trials' prunes.
func pruneWithWarm(a *evidence.Analysis) bool {
	count := func(cells []*evidence.Cell) int {
		n := 0
		for _, cl := range cells {
			for _, t := range cl.TrialRecords() {
				n += t.Prunes
			}
		}
		return n
	}
	warm := count(a.Warm)
	return warm > 0 && a.Models.Prune.Events > count(a.Cells)
}

// decisionOf is the decision of one recommendation, or of its error: a
// run without a candidate (model.ErrInfeasible) is reported as no
// recommendation with the reason; any other error is returned.
func decisionOf(rec evidence.Recommendation, err error, c evidence.Constraints) (Decision, error) {
	if err != nil {
		if !errors.Is(err, amodel.ErrInfeasible) {
			return Decision{}, err
		}
		return Decision{NoRecommendation: err.Error(), Deadline: c.Deadline.Seconds(), Warnings: rec.Warnings}, nil
	}
	dec := Decision{Recommended: choice(rec.Recommended), Images: rec.Images, Significant: rec.Significant,
		Confident: rec.Confident, Reasons: rec.Reasons, Warnings: rec.Warnings, Deadline: c.Deadline.Seconds()}
	if rec.RunnerUp != nil {
		dec.RunnerUp = choice(*rec.RunnerUp)
		dec.PickedCheapest = rec.PickedCheapest
	}
	if rec.Baseline != nil {
		dec.Baseline = choice(*rec.Baseline)
	}
	if rec.SavingS != nil {
		dec.Saving = Interval{Median: rec.SavingS.Median, Lo: rec.SavingS.Lo, Hi: rec.SavingS.Hi}
		if f := rec.SavingFraction; f != nil {
			dec.SavingFraction = Interval{Median: f.Median, Lo: f.Lo, Hi: f.Hi}
		}
	}
	dec.GapP = rec.Model.Gap.P
	dec.GapWelchP, dec.GapPooledP = rec.Model.GapWelchP, rec.Model.GapPooledP
	return dec, nil
}

// heatRow is a cell's row of heat map panels: its registry bandwidth when
// the run measured several ("" otherwise: one row).
func heatRow(c evidence.Config, several bool) string {
	if !several {
		return ""
	}
	return "registry " + evidence.RegistryLabel(c.Registry)
}

func choice(c evidence.Choice) ConfigPrediction {
	return ConfigPrediction{Name: c.Config.String(), Cell: c.Name, Median: c.PredictedS.Median, Lo: c.PredictedS.Lo, Hi: c.PredictedS.Hi, Extrapolated: c.Extrapolated}
}

func seriesName(cache, strategy string, batch int) string {
	b := "stream"
	if batch > 0 {
		b = fmt.Sprintf("batch %d", batch)
	}
	return fmt.Sprintf("cache %s, %s, %s", cache, strategy, b)
}

func batches(bs []int) string {
	var s []string
	for _, b := range bs {
		if b == 0 {
			s = append(s, "stream")
		} else {
			s = append(s, fmt.Sprint(b))
		}
	}
	return strings.Join(s, ", ")
}

// list writes a grid dimension as "1, 2, 4".
func list[T any](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// throughputChart: per series (cache mode, strategy, batch), per-trial
// points, medians with CIs per worker count, and the USL curve.
func throughputChart(a *evidence.Analysis) plot.ThroughputData {
	type key struct {
		cache, strategy, registry string
		batch                     int
	}
	series := map[key]*plot.ThroughputSeries{}
	var order []key
	// Why cells ran fewer builds at once than their workers: the batch
	// size, the sample (a trial of fewer images than workers), or both.
	byBatch, bySample := false, false
	several := len(a.Conditions()) > 1
	for _, cl := range a.Cells {
		if cl.Images == 0 {
			// Every build failed: its 0 images/hour is no point of the
			// throughput curve (the cells table and the heat map say
			// it failed).
			continue
		}
		k := key{cl.Config.CacheMode, cl.Config.Strategy, cl.Config.Registry, cl.Config.Batch}
		s, ok := series[k]
		if !ok {
			// A batched series runs at most its batch at once: its
			// curve stops there.
			s = &plot.ThroughputSeries{Name: seriesName(k.cache, k.strategy, k.batch), MaxWorkers: k.batch}
			if several {
				s.Name += ", registry " + evidence.RegistryLabel(k.registry)
			}
			series[k] = s
			order = append(order, k)
		}
		// Cells sit at the builds they ran at once (workers capped by the
		// batch size), the x of the USL fit.
		x := cl.Concurrency()
		if x != cl.Config.Workers {
			if b := cl.Config.Batch; b > 0 && b < cl.Config.Workers && x == b {
				byBatch = true
			} else {
				bySample = true
			}
		}
		for _, v := range cl.TrialThroughputs() {
			s.Trials = append(s.Trials, plot.WorkerValue{Workers: x, ImagesPerHour: v})
		}
		s.Medians = append(s.Medians, plot.WorkerInterval{Workers: x,
			ImagesPerHour: plot.Interval{Median: cl.ImagesPerHour.Median, Lo: cl.ImagesPerHour.Lo, Hi: cl.ImagesPerHour.Hi}})
	}
	for _, u := range a.Models.USL {
		if s, ok := series[key{u.CacheMode, u.Strategy, u.Registry, u.Batch}]; ok && u.Error == "" && u.Lambda > 0 {
			s.USL = &plot.USL{Lambda: u.Lambda, Sigma: u.Sigma, Kappa: u.Kappa}
		}
	}
	var d plot.ThroughputData
	// Cells of fewer trials than a 95% interval needs show their range,
	// as the cells table says.
	short, all := 0, 0
	for _, cl := range a.Cells {
		if cl.N > 0 {
			all++
			// One trial has no interval at all (confidence 0): its
			// "range" is the point, not a 95% CI.
			if c := cl.ImagesPerHour.Confidence; c < 0.95-1e-9 {
				short++
			}
		}
	}
	switch {
	case short > 0 && short == all:
		d.IntervalLabel = "median, range of the trials"
	case short > 0:
		d.IntervalLabel = "median, 95% CI (range under 6 trials)"
	}
	switch {
	case byBatch && bySample:
		d.Title = "Throughput vs builds at once (workers capped by the batch size or the sample)"
	case byBatch:
		d.Title = "Throughput vs builds at once (workers capped by the batch size)"
	case bySample:
		d.Title = "Throughput vs builds at once (workers capped by the sample size)"
	}
	if byBatch || bySample {
		d.XLabel = "builds at once"
	}
	for _, k := range order {
		d.Series = append(d.Series, *series[k])
	}
	return d
}

// bytesChart: bytes pushed per image per cache mode (median over cells,
// with the range of the cells).
func bytesChart(a *evidence.Analysis) plot.BytesData {
	by := map[string][]float64{}
	var order []string
	for _, cl := range a.Cells {
		m := cl.Config.CacheMode
		if _, ok := by[m]; !ok {
			order = append(order, m)
		}
		if cl.BytesPushedPerImage > 0 {
			by[m] = append(by[m], cl.BytesPushedPerImage)
		}
	}
	var d plot.BytesData
	short := 0
	for _, m := range order {
		if len(by[m]) == 0 {
			continue
		}
		s := analyze.Summary(by[m], 0.95)
		if s.Confidence < 0.95-1e-9 {
			short++ // fewer cells than a 95% interval needs: their range
		}
		d.Bars = append(d.Bars, plot.BytesBar{Name: m, Bytes: plot.Interval{Median: s.Median, Lo: math.Min(s.Lo, s.Median), Hi: math.Max(s.Hi, s.Median)}})
	}
	switch {
	case short > 0 && short == len(d.Bars):
		d.IntervalLabel = "range of the cells"
	case short > 0:
		d.IntervalLabel = "95% CI (range under 6 cells)"
	}
	return d
}

// diskChart: BuildKit disk growth against images built, one series per
// cache mode, from each trial's disk use before and after.
func diskChart(a *evidence.Analysis, threshold int64) plot.DiskData {
	by := map[string]*plot.DiskSeries{}
	var order []string
	for _, cl := range a.Cells {
		m := "cache " + cl.Config.CacheMode
		s, ok := by[m]
		if !ok {
			s = &plot.DiskSeries{Name: m, Points: []plot.DiskPoint{{Images: 0, Bytes: 0}}}
			by[m] = s
			order = append(order, m)
		}
		for _, t := range cl.TrialRecords() {
			if g := t.DiskAfter - t.DiskBefore; g > 0 && t.Built > 0 {
				s.Points = append(s.Points, plot.DiskPoint{Images: float64(t.Built), Bytes: float64(g)})
			}
		}
	}
	d := plot.DiskData{PruneThresholdBytes: float64(threshold)}
	for _, m := range order {
		if len(by[m].Points) > 1 {
			sort.SliceStable(by[m].Points, func(i, j int) bool { return by[m].Points[i].Images < by[m].Points[j].Images })
			d.Series = append(d.Series, *by[m])
		}
	}
	return d
}

// AnalysisSummary is the short summary `buildtune analyze` prints: the
// cells ranked, the knob findings and the warnings.
func AnalysisSummary(a *evidence.Analysis) string {
	var b strings.Builder
	cm := a.Comparisons
	if len(cm.Conditions) > 0 {
		// The registry bandwidth is a condition, not a setting: one
		// ranking per condition, each against its own best.
		fmt.Fprintf(&b, "%s, %s planned, under %d registry bandwidths (conditions, not settings: cells are ranked within each); images/hour median (95%% CI; with fewer than 6 trials, their range and its coverage), Holm p against the best of the same registry bandwidth\n",
			analyze.Plural(len(a.Cells), "cold cell"), analyze.Plural(a.Reps, "rep"), len(cm.Conditions))
	} else {
		fmt.Fprintf(&b, "%s, %s planned; images/hour median (95%% CI; with fewer than 6 trials, their range and its coverage), Holm p against the best %s\n",
			analyze.Plural(len(a.Cells), "cold cell"), analyze.Plural(a.Reps, "rep"), cm.Best)
	}
	cells := map[string]*evidence.Cell{}
	for _, c := range a.Cells {
		cells[c.Name] = c
	}
	cond := ""
	for _, r := range cm.Ranking {
		c := cells[r.Name]
		if c == nil {
			continue
		}
		if r.Registry != cond {
			cond = r.Registry
			fmt.Fprintf(&b, "registry bandwidth %s (best %s):\n", cond, cm.BestUnder(cond))
		}
		mark := ""
		switch {
		case c.Images == 0:
			mark = VerdictNoImage // a failure, not a slower setting
		case r.Best:
			mark = "best"
		case r.Worse:
			mark = "worse"
		}
		ci := fmt.Sprintf("(%.1f-%.1f)", c.ImagesPerHour.Lo, c.ImagesPerHour.Hi)
		switch cf := c.ImagesPerHour.Confidence; {
		case c.N < 2:
			// One trial has no interval: its "range" is the value itself.
			ci = "(no CI: " + analyze.Plural(c.N, "trial") + ")"
		case cf > 0 && cf < 0.95-1e-9:
			// Too few trials for a 95% interval: their range, marked
			// with its coverage, as the report and the sweep's summary.
			ci = fmt.Sprintf("(%.1f-%.1f range, %.0f%%)", c.ImagesPerHour.Lo, c.ImagesPerHour.Hi, 100*cf)
		}
		p := fmt.Sprintf("%.3g", r.PAdjusted)
		if r.Best {
			p = "–" // the best is not tested against itself
		}
		fmt.Fprintf(&b, "  %2d %-32s %7.1f %s n=%d p=%s %s\n", r.Position, r.Name, c.ImagesPerHour.Median, ci, c.N, p, mark)
	}
	for _, k := range a.Comparisons.Knobs {
		if k.Registry != "" {
			fmt.Fprintf(&b, "knob %s (registry bandwidth %s): %s\n", k.Knob, k.Registry, k.Verdict)
			continue
		}
		fmt.Fprintf(&b, "knob %s: %s\n", k.Knob, k.Verdict)
	}
	for _, d := range a.Diagnoses {
		fmt.Fprintf(&b, "diagnosis: %s\n", d)
	}
	for _, w := range a.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

// RecommendationText is what `buildtune recommend` prints.
func RecommendationText(r evidence.Recommendation) string {
	var b strings.Builder
	p := r.Recommended.PredictedS
	if !r.Confident {
		fmt.Fprintf(&b, "No confident recommendation (see the warnings). Best so far: %s, predicted %s (%s-%s) for %s\n",
			r.Recommended.Name, duration(p.Median), duration(p.Lo), duration(p.Hi), analyze.Plural(r.Images, "image"))
	} else {
		fmt.Fprintf(&b, "Recommended: %s, predicted %s (%s-%s) for %s\n", r.Recommended.Name, duration(p.Median), duration(p.Lo), duration(p.Hi), analyze.Plural(r.Images, "image"))
	}
	if r.RunnerUp != nil {
		q := r.RunnerUp.PredictedS
		if r.PickedCheapest {
			fmt.Fprintf(&b, "Fastest: %s, predicted %s (%s-%s); equivalent to the recommended, which is cheaper\n", r.RunnerUp.Name, duration(q.Median), duration(q.Lo), duration(q.Hi))
		} else {
			sig := "not significant"
			if r.Significant {
				sig = "significant"
			}
			fmt.Fprintf(&b, "Runner-up: %s, predicted %s (%s-%s); the gap in throughput is %s\n", r.RunnerUp.Name, duration(q.Median), duration(q.Lo), duration(q.Hi), sig)
		}
	}
	if r.Baseline != nil && r.Baseline.Name == r.Recommended.Name {
		// The pick is the baseline: nothing to save ("0s (0s to 0s)"),
		// as the report says it.
		fmt.Fprintf(&b, "Baseline: %s, the same settings: keep them\n", r.Baseline.Name)
	} else if r.Baseline != nil {
		q := r.Baseline.PredictedS
		ex := ""
		if r.Baseline.Extrapolated {
			ex = " (extrapolated)"
		}
		fmt.Fprintf(&b, "Baseline: %s, predicted %s (%s-%s)%s\n", r.Baseline.Name, duration(q.Median), duration(q.Lo), duration(q.Hi), ex)
		if sv := r.SavingS; sv != nil {
			if sv.Median < 0 {
				// A negative saving is a loss: said as one, as the reasons
				// say it ("it takes longer by"), not as a negative time.
				fmt.Fprintf(&b, "Against the baseline it takes longer by %s (%s to %s)\n", duration(-sv.Median), duration(-sv.Hi), duration(-sv.Lo))
			} else {
				fmt.Fprintf(&b, "Saving against the baseline: %s (%s to %s)\n", duration(sv.Median), duration(sv.Lo), duration(sv.Hi))
			}
		}
	}
	for _, s := range r.Reasons {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

// ValidationText is what `buildtune validate` prints.
func ValidationText(v evidence.Validation) string {
	verdict := "outside the interval"
	switch {
	case v.TooWide:
		verdict = "the interval is too wide to test the prediction (run more reps)"
	case v.Inside:
		verdict = "inside the interval"
	}
	s := fmt.Sprintf("%s, %s: predicted %s (%s-%s), measured %s: error %+.1f%%, %s\n",
		v.Config.String(), analyze.Plural(v.Images, "image"), duration(v.PredictedS.Median), duration(v.PredictedS.Lo), duration(v.PredictedS.Hi),
		duration(v.MeasuredS), v.ErrorPct, verdict)
	for _, w := range v.Warnings {
		s += "warning: " + w + "\n"
	}
	return s
}

// AddValidations adds validations of the sweep's predictions against
// measured full builds to a report: a table row and a chart point each.
func AddValidations(d *Data, vs []evidence.Validation) {
	if len(vs) == 0 {
		return
	}
	vd := &plot.ValidationData{}
	for _, v := range vs {
		d.Validation = append(d.Validation, ValidationRow{Name: v.Config.String(), Images: v.Images, PredictedMedian: v.PredictedS.Median,
			PredictedLo: v.PredictedS.Lo, PredictedHi: v.PredictedS.Hi, Measured: v.MeasuredS, ErrorPct: v.ErrorPct, Inside: v.Inside, TooWide: v.TooWide})
		vd.Points = append(vd.Points, plot.ValidationPoint{Name: v.Config.Name(),
			Predicted: plot.Interval{Median: v.PredictedS.Median, Lo: v.PredictedS.Lo, Hi: v.PredictedS.Hi},
			Measured:  plot.Interval{Median: v.MeasuredS}})
	}
	d.Charts.Validation = vd
}

// uslRow is one USL fit as the report's model table shows it.
func uslRow(u evidence.USLSeries) USLRow {
	nstar := [3]float64{u.NStar, u.NStarLo, u.NStarHi}
	switch {
	case u.NStar == 0:
		// No finite peak (kappa = 0): throughput keeps rising.
		nstar = [3]float64{math.Inf(1), 0, 0}
	case u.NStarHi == 0:
		// A peak, but resamples without one reach the interval's upper
		// end (analysis.json stores it as 0, with a warning).
		nstar[2] = math.Inf(1)
	}
	return USLRow{Series: seriesName(u.CacheMode, u.Strategy, u.Batch),
		Lambda: [3]float64{u.Lambda, 0, 0}, Sigma: [3]float64{u.Sigma, u.SigmaLo, u.SigmaHi},
		Kappa: [3]float64{u.Kappa, u.KappaLo, u.KappaHi}, NStar: nstar, Warnings: slices.Clone(u.Warnings)}
}

// spreadShown says whether the Model section states the pooled spread sp:
// only when the predictions draw from it. Pooled over one cell, or with
// fewer than model.MinPooledDF degrees of freedom, they use each cell's
// own factors (model.Spread.Usable), which their warnings describe.
func spreadShown(sp amodel.Spread) bool {
	return sp.Cells > 1 && sp.DF >= amodel.MinPooledDF
}
