package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// HeatData is the input of Heatmap: median throughput of each workers x
// batch cell, for each cache mode.
type HeatData struct {
	// Title replaces the default title when not empty.
	Title string
	Cells []HeatCell
	// Failed are the cells whose every build failed (ImagesPerHour is
	// ignored): each is labelled "failed" in grey, outside the colour
	// scale, and is never the best.
	Failed []HeatCell
}

// HeatCell is one grid cell. Batch 0 means stream (no batch barrier).
type HeatCell struct {
	// CacheMode names the cell's panel (a column).
	CacheMode     string
	Workers       int
	Batch         int
	ImagesPerHour float64
	// Row, when cells set it, names a row of panels (a registry
	// condition, say).
	Row string
}

// Heatmap draws one panel per cache mode (in order of first appearance),
// side by side with aligned axes and one shared colour scale (a row of
// them per HeatCell.Row when the cells name rows): workers on y,
// batch size on x (stream last), each cell filled by its median images/hour
// and labelled with it. The best cell overall (of each row, when there
// are rows) is outlined. Missing cells
// are left blank and labelled "n/a".
func Heatmap(d HeatData) (*Chart, error) {
	if len(d.Cells) == 0 {
		return nil, errors.New("heatmap chart: no cells")
	}
	var modes, rowNames []string
	wset, bset := map[int]bool{}, map[int]bool{}
	type key struct {
		row, mode string
		workers   int
		batch     int
	}
	vals := map[key]float64{}
	failed := map[key]bool{}
	vs := newSpan()
	all := slices.Concat(d.Cells, d.Failed)
	for i, c := range all {
		if c.Workers < 1 || c.Batch < 0 {
			return nil, fmt.Errorf("heatmap chart: cell %s workers %d batch %d is out of range", c.CacheMode, c.Workers, c.Batch)
		}
		if err := nonNegative(c.ImagesPerHour); err != nil {
			return nil, fmt.Errorf("heatmap chart: cell %s workers %d batch %d: %w", c.CacheMode, c.Workers, c.Batch, err)
		}
		k := key{c.Row, c.CacheMode, c.Workers, c.Batch}
		if _, dup := vals[k]; dup {
			return nil, fmt.Errorf("heatmap chart: cell %s workers %d batch %d appears twice", strings.TrimSpace(c.CacheMode+" "+c.Row), c.Workers, c.Batch)
		}
		if !slices.Contains(modes, c.CacheMode) {
			modes = append(modes, c.CacheMode)
		}
		if !slices.Contains(rowNames, c.Row) {
			rowNames = append(rowNames, c.Row)
		}
		vals[k] = c.ImagesPerHour
		wset[c.Workers], bset[c.Batch] = true, true
		if i >= len(d.Cells) {
			failed[k] = true
			continue
		}
		vs.add(c.ImagesPerHour)
	}
	best := bestByRow(d.Cells)
	workers := sortedKeys(wset)
	batches := sortedKeys(bset)
	if batches[0] == 0 { // stream goes last: it is the limit of a large batch
		batches = append(batches[1:], 0)
	}
	bnames := make([]string, len(batches))
	for i, b := range batches {
		bnames[i] = fmt.Sprint(b)
		if b == 0 {
			bnames[i] = "stream"
		}
	}
	wnames := make([]string, len(workers))
	for i, w := range workers {
		wnames[i] = fmt.Sprint(w)
	}

	title := d.Title
	if title == "" {
		title = "Median throughput by workers x batch size (images/hour)"
	}
	ch := newChart(title)
	// More than three panels of one row wrap into rows of three, so that
	// each keeps the width of its title; a row of panels never holds two
	// conditions (the last one of a condition is padded with blanks).
	cols := min(len(modes), maxHeatCols)
	type panel struct {
		row, mode string
		blank     bool
	}
	var panels []panel
	for _, r := range rowNames {
		for _, m := range modes {
			panels = append(panels, panel{row: r, mode: m})
		}
		for len(rowNames) > 1 && r != rowNames[len(rowNames)-1] && len(panels)%cols != 0 {
			panels = append(panels, panel{blank: true})
		}
	}
	for i, pn := range panels {
		if pn.blank {
			ch.Panels = append(ch.Panels, nil)
			continue
		}
		m := pn.mode
		ylabel := ""
		if i%cols == 0 {
			ylabel = "workers"
		}
		// The row's condition is in each panel's title: as a y label it
		// would run past a short panel (two worker rows) and be cut.
		ptitle := "cache " + m
		if pn.row != "" {
			ptitle += ", " + pn.row
		}
		p := newPanel(ptitle, "batch size (images)", ylabel)
		p.X.Padding, p.Y.Padding = 0, 0
		var lxy plotter.XYs
		var ls []string
		var light, dark plotter.XYs
		var lightS, darkS []string
		for bi, b := range batches {
			for wi, w := range workers {
				x, y := float64(bi), float64(wi)
				v, ok := vals[key{pn.row, m, w, b}]
				if !ok || failed[key{pn.row, m, w, b}] {
					p.Add(rect(x-0.5, x+0.5, y-0.5, y+0.5, color.Gray{Y: 245}, color.White))
					lxy = append(lxy, plotter.XY{X: x, Y: y})
					if ok {
						ls = append(ls, "failed")
					} else {
						ls = append(ls, "n/a")
					}
					continue
				}
				t := norm(v, vs)
				p.Add(rect(x-0.5, x+0.5, y-0.5, y+0.5, heatColor(t), color.White))
				if t > 0.55 {
					light = append(light, plotter.XY{X: x, Y: y})
					lightS = append(lightS, num(v))
				} else {
					dark = append(dark, plotter.XY{X: x, Y: y})
					darkS = append(darkS, num(v))
				}
			}
		}
		if b, ok := best[pn.row]; ok && b.CacheMode == m {
			x, y := float64(slices.Index(batches, b.Batch)), float64(slices.Index(workers, b.Workers))
			box := rect(x-0.46, x+0.46, y-0.46, y+0.46, nil, color.Black)
			box.LineStyle.Width = vg.Points(2.5)
			box.Color = nil
			p.Add(box)
		}
		center := labelStyle{xalign: draw.XCenter, yalign: draw.YCenter, size: 11, bold: true}
		if len(dark) > 0 {
			p.Add(labels(dark, darkS, center))
		}
		if len(light) > 0 {
			c := center
			c.color = color.White
			p.Add(labels(light, lightS, c))
		}
		if len(lxy) > 0 {
			c := center
			c.color = color.Gray{Y: 150}
			c.bold = false
			p.Add(labels(lxy, ls, c))
		}
		p.X.Min, p.X.Max = -0.5, float64(len(batches))-0.5
		p.Y.Min, p.Y.Max = -0.5, float64(len(workers))-0.5
		p.X.Tick.Marker = category(bnames)
		p.Y.Tick.Marker = category(wnames)
		p.X.Tick.Length, p.Y.Tick.Length = 0, 0
		p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
		ch.Panels = append(ch.Panels, p)
	}

	// Colour key: three swatches spanning the scale, and the best cell.
	lo, hi := vs.min, vs.max
	for _, v := range []float64{hi, (lo + hi) / 2, lo} {
		if vs.empty() { // every cell failed
			break
		}
		ch.addLegend(num(v)+" img/h", rectThumb{fill: heatColor(norm(v, vs))})
		if lo == hi {
			break
		}
	}
	bestLabel := "best cell"
	if len(rowNames) > 1 {
		bestLabel = "best cell of its row"
	}
	ch.addLegend(bestLabel, rectThumb{fill: color.White, outline: color.Black})
	rows := (len(panels) + cols - 1) / cols
	if len(panels) > cols {
		ch.Cols = cols
	}
	// Cells are square-ish when each panel gets at least ~0.6in per
	// column; a panel is never narrower than its title.
	panelW := vg.Length(len(batches)) * 0.6 * vg.Inch
	tsty := textStyle(sansBold, panelSize, color.Black)
	for _, p := range ch.Panels {
		if p != nil {
			panelW = max(panelW, tsty.Rectangle(p.Title.Text).Size().X+0.3*vg.Inch)
		}
	}
	if w := vg.Length(cols)*panelW + 2.5*vg.Inch; w > ch.Width {
		ch.Width = w
	}
	if h := vg.Length(rows)*(vg.Length(len(workers))*0.6*vg.Inch+0.9*vg.Inch) + 0.6*vg.Inch; h > ch.Height {
		ch.Height = h
	}
	return ch, nil
}

// maxHeatCols is the most heat-map panels side by side.
const maxHeatCols = 3

// norm maps v into [0, 1] over the span; a span of one value maps to 0.75.
func norm(v float64, s span) float64 {
	if s.max == s.min {
		return 0.75
	}
	return (v - s.min) / (s.max - s.min)
}

// heatColor is a sequential light-to-dark blue scale for t in [0, 1].
func heatColor(t float64) color.Color {
	stops := []color.RGBA{rgb(0xEF, 0xF3, 0xFF), rgb(0x6B, 0xAE, 0xD6), rgb(0x08, 0x45, 0x94)}
	t = math.Max(0, math.Min(1, t))
	f := t * float64(len(stops)-1)
	i := int(f)
	if i >= len(stops)-1 {
		return stops[len(stops)-1]
	}
	f -= float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-f) + float64(y)*f)) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}

func sortedKeys(m map[int]bool) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// bestByRow returns the cell of highest throughput of each row (the first
// of equals): the rows are conditions, not choices, so each has its best.
func bestByRow(cells []HeatCell) map[string]HeatCell {
	best := map[string]HeatCell{}
	for _, c := range cells {
		if b, ok := best[c.Row]; !ok || c.ImagesPerHour > b.ImagesPerHour {
			best[c.Row] = c
		}
	}
	return best
}
