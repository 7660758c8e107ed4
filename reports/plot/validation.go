package plot

import (
	"errors"
	"fmt"
	"image/color"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ValidationData is the input of PredictedVsMeasured: predictions checked
// against real builds.
type ValidationData struct {
	// Title replaces the default title when not empty.
	Title  string
	Points []ValidationPoint
}

// ValidationPoint is one configuration's predicted and measured wall time
// in seconds, each a median with its interval.
type ValidationPoint struct {
	Name                string
	Predicted, Measured Interval
}

// PredictedVsMeasured draws measured (y) against predicted (x) wall time on
// equal axes, with interval bars in both directions, the y = x line and a
// ±10% band around it. Points are labelled with their names.
func PredictedVsMeasured(d ValidationData) (*Chart, error) {
	if len(d.Points) == 0 {
		return nil, errors.New("predicted-vs-measured chart: no points")
	}
	vs := newSpan()
	for _, pt := range d.Points {
		for _, iv := range []Interval{pt.Predicted, pt.Measured} {
			if err := iv.check(); err != nil {
				return nil, fmt.Errorf("predicted-vs-measured chart: %q: %w", pt.Name, err)
			}
			if err := nonNegative(iv.Median, iv.lo()); err != nil {
				return nil, fmt.Errorf("predicted-vs-measured chart: %q: %w", pt.Name, err)
			}
			vs.add(iv.lo(), iv.hi())
		}
	}
	unit, per := durationUnit(vs.max)
	vs = span{vs.min / per, vs.max / per}
	lo, hi := vs.padded(0.12)
	lo = max(lo, 0)
	title := d.Title
	if title == "" {
		title = "Predicted vs measured wall time"
	}
	ch := newChart(title)
	p := newPanel("", fmt.Sprintf("predicted (%s)", unit), fmt.Sprintf("measured (%s)", unit))
	p.Add(grid(true, true))
	band := rgb(0xDD, 0xEB, 0xF7)
	p.Add(&plotter.Polygon{
		XYs:       []plotter.XYs{{{X: lo, Y: 0.9 * lo}, {X: hi, Y: 0.9 * hi}, {X: hi, Y: 1.1 * hi}, {X: lo, Y: 1.1 * lo}}},
		Color:     band,
		LineStyle: draw.LineStyle{Color: band, Width: vg.Points(0.25)},
	})
	diag := draw.LineStyle{Color: refColor, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
	p.Add(segment(lo, lo, hi, hi, diag))
	col := rgb(0x00, 0x72, 0xB2)
	n := len(d.Points)
	xys := make(plotter.XYs, n)
	xs, ys := make([]float64, n), make([]float64, n)
	pred, meas := make([]Interval, n), make([]Interval, n)
	names := make([]string, n)
	for i, pt := range d.Points {
		pred[i], meas[i] = pt.Predicted.scale(1/per), pt.Measured.scale(1/per)
		xs[i], ys[i] = pred[i].Median, meas[i].Median
		xys[i] = plotter.XY{X: xs[i], Y: ys[i]}
		names[i] = pt.Name
	}
	bar := draw.LineStyle{Color: col, Width: vg.Points(1.4)}
	if eb := xErrors(ys, pred, bar); eb != nil {
		p.Add(eb)
	}
	if eb := yErrors(xs, meas, bar); eb != nil {
		p.Add(eb)
	}
	glyph := draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
	p.Add(&plotter.Scatter{XYs: xys, GlyphStyle: glyph})
	p.Add(haloLabels{labels(xys, names, labelStyle{xalign: draw.XLeft, yalign: draw.YBottom, dx: vg.Points(6), dy: vg.Points(4), color: color.Gray{Y: 30}}), color.NRGBA{R: 255, G: 255, B: 255, A: 200}})
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = lo, hi
	p.X.Tick.Marker = ticks{}
	p.Y.Tick.Marker = ticks{}
	ch.Panels = []*gplot.Plot{p}
	ch.addLegend("configuration (median)", glyphThumb{glyph})
	ch.addLegend("prediction intervals", whiskerThumb{sty: bar, horizontal: true})
	ch.addLegend("measured = predicted", lineThumb{diag})
	ch.addLegend("±10%", rectThumb{fill: band})
	// Equal axes: a square data area reads best.
	ch.Width = 7.5 * vg.Inch
	ch.Height = 5 * vg.Inch
	return ch, nil
}
