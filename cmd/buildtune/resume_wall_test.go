package main

import (
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/fullbuild"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestClosingLinePriorWall: a resumed build's wall includes its earlier
// runs' (a killed one's too): the closing line says how much of it, and
// does not pass it for this run's set-up.
func TestClosingLinePriorWall(t *testing.T) {
	res := &fullbuild.Result{Planned: 3, PriorWallSeconds: 30, Trial: record.Trial{WallSeconds: 5},
		Summary: manifest.Summary{Total: 3, Built: 3, WallSeconds: 40, ImagesPerHour: 270}}
	got := closingLine(res)
	if !strings.HasPrefix(got, "3 images: 3 built, 0 skipped, 0 failed in 40.0s (270 images/hour)") ||
		!strings.Contains(got, "30.0s of the wall in earlier runs") || strings.Contains(got, "set-up") {
		t.Errorf("resumed build (no image done before): %q", got)
	}
	res.PriorWallSeconds = 0
	if got := closingLine(res); !strings.Contains(got, "= 5.0s building + 35.0s set-up") || strings.Contains(got, "earlier runs") {
		t.Errorf("first run: %q", got)
	}
}
