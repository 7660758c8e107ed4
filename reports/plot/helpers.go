package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Interval is a point estimate with its interval (for example a median with
// its 95% confidence interval), in the unit the chart's input type names.
// Lo and Hi may both be zero to mean "no interval": only the point is drawn.
type Interval struct {
	Median, Lo, Hi float64
}

// check reports a non-finite value or an interval whose ends are out of order.
func (iv Interval) check() error {
	if err := finite(iv.Median, iv.Lo, iv.Hi); err != nil {
		return err
	}
	if iv.noInterval() {
		return nil
	}
	if iv.Lo > iv.Median || iv.Median > iv.Hi {
		return fmt.Errorf("interval [%g, %g] does not contain %g", iv.Lo, iv.Hi, iv.Median)
	}
	return nil
}

func (iv Interval) noInterval() bool { return iv.Lo == 0 && iv.Hi == 0 }

// lo and hi return the interval's ends, or the median when there is none.
func (iv Interval) lo() float64 {
	if iv.noInterval() {
		return iv.Median
	}
	return iv.Lo
}

func (iv Interval) hi() float64 {
	if iv.noInterval() {
		return iv.Median
	}
	return iv.Hi
}

func (iv Interval) scale(f float64) Interval {
	return Interval{Median: iv.Median * f, Lo: iv.Lo * f, Hi: iv.Hi * f}
}

func finite(vs ...float64) error {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("value %v is not finite", v)
		}
	}
	return nil
}

func nonNegative(vs ...float64) error {
	if err := finite(vs...); err != nil {
		return err
	}
	for _, v := range vs {
		if v < 0 {
			return fmt.Errorf("value %g is negative", v)
		}
	}
	return nil
}

// span tracks the range of the values added to it.
type span struct{ min, max float64 }

func newSpan() span { return span{math.Inf(1), math.Inf(-1)} }

func (s *span) add(vs ...float64) {
	for _, v := range vs {
		s.min = math.Min(s.min, v)
		s.max = math.Max(s.max, v)
	}
}

func (s span) empty() bool { return s.min > s.max }

// padded returns the range widened by frac of its width on each side. A
// range of one value (or none) is widened so that it never collapses.
func (s span) padded(frac float64) (lo, hi float64) {
	if s.empty() {
		return 0, 1
	}
	lo, hi = s.min, s.max
	w := hi - lo
	if w == 0 {
		w = math.Max(math.Abs(lo)*0.2, 1)
		return lo - w/2, hi + w/2
	}
	return lo - frac*w, hi + frac*w
}

// fromZero returns [0 or min, max+headroom]: the range of a quantity that is
// honestly shown from zero, widened so that it never collapses.
func (s span) fromZero(headroom float64) (lo, hi float64) {
	if s.empty() {
		return 0, 1
	}
	lo = math.Min(0, s.min)
	hi = math.Max(0, s.max)
	if hi == lo {
		hi = lo + 1
	}
	w := hi - lo
	if s.min < 0 {
		lo -= headroom * w
	}
	return lo, hi + headroom*w
}

// num formats v with about three significant digits and no exponent.
func num(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a >= 100 || v == 0:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'f', 3, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// ticks is a plot.Ticker with about six labelled ticks at round values
// (1, 2, 2.5 or 5 times a power of ten) and unlabelled minor ticks between
// them. Labels use num, so axes never show exponents.
type ticks struct{}

func (ticks) Ticks(min, max float64) []gplot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return gplot.DefaultTicks{}.Ticks(min, max)
	}
	step := niceStep((max - min) / 6)
	var ts []gplot.Tick
	first := math.Ceil(min/step) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > max+step*1e-9 || i > 100 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ts = append(ts, gplot.Tick{Value: v, Label: num(v)})
		if m := v + step/2; m < max {
			ts = append(ts, gplot.Tick{Value: m})
		}
	}
	if m := first - step/2; m > min {
		ts = append(ts, gplot.Tick{Value: m})
	}
	return ts
}

// countTicks is ticks for an axis of whole things (images built): no
// labelled or minor tick falls between two whole numbers, so a short axis
// (a sweep of one or two images) shows 0, 1, 2 rather than 0.2, 0.4, ...
type countTicks struct{}

func (countTicks) Ticks(min, max float64) []gplot.Tick {
	var ts []gplot.Tick
	for _, t := range (ticks{}).Ticks(min, max) {
		if t.Value == math.Trunc(t.Value) {
			ts = append(ts, t)
		}
	}
	if len(ts) >= 2 || !(max > min) || max-min > 100 {
		return ts
	}
	ts = ts[:0]
	for v := math.Ceil(min); v <= max; v++ {
		ts = append(ts, gplot.Tick{Value: v, Label: num(v)})
	}
	return ts
}

// wideRange is the ratio of largest to smallest value above which an axis
// of durations is drawn on a log scale.
const wideRange = 20

// logTicks is a plot.Ticker for a log axis: labelled ticks at 1, 2 and 5
// times each power of ten within the range (1 and 10 alone when those are
// too many), unlabelled ones at the other whole multiples. Labels use num.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []gplot.Tick {
	if !(min > 0) || !(max > min) || math.IsInf(max, 0) {
		return ticks{}.Ticks(min, max)
	}
	decades := math.Log10(max / min)
	labelled := []float64{1, 2, 5}
	if decades > 4 {
		labelled = []float64{1}
	}
	var ts []gplot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		p := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * p
			if v < min || v > max {
				continue
			}
			tk := gplot.Tick{Value: v}
			for _, l := range labelled {
				if m == l {
					tk.Label = num(v)
				}
			}
			ts = append(ts, tk)
		}
	}
	return ts
}

// niceStep rounds x up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// category returns a ticker with one labelled tick per name at 0, 1, 2, ...
func category(names []string) gplot.Ticker {
	ts := make([]gplot.Tick, len(names))
	for i, n := range names {
		ts[i] = gplot.Tick{Value: float64(i), Label: n}
	}
	return gplot.ConstantTicks(ts)
}

// grid returns light grid lines; vertical and horizontal can be turned off.
func grid(vertical, horizontal bool) *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = gridColor
	g.Vertical.Width = vg.Points(0.5)
	g.Horizontal.Color = gridColor
	g.Horizontal.Width = vg.Points(0.5)
	if !vertical {
		g.Vertical.Color = nil
	}
	if !horizontal {
		g.Horizontal.Color = nil
	}
	return g
}

// rect returns a filled rectangle in data coordinates with a thin outline.
func rect(x0, x1, y0, y1 float64, fill, outline color.Color) *plotter.Polygon {
	p := &plotter.Polygon{
		XYs:   []plotter.XYs{{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}},
		Color: fill,
	}
	p.LineStyle = draw.LineStyle{Color: outline, Width: vg.Points(0.75)}
	if outline == nil {
		p.LineStyle = draw.LineStyle{Color: fill, Width: vg.Points(0.25)}
	}
	return p
}

// segment returns a straight line between two points in data coordinates.
func segment(x0, y0, x1, y1 float64, sty draw.LineStyle) *plotter.Line {
	l := &plotter.Line{XYs: plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y1}}, LineStyle: sty}
	return l
}

// label places one piece of text at a point in data coordinates.
func label(x, y float64, s string, sty labelStyle) *plotter.Labels {
	return labels(plotter.XYs{{X: x, Y: y}}, []string{s}, sty)
}

// labelStyle says how labels are aligned, coloured and offset.
type labelStyle struct {
	xalign draw.XAlignment
	yalign draw.YAlignment
	color  color.Color
	size   vg.Length
	bold   bool
	dx, dy vg.Length
}

func labels(xys plotter.XYs, ss []string, sty labelStyle) *plotter.Labels {
	if sty.size == 0 {
		sty.size = annotSize
	}
	if sty.color == nil {
		sty.color = color.Black
	}
	f := sans
	if sty.bold {
		f = sansBold
	}
	ts := textStyle(f, sty.size, sty.color)
	ts.XAlign = sty.xalign
	ts.YAlign = sty.yalign
	l := &plotter.Labels{XYs: xys, Labels: ss, Offset: vg.Point{X: sty.dx, Y: sty.dy}}
	l.TextStyle = make([]text.Style, len(ss))
	for i := range ss {
		l.TextStyle[i] = ts
	}
	return l
}

// glyphThumb is a legend thumbnail showing one glyph.
type glyphThumb struct{ sty draw.GlyphStyle }

func (g glyphThumb) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(g.sty, c.Center())
}

// lineThumb is a legend thumbnail showing a horizontal line.
type lineThumb struct{ sty draw.LineStyle }

func (l lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.sty, c.Min.X, y, c.Max.X, y)
}

// vlineThumb is a legend thumbnail showing a vertical line.
type vlineThumb struct{ sty draw.LineStyle }

func (l vlineThumb) Thumbnail(c *draw.Canvas) {
	x := c.Center().X
	c.StrokeLine2(l.sty, x, c.Min.Y, x, c.Max.Y)
}

// whiskerThumb is a legend thumbnail of an interval bar with caps, vertical
// or horizontal.
type whiskerThumb struct {
	sty        draw.LineStyle
	horizontal bool
}

func (w whiskerThumb) Thumbnail(c *draw.Canvas) {
	ctr := c.Center()
	cap := vg.Points(3)
	if w.horizontal {
		x0, x1 := c.Min.X+vg.Points(2), c.Max.X-vg.Points(2)
		c.StrokeLine2(w.sty, x0, ctr.Y, x1, ctr.Y)
		c.StrokeLine2(w.sty, x0, ctr.Y-cap, x0, ctr.Y+cap)
		c.StrokeLine2(w.sty, x1, ctr.Y-cap, x1, ctr.Y+cap)
		return
	}
	y0, y1 := c.Min.Y, c.Max.Y
	c.StrokeLine2(w.sty, ctr.X, y0, ctr.X, y1)
	c.StrokeLine2(w.sty, ctr.X-cap, y0, ctr.X+cap, y0)
	c.StrokeLine2(w.sty, ctr.X-cap, y1, ctr.X+cap, y1)
}

// rectThumb is a legend thumbnail of a filled square.
type rectThumb struct{ fill, outline color.Color }

func (r rectThumb) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{
		{X: c.Min.X + vg.Points(3), Y: c.Min.Y}, {X: c.Max.X - vg.Points(3), Y: c.Min.Y},
		{X: c.Max.X - vg.Points(3), Y: c.Max.Y}, {X: c.Min.X + vg.Points(3), Y: c.Max.Y},
	}
	c.FillPolygon(r.fill, pts)
	if r.outline != nil {
		c.StrokeLines(draw.LineStyle{Color: r.outline, Width: vg.Points(1)}, append(pts, pts[0]))
	}
}

// yErrors returns vertical interval bars at the given x positions; points
// without an interval are skipped. It returns nil when there is nothing to
// draw.
func yErrors(xs []float64, ivs []Interval, sty draw.LineStyle) *plotter.YErrorBars {
	var xys plotter.XYs
	var errs plotter.YErrors
	for i, iv := range ivs {
		if iv.noInterval() {
			continue
		}
		xys = append(xys, plotter.XY{X: xs[i], Y: iv.Median})
		errs = append(errs, struct{ Low, High float64 }{iv.Median - iv.Lo, iv.Hi - iv.Median})
	}
	if len(xys) == 0 {
		return nil
	}
	return &plotter.YErrorBars{XYs: xys, YErrors: errs, LineStyle: sty, CapWidth: vg.Points(6)}
}

// xErrors is yErrors for horizontal bars at the given y positions.
func xErrors(ys []float64, ivs []Interval, sty draw.LineStyle) *plotter.XErrorBars {
	var xys plotter.XYs
	var errs plotter.XErrors
	for i, iv := range ivs {
		if iv.noInterval() {
			continue
		}
		xys = append(xys, plotter.XY{X: iv.Median, Y: ys[i]})
		errs = append(errs, struct{ Low, High float64 }{iv.Median - iv.Lo, iv.Hi - iv.Median})
	}
	if len(xys) == 0 {
		return nil
	}
	return &plotter.XErrorBars{XYs: xys, XErrors: errs, LineStyle: sty, CapWidth: vg.Points(6)}
}

// durationUnit picks seconds, minutes or hours for durations up to max
// seconds and returns the unit's name and its length in seconds.
func durationUnit(max float64) (name string, secs float64) {
	switch {
	case max >= 2*3600:
		return "h", 3600
	case max >= 2*60:
		return "min", 60
	default:
		return "s", 1
	}
}

// byteUnit picks KiB, MiB or GiB for sizes up to max bytes.
func byteUnit(max float64) (name string, size float64) {
	switch {
	case max >= 1<<30:
		return "GiB", 1 << 30
	case max >= 1<<20:
		return "MiB", 1 << 20
	case max >= 1<<10:
		return "KiB", 1 << 10
	default:
		return "bytes", 1
	}
}

// haloLabels are labels drawn on a white box, so that lines under them do
// not cross the text.
type haloLabels struct {
	*plotter.Labels
	fill color.Color
}

func (l haloLabels) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	pad := vg.Points(1.5)
	for i, s := range l.Labels.Labels {
		pt := vg.Point{X: trX(l.XYs[i].X), Y: trY(l.XYs[i].Y)}
		if !c.Contains(pt) {
			continue
		}
		pt = pt.Add(l.Offset)
		r := l.TextStyle[i].Rectangle(s).Add(pt)
		box := []vg.Point{
			{X: r.Min.X - pad, Y: r.Min.Y - pad}, {X: r.Max.X + pad, Y: r.Min.Y - pad},
			{X: r.Max.X + pad, Y: r.Max.Y + pad}, {X: r.Min.X - pad, Y: r.Max.Y + pad},
		}
		c.FillPolygon(l.fill, box)
		c.FillText(l.TextStyle[i], pt, s)
	}
}

// halo puts labels on white boxes.
func halo(l *plotter.Labels) haloLabels { return haloLabels{l, color.White} }
