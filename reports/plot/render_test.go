package plot

import (
	"os"
	"testing"
)

// TestRenderSamples writes every sample chart as PNG and SVG to the folder
// named by BUILDTUNE_PLOT_DIR, for looking at them. It is skipped otherwise.
func TestRenderSamples(t *testing.T) {
	dir := os.Getenv("BUILDTUNE_PLOT_DIR")
	if dir == "" {
		t.Skip("set BUILDTUNE_PLOT_DIR to write the sample charts")
	}
	charts, err := sampleCharts()
	if err != nil {
		t.Fatal(err)
	}
	for name, ch := range charts {
		png, svg, err := Save(ch, dir, name, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(png, svg)
	}
}
