package plot

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BytesData is the input of BytesPushed: bytes pushed to the registry per
// image, one bar per cache mode (or any other grouping the caller names).
type BytesData struct {
	// Title replaces the default title when not empty.
	Title string
	// Group is the x-axis label; default "cache mode".
	Group string
	Bars  []BytesBar
	// IntervalLabel names the whiskers in the legend (default "95% CI"):
	// over fewer than 6 cells a bar's interval is the cells' range.
	IntervalLabel string
}

// BytesBar is one bar: the median bytes pushed per image with its interval.
type BytesBar struct {
	Name  string
	Bytes Interval
}

// BytesPushed draws one bar per entry, in order, with CI whiskers and the
// median written above. The unit (KiB, MiB or GiB) is chosen by magnitude
// and named in the axis label.
func BytesPushed(d BytesData) (*Chart, error) {
	if len(d.Bars) == 0 {
		return nil, errors.New("bytes-pushed chart: no bars")
	}
	top := 0.0
	for _, b := range d.Bars {
		if err := b.Bytes.check(); err != nil {
			return nil, fmt.Errorf("bytes-pushed chart: %q: %w", b.Name, err)
		}
		if err := nonNegative(b.Bytes.Median, b.Bytes.lo()); err != nil {
			return nil, fmt.Errorf("bytes-pushed chart: %q: %w", b.Name, err)
		}
		top = max(top, b.Bytes.hi())
	}
	unit, per := byteUnit(top)
	title := d.Title
	if title == "" {
		title = "Bytes pushed to the registry per image"
	}
	ch := newChart(title)
	group := d.Group
	if group == "" {
		group = "cache mode"
	}
	barColor := fade(colorAt(0), 0.15)
	p := newPanel("", group, fmt.Sprintf("pushed per image (%s)", unit))
	p.Add(grid(false, true))
	n := len(d.Bars)
	names := make([]string, n)
	xs := make([]float64, n)
	ivs := make([]Interval, n)
	ys := newSpan()
	var lxy plotter.XYs
	var ls []string
	for i, b := range d.Bars {
		iv := b.Bytes.scale(1 / per)
		x := float64(i)
		names[i], xs[i], ivs[i] = b.Name, x, iv
		p.Add(rect(x-0.32, x+0.32, 0, iv.Median, barColor, color.White))
		ys.add(iv.hi())
		lxy = append(lxy, plotter.XY{X: x, Y: iv.hi()})
		ls = append(ls, num(iv.Median)+" "+unit)
	}
	whisker := draw.LineStyle{Color: color.Black, Width: vg.Points(1.4)}
	if eb := yErrors(xs, ivs, whisker); eb != nil {
		eb.CapWidth = vg.Points(10)
		p.Add(eb)
	}
	p.Add(labels(lxy, ls, labelStyle{xalign: draw.XCenter, yalign: draw.YBottom, dy: vg.Points(4), bold: true}))
	lo, hi := ys.fromZero(0.12)
	p.Y.Min, p.Y.Max = lo, hi
	p.X.Min, p.X.Max = -0.6, float64(n)-0.4
	p.X.Padding = 0
	p.X.Tick.Marker = category(names)
	p.X.Tick.Length = 0
	p.Y.Tick.Marker = ticks{}
	ch.Panels = []*gplot.Plot{p}
	ch.addLegend("median per image", rectThumb{fill: barColor})
	ch.addLegend(cmp.Or(d.IntervalLabel, "95% CI"), whiskerThumb{sty: whisker})
	return ch, nil
}
