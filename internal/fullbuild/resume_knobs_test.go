package fullbuild

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
)

// knobsFolder writes a build folder whose images (plan) are all done,
// with a summary recording settings (none when settings is nil).
func knobsFolder(t *testing.T, plan []workload.Instance, settings *manifest.Settings) string {
	t.Helper()
	out := t.TempDir()
	var text []byte
	for _, in := range plan {
		b, err := json.Marshal(manifest.Output{Instance: in.ID, Status: manifest.StatusBuilt, AttemptCount: 1})
		if err != nil {
			t.Fatal(err)
		}
		text = append(append(text, b...), '\n')
	}
	if err := os.WriteFile(filepath.Join(out, manifest.ManifestFile), text, 0o644); err != nil {
		t.Fatal(err)
	}
	if settings != nil {
		sum := manifest.Summarize(nil, 0, manifest.SummaryExtra{Settings: *settings})
		sum.Total, sum.Built, sum.Planned, sum.WallSeconds = len(plan), len(plan), len(plan), 60
		if err := manifest.WriteSummary(filepath.Join(out, manifest.SummaryFile), sum); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestResumeRefusesOtherKnobs: resuming a folder whose summary records
// other knobs (--workers, --batch, --cache-mode, --strategy) is bad input:
// one line naming --out, the recorded and the given values and the flags
// to keep, and the folder is left byte for byte as it was. The same knobs
// resume it; a folder without a summary (an older build's), or whose
// summary records no settings, cannot be checked and is resumed.
func TestResumeRefusesOtherKnobs(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-2")
	was := manifest.Settings{Workers: 2, Batch: 0, CacheMode: "off", Strategy: workload.Single, SDKSha: "aaaa"}
	opts := func(out string, workers, batch int, cache engine.CacheMode, strategy string) Options {
		return Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out}, Workers: workers, Batch: batch, Cache: cache, Strategy: strategy}
	}
	for _, tc := range []struct {
		name     string
		workers  int
		batch    int
		cache    engine.CacheMode
		strategy string
		want     string // after "--out DIR: "
	}{
		{"workers", 4, 0, engine.CacheOff, workload.Single,
			"holds a build with --workers 2, and this one has --workers 4: want a new folder, or the same --workers to resume"},
		{"batch", 2, 5, engine.CacheOff, workload.Single,
			"holds a build with --batch stream, and this one has --batch 5: want a new folder, or the same --batch to resume"},
		{"cache", 2, 0, engine.CacheMax, workload.Single,
			"holds a build with --cache-mode off, and this one has --cache-mode max: want a new folder, or the same --cache-mode to resume"},
		{"strategy", 2, 0, engine.CacheOff, workload.ThreePhase,
			"holds a build with --strategy single, and this one has --strategy three-phase: want a new folder, or the same --strategy to resume"},
		{"three knobs", 3, 10, engine.CacheMin, workload.Single,
			"holds a build with --workers 2 --batch stream --cache-mode off, and this one has --workers 3 --batch 10 --cache-mode min: want a new folder, or the same --workers, --batch and --cache-mode to resume"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := knobsFolder(t, plan, &was)
			before := testenv.Files(t, out)
			_, err := Run(context.Background(), opts(out, tc.workers, tc.batch, tc.cache, tc.strategy))
			if want := "--out " + out + ": " + tc.want; !errors.Is(err, input.ErrBad) || err.Error() != want {
				t.Errorf("Run: %v\nwant bad input: %s", err, want)
			}
			if after := testenv.Files(t, out); !reflect.DeepEqual(after, before) {
				t.Errorf("the refused folder changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}

	t.Run("same knobs", func(t *testing.T) {
		out := knobsFolder(t, plan, &was)
		res, err := Run(context.Background(), opts(out, 2, 0, engine.CacheOff, workload.Single))
		want := was
		want.Instances = ListID(plan) // the summary names the list it is of
		if err != nil || res.Resumed != 2 || res.Summary.Settings != want {
			t.Fatalf("resume with the same knobs: %+v, %v; want 2 resumed, settings %+v", res, err, want)
		}
	})
	t.Run("no summary", func(t *testing.T) {
		out := knobsFolder(t, plan, nil)
		if res, err := Run(context.Background(), opts(out, 8, 3, engine.CacheMax, workload.ThreePhase)); err != nil || res.Resumed != 2 {
			t.Fatalf("resume of a folder without a summary: %+v, %v; want 2 resumed", res, err)
		}
	})
	t.Run("no settings recorded", func(t *testing.T) {
		out := knobsFolder(t, plan, &manifest.Settings{SDKSha: "aaaa"})
		if res, err := Run(context.Background(), opts(out, 8, 3, engine.CacheMax, workload.ThreePhase)); err != nil || res.Resumed != 2 {
			t.Fatalf("resume of a folder whose summary records no settings: %+v, %v; want 2 resumed", res, err)
		}
	})
}

// TestResumeRefusesLargerPlan: a folder of a 2-image build resumed with a
// plan of 3 that holds both (--all over a --sample folder) would become
// another build, which the first command can no longer resume: refused,
// naming both counts, the folder unchanged. The same plan resumes.
func TestResumeRefusesLargerPlan(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-1")
	settings := manifest.Settings{Workers: 1, CacheMode: "off", Strategy: "single", SDKSha: "aaaa"}
	out := knobsFolder(t, plan, &settings)
	sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	sum.Total, sum.Built = 1, 1 // one of the two done
	if err := manifest.WriteSummary(filepath.Join(out, manifest.SummaryFile), sum); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)
	larger := append(plan[:len(plan):len(plan)], insts(t, "c__c-1")...)
	_, err = Run(context.Background(), Options{Setup: fleet.Setup{Instances: larger, SDKSha: "aaaa", Out: out}, Workers: 1, Cache: "off", Strategy: "single"})
	if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "holds a build of 2 planned images, and this one plans 3") {
		t.Fatalf("resume with a larger plan: %v", err)
	}
	if after := snapshot(t, out); !reflect.DeepEqual(before, after) {
		t.Errorf("the refused resume changed the folder")
	}
}

// TestResumeRefusesOtherProfile: a folder whose summary records the images
// of one fixture profile is not resumed with another (its manifest would
// mix images of two workloads under one summary): bad input naming --out
// and both profiles, the folder untouched. The same profile resumes it,
// and a summary without a workload (an older build's, or a custom build's)
// is not checked.
func TestResumeRefusesOtherProfile(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-2")
	load := func(name string) *fixtures.Profile {
		p, err := fixtures.LoadProfile(filepath.Join(testenv.Root(t), "fixtures", "profiles", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	wide, heavy := load("validate-wide.yaml"), load("validate-heavy.yaml")
	opts := func(out string, p *fixtures.Profile) Options {
		return Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out, Profile: p}, Workers: 2, Cache: engine.CacheOff, Strategy: workload.Single}
	}
	was := manifest.Settings{Workers: 2, CacheMode: "off", Strategy: workload.Single, SDKSha: "aaaa", Workload: workloadID(opts("", wide).Setup)}
	if !strings.HasPrefix(was.Workload, "fixtures:"+wide.Name+"@") {
		t.Fatalf("workload id %q", was.Workload)
	}
	out := knobsFolder(t, plan, &was)
	before := testenv.Files(t, out)
	_, err := Run(context.Background(), opts(out, heavy))
	if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "--out "+out+": holds images of "+was.Workload+", and this build is of fixtures:"+heavy.Name+"@") {
		t.Errorf("resume with another profile: %v, want bad input naming both", err)
	}
	if after := testenv.Files(t, out); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused folder changed")
	}
	if res, err := Run(context.Background(), opts(out, wide)); err != nil || res.Resumed != 2 || res.Summary.Settings.Workload != was.Workload {
		t.Errorf("resume with the same profile: %+v, %v", res, err)
	}
	was.Workload = ""
	if res, err := Run(context.Background(), opts(knobsFolder(t, plan, &was), heavy)); err != nil || res.Resumed != 2 {
		t.Errorf("resume of a summary without a workload: %+v, %v", res, err)
	}
}
