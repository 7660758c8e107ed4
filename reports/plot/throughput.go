package plot

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ThroughputData is the input of Throughput: images per hour against
// workers, one series per cache mode x strategy.
type ThroughputData struct {
	// Title replaces the default title when not empty.
	Title string
	// XLabel replaces the default x-axis label ("workers (parallel
	// builds)") when not empty: cells placed at the builds they ran at
	// once are not at their worker counts.
	XLabel string
	Series []ThroughputSeries
	// IntervalLabel names the medians' bars in the legend (default
	// "median, 95% CI"): a cell of too few trials for a 95% interval
	// shows its trials' range.
	IntervalLabel string
}

// ThroughputSeries is one cache mode x strategy combination.
type ThroughputSeries struct {
	// Name is the legend label, e.g. "cache min, single".
	Name string
	// Trials are the per-trial throughputs.
	Trials []WorkerValue
	// Medians are the per-worker-count medians with their 95% CIs.
	Medians []WorkerInterval
	// USL is the fitted Universal Scalability Law curve; nil draws none.
	USL *USL
	// MaxWorkers is the most builds at once the series can run, its batch
	// size (0: no cap): its curve and N* stop there, since no worker count
	// runs more builds at once than a batch holds.
	MaxWorkers int
}

// curve is the points of s's USL curve on an axis up to xmax, from 1 to
// xmax or to its MaxWorkers when that is nearer, without the points where
// it is not a finite throughput (nil without a fit).
func (s ThroughputSeries) curve(xmax float64) plotter.XYs {
	if s.USL == nil {
		return nil
	}
	end := xmax
	if s.MaxWorkers > 0 {
		end = math.Min(xmax, float64(s.MaxWorkers))
	}
	if end <= 1 {
		return nil // one builds at once: no curve to draw
	}
	var xys plotter.XYs
	const samples = 200
	for k := 0; k <= samples; k++ {
		x := 1 + (end-1)*float64(k)/samples
		if y := s.USL.At(x); !math.IsNaN(y) && !math.IsInf(y, 0) && y >= 0 {
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
	}
	return xys
}

// peakShown says s's N* n is a peak the series can reach: within its
// MaxWorkers.
func (s ThroughputSeries) peakShown(n float64) bool {
	return s.MaxWorkers <= 0 || n <= float64(s.MaxWorkers)
}

// WorkerValue is one trial's throughput in images per hour.
type WorkerValue struct {
	Workers       int
	ImagesPerHour float64
}

// WorkerInterval is the median throughput at one worker count, images per
// hour, with its interval.
type WorkerInterval struct {
	Workers       int
	ImagesPerHour Interval
}

// USL holds the parameters of the Universal Scalability Law
// X(N) = Lambda*N / (1 + Sigma*(N-1) + Kappa*N*(N-1)), in images per hour.
type USL struct {
	Lambda, Sigma, Kappa float64
}

// At returns the modelled throughput at n workers.
func (u USL) At(n float64) float64 {
	return u.Lambda * n / (1 + u.Sigma*(n-1) + u.Kappa*n*(n-1))
}

// Peak returns N*, the worker count of maximum modelled throughput,
// sqrt((1-Sigma)/Kappa), or +Inf when the curve has no interior maximum.
func (u USL) Peak() float64 {
	if u.Kappa <= 0 || u.Sigma >= 1 {
		return math.Inf(1)
	}
	return math.Sqrt((1 - u.Sigma) / u.Kappa)
}

// peakReach is how far beyond the largest measured worker count the x axis
// may be stretched to show N*; a peak further out is named in the note.
const peakReach = 4

// Throughput draws images/hour against workers: per-trial points (jittered
// slightly in x), medians with 95% CI bars, the USL curve of each series for
// x in [1, max(workers, N*)*1.2] (up to its MaxWorkers, a batched series'
// batch size) and N* as a dashed vertical line when it is finite, within
// the series' MaxWorkers and within peakReach times the largest measured
// worker count,
// labelled at the top of the panel, the labels of close peaks stepped
// down so that none prints over another (stackLabels).
func Throughput(d ThroughputData) (*Chart, error) {
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("throughput chart: %w", err)
	}
	title := d.Title
	if title == "" {
		title = "Throughput vs workers"
	}
	ch := newChart(title)
	xlabel := d.XLabel
	if xlabel == "" {
		xlabel = "workers (parallel builds)"
	}
	p := newPanel("", xlabel, "throughput (images/hour)")
	p.Add(grid(false, true))

	// Worker counts, the smallest gap between them and the x range.
	seen := map[int]bool{}
	for _, s := range d.Series {
		for _, t := range s.Trials {
			seen[t.Workers] = true
		}
		for _, m := range s.Medians {
			seen[m.Workers] = true
		}
	}
	var workers []int
	for w := range seen {
		workers = append(workers, w)
	}
	sort.Ints(workers)
	maxW := float64(workers[len(workers)-1])
	gap := 1.0
	for i := 1; i < len(workers); i++ {
		gap = math.Min(gap, float64(workers[i]-workers[i-1]))
	}
	reach := maxW
	var offChart []string
	for _, s := range d.Series {
		if s.USL == nil {
			continue
		}
		n := s.USL.Peak()
		switch {
		case math.IsInf(n, 1), !s.peakShown(n):
		case n > peakReach*maxW:
			offChart = append(offChart, fmt.Sprintf("%s N*≈%s", s.Name, num(n)))
		default:
			reach = math.Max(reach, n)
		}
	}
	xmax := reach * 1.2
	if xmax < 2 {
		xmax = 2
	}

	// Series are dodged a little apart so that their intervals do not hide
	// each other; trials are jittered within their series' slot.
	step := 0.12 * gap
	if n := len(d.Series); n > 1 {
		step = math.Min(step, 0.6*gap/float64(n))
	}
	ys := newSpan()
	ys.add(0)
	// A fitted curve may leave the data (a pole, a bad fit): the y axis
	// follows it only up to curveCap, and the rest is clipped.
	curveCap := math.Inf(1)
	for _, s := range d.Series {
		for _, t := range s.Trials {
			ys.add(t.ImagesPerHour)
		}
		for _, m := range s.Medians {
			ys.add(m.ImagesPerHour.hi())
		}
	}
	if ys.max > 0 {
		curveCap = 1.5 * ys.max
	}
	for i, s := range d.Series {
		col := colorAt(i)
		dodge := (float64(i) - float64(len(d.Series)-1)/2) * step
		if len(s.Trials) > 0 {
			xys := make(plotter.XYs, len(s.Trials))
			count := map[int]int{}
			for j, t := range s.Trials {
				k := count[t.Workers]
				count[t.Workers]++
				jit := 0.35 * step * (float64(k%7)/3 - 1)
				xys[j] = plotter.XY{X: float64(t.Workers) + dodge + jit, Y: t.ImagesPerHour}
				ys.add(t.ImagesPerHour)
			}
			sc := &plotter.Scatter{XYs: xys, GlyphStyle: draw.GlyphStyle{
				Color: fade(col, 0.35), Radius: vg.Points(2.2), Shape: draw.RingGlyph{},
			}}
			p.Add(sc)
		}
		var curve *plotter.Line
		if s.USL != nil {
			xys := s.curve(xmax)
			for _, xy := range xys {
				ys.add(min(xy.Y, curveCap))
			}
			if len(xys) > 1 {
				curve = &plotter.Line{XYs: xys, LineStyle: draw.LineStyle{Color: col, Width: vg.Points(1.6), Dashes: dashAt(i)}}
				p.Add(curve)
			}
		}
		med := draw.GlyphStyle{Color: col, Radius: vg.Points(3.6), Shape: glyphAt(i)}
		if len(s.Medians) > 0 {
			xs := make([]float64, len(s.Medians))
			ivs := make([]Interval, len(s.Medians))
			xys := make(plotter.XYs, len(s.Medians))
			for j, m := range s.Medians {
				xs[j] = float64(m.Workers) + dodge
				ivs[j] = m.ImagesPerHour
				xys[j] = plotter.XY{X: xs[j], Y: m.ImagesPerHour.Median}
				ys.add(m.ImagesPerHour.lo(), m.ImagesPerHour.hi())
			}
			if eb := yErrors(xs, ivs, draw.LineStyle{Color: col, Width: vg.Points(1.6)}); eb != nil {
				p.Add(eb)
			}
			p.Add(&plotter.Scatter{XYs: xys, GlyphStyle: med})
		}
		thumbs := []gplot.Thumbnailer{}
		if curve != nil {
			thumbs = append(thumbs, lineThumb{curve.LineStyle})
		}
		thumbs = append(thumbs, glyphThumb{med})
		ch.addLegend(s.Name, thumbs...)
	}

	ylo, yhi := ys.fromZero(0.12)
	p.Y.Min, p.Y.Max = ylo, yhi
	p.X.Min, p.X.Max = 0, xmax

	// N* markers: a dashed line per series, and its label laid out at
	// draw time (peakLabels) so that labels of close peaks never overlap.
	k := 0
	var peaks peakLabels
	for i, s := range d.Series {
		if s.USL == nil {
			continue
		}
		n := s.USL.Peak()
		if math.IsInf(n, 1) || n > peakReach*maxW || n < 1 || !s.peakShown(n) {
			continue
		}
		sty := draw.LineStyle{Color: colorAt(i), Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
		p.Add(segment(n, ylo, n, yhi, sty))
		ts := textStyle(sansBold, annotSize, colorAt(i))
		ts.XAlign, ts.YAlign = draw.XLeft, draw.YTop
		peaks.xs = append(peaks.xs, n)
		peaks.texts = append(peaks.texts, "N*≈"+num(n))
		peaks.styles = append(peaks.styles, ts)
		k++
	}
	if k > 0 {
		p.Add(peaks)
	}

	p.X.Tick.Marker = workerTicks{workers: workers}
	p.Y.Tick.Marker = ticks{}
	ch.Panels = []*gplot.Plot{p}

	grey := refColor
	ch.addLegend("trial", glyphThumb{draw.GlyphStyle{Color: grey, Radius: vg.Points(2.2), Shape: draw.RingGlyph{}}})
	ch.addLegend(cmp.Or(d.IntervalLabel, "median, 95% CI"), whiskerThumb{sty: draw.LineStyle{Color: grey, Width: vg.Points(1.6)}},
		glyphThumb{draw.GlyphStyle{Color: grey, Radius: vg.Points(3.6), Shape: draw.CircleGlyph{}}})
	hasUSL := false
	for _, s := range d.Series {
		hasUSL = hasUSL || s.USL != nil
	}
	if hasUSL {
		ch.addLegend("USL fit", lineThumb{draw.LineStyle{Color: grey, Width: vg.Points(1.6)}})
	}
	if k > 0 {
		ch.addLegend("N* (USL peak)", vlineThumb{draw.LineStyle{Color: grey, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(2)}}})
	}
	if len(offChart) > 0 {
		ch.Note = "Peak beyond the chart: " + strings.Join(offChart, "; ")
	}
	return ch, nil
}

// peakLabels are the N* labels of a throughput chart, one per dashed peak
// line at x (data units). They are laid out when drawn, where the text's
// size and the panel's scale are known: see stackLabels.
type peakLabels struct {
	xs     []float64
	texts  []string
	styles []text.Style
}

// peakGap is the space between a peak line and its label, peakPad the
// white box around a label's text.
const (
	peakGap = vg.Length(3)
	peakPad = vg.Length(1.5)
)

func (l peakLabels) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, _ := p.Transforms(&c)
	xs := make([]vg.Length, len(l.xs))
	sizes := make([]vg.Point, len(l.xs))
	for i := range l.xs {
		xs[i] = trX(l.xs[i])
		sizes[i] = l.styles[i].Rectangle(l.texts[i]).Size()
	}
	for i, pt := range stackLabels(xs, sizes, c.Min.X, c.Max.X, c.Max.Y) {
		r := l.styles[i].Rectangle(l.texts[i]).Add(pt)
		c.FillPolygon(color.White, []vg.Point{
			{X: r.Min.X - peakPad, Y: r.Min.Y - peakPad}, {X: r.Max.X + peakPad, Y: r.Min.Y - peakPad},
			{X: r.Max.X + peakPad, Y: r.Max.Y + peakPad}, {X: r.Min.X - peakPad, Y: r.Max.Y + peakPad},
		})
		c.FillText(l.styles[i], pt, l.texts[i])
	}
}

// stackLabels places labels of the given sizes beside vertical lines at
// xs, between the panel's left and right edges and below its top, and
// returns each label's top-left corner. A label starts peakGap right of
// its line, or ends peakGap left of it where it would pass the right
// edge. Taken from the leftmost line, each goes in the highest row where
// its box (padded by peakPad) overlaps no label placed before: labels of
// close peaks step down the panel instead of printing over each other.
func stackLabels(xs []vg.Length, sizes []vg.Point, left, right, top vg.Length) []vg.Point {
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return xs[order[a]] < xs[order[b]] })
	type span struct{ lo, hi vg.Length }
	var rows [][]span
	var heights []vg.Length
	out := make([]vg.Point, len(xs))
	for _, i := range order {
		w, h := sizes[i].X, sizes[i].Y
		lo := xs[i] + peakGap
		if lo+w > right {
			lo = xs[i] - peakGap - w
		}
		lo = max(lo, left)
		box := span{lo - peakPad, lo + w + peakPad}
		row := 0
		for ; row < len(rows); row++ {
			free := true
			for _, s := range rows[row] {
				if box.lo < s.hi && s.lo < box.hi {
					free = false
					break
				}
			}
			if free {
				break
			}
		}
		if row == len(rows) {
			rows = append(rows, nil)
			heights = append(heights, 0)
		}
		rows[row] = append(rows[row], box)
		heights[row] = max(heights[row], h)
		y := top - peakPad
		for r := range row {
			y -= heights[r] + 2*peakPad + 1
		}
		out[i] = vg.Point{X: lo, Y: y}
	}
	return out
}

func (d ThroughputData) check() error {
	if len(d.Series) == 0 {
		return errors.New("no series")
	}
	points := 0
	for _, s := range d.Series {
		for _, t := range s.Trials {
			if t.Workers < 1 {
				return fmt.Errorf("series %q: %d workers", s.Name, t.Workers)
			}
			if err := nonNegative(t.ImagesPerHour); err != nil {
				return fmt.Errorf("series %q trial at %d workers: %w", s.Name, t.Workers, err)
			}
		}
		for _, m := range s.Medians {
			if m.Workers < 1 {
				return fmt.Errorf("series %q: %d workers", s.Name, m.Workers)
			}
			if err := m.ImagesPerHour.check(); err != nil {
				return fmt.Errorf("series %q median at %d workers: %w", s.Name, m.Workers, err)
			}
			if err := nonNegative(m.ImagesPerHour.Median, m.ImagesPerHour.lo()); err != nil {
				return fmt.Errorf("series %q median at %d workers: %w", s.Name, m.Workers, err)
			}
		}
		if s.MaxWorkers < 0 {
			return fmt.Errorf("series %q: max workers %d", s.Name, s.MaxWorkers)
		}
		if s.USL != nil {
			if err := finite(s.USL.Lambda, s.USL.Sigma, s.USL.Kappa); err != nil {
				return fmt.Errorf("series %q usl: %w", s.Name, err)
			}
		}
		points += len(s.Trials) + len(s.Medians)
	}
	if points == 0 {
		return errors.New("no trials or medians in any series")
	}
	return nil
}

// workerTicks labels the measured worker counts and, beyond them, round
// numbers where the axis was stretched to show N*.
type workerTicks struct{ workers []int }

func (t workerTicks) Ticks(min, max float64) []gplot.Tick {
	var ts []gplot.Tick
	last := 0.0
	for _, w := range t.workers {
		ts = append(ts, gplot.Tick{Value: float64(w), Label: fmt.Sprint(w)})
		last = float64(w)
	}
	for _, d := range (ticks{}).Ticks(min, max) {
		if d.Label != "" && (d.Value > last*1.3 || len(t.workers) == 1) && d.Value == math.Trunc(d.Value) && d.Value != last {
			ts = append(ts, d)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Value < ts[j].Value })
	// Drop labels that would crowd their neighbour (e.g. 1 and 2 on a wide
	// axis): keep a label only when it is at least 3% of the axis away.
	minGap := 0.03 * (max - min)
	prev := math.Inf(-1)
	for i := range ts {
		if ts[i].Value-prev < minGap {
			ts[i].Label = ""
			continue
		}
		prev = ts[i].Value
	}
	return ts
}
