package plot

import (
	"strings"
	"testing"
)

// A cell whose every build failed was drawn as "0" images/hour, the
// lightest colour of the scale, which it stretched down to 0: the measured
// cells (148 to 339) were squeezed into the dark half, and the legend read
// "0 img/h" as if some setting had been measured that slow. A failed cell
// is labelled "failed" in grey, outside the colour scale.
func TestProbe12eHeatmapFailedCell(t *testing.T) {
	cells := []HeatCell{
		{CacheMode: "off", Workers: 1, Batch: 3, ImagesPerHour: 148},
		{CacheMode: "off", Workers: 2, Batch: 3, ImagesPerHour: 339},
		{CacheMode: "min", Workers: 1, Batch: 3, ImagesPerHour: 162},
	}
	ch, err := Heatmap(HeatData{Cells: cells, Failed: []HeatCell{{CacheMode: "min", Workers: 2, Batch: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := SVG(ch, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(svg)
	if !strings.Contains(doc, ">failed<") {
		t.Error("the failed cell is not labelled \"failed\"")
	}
	if strings.Contains(doc, ">0<") || strings.Contains(doc, ">0 img/h<") {
		t.Error("the failed cell is drawn as 0 images/hour")
	}
	if !strings.Contains(doc, ">148 img/h<") {
		t.Error("the colour key does not start at the slowest measured cell, 148 img/h")
	}
}
