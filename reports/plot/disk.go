package plot

import (
	"errors"
	"fmt"
	"sort"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// DiskData is the input of DiskUse: BuildKit's disk use as images are built.
type DiskData struct {
	// Title replaces the default title when not empty.
	Title  string
	Series []DiskSeries
	// PruneThresholdBytes draws a horizontal threshold line when positive.
	PruneThresholdBytes float64
}

// DiskSeries is one run's disk use samples and prune events.
type DiskSeries struct {
	Name   string
	Points []DiskPoint
	// Prunes are the image counts at which a prune ran.
	Prunes []float64
}

// DiskPoint is BuildKit's disk use in bytes after Images images were built.
type DiskPoint struct {
	Images float64
	Bytes  float64
}

// DiskUse draws disk use (GiB or MiB by magnitude) against images built,
// one line per series, prune events as markers on the line and the prune
// threshold as a dashed horizontal line.
func DiskUse(d DiskData) (*Chart, error) {
	if err := nonNegative(d.PruneThresholdBytes); err != nil {
		return nil, fmt.Errorf("disk chart: prune threshold: %w", err)
	}
	top := d.PruneThresholdBytes
	points := 0
	for _, s := range d.Series {
		for _, pt := range s.Points {
			if err := nonNegative(pt.Images, pt.Bytes); err != nil {
				return nil, fmt.Errorf("disk chart: series %q: %w", s.Name, err)
			}
			top = max(top, pt.Bytes)
		}
		if err := nonNegative(s.Prunes...); err != nil {
			return nil, fmt.Errorf("disk chart: series %q prunes: %w", s.Name, err)
		}
		points += len(s.Points)
	}
	if points == 0 {
		return nil, errors.New("disk chart: no points")
	}
	unit, per := "MiB", float64(1<<20)
	if top >= 1<<30 {
		unit, per = "GiB", 1<<30
	}
	title := d.Title
	if title == "" {
		title = "BuildKit disk use while building"
	}
	ch := newChart(title)
	p := newPanel("", "images built", fmt.Sprintf("BuildKit disk use (%s)", unit))
	p.Add(grid(true, true))
	xs, ys := newSpan(), newSpan()
	ys.add(0)
	prune := draw.GlyphStyle{Color: alertColor, Radius: vg.Points(4.5), Shape: draw.PyramidGlyph{}}
	anyPrune := false
	for i, s := range d.Series {
		if len(s.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.Points))
		for j, pt := range s.Points {
			xys[j] = plotter.XY{X: pt.Images, Y: pt.Bytes / per}
			xs.add(pt.Images)
			ys.add(pt.Bytes / per)
		}
		sort.SliceStable(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
		sty := draw.LineStyle{Color: colorAt(i), Width: vg.Points(1.8), Dashes: dashAt(i)}
		p.Add(&plotter.Line{XYs: xys, LineStyle: sty})
		thumbs := []gplot.Thumbnailer{lineThumb{sty}}
		if len(xys) <= 40 {
			g := draw.GlyphStyle{Color: colorAt(i), Radius: vg.Points(2.2), Shape: glyphAt(i)}
			p.Add(&plotter.Scatter{XYs: xys, GlyphStyle: g})
			thumbs = append(thumbs, glyphThumb{g})
		}
		ch.addLegend(s.Name, thumbs...)
		if len(s.Prunes) > 0 {
			pxys := make(plotter.XYs, len(s.Prunes))
			for j, x := range s.Prunes {
				pxys[j] = plotter.XY{X: x, Y: interpolate(xys, x)}
				xs.add(x)
			}
			p.Add(&plotter.Scatter{XYs: pxys, GlyphStyle: prune})
			anyPrune = true
		}
	}
	if d.PruneThresholdBytes > 0 {
		ys.add(d.PruneThresholdBytes / per)
	}
	xlo, xhi := xs.padded(0.02)
	xlo = max(xlo, 0)
	ylo, yhi := ys.fromZero(0.1)
	if d.PruneThresholdBytes > 0 {
		y := d.PruneThresholdBytes / per
		sty := draw.LineStyle{Color: alertColor, Width: vg.Points(1.3), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
		p.Add(segment(xlo, y, xhi, y, sty))
		p.Add(halo(label(xhi, y, "prune threshold "+num(y)+" "+unit, labelStyle{xalign: draw.XRight, yalign: draw.YBottom, color: alertColor, dx: -vg.Points(3), dy: vg.Points(2)})))
		ch.addLegend("prune threshold", lineThumb{sty})
	}
	if anyPrune {
		ch.addLegend("prune", glyphThumb{prune})
	}
	p.X.Min, p.X.Max = xlo, xhi
	p.Y.Min, p.Y.Max = ylo, yhi
	p.X.Tick.Marker = countTicks{}
	p.Y.Tick.Marker = ticks{}
	ch.Panels = []*gplot.Plot{p}
	return ch, nil
}

// interpolate returns the line's y at x (sorted by x), holding the end
// values beyond its ends.
func interpolate(xys plotter.XYs, x float64) float64 {
	if x <= xys[0].X {
		return xys[0].Y
	}
	for i := 1; i < len(xys); i++ {
		if x <= xys[i].X {
			a, b := xys[i-1], xys[i]
			if b.X == a.X {
				return b.Y
			}
			return a.Y + (b.Y-a.Y)*(x-a.X)/(b.X-a.X)
		}
	}
	return xys[len(xys)-1].Y
}
