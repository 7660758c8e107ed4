package plot

import (
	"os"
	"testing"
)

// TestRenderSamples writes every sample chart as PNG and SVG to the folder
// named by BUILDTUNE_PLOT_DIR, for looking at them, and the throughput
// chart of series with close peaks as throughput-close. It is skipped
// otherwise.
func TestRenderSamples(t *testing.T) {
	dir := os.Getenv("BUILDTUNE_PLOT_DIR")
	if dir == "" {
		t.Skip("set BUILDTUNE_PLOT_DIR to write the sample charts")
	}
	charts, err := sampleCharts()
	if err != nil {
		t.Fatal(err)
	}
	close, err := Throughput(sampleThroughputClosePeaks())
	if err != nil {
		t.Fatal(err)
	}
	charts["throughput-close"] = close
	for name, ch := range charts {
		png, svg, err := Save(ch, dir, name, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(png, svg)
	}
}
