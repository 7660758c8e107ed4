package plot

import (
	"errors"
	"fmt"
	"slices"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ECDFData is the input of ECDF: per-image wall times, one series per cell.
type ECDFData struct {
	// Title replaces the default title when not empty.
	Title  string
	Series []ECDFSeries
}

// ECDFSeries is one cell's per-image wall times in seconds.
type ECDFSeries struct {
	Name    string
	Seconds []float64
}

// ECDF draws the empirical cumulative distribution of per-image wall time,
// one step line per series, with reference lines at the median and p90.
// Series with no values are skipped; at least one must have values.
func ECDF(d ECDFData) (*Chart, error) {
	title := d.Title
	if title == "" {
		title = "Per-image wall time, cumulative distribution"
	}
	ch := newChart(title)
	p := newPanel("", "wall time per image (s)", "fraction of images (≤ x)")
	p.Add(grid(true, true))
	xs := newSpan()
	drawn := 0
	for i, s := range d.Series {
		if len(s.Seconds) == 0 {
			continue
		}
		if err := nonNegative(s.Seconds...); err != nil {
			return nil, fmt.Errorf("ecdf chart: series %q: %w", s.Name, err)
		}
		v := slices.Clone(s.Seconds)
		slices.Sort(v)
		n := float64(len(v))
		xys := make(plotter.XYs, 0, len(v)+1)
		xys = append(xys, plotter.XY{X: v[0], Y: 0})
		for j, x := range v {
			xys = append(xys, plotter.XY{X: x, Y: float64(j+1) / n})
		}
		xs.add(v[0], v[len(v)-1])
		sty := draw.LineStyle{Color: colorAt(i), Width: vg.Points(1.8), Dashes: dashAt(i)}
		p.Add(&plotter.Line{XYs: xys, LineStyle: sty, StepStyle: plotter.PostStep})
		ch.addLegend(fmt.Sprintf("%s (n=%d)", s.Name, len(v)), lineThumb{sty})
		drawn++
	}
	if drawn == 0 {
		return nil, errors.New("ecdf chart: no series with values")
	}
	lo, hi := xs.padded(0.03)
	if lo < 0 && xs.min >= 0 {
		lo = 0
	}
	// Times that span more than wideRange (1 s images beside 10 min ones)
	// go on a log axis: on a linear one the fast cells' curves are one
	// line at the left edge.
	logX := xs.min > 0 && xs.max/xs.min > wideRange
	if logX {
		lo, hi = xs.min/1.1, xs.max*1.1
	}
	ref := draw.LineStyle{Color: refColor, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(3)}}
	for _, q := range []struct {
		y    float64
		name string
	}{{0.5, "median"}, {0.9, "p90"}} {
		p.Add(segment(lo, q.y, hi, q.y, ref))
		// At the right end, under the line: every curve has risen past
		// it there (an ECDF only rises), so none crosses the label, as
		// the fastest series did at the left.
		p.Add(label(hi, q.y, q.name, labelStyle{xalign: draw.XRight, yalign: draw.YTop, color: refColor, dx: vg.Points(-3), dy: vg.Points(-1)}))
	}
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, 1.02
	p.X.Tick.Marker = ticks{}
	if logX {
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		p.X.Label.Text = "wall time per image (s, log scale)"
	}
	p.Y.Tick.Marker = ticks{}
	ch.Panels = []*gplot.Plot{p}
	return ch, nil
}
