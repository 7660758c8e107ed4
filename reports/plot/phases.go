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

// PhaseData is the input of Phases: where each image's time goes, per cell.
type PhaseData struct {
	// Title replaces the default title when not empty.
	Title string
	// Stat names the statistic in the axis label, e.g. "mean" (the default;
	// means of phases add up to the mean total, medians do not).
	Stat  string
	Cells []PhaseCell
}

// PhaseCell is one configuration's per-image seconds by phase.
type PhaseCell struct {
	Name    string
	Seconds PhaseSeconds
}

// PhaseSeconds holds seconds per image in each phase of a build; the
// phases are stacked, so ImageExport is the export's time besides its
// layer pushes (LayerPush), which BuildKit reports inside it.
type PhaseSeconds struct {
	Exec, ImageExport, LayerPush, CacheExport, CacheImport, Queue, Other float64
}

// phaseNames and phaseColors are in stacking order, left to right.
var phaseNames = []string{"exec", "image export (besides push)", "layer push", "cache export", "cache import", "queue", "other"}

var phaseColors = []color.Color{
	rgb(0x00, 0x72, 0xB2), rgb(0xE6, 0x9F, 0x00), rgb(0xD5, 0x5E, 0x00),
	rgb(0x00, 0x9E, 0x73), rgb(0x56, 0xB4, 0xE9), rgb(0x99, 0x99, 0x99), rgb(0xCC, 0x79, 0xA7),
}

func (s PhaseSeconds) values() []float64 {
	return []float64{s.Exec, s.ImageExport, s.LayerPush, s.CacheExport, s.CacheImport, s.Queue, s.Other}
}

// Phases draws one stacked horizontal bar per cell (first cell at the top)
// of seconds per image in each phase, with the total at the end of the bar.
// The suggested height grows with the number of cells.
func Phases(d PhaseData) (*Chart, error) {
	if len(d.Cells) == 0 {
		return nil, errors.New("phases chart: no cells")
	}
	for _, c := range d.Cells {
		if err := nonNegative(c.Seconds.values()...); err != nil {
			return nil, fmt.Errorf("phases chart: cell %q: %w", c.Name, err)
		}
	}
	title := d.Title
	if title == "" {
		title = "Where the time goes: seconds per image by phase"
	}
	stat := d.Stat
	if stat == "" {
		stat = "mean"
	}
	sum := ""
	ch := newChart(title)
	if stat != "mean" {
		// Medians of the phases do not add up to the median wall time:
		// the bar's end is their sum, and says so.
		sum = "Σ "
		ch.Note = "Σ: a bar ends at the sum of its phases' " + stat + "s, which is not the " + stat + " wall time of an image."
	}
	p := newPanel("", stat+" time per image (s)", "")
	p.Add(grid(true, false))
	n := len(d.Cells)
	names := make([]string, n)
	xs := newSpan()
	xs.add(0)
	used := make([]bool, len(phaseNames))
	var totXY plotter.XYs
	var totS []string
	for i, c := range d.Cells {
		y := float64(n - 1 - i)
		names[n-1-i] = c.Name
		x := 0.0
		for k, v := range c.Seconds.values() {
			if v == 0 {
				continue
			}
			used[k] = true
			p.Add(rect(x, x+v, y-0.36, y+0.36, phaseColors[k], color.White))
			x += v
		}
		xs.add(x)
		totXY = append(totXY, plotter.XY{X: x, Y: y})
		totS = append(totS, sum+num(x)+" s")
	}
	p.Add(labels(totXY, totS, labelStyle{xalign: draw.XLeft, yalign: draw.YCenter, dx: vg.Points(4)}))
	lo, hi := xs.fromZero(0.04)
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	p.X.Tick.Marker = ticks{}
	p.Y.Tick.Marker = category(names)
	p.Y.Tick.Length = 0
	p.Y.Padding = 0
	for k, name := range phaseNames {
		if used[k] {
			ch.addLegend(name, rectThumb{fill: phaseColors[k]})
		}
	}
	ch.Panels = []*gplot.Plot{p}
	if h := vg.Length(n)*0.32*vg.Inch + 1.3*vg.Inch; h > ch.Height {
		ch.Height = h
	}
	return ch, nil
}
