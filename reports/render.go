package reports

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/reports/plot"
)

// Files lists the paths Write wrote.
type Files struct {
	Markdown, HTML string
	// Plots are the charts, a PNG and an SVG each, in report order.
	Plots []string
}

// PlotDir is the folder, relative to the report, that holds the charts.
const PlotDir = "plots"

// Write renders d into dir: dir/report.md, dir/report.html and
// dir/plots/<chart>.png and .svg for every chart with data. Each file is
// written to a temporary file in its folder and renamed into place, so a
// reader never sees half a file. Charts left over from an earlier Write
// are not removed.
func Write(dir string, d Data) (Files, error) {
	var f Files
	charts, err := renderCharts(d, true)
	if err != nil {
		return f, fmt.Errorf("writing report to %s: %w", dir, err)
	}
	md, err := Markdown(d, PlotDir)
	if err != nil {
		return f, fmt.Errorf("writing report to %s: %w", dir, err)
	}
	page, err := renderHTML(d, charts)
	if err != nil {
		return f, fmt.Errorf("writing report to %s: %w", dir, err)
	}
	plots := filepath.Join(dir, PlotDir)
	if err := os.MkdirAll(plots, 0o755); err != nil {
		return f, fmt.Errorf("writing report: %w", err)
	}
	for _, c := range charts {
		for _, out := range []struct {
			ext string
			b   []byte
		}{{".png", c.png}, {".svg", c.svg}} {
			p := filepath.Join(plots, c.name+out.ext)
			if err := writeAtomic(p, out.b); err != nil {
				return f, fmt.Errorf("writing chart %s: %w", c.name, err)
			}
			f.Plots = append(f.Plots, p)
		}
	}
	f.Markdown = filepath.Join(dir, "report.md")
	if err := writeAtomic(f.Markdown, md); err != nil {
		return f, fmt.Errorf("writing report: %w", err)
	}
	f.HTML = filepath.Join(dir, "report.html")
	if err := writeAtomic(f.HTML, page); err != nil {
		return f, fmt.Errorf("writing report: %w", err)
	}
	return f, nil
}

// writeAtomic writes b to a temporary file next to path and renames it to
// path.
func writeAtomic(path string, b []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming into %s: %w", path, err)
	}
	return nil
}

// chartSpec is one chart of the report: its file name, caption, whether it
// has data, and how to draw it.
type chartSpec struct {
	name, caption string
	empty         bool
	draw          func() (*plot.Chart, error)
}

type renderedChart struct {
	name, caption string
	png, svg      []byte
}

// chartSpecs lists the charts in report order. The charts of the cells
// draw the cold trials; their captions say so when the run had warm
// trials too.
func chartSpecs(d Data) []chartSpec {
	c := d.Charts
	cold := ""
	if len(d.Warm) > 0 {
		cold = " (cold trials)"
	}
	ecdf := "Distribution of per-image wall time" + cold
	if c.ECDFShown != "" {
		ecdf += ": " + c.ECDFShown
	}
	return []chartSpec{
		{"predictions", "Predicted wall time of the full build", len(c.Predictions.Configs) == 0,
			func() (*plot.Chart, error) { return plot.Predictions(c.Predictions) }},
		{"throughput", throughputCaption(c.Throughput) + cold, throughputEmpty(c.Throughput),
			func() (*plot.Chart, error) { return plot.Throughput(c.Throughput) }},
		{"heatmap", "Median throughput by workers x batch size, per cache mode" + cold, len(c.Heatmap.Cells) == 0,
			func() (*plot.Chart, error) { return plot.Heatmap(c.Heatmap) }},
		{"ecdf", ecdf, ecdfEmpty(c.ECDF),
			func() (*plot.Chart, error) { return plot.ECDF(c.ECDF) }},
		{"phases", "Where each image's time goes" + cold, len(c.Phases.Cells) == 0,
			func() (*plot.Chart, error) { return plot.Phases(c.Phases) }},
		{"bytes", "Bytes pushed to the registry per image" + cold, len(c.Bytes.Bars) == 0,
			func() (*plot.Chart, error) { return plot.BytesPushed(c.Bytes) }},
		{"disk", "BuildKit disk use as images are built" + cold, diskEmpty(c.Disk),
			func() (*plot.Chart, error) { return plot.DiskUse(c.Disk) }},
		{"validation", "Predicted against measured wall time", c.Validation == nil || len(c.Validation.Points) == 0,
			func() (*plot.Chart, error) { return plot.PredictedVsMeasured(*c.Validation) }},
	}
}

// throughputCaption says what the throughput chart draws: the USL fit
// only where a series has one.
func throughputCaption(d plot.ThroughputData) string {
	fits, single := 0, true
	for _, s := range d.Series {
		if s.USL != nil {
			fits++
		}
		seen := map[int]bool{}
		for _, t := range s.Trials {
			seen[t.Workers] = true
		}
		for _, m := range s.Medians {
			seen[m.Workers] = true
		}
		single = single && len(seen) < 2
	}
	// The x axis is builds at once where the batch size or the sample
	// capped some cell's workers (throughputChart); the caption says so.
	head := "Throughput against workers"
	if d.XLabel != "" {
		head = "Throughput against " + d.XLabel
	}
	switch {
	case fits > 0 && fits == len(d.Series):
		return head + ", with the USL fit"
	case fits > 0:
		return head + ", with the USL fit of the series that have one"
	case single && len(d.Series) > 0:
		return head + ", per trial and per cell median; no USL fit: one worker count per series"
	}
	return head + ", per trial and per cell median; no USL fit"
}

func throughputEmpty(d plot.ThroughputData) bool {
	for _, s := range d.Series {
		if len(s.Trials) > 0 || len(s.Medians) > 0 {
			return false
		}
	}
	return true
}

func ecdfEmpty(d plot.ECDFData) bool {
	for _, s := range d.Series {
		if len(s.Seconds) > 0 {
			return false
		}
	}
	return true
}

func diskEmpty(d plot.DiskData) bool {
	for _, s := range d.Series {
		if len(s.Points) > 0 {
			return false
		}
	}
	return true
}

// renderCharts draws every chart with data as SVG, and as PNG too when
// withPNG is set.
func renderCharts(d Data, withPNG bool) ([]renderedChart, error) {
	var out []renderedChart
	var errs []error
	for _, s := range chartSpecs(d) {
		if s.empty {
			continue
		}
		r, err := renderChart(s, withPNG)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

func renderChart(s chartSpec, withPNG bool) (renderedChart, error) {
	r := renderedChart{name: s.name, caption: s.caption}
	ch, err := s.draw()
	if err != nil {
		return r, fmt.Errorf("drawing %s chart: %w", s.name, err)
	}
	if withPNG {
		if r.png, err = plot.PNG(ch, 0, 0); err != nil {
			return r, fmt.Errorf("drawing %s chart: %w", s.name, err)
		}
	}
	if r.svg, err = plot.SVG(ch, 0, 0); err != nil {
		return r, fmt.Errorf("drawing %s chart: %w", s.name, err)
	}
	return r, nil
}

// The report is first built as a list of blocks, then written as markdown
// or HTML, so the two always say the same thing.

type blockKind int

const (
	kHeading blockKind = iota
	kPara
	kList
	kTable
	kChart
	kNote
)

// span is a run of inline text.
type span struct {
	Text       string
	Bold, Code bool
}

type block struct {
	Kind  blockKind
	Level int    // heading
	Spans []span // heading, paragraph, note
	Items [][]span
	// Table: Head, Rows and Num (right-aligned numeric columns).
	Head []string
	Rows [][]string
	Num  []bool
	// Chart: name and caption.
	Chart, Caption string
	// Lead marks the decision paragraph.
	Lead bool
}

func text(s string) []span { return []span{{Text: s}} }

type builder struct {
	blocks []block
	specs  map[string]chartSpec
}

func (b *builder) heading(level int, s string) {
	b.blocks = append(b.blocks, block{Kind: kHeading, Level: level, Spans: text(s)})
}

func (b *builder) para(spans ...span) {
	b.blocks = append(b.blocks, block{Kind: kPara, Spans: spans})
}

func (b *builder) note(s string) {
	b.blocks = append(b.blocks, block{Kind: kNote, Spans: text(s)})
}

func (b *builder) list(items ...[]span) {
	if len(items) > 0 {
		b.blocks = append(b.blocks, block{Kind: kList, Items: items})
	}
}

func (b *builder) textList(ss []string) {
	var items [][]span
	for _, s := range ss {
		items = append(items, text(s))
	}
	b.list(items...)
}

func (b *builder) table(head []string, num []bool, rows [][]string) {
	b.blocks = append(b.blocks, block{Kind: kTable, Head: head, Num: num, Rows: rows})
}

// chart adds the named chart, or a note saying it was skipped.
func (b *builder) chart(name string) {
	s := b.specs[name]
	if s.empty {
		b.note(fmt.Sprintf("Chart %q skipped: no data.", s.caption))
		return
	}
	b.blocks = append(b.blocks, block{Kind: kChart, Chart: name, Caption: s.caption})
}

// document builds the report's blocks from d.
func document(d Data) []block {
	b := &builder{specs: map[string]chartSpec{}}
	for _, s := range chartSpecs(d) {
		b.specs[s.name] = s
	}
	title := d.Title
	if title == "" {
		title = "Build tuning report"
	}
	b.heading(1, title)
	var run []string
	if d.Run.ID != "" {
		run = append(run, "Run "+d.Run.ID)
	}
	if !d.Run.Date.IsZero() {
		run = append(run, d.Run.Date.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if len(run) > 0 {
		b.para(text(strings.Join(run, ", ") + ".")...)
	}
	if s := summaryLine(d.Method); s != "" {
		b.para(text(s)...)
	}

	b.heading(2, "Decision")
	if len(d.Decisions) > 1 {
		var conds []string
		for _, dec := range d.Decisions {
			conds = append(conds, dec.Registry)
		}
		b.para(text(fmt.Sprintf("The sweep measured the registry bandwidths %s. The registry is a condition the build runs under, not a setting to choose: one decision for each.",
			strings.Join(conds, ", ")))...)
		for _, dec := range d.Decisions {
			b.heading(3, "Registry bandwidth "+dec.Registry)
			decision(b, dec)
		}
	} else {
		decision(b, d.Decision)
		rankNote(b, d.Decision, d.Cells)
	}

	b.heading(2, "Evidence")
	cells(b, d)
	adaptive(b, d.Adaptive)
	if len(d.Knobs) > 0 {
		b.heading(3, "Knobs")
		var items [][]span
		for _, k := range d.Knobs {
			items = append(items, []span{{Text: k.Knob, Bold: true}, {Text: ": " + k.Finding}})
		}
		b.list(items...)
	}
	if len(d.Diagnoses) > 0 {
		b.heading(3, "What limits it")
		b.textList(d.Diagnoses)
	}
	predictions(b, d)
	model(b, d)
	phases(b, d.Phases)
	validation(b, d.Validation, d.Charts.Validation != nil)

	b.heading(2, "Method")
	method(b, d.Method)
	return b.blocks
}

func decision(b *builder, dec Decision) {
	rec := dec.Recommended
	images := "the full build"
	if dec.Images > 0 {
		images = analyze.Plural(dec.Images, "image")
	}
	warnings := dec.Warnings
	if dec.NoRecommendation != "" {
		b.blocks = append(b.blocks, block{Kind: kPara, Lead: true, Spans: []span{{Text: "No recommendation: " + strings.TrimRight(dec.NoRecommendation, ". ") + ".", Bold: true}}})
		if len(warnings) > 0 {
			b.para(span{Text: "Warnings:", Bold: true})
			b.textList(warnings)
		}
		return
	}
	if dec.Confident && rec.Name != "" {
		s := fmt.Sprintf("Use %s: predicted %s for %s", shortName(rec.Name), prediction(rec), images)
		if vs := againstBaseline(dec); vs != "" {
			s += ", " + vs
		}
		b.blocks = append(b.blocks, block{Kind: kPara, Lead: true, Spans: []span{{Text: s + ".", Bold: true}}})
	} else {
		why := "the evidence does not support one"
		if len(warnings) > 0 {
			why = strings.TrimRight(warnings[0], ". ")
			warnings = warnings[1:]
		}
		b.blocks = append(b.blocks, block{Kind: kPara, Lead: true, Spans: []span{{Text: "No confident recommendation: " + why + ".", Bold: true}}})
		if rec.Name != "" {
			lead := "The fastest so far is"
			if dec.PickedCheapest {
				lead = "The cheapest of the fastest so far is"
			}
			s := fmt.Sprintf("%s %s, predicted %s for %s", lead, shortName(rec.Name), prediction(rec), images)
			if vs := againstBaseline(dec); vs != "" {
				s += ", " + vs
			}
			b.para(text(s + "; treat it as a lead for more reps, not as a decision.")...)
		}
	}
	if ru := dec.RunnerUp; ru.Name != "" && dec.PickedCheapest {
		b.para(text(fmt.Sprintf("Fastest: %s, predicted %s. It is equivalent to the recommended setting, which costs less (fewer registry bytes or workers).",
			shortName(ru.Name), prediction(ru)))...)
	} else if ru.Name != "" {
		s := fmt.Sprintf("Runner-up: %s, predicted %s.", shortName(ru.Name), prediction(ru))
		p := gapTest(dec)
		if dec.Significant {
			s += " The gap to it is significant" + p + "."
		} else {
			s += " The gap to it is not significant" + p + ": this sweep does not separate the two."
		}
		b.para(text(s)...)
	}
	if dec.Deadline > 0 && rec.Name != "" {
		hi := rec.Hi
		if hi == 0 {
			hi = rec.Median
		}
		verdict := "fits within it"
		if hi > dec.Deadline {
			verdict = "does not fit within it"
		}
		b.para(text(fmt.Sprintf("Deadline %s: the upper bound of the prediction, %s, %s.", duration(dec.Deadline), duration(hi), verdict))...)
	}
	if len(dec.Reasons) > 0 {
		b.para(span{Text: "Why:", Bold: true})
		b.textList(dec.Reasons)
	}
	if len(warnings) > 0 {
		b.para(span{Text: "Warnings:", Bold: true})
		b.textList(warnings)
	}
}

// gapTest is the test the runner-up's gap rests on, in parentheses:
// " (p = 0.03)" for Mann-Whitney or, when there were too few trials for it
// and the t-tests on logs decided, " (t-tests on logs: Welch p = 0.047,
// pooled-variance p = 0.0002; Mann-Whitney p = 0.1 cannot reach alpha)",
// so that a significant gap is never printed beside a p-value above
// alpha alone. "" without a p-value.
func gapTest(dec Decision) string {
	okP := func(p float64) bool { return p > 0 && !math.IsNaN(p) }
	mw := ""
	if okP(dec.GapP) {
		mw = "p = " + pValue(dec.GapP)
	}
	if okP(dec.GapWelchP) && okP(dec.GapPooledP) {
		s := "t-tests on logs: Welch p = " + pValue(dec.GapWelchP) + ", pooled-variance p = " + pValue(dec.GapPooledP)
		if mw != "" {
			s += "; Mann-Whitney " + mw + ", too few trials to reach alpha"
		}
		return " (" + s + ")"
	}
	if mw == "" {
		return ""
	}
	return " (" + mw + ")"
}

// againstBaseline says how the recommendation compares with the baseline,
// e.g. "31% (24–38%) faster than the baseline workers=4, batch=15 (2h43m,
// 2h31m–2h58m)", or "" without a baseline.
func againstBaseline(dec Decision) string {
	rec, base := dec.Recommended, dec.Baseline
	if base.Name == "" || !(base.Median > 0) {
		return ""
	}
	if base.Name == rec.Name {
		return "the same as the baseline: keep it"
	}
	sv := dec.Saving
	if sv == (Interval{}) {
		sv.Median = base.Median - rec.Median
	}
	p, lo, hi := 100*sv.Median/base.Median, 100*sv.Lo/base.Median, 100*sv.Hi/base.Median
	if f := dec.SavingFraction; f != (Interval{}) {
		// Pair by pair, so no end can pass 100% faster.
		p, lo, hi = 100*f.Median, 100*f.Lo, 100*f.Hi
	}
	word := "faster"
	if p < 0 {
		word = "slower"
		p, lo, hi = -p, -hi, -lo
	}
	pct := percent(p)
	switch {
	case sv.Lo == 0 && sv.Hi == 0:
	case math.Round(lo) < 0:
		// An interval across zero says both ends in words: "(-257–76%)
		// faster" reads as a typo.
		other := map[string]string{"faster": "slower", "slower": "faster"}[word]
		// Beyond 100% slower an end reads as the table's "2.2x as
		// long" ("324% slower" is hard to picture).
		end := func(v float64, w string) string {
			if w == "slower" && v > 100 {
				return fmt.Sprintf("%.1fx as long", 1+v/100)
			}
			return percent(v) + " " + w
		}
		return fmt.Sprintf("%s %s (between %s and %s) than the baseline %s (%s)", pct, word,
			end(-lo, other), end(hi, word), shortName(base.Name), predictionInner(base))
	default:
		pct += fmt.Sprintf(" (%s–%s)", signedPercent(lo), percent(hi))
	}
	return fmt.Sprintf("%s %s than the baseline %s (%s)", pct, word, shortName(base.Name), predictionInner(base))
}

// shortName turns "workers=4 batch=stream cache=off strategy=single" into
// "workers=4, batch=stream, cache=off": fields joined by commas, the
// default strategy left out. Names without key=value fields are kept.
func shortName(name string) string {
	fields := strings.Fields(name)
	var out []string
	for _, f := range fields {
		if !strings.Contains(f, "=") {
			return name
		}
		if f != "strategy=single" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return name
	}
	return strings.Join(out, ", ")
}

// prediction is "1h52m (1h45m–2h03m)", with ", extrapolated" inside the
// parentheses when it is.
func prediction(p ConfigPrediction) string {
	inner := predictionInterval(p)
	if inner == "" {
		return duration(p.Median)
	}
	return duration(p.Median) + " (" + inner + ")"
}

// predictionInner is "2h43m, 2h31m–2h58m".
func predictionInner(p ConfigPrediction) string {
	if inner := predictionInterval(p); inner != "" {
		return duration(p.Median) + ", " + inner
	}
	return duration(p.Median)
}

func predictionInterval(p ConfigPrediction) string {
	var parts []string
	if !(p.Lo == 0 && p.Hi == 0) {
		parts = append(parts, duration(p.Lo)+"–"+duration(p.Hi))
	}
	if p.Extrapolated {
		parts = append(parts, "extrapolated")
	}
	return strings.Join(parts, ", ")
}

// adaptive lists an adaptive sweep's drops: why a cell above has fewer
// trials than the others, and by which test it fell behind.
func adaptive(b *builder, a *Adaptive) {
	if a == nil {
		return
	}
	b.heading(3, "Adaptive sweep")
	if len(a.Drops) == 0 {
		b.para(text("The adaptive sweep dropped no cell.")...)
	} else {
		b.para(text("The adaptive sweep stopped measuring these cells once they were plainly behind; they have fewer trials above:")...)
		var items [][]span
		for _, d := range a.Drops {
			why := strings.Replace(d.Why, d.Cell+": ", "", 1)
			items = append(items, []span{{Text: d.Cell, Code: true}, {Text: ": " + why}})
		}
		b.list(items...)
	}
	if a.Stop != "" {
		stop := strings.TrimPrefix(a.Stop, "done: ")
		if strings.HasPrefix(a.Stop, "budget: ") {
			stop = "the budget would not cover the next round: " + strings.TrimPrefix(a.Stop, "budget: ")
		}
		stop = strings.TrimPrefix(stop, "max reps: ")
		b.para(text("It stopped because " + stop + ".")...)
	}
}

func cells(b *builder, d Data) {
	rows := d.Cells
	b.heading(3, "Cells")
	if len(rows) == 0 {
		b.note("No cells were measured.")
		return
	}
	// The conditions in the rows' order: "" alone for a run of one.
	var conds []string
	for _, c := range rows {
		if !slices.Contains(conds, c.Registry) {
			conds = append(conds, c.Registry)
		}
	}
	several := len(conds) > 1 || conds[0] != ""
	intro := "Throughput in images/hour per trial: median with its 95% confidence interval; " +
		"p is the Holm-corrected Mann-Whitney p-value against the best cell."
	if several {
		intro = fmt.Sprintf("The sweep measured the registry bandwidths %s, a condition the build runs under and not a setting: "+
			"cells are ranked only among the cells of the same registry bandwidth, one table each. "+
			"Throughput in images/hour per trial: median with its 95%% confidence interval; "+
			"p is the Holm-corrected Mann-Whitney p-value against the best cell of the same registry bandwidth.", strings.Join(conds, ", "))
	}
	if len(d.Warm) > 0 {
		intro = strings.Replace(intro, "per trial", "per cold trial (a cold trial starts from an empty BuildKit cache and registry namespace)", 1)
	}
	for _, c := range rows {
		if short(c) {
			intro += " A cell with fewer than 6 trials has no 95% interval of its median: its interval is the trials' range, marked with the range's own coverage (50% for 2 trials, 75% for 3)."
			break
		}
	}
	cpu := slices.ContainsFunc(rows, func(c CellRow) bool { return c.HostCPU > 0 })
	if cpu {
		intro += " CPU busy is the median share of the host's cores busy during a trial's builds, every process counted: near 100%, the CPU was the limit, and more builds at once can add little on this machine."
	}
	if len(d.Warm) > 0 {
		intro += " " + coldOnly(d)
	}
	b.para(text(intro)...)
	for _, cond := range conds {
		if several {
			b.heading(4, "Registry bandwidth "+cond)
		}
		var out [][]string
		for _, c := range rows {
			if c.Registry != cond {
				continue
			}
			p := pValue(c.PAdj)
			if c.Verdict == VerdictBest {
				p = "–"
			}
			ci := throughput(c.LoIPH) + "–" + throughput(c.HiIPH)
			switch {
			case c.N < 2:
				// One trial has no interval: its "range" is the value.
				ci = "none (" + analyze.Plural(c.N, "trial") + ")"
			case short(c):
				ci += fmt.Sprintf(" (range, %.0f%%)", 100*c.CIConfidence)
			}
			pos := c.Position
			if pos == 0 {
				pos = len(out) + 1
			}
			row := []string{
				fmt.Sprint(pos), c.Name, fmt.Sprint(c.N), throughput(c.MedianIPH),
				ci, throughput(c.IQR),
				duration(c.PerImageMedianS),
			}
			if cpu {
				busy := "n/a"
				if c.HostCPU > 0 {
					busy = fmt.Sprintf("%.0f%%", 100*c.HostCPU)
				}
				row = append(row, busy)
			}
			out = append(out, append(row, p, c.Verdict, fmt.Sprint(c.Outliers)))
		}
		head := []string{"#", "cell", "n", "img/h", "95% CI", "IQR", "per image", "p (Holm)", "verdict", "outliers"}
		right := []bool{true, false, true, true, true, true, true, true, false, true}
		if cpu {
			head = slices.Insert(head, 7, "CPU busy")
			right = slices.Insert(right, 7, true)
		}
		b.table(head, right, out)
	}
	b.chart("throughput")
	b.chart("heatmap")
	b.chart("ecdf")
	warm(b, d.Warm, several)
}

// coldOnly says what rests on the cold trials of a run that had warm
// trials too: everything but the warm table (and the prune cost, when
// warm trials pruned).
func coldOnly(d Data) string {
	s := "The ranking, the knob findings, the model, the decision and the predictions rest on the cold trials alone, as do the charts and the phase table; " +
		"the warm trials are listed apart below, for comparison only."
	if d.Model.PruneWithWarm && d.Model.PruneS != ([3]float64{}) {
		s += " The one exception is the cost of one prune, taken from the prunes of the warm trials as well as the cold ones."
	}
	return s
}

// warm lists the warm trials' cells beside their cold medians; several
// says the run measured several registry bandwidths (one table each).
func warm(b *builder, rows []WarmRow, several bool) {
	if len(rows) == 0 {
		return
	}
	b.heading(3, "Warm trials")
	intro := "Each warm trial keeps the state of the cold trial before it (BuildKit's cache and the registry namespace) and builds a new SDK sha. " +
		"Throughput in images/hour per warm trial: median with its 95% confidence interval, fastest first; " +
		"cold is the same cell's median over its cold trials. These cells are not ranked by a test and enter no decision or prediction."
	for _, c := range rows {
		if c.CIConfidence > 0 && c.CIConfidence < 0.95-1e-9 {
			intro += " With fewer than 6 trials the interval is the trials' range, marked with its coverage."
			break
		}
	}
	b.para(text(intro)...)
	var conds []string
	for _, r := range rows {
		if !slices.Contains(conds, r.Registry) {
			conds = append(conds, r.Registry)
		}
	}
	for _, cond := range conds {
		if several || cond != "" {
			b.heading(4, "Warm trials, registry bandwidth "+cond)
		}
		var out [][]string
		for _, r := range rows {
			if r.Registry != cond {
				continue
			}
			ci := throughput(r.LoIPH) + "–" + throughput(r.HiIPH)
			switch {
			case r.N < 2:
				ci = "none (" + analyze.Plural(r.N, "trial") + ")"
			case r.CIConfidence > 0 && r.CIConfidence < 0.95-1e-9:
				ci += fmt.Sprintf(" (range, %.0f%%)", 100*r.CIConfidence)
			}
			cold, ratio := "", ""
			if r.ColdMedianIPH > 0 {
				cold = throughput(r.ColdMedianIPH)
				ratio = fmt.Sprintf("%.2fx", r.MedianIPH/r.ColdMedianIPH)
			}
			out = append(out, []string{r.Name, fmt.Sprint(r.N), throughput(r.MedianIPH), ci, throughput(r.IQR),
				duration(r.PerImageMedianS), cold, ratio, fmt.Sprint(r.Outliers)})
		}
		b.table([]string{"cell", "n", "img/h", "95% CI", "IQR", "per image", "cold img/h", "warm/cold", "outliers"},
			[]bool{false, true, true, true, true, true, true, true, true}, out)
	}
}

func predictions(b *builder, d Data) {
	preds := d.Predictions
	dec := d.Decision
	if len(preds) == 0 {
		for _, p := range []ConfigPrediction{dec.Recommended, dec.RunnerUp, dec.Baseline} {
			if p.Name != "" && !containsName(preds, p.Name) {
				preds = append(preds, p)
			}
		}
	}
	title := "Predictions for the full build"
	if dec.Images > 0 {
		title = "Predictions for " + analyze.Plural(dec.Images, "image")
	}
	b.heading(3, title)
	if t := d.Method.Target; t != "" && dec.Images > 0 && !strings.HasPrefix(t, analyze.Plural(dec.Images, "image")) {
		b.para(text("The build predicted: " + t + ".")...)
	}
	if len(preds) == 0 {
		b.note("No predictions.")
		b.chart("predictions")
		return
	}
	// A run of several registry bandwidths: one table per condition, each
	// noted and compared with its own decision's picks and baseline.
	byCond := len(d.Decisions) > 1 && slices.ContainsFunc(preds, func(p ConfigPrediction) bool { return p.Registry != "" })
	if !byCond {
		predictionTable(b, preds, dec)
	} else {
		for _, dc := range d.Decisions {
			var in []ConfigPrediction
			for _, p := range preds {
				if p.Registry == dc.Registry {
					in = append(in, p)
				}
			}
			if len(in) > 0 {
				b.heading(4, "Registry bandwidth "+dc.Registry)
				predictionTable(b, in, dc)
			}
		}
	}
	b.chart("predictions")
}

// predictionTable is the table of preds, noted and compared with dec's
// picks and baseline.
func predictionTable(b *builder, preds []ConfigPrediction, dec Decision) {
	base := dec.Baseline
	var rows [][]string
	for _, p := range preds {
		vs := ""
		if base.Name != "" && base.Median > 0 && p.Name != base.Name {
			r := 100 * (base.Median - p.Median) / base.Median
			switch {
			case r >= 0:
				vs = percent(r) + " faster"
			case r > -100:
				vs = percent(-r) + " slower"
			default:
				vs = fmt.Sprintf("%.1fx as long", p.Median/base.Median)
			}
		}
		var notes []string
		switch p.Name {
		case dec.Recommended.Name:
			if dec.Confident {
				notes = append(notes, "recommended")
			} else {
				notes = append(notes, "fastest")
			}
		case dec.RunnerUp.Name:
			notes = append(notes, "runner-up")
		}
		if p.Name == base.Name {
			notes = append(notes, "baseline")
		}
		if p.Extrapolated {
			notes = append(notes, "extrapolated")
		}
		switch {
		case dec.Deadline > 0 && p.Median > dec.Deadline:
			notes = append(notes, "misses the deadline")
		case dec.Deadline > 0 && p.Hi > dec.Deadline:
			notes = append(notes, "may miss the deadline")
		}
		iv := ""
		if !(p.Lo == 0 && p.Hi == 0) {
			iv = duration(p.Lo) + "–" + duration(p.Hi)
		}
		rows = append(rows, []string{p.Name, duration(p.Median), iv, vs, strings.Join(notes, ", ")})
	}
	b.table([]string{"configuration", "predicted", "interval", "vs baseline", "note"},
		[]bool{false, true, true, true, false}, rows)
	// The decision's percentage against the baseline is pair by pair
	// (SavingFraction); the column compares medians. When the two read
	// differently ("20% slower" above, "16% slower" here), say why.
	rec, f := dec.Recommended, dec.SavingFraction
	if f != (Interval{}) && base.Name != "" && base.Median > 0 && rec.Name != "" && rec.Name != base.Name && containsName(preds, rec.Name) {
		if pair, med := percent(math.Abs(100*f.Median)), percent(math.Abs(100*(base.Median-rec.Median)/base.Median)); pair != med {
			b.para(text(fmt.Sprintf("The vs baseline column compares the predicted medians (%s for %s); the decision's %s is the median over paired simulated builds, each pair drawn alike, so the two can differ.",
				med, shortName(rec.Name), pair))...)
		}
	}
}

func containsName(ps []ConfigPrediction, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

func model(b *builder, d Data) {
	m := d.Model
	var facts [][]span
	add := func(label string, v [3]float64, f func(float64) string, suffix string) {
		if v == ([3]float64{}) {
			return
		}
		facts = append(facts, []span{{Text: label, Bold: true}, {Text: ": " + estimate(v, f) + suffix}})
	}
	fixedTable := false
	if len(m.Fixed) > 0 {
		var fact []span
		fact, fixedTable = fixedFact(m.Fixed)
		facts = append(facts, fact)
	}
	prune := ""
	if m.PruneWithWarm {
		prune = ", over the prunes of the warm trials as well as the cold ones"
	}
	add("One prune", m.PruneS, duration, prune)
	add("BuildKit disk growth", m.DiskGrowthBytes, byteSize, " per image")
	if v := m.BarrierLossPct; v != ([3]float64{}) {
		// Whose loss it is, as the fixed cost names its cell: with a
		// stream pick, another cell's.
		who := ""
		if m.BarrierCell != "" {
			who = " of " + m.BarrierCell
			if m.BarrierRole != "" {
				who += " (" + m.BarrierRole + ")"
			}
		}
		facts = append(facts, []span{{Text: "Lost to batch barriers", Bold: true}, {Text: who + ": " + estimate(v, percent1) + " of wall time"}})
	}
	for _, c := range m.Crowding {
		facts = append(facts, []span{{Text: "Crowding, " + c.Series, Bold: true}, {Text: fmt.Sprintf(
			": an image beside one other takes %.2fx its time alone (β %.3g, from %s seen at different crowding); predictions run batch tails and drains at their own crowding",
			1+c.Beta, c.Beta, analyze.Plural(c.Images, "image"))}})
	}
	if m.SpreadCells > 0 {
		facts = append(facts, []span{{Text: "The machine's speed from trial to trial", Bold: true}, {Text: fmt.Sprintf(
			": ±%.1f%% (one standard deviation, pooled over %d cells of the same host, %s); each prediction draws its build's speed from this spread rather than from its own cell's few trials",
			m.TrialSpreadPct, m.SpreadCells, analyze.Plural(m.SpreadDF, "degree")+" of freedom")}})
	}
	if len(m.USL) == 0 && len(m.NoFit) == 0 && len(facts) == 0 {
		return
	}
	b.heading(3, "Model")
	// The facts first: the fits' caveats close the section, a list of
	// their own (two lists in a row would run into one in markdown).
	b.list(facts...)
	if fixedTable {
		fixedCosts(b, m.Fixed, d.Decision.Images)
	}
	if len(m.USL) > 0 {
		b.para(text("Universal Scalability Law fits of throughput against workers, X(N) = λN / (1 + σ(N−1) + κN(N−1)): " +
			"σ is contention, κ coherency cost, N* the worker count of peak throughput (∞: no peak). Intervals in parentheses.")...)
		lambda := false
		for _, r := range m.USL {
			lambda = lambda || r.Lambda != ([3]float64{})
		}
		head := []string{"series", "σ", "κ", "N*"}
		num := []bool{false, true, true, true}
		if lambda {
			head = []string{"series", "λ (img/h)", "σ", "κ", "N*"}
			num = []bool{false, true, true, true, true}
		}
		var rows [][]string
		for _, r := range m.USL {
			row := []string{r.Series}
			if lambda {
				row = append(row, estimate(r.Lambda, throughput))
			}
			row = append(row, estimate(r.Sigma, uslParam), estimate(r.Kappa, uslParam), estimate(r.NStar, workers))
			rows = append(rows, row)
		}
		b.table(head, num, rows)
	}
	// The fits' caveats, beside the numbers they qualify.
	var caveats [][]span
	for _, r := range m.USL {
		if len(r.Warnings) > 0 {
			caveats = append(caveats, []span{{Text: r.Series, Bold: true}, {Text: ": " + strings.Join(r.Warnings, "; ")}})
		}
	}
	for _, f := range m.NoFit {
		caveats = append(caveats, []span{{Text: f.Series, Bold: true}, {Text: ": no USL fit: " + f.Error}})
	}
	if len(caveats) > 0 {
		lead := "Caveats of the fits:"
		if len(m.USL) == 0 {
			lead = "No Universal Scalability Law fit of throughput against workers:"
		}
		b.para(span{Text: lead, Bold: true})
		b.list(caveats...)
	}
}

// fixedFact is the model's line on the fixed per-run cost: the cost of
// the cell the decision picked, named, and the other cells' range when
// none differs from it by much; table says some do, and the cells need a
// table of their own (fixedCosts).
func fixedFact(rows []FixedRow) (fact []span, table bool) {
	lead := rows[0]
	who := " of " + lead.Cell
	if lead.Role != "" {
		who += " (" + lead.Role + ")"
	}
	fact = []span{{Text: "Fixed cost per run", Bold: true}, {Text: who + ": " + estimate(lead.Seconds, duration)}}
	others := rows[1:]
	if len(others) == 0 {
		return fact, false
	}
	scale := fixedScale(rows)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range others {
		if math.Abs(r.Seconds[0]-lead.Seconds[0]) > scale {
			table = true
		}
		lo, hi = math.Min(lo, r.Seconds[0]), math.Max(hi, r.Seconds[0])
	}
	if table {
		fact = append(fact, span{Text: "; it differs between the cells, as the table below shows"})
		return fact, true
	}
	rng := duration(lo)
	if duration(hi) != rng {
		rng += "–" + duration(hi)
	}
	whose := "the other cell's"
	if len(others) > 1 {
		whose = fmt.Sprintf("the other %d cells'", len(others))
	}
	fact = append(fact, span{Text: "; " + whose + ": " + rng})
	return fact, false
}

// fixedMaterial is the share of an image's build time by which a cell's
// fixed cost must differ from the picked cell's to be shown on its own.
const fixedMaterial = 0.1

// fixedScale is how far apart two fixed costs must be to matter: a tenth
// of the picked cell's median time of one image (of the cells' median
// when it is not known), or a tenth of the larger cost without any.
func fixedScale(rows []FixedRow) float64 {
	ok := func(v float64) bool { return v > 0 && !bad(v) }
	if ok(rows[0].PerImageS) {
		return fixedMaterial * rows[0].PerImageS
	}
	var per []float64
	big := 0.0
	for _, r := range rows {
		if ok(r.PerImageS) {
			per = append(per, r.PerImageS)
		}
		big = math.Max(big, r.Seconds[0])
	}
	if len(per) > 0 {
		slices.Sort(per)
		return fixedMaterial * per[len(per)/2]
	}
	return fixedMaterial * big
}

// fixedCosts is the table of the cells' fixed per-run costs, for when
// they differ: why a cell with slower trials can be predicted faster.
func fixedCosts(b *builder, rows []FixedRow, images int) {
	build := "the full build"
	if images > 0 {
		build = "a build of " + analyze.Plural(images, "image")
	}
	b.para(text("Fixed cost per run of each cell: its trials' wall time beyond the simulated schedule of their images (with fewer than 6 trials, the interval is their range). " +
		"A build pays its cell's fixed cost once, besides the time of each image, so it weighs far more on a sweep trial of a few images than on " + build +
		": trial throughput understates a cell whose fixed cost is higher but whose images are faster, and the predictions need not rank the cells as their trials do.")...)
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Cell, estimate(r.Seconds, duration), duration(r.PerImageS), r.Role})
	}
	b.table([]string{"cell", "fixed cost per run", "per image", "note"}, []bool{false, true, true, false}, out)
}

func phases(b *builder, t PhaseTable) {
	if len(t.Rows) == 0 {
		b.chart("phases")
		b.chart("bytes")
		b.chart("disk")
		return
	}
	b.heading(3, "Where the time goes")
	stat := t.Stat
	if stat == "" {
		stat = "mean"
	}
	b.para(text(fmt.Sprintf("Seconds per image by phase, %s over images, from BuildKit's status stream.", stat))...)
	names := []string{"exec", "image export (besides push)", "layer push", "cache export", "cache import", "queue", "other"}
	vals := func(s plot.PhaseSeconds) []float64 {
		return []float64{s.Exec, s.ImageExport, s.LayerPush, s.CacheExport, s.CacheImport, s.Queue, s.Other}
	}
	used := make([]bool, len(names))
	for _, r := range t.Rows {
		for i, v := range vals(r.Seconds) {
			used[i] = used[i] || v != 0
		}
	}
	head := []string{"cell", "wall"}
	num := []bool{false, true}
	for i, n := range names {
		if used[i] {
			head = append(head, n)
			num = append(num, true)
		}
	}
	var rows [][]string
	for _, r := range t.Rows {
		row := []string{r.Name, duration(r.WallS)}
		for i, v := range vals(r.Seconds) {
			if used[i] {
				row = append(row, duration(v))
			}
		}
		rows = append(rows, row)
	}
	b.table(head, num, rows)
	b.chart("phases")
	b.chart("bytes")
	b.chart("disk")
}

func validation(b *builder, rows []ValidationRow, chart bool) {
	if len(rows) == 0 && !chart {
		return
	}
	b.heading(3, "Validation")
	if len(rows) > 0 {
		b.para(text("Predictions checked against real builds; error is (predicted − measured) / measured.")...)
		var out [][]string
		for _, r := range rows {
			iv := ""
			if !(r.PredictedLo == 0 && r.PredictedHi == 0) {
				iv = duration(r.PredictedLo) + "–" + duration(r.PredictedHi)
			}
			inside := "no"
			switch {
			case r.TooWide:
				inside = "too wide to test"
			case r.Inside:
				inside = "yes"
			}
			images := ""
			if r.Images > 0 {
				images = strconv.Itoa(r.Images)
			}
			out = append(out, []string{r.Name, images, duration(r.PredictedMedian), iv, duration(r.Measured),
				fmt.Sprintf("%+.1f%%", r.ErrorPct), inside})
		}
		// The images column: a validated build need not be the build the
		// predictions above are for (a 40-image build of a sweep whose
		// predictions are for its 8-image list).
		b.table([]string{"configuration", "images", "predicted", "interval", "measured", "error", "inside interval"},
			[]bool{false, true, true, true, true, true, false}, out)
	}
	b.chart("validation")
}

func method(b *builder, m Method) {
	var items [][]span
	add := func(label string, value span) {
		if value.Text != "" {
			items = append(items, []span{{Text: label + ": "}, value})
		}
	}
	machine := m.Machine
	if m.Cores > 0 {
		if machine != "" {
			machine += ", "
		}
		machine += fmt.Sprintf("%d cores", m.Cores)
	}
	add("Workload", span{Text: m.Workload})
	add("Instances", span{Text: m.Instances})
	add("Predictions for", span{Text: m.Target})
	add("Machine", span{Text: machine})
	add("BuildKit", span{Text: m.BuildKit})
	add("Daemons", span{Text: m.Daemons})
	add("Registry", span{Text: m.Registry})
	add("Prune", span{Text: m.Prune})
	add("Grid", span{Text: m.Grid})
	var trials []string
	if m.Reps > 0 {
		trials = append(trials, analyze.Plural(m.Reps, "rep")+" per cell, interleaved")
	}
	if len(m.Temps) > 0 {
		t := strings.Join(m.Temps, " and ") + " trials"
		if slices.Contains(m.Temps, "warm") && slices.Contains(m.Temps, "cold") {
			t += " (the decision rests on the cold ones; the warm ones are reported apart)"
		}
		trials = append(trials, t)
	}
	if m.Sample > 0 && m.Instances == "" {
		trials = append(trials, fmt.Sprintf("a sample of %d instances", m.Sample))
	}
	if m.Plan != "" {
		trials = append(trials, m.Plan)
	}
	add("Trials", span{Text: strings.Join(trials, "; ")})
	add("Buildtune", span{Text: m.Buildtune})
	add("Commit", span{Text: m.Commit, Code: true})
	add("Command", span{Text: m.Command, Code: true})
	if len(items) == 0 && len(m.Warnings) == 0 {
		b.note("Not recorded.")
		return
	}
	b.list(items...)
	if len(m.Warnings) > 0 {
		b.para(span{Text: "Warnings:", Bold: true})
		b.textList(m.Warnings)
	}
}

// Formatting. Every number in the report goes through one of these.

func bad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// duration formats seconds as 0.28s, 38.2s, 12m05s or 1h52m.
func duration(s float64) string { return analyze.FormatSeconds(s) }

// finiteOr formats v with format, or "n/a" when v is NaN or infinite.
func finiteOr(format string, v float64) string {
	if bad(v) {
		return "n/a"
	}
	return fmt.Sprintf(format, v)
}

// throughput formats images/hour with one decimal.
func throughput(v float64) string { return finiteOr("%.1f", v) }

// pValue formats a p-value with 3 significant digits.
func pValue(p float64) string { return finiteOr("%.3g", p) }

// uslParam formats a USL coefficient (σ, κ) with 3 significant digits,
// and as 0 when it is 0 but for the optimizer's rounding: the fits bound
// both at 0, and a bootstrap end of 4.04e-17 is that bound, not a value.
func uslParam(v float64) string {
	if math.Abs(v) < 1e-9 {
		v = 0
	}
	return sig3(v)
}

// sig3 formats a value with 3 significant digits.
func sig3(v float64) string { return finiteOr("%.3g", v) }

// workers formats a worker count such as N*: +Inf (no peak) is "∞".
func workers(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case math.IsNaN(v):
		return "n/a"
	}
	return fmt.Sprintf("%.1f", v)
}

func percent(v float64) string { return finiteOr("%.0f%%", v) }

// percent1 is a percentage with one decimal; a value that rounds to zero
// is 0.0%, never -0.0%.
func percent1(v float64) string {
	if math.Abs(v) < 0.05 {
		v = 0
	}
	return finiteOr("%.1f%%", v)
}

// signedPercent is percent without the % sign, for the low end of a range.
func signedPercent(v float64) string {
	if bad(v) {
		return "n/a"
	}
	if math.Round(v) < 0 {
		return fmt.Sprintf("-%.0f", -v)
	}
	return fmt.Sprintf("%.0f", v)
}

// byteSize formats bytes in binary units with one decimal.
func byteSize(v float64) string {
	if bad(v) {
		return "n/a"
	}
	return analyze.FormatBytes(v)
}

// estimate formats (est, lo, hi) as "est (lo–hi)", or "est" when lo and hi
// are both zero.
func estimate(v [3]float64, f func(float64) string) string {
	if v[1] == 0 && v[2] == 0 {
		return f(v[0])
	}
	if lo, hi := f(v[1]), f(v[2]); lo == hi {
		// No spread at the shown precision (a fixed size per image): a
		// range "1.0 MiB–1.0 MiB" would read as a measured bound.
		return f(v[0]) + " (no spread at this precision)"
	}
	return fmt.Sprintf("%s (%s–%s)", f(v[0]), f(v[1]), f(v[2]))
}

// short says a cell's throughput interval covers less than 95%: too few
// trials for a confidence interval of the median, so it is their range.
func short(c CellRow) bool { return c.CIConfidence > 0 && c.CIConfidence < 0.95-1e-9 }

// rankNote explains a decision whose pick is not the cell the cells table
// ranks first: the table orders the sample's measured throughput, the
// decision the predicted time of the full build.
func rankNote(b *builder, dec Decision, rows []CellRow) {
	if len(rows) == 0 || dec.Recommended.Cell == "" {
		return
	}
	first := rows[0].Name
	if first == dec.Recommended.Cell || (dec.PickedCheapest && first == dec.RunnerUp.Cell) {
		return
	}
	images := "the full build"
	if dec.Images > 0 {
		images = analyze.Plural(dec.Images, "image")
	}
	b.para(text(fmt.Sprintf("The cells table below ranks %s first by the throughput of the sample's trials; the decision ranks the settings by their predicted time for %s, "+
		"which weighs the per-image costs and the schedule of a build of that size rather than a short trial's start and tail, and need not give the same order.",
		first, images))...)
}
