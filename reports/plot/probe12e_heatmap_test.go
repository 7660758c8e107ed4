package plot

import (
	"image/color"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// A sweep of 3 registry bandwidths x 6 cache/strategy panels drew the
// heat map as 3 rows of 6 panels 1.6 inches wide: the panel titles ("cache
// min three-phase, registry 32MiB/s") ran into each other, and so did the
// axis labels and the numbers in the cells. Panels wrap into rows of at
// most three, each row of one condition, each panel as wide as its title.
func TestProbe12eHeatmapManyPanels(t *testing.T) {
	var d HeatData
	for _, reg := range []string{"registry unlimited", "registry 32MiB/s", "registry 8MiB/s"} {
		for _, m := range []string{"max single", "max three-phase", "min single", "min three-phase", "off single", "off three-phase"} {
			for _, w := range []int{1, 2, 4, 8, 16} {
				for _, b := range []int{3, 0} {
					d.Cells = append(d.Cells, HeatCell{CacheMode: m, Row: reg, Workers: w, Batch: b, ImagesPerHour: float64(100 + w*10 + b)})
				}
			}
		}
	}
	ch, err := Heatmap(d)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Cols == 0 || ch.Cols > 3 {
		t.Fatalf("%d columns of panels, want at most 3", ch.Cols)
	}
	sty := textStyle(sansBold, panelSize, color.Black)
	perPanel := (ch.Width - 2*vg.Inch) / vg.Length(ch.Cols)
	for i, p := range ch.Panels {
		if p == nil {
			continue
		}
		if w := sty.Rectangle(p.Title.Text).Size().X; w > perPanel {
			t.Errorf("panel %q is %v wide for a title of %v", p.Title.Text, perPanel, w)
		}
		// Every panel of a row of panels has the same condition.
		row := i / ch.Cols
		for j := row * ch.Cols; j < (row+1)*ch.Cols && j < len(ch.Panels); j++ {
			if q := ch.Panels[j]; q != nil && cond(q.Title.Text) != cond(p.Title.Text) {
				t.Errorf("row %d mixes %q and %q", row, p.Title.Text, q.Title.Text)
			}
		}
	}
	if _, err := PNG(ch, 0, 0); err != nil {
		t.Fatal(err)
	}
}

func cond(title string) string {
	_, c, _ := strings.Cut(title, ", ")
	return c
}
