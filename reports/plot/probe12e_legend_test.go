package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series styles repeated after eight: the colours and the glyphs cycled
// with the same period, so on a 12-series throughput chart (cache x
// strategy x batch) "cache max, single, batch 3" and "cache min, single,
// stream" were the same blue circle, and a reader could not tell which
// points were which. Every series of a chart of up to 64 has its own
// colour and glyph; of up to 32, its own colour and dash pattern.
func TestProbe12eSeriesStylesDistinct(t *testing.T) {
	type cg struct {
		c color.Color
		g string
	}
	seen := map[cg]int{}
	for i := range len(palette) * len(glyphs) {
		k := cg{colorAt(i), fmt.Sprintf("%T", glyphAt(i))}
		if j, ok := seen[k]; ok {
			t.Fatalf("series %d and %d have the same colour and glyph", j, i)
		}
		seen[k] = i
	}
}

// On a 60-cell grid the ECDF's legend of 60 cells ran past the bottom of
// the 4.5-inch chart: 24 entries were drawn, the other 36 cut off. A chart
// is tall enough for its legend.
func TestProbe12eLegendFits(t *testing.T) {
	var d ECDFData
	for i := range 60 {
		d.Series = append(d.Series, ECDFSeries{Name: fmt.Sprintf("w%d-stream-off-three-phase", i), Seconds: []float64{10 + float64(i), 12 + float64(i), 20 + float64(i)}})
	}
	ch, err := ECDF(d)
	if err != nil {
		t.Fatal(err)
	}
	legend := ch.Legend.Rectangle(draw.Canvas{}).Size().Y
	_, h, err := size(ch, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h < legend+vg.Inch/2 {
		t.Errorf("chart height %v for a legend of %v", h, legend)
	}
	b, err := PNG(ch, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if px := float64(img.Bounds().Dy()); px < float64(legend)/72*DPI {
		t.Errorf("PNG %v px high for a legend of %v", px, legend)
	}
}
