package fullbuild

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/manifest"
)

// TestStepSummaryNotWritable: a $GITHUB_STEP_SUMMARY that cannot be
// written is a warning, not the build's error: every image was built, and
// an error would exit 1, "some builds failed".
func TestStepSummaryNotWritable(t *testing.T) {
	plan := insts(t, "a__a-1")
	out := t.TempDir()
	b, err := json.Marshal(manifest.Output{Instance: "a__a-1", Status: manifest.StatusBuilt, AttemptCount: 1,
		StartedAt: time.Now(), FinishedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, manifest.ManifestFile), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	step := filepath.Join(t.TempDir(), "gone", "step-summary.md")
	res, err := Run(context.Background(), Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out, Warn: &warn},
		Workers: 1, StepSummary: step})
	if err != nil {
		t.Fatalf("Run: %v; want no error (the step summary is not the build's outcome)", err)
	}
	if res.Summary.Built != 1 {
		t.Errorf("summary built %d, want 1", res.Summary.Built)
	}
	if !strings.Contains(warn.String(), "warning: writing the step summary") || !strings.Contains(warn.String(), step) {
		t.Errorf("warnings %q; want one naming the step summary %s", warn.String(), step)
	}
}

// TestMarkdownStopped: the job page's summary of a stopped run says how
// many planned images are not built yet, which its counts do not show;
// a long error is cut on a character boundary.
func TestMarkdownStopped(t *testing.T) {
	e := strings.Repeat("x", 199) + "é and more"
	r := &Result{Planned: 5, Summary: manifest.Summarize([]manifest.Output{
		{Instance: "a__a-1", Status: manifest.StatusBuilt, BuildSeconds: 3},
		{Instance: "a__a-2", Status: manifest.StatusFailed, Error: &e, AttemptCount: 1},
	}, time.Minute, manifest.SummaryExtra{Settings: manifest.Settings{Workers: 2, CacheMode: "off", Strategy: "single"}})}
	md := Markdown(r)
	if !strings.Contains(md, "Stopped: 3 of 5 planned images not built yet") {
		t.Errorf("markdown of a stopped run lacks what is left:\n%s", md)
	}
	if !utf8.ValidString(md) {
		t.Errorf("markdown is not valid UTF-8:\n%q", md)
	}
	r.Planned = 2
	if md := Markdown(r); strings.Contains(md, "Stopped") {
		t.Errorf("markdown of a finished run says it stopped:\n%s", md)
	}
}
