package plot

import (
	"image/color"
	"math"

	xfont "golang.org/x/image/font"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Default size of a chart: readable at the width of a GitHub pull-request
// comment. PNGs are rendered at DPI dots per inch, so the default PNG is
// 960 x 540 pixels.
const (
	DefaultWidth  = 8 * vg.Inch
	DefaultHeight = 4.5 * vg.Inch
	DPI           = 120
)

// Drawer is anything that can draw itself on a canvas: a *Chart, or a bare
// *gonum.org/v1/plot.Plot.
type Drawer interface {
	Draw(c draw.Canvas)
}

// Chart is a figure ready to save: one or more panels side by side (aligned
// with plot.Align), a title above them, a legend to their right and an
// optional note below them.
type Chart struct {
	// Title is drawn centred above the panels.
	Title string
	// Panels are drawn left to right with aligned axes, in one row, or in
	// rows of Cols panels when Cols is above 0; a nil panel is a blank
	// tile.
	Panels []*gplot.Plot
	Cols   int
	// Legend is drawn to the right of the panels, top aligned. A legend with
	// no entries takes no space.
	Legend gplot.Legend
	// Note is a one-line footnote drawn under the panels, left aligned.
	Note string
	// Width and Height are the suggested size; Save uses them when asked for
	// a zero size.
	Width, Height vg.Length
}

// Fonts and sizes shared by every chart.
var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

const (
	titleSize  = 14
	panelSize  = 12
	labelSize  = 12
	tickSize   = 10.5
	legendSize = 10.5
	annotSize  = 10
	noteSize   = 9.5
)

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(f, size),
		Handler: gplot.DefaultTextHandler,
	}
}

// newChart returns an empty chart with the house legend style.
func newChart(title string) *Chart {
	l := gplot.NewLegend()
	l.TextStyle = textStyle(sans, legendSize, color.Black)
	l.Top = true
	l.Left = true
	l.Padding = vg.Points(3)
	l.ThumbnailWidth = vg.Points(22)
	return &Chart{Title: title, Legend: l, Width: DefaultWidth, Height: DefaultHeight}
}

// addLegend adds one legend entry.
func (ch *Chart) addLegend(name string, thumbs ...gplot.Thumbnailer) {
	ch.Legend.Add(name, thumbs...)
}

// hasLegend reports whether the legend has entries.
func (ch *Chart) hasLegend() bool {
	return ch.Legend.Rectangle(draw.Canvas{}).Size().X > 0
}

// minHeight is the height the chart needs for its legend: a legend of
// many series (a cell each, on a large grid) is not cut off at the bottom.
func (ch *Chart) minHeight() vg.Length {
	if !ch.hasLegend() {
		return 0
	}
	h := ch.Legend.Rectangle(draw.Canvas{}).Size().Y + vg.Points(8+6+18+6)
	if ch.Title != "" {
		h += textStyle(sansBold, titleSize, color.Black).Rectangle(ch.Title).Size().Y
	}
	if ch.Note != "" {
		h += textStyle(sans, noteSize, color.Black).Rectangle(ch.Note).Size().Y + vg.Points(4)
	}
	return h
}

// newPanel returns a plot with the house style: sans fonts, light grid,
// labelled axes.
func newPanel(title, xlabel, ylabel string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.Title.TextStyle = textStyle(sansBold, panelSize, color.Black)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(4)
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Label.Padding = vg.Points(3)
	}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	return p
}

// Draw draws the chart on c: background, title, panels, legend and note.
func (ch *Chart) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	c = draw.Crop(c, vg.Points(6), -vg.Points(8), vg.Points(4), -vg.Points(6))

	if ch.Title != "" {
		sty := textStyle(sansBold, titleSize, color.Black)
		sty.XAlign = draw.XCenter
		sty.YAlign = draw.YTop
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, ch.Title)
		c.Max.Y -= sty.Rectangle(ch.Title).Size().Y + vg.Points(6)
	}
	if ch.Note != "" {
		sty := textStyle(sans, noteSize, color.Gray{Y: 70})
		sty.XAlign = draw.XLeft
		sty.YAlign = draw.YBottom
		c.FillText(sty, c.Min, ch.Note)
		c.Min.Y += sty.Rectangle(ch.Note).Size().Y + vg.Points(4)
	}
	if ch.hasLegend() {
		r := ch.Legend.Rectangle(c)
		w := r.Size().X + vg.Points(12)
		lc := c
		lc.Min.X = c.Max.X - w + vg.Points(10)
		lc.Max.Y -= vg.Points(18) // line the legend up with the panels, not their titles
		ch.Legend.Draw(lc)
		c.Max.X -= w
	}
	switch len(ch.Panels) {
	case 0:
	case 1:
		ch.Panels[0].Draw(c)
	default:
		cols := len(ch.Panels)
		if ch.Cols > 0 && ch.Cols < cols {
			cols = ch.Cols
		}
		var grid [][]*gplot.Plot
		for i, p := range ch.Panels {
			if i%cols == 0 {
				grid = append(grid, make([]*gplot.Plot, cols))
			}
			grid[i/cols][i%cols] = p
		}
		tiles := draw.Tiles{Rows: len(grid), Cols: cols, PadX: vg.Points(10), PadY: vg.Points(14)}
		cs := gplot.Align(grid, tiles, c)
		for i, p := range ch.Panels {
			if p != nil { // a blank tile
				p.Draw(cs[i/cols][i%cols])
			}
		}
	}
}

// Okabe-Ito colours: distinguishable with the common colour-vision
// deficiencies.
var palette = []color.Color{
	rgb(0x00, 0x72, 0xB2), // blue
	rgb(0xE6, 0x9F, 0x00), // orange
	rgb(0x00, 0x9E, 0x73), // bluish green
	rgb(0xCC, 0x79, 0xA7), // reddish purple
	rgb(0xD5, 0x5E, 0x00), // vermillion
	rgb(0x56, 0xB4, 0xE9), // sky blue
	rgb(0x00, 0x00, 0x00), // black
	rgb(0xB8, 0xA2, 0x00), // dark yellow
}

var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{},
	draw.PyramidGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
	draw.CrossGlyph{}, draw.PlusGlyph{},
}

var dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)},
}

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 255} }

func colorAt(i int) color.Color { return palette[i%len(palette)] }

// glyphAt shifts the glyphs by one each time the colours wrap around, so
// that no two of the first len(palette) x len(glyphs) series look alike.
func glyphAt(i int) draw.GlyphDrawer { return glyphs[(i+i/len(palette))%len(glyphs)] }

// dashAt changes dash pattern each time the colours wrap around.
func dashAt(i int) []vg.Length { return dashes[(i/len(palette))%len(dashes)] }

// fade mixes c with white; f=0 is c, f=1 is white.
func fade(c color.Color, f float64) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 {
		x := float64(v>>8)*(1-f) + 255*f
		return uint8(math.Round(x))
	}
	return color.RGBA{R: mix(r), G: mix(g), B: mix(b), A: 255}
}

var (
	gridColor  = color.Gray{Y: 225}
	refColor   = color.Gray{Y: 90}
	alertColor = rgb(0xC0, 0x1B, 0x1B)
)
