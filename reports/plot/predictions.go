package plot

import (
	"errors"
	"fmt"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PredictionData is the input of Predictions: the predicted wall time of
// the full build for each configuration.
type PredictionData struct {
	// Title replaces the default title when not empty.
	Title   string
	Configs []PredictedConfig
	// DeadlineSeconds draws a vertical deadline line when positive.
	DeadlineSeconds float64
	// IntervalLabel names the intervals in the legend (default "95%
	// interval"); predictions are usually 90% prediction intervals.
	IntervalLabel string
	// Duration writes a number of seconds as the labels and the deadline
	// show it, the report's format (1m04s: a decimal "1.06 min" reads as
	// 1m06s beside tables that say 1m04s); nil writes the number in the
	// axis' unit.
	Duration func(seconds float64) string
}

// PredictedConfig is one configuration's predicted full-build time in
// seconds (median and interval).
type PredictedConfig struct {
	Name     string
	Seconds  Interval
	Baseline bool
}

// Predictions draws one row per configuration (first at the top): the
// median as a dot and the interval as a bar, labelled with its value
// (written by d.Duration when set). The axis unit (s, min or h) is chosen by
// magnitude and named in the axis label.
// Baseline rows are highlighted; the deadline, when given, is a vertical
// dashed line.
func Predictions(d PredictionData) (*Chart, error) {
	if len(d.Configs) == 0 {
		return nil, errors.New("predictions chart: no configurations")
	}
	if err := nonNegative(d.DeadlineSeconds); err != nil {
		return nil, fmt.Errorf("predictions chart: deadline: %w", err)
	}
	top := d.DeadlineSeconds
	for _, c := range d.Configs {
		if err := c.Seconds.check(); err != nil {
			return nil, fmt.Errorf("predictions chart: %q: %w", c.Name, err)
		}
		if err := nonNegative(c.Seconds.Median, c.Seconds.lo()); err != nil {
			return nil, fmt.Errorf("predictions chart: %q: %w", c.Name, err)
		}
		top = max(top, c.Seconds.hi())
	}
	unit, per := durationUnit(top)
	title := d.Title
	if title == "" {
		title = "Predicted wall time of the full build"
	}
	ch := newChart(title)
	p := newPanel("", fmt.Sprintf("predicted full-build time (%s)", unit), "")
	p.Add(grid(true, false))
	n := len(d.Configs)
	names := make([]string, n)
	xs := newSpan()
	xs.add(0)
	base := rgb(0xD5, 0x5E, 0x00)
	other := rgb(0x00, 0x72, 0xB2)
	highlight := rgb(0xFF, 0xF1, 0xC9)
	hasBase := false
	for _, c := range d.Configs {
		xs.add(c.Seconds.hi() / per)
	}
	if d.DeadlineSeconds > 0 {
		xs.add(d.DeadlineSeconds / per)
	}
	lo, hi := xs.fromZero(0.05)
	// Baseline highlight bands go first, under everything else.
	for i, c := range d.Configs {
		if c.Baseline {
			y := float64(n - 1 - i)
			p.Add(rect(lo, hi, y-0.5, y+0.5, highlight, nil))
			hasBase = true
		}
	}
	dur := d.Duration
	if dur == nil {
		dur = func(sec float64) string { return num(sec/per) + " " + unit }
	}
	if d.DeadlineSeconds > 0 {
		x := d.DeadlineSeconds / per
		sty := draw.LineStyle{Color: alertColor, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
		p.Add(segment(x, -0.5, x, float64(n)-0.5, sty))
		ch.addLegend("deadline "+dur(d.DeadlineSeconds), vlineThumb{sty})
	}
	var lxy, bxy plotter.XYs
	var ls, bs []string
	for i, c := range d.Configs {
		y := float64(n - 1 - i)
		names[n-1-i] = c.Name
		iv := c.Seconds.scale(1 / per)
		col := other
		if c.Baseline {
			col = base
		}
		if eb := xErrors([]float64{y}, []Interval{iv}, draw.LineStyle{Color: col, Width: vg.Points(2)}); eb != nil {
			eb.CapWidth = vg.Points(8)
			p.Add(eb)
		}
		p.Add(&plotter.Scatter{XYs: plotter.XYs{{X: iv.Median, Y: y}}, GlyphStyle: draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}})
		s := dur(c.Seconds.Median)
		if !iv.noInterval() {
			s += fmt.Sprintf(" (%s–%s)", dur(c.Seconds.Lo), dur(c.Seconds.Hi))
		}
		if c.Baseline {
			bxy = append(bxy, plotter.XY{X: iv.hi(), Y: y})
			bs = append(bs, s)
		} else {
			lxy = append(lxy, plotter.XY{X: iv.hi(), Y: y})
			ls = append(ls, s)
		}
	}
	vsty := labelStyle{xalign: draw.XLeft, yalign: draw.YCenter, dx: vg.Points(8)}
	if len(lxy) > 0 {
		p.Add(halo(labels(lxy, ls, vsty)))
	}
	if len(bxy) > 0 {
		p.Add(haloLabels{labels(bxy, bs, vsty), highlight})
	}
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.Y.Padding = 0
	p.X.Tick.Marker = ticks{}
	p.Y.Tick.Marker = category(names)
	p.Y.Tick.Length = 0
	ch.Panels = []*gplot.Plot{p}
	ch.addLegend("median", glyphThumb{draw.GlyphStyle{Color: other, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}})
	label := d.IntervalLabel
	if label == "" {
		label = "95% interval"
	}
	ch.addLegend(label, whiskerThumb{sty: draw.LineStyle{Color: other, Width: vg.Points(2)}, horizontal: true})
	if hasBase {
		ch.addLegend("baseline", rectThumb{fill: highlight}, glyphThumb{draw.GlyphStyle{Color: base, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}})
	}
	if h := vg.Length(n)*0.32*vg.Inch + 1.3*vg.Inch; h > ch.Height {
		ch.Height = h
	}
	return ch, nil
}
