package fullbuild

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/workload"
)

// TestResumeRemovesStaleSummaryTemp: the summary is rewritten through a temporary file after
// every image and every 10 s, so a build killed during that write leaves
// .build-summary.json.tmpNNN in its folder. The resume left it there for good (seen as a
// flaky TestBuildKillResume under load: "temporary file left behind"). A resume of the folder
// now removes it; a refused folder keeps it, as it keeps everything.
func TestResumeRemovesStaleSummaryTemp(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-2")
	was := manifest.Settings{Workers: 2, CacheMode: "off", Strategy: workload.Single, SDKSha: "aaaa"}
	opts := func(out string, workers int) Options {
		return Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out}, Workers: workers, Cache: engine.CacheOff, Strategy: workload.Single}
	}
	stale := func(out string) string {
		p := filepath.Join(out, "."+manifest.SummaryFile+".tmp123456")
		if err := os.WriteFile(p, []byte(`{"total": 1, "pla`), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	out := knobsFolder(t, plan, &was)
	tmp := stale(out)
	if _, err := Run(context.Background(), opts(out, 3)); err == nil {
		t.Fatal("resume with other --workers was not refused")
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("a refused resume removed %s: %v", tmp, err)
	}
	if res, err := Run(context.Background(), opts(out, 2)); err != nil || res.Resumed != 2 {
		t.Fatalf("resume: %+v, %v", res, err)
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Errorf("the resume left the killed run's %s", tmp)
	}
}
