package fullbuild

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/manifest"
)

// TestResumeWithoutSummaryKeepsSpan: a finished build's folder whose
// build-summary.json is gone, resumed: nothing is left to build, and the
// summary written must not claim the images were built in no time (it said
// 31509792 images/hour). The earlier runs' wall is their lines' span, a
// lower bound, and the resume warns that it is one.
func TestResumeWithoutSummaryKeepsSpan(t *testing.T) {
	plan := insts(t, "a__a-1", "a__a-2", "b__b-1")
	out := t.TempDir()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var text []byte
	for i, in := range plan {
		start := t0.Add(time.Duration(i) * 40 * time.Second)
		b, err := json.Marshal(manifest.Output{Instance: in.ID, Status: manifest.StatusBuilt, AttemptCount: 1,
			StartedAt: start, FinishedAt: start.Add(50 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		text = append(append(text, b...), '\n')
	}
	if err := os.WriteFile(filepath.Join(out, manifest.ManifestFile), text, 0o644); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	res, err := Run(context.Background(), Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out, Warn: &warn}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	// First start 10:00:00, last finish 10:01:20 + 50 s = 10:02:10: 130 s.
	s, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if s.Built != 3 || s.WallSeconds < 130 || s.WallSeconds > 140 {
		t.Errorf("summary: %d built in %.3fs; want 3 in about 130s (the lines' span)", s.Built, s.WallSeconds)
	}
	if want := 3 * 3600 / s.WallSeconds; math.Abs(s.ImagesPerHour-want) > 1e-6*want {
		t.Errorf("images/hour %.1f, want %.1f", s.ImagesPerHour, want)
	}
	if res.PriorWallSeconds != 130 {
		t.Errorf("prior wall %.3f, want 130", res.PriorWallSeconds)
	}
	if !strings.Contains(warn.String(), "earlier runs' wall is taken as their manifest lines' span, 130.0s (a lower bound)") {
		t.Errorf("warning %q", warn.String())
	}
}
