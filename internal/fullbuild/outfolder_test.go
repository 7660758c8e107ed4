package fullbuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/shard"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
)

// resumableFolder is the folder of a build of plan with settings, one
// image of two done, with a log, records and a stale temporary summary of a
// killed run: what a refused run could touch.
func resumableFolder(t *testing.T, plan []workload.Instance, settings manifest.Settings) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(filepath.Join(out, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	line := manifest.Output{Instance: plan[0].ID, Status: manifest.StatusBuilt, AttemptCount: 1, StartedAt: now.Add(-time.Minute), FinishedAt: now,
		LogPath: filepath.Join(out, "logs", logName(plan[0].ID)), Shard: settings.Shard}
	b, err := json.Marshal(line)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		manifest.ManifestFile: string(b) + "\n" + `{"base_image":"x","sta`, // and a torn tail
		RecordsFile:           "",
		filepath.Join("logs", logName(plan[0].ID)): "built\n",
		"." + manifest.SummaryFile + ".tmp123":     "{",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(out, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum := manifest.Summarize([]manifest.Output{line}, time.Minute, manifest.SummaryExtra{Settings: settings})
	sum.Planned = len(plan)
	if err := manifest.WriteSummary(filepath.Join(out, manifest.SummaryFile), sum); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunRefusedLeavesFolder: a resume refused for its folder (other knobs,
// another SDK, shard or plan) left the folder's contents as they were, but
// not the folder: the check that the folder is writable created and removed
// a file in it (and in its logs/) first, so the folders' mtimes changed. The
// folder's checks now come before any write: every entry keeps its mtime,
// and nothing is created, cut or removed (not the torn tail, not a killed
// run's temporary summary).
func TestRunRefusedLeavesFolder(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-2")
	was := manifest.Settings{Workers: 2, CacheMode: "off", Strategy: workload.Single, SDKSha: "aaaa"}
	for _, tc := range []struct {
		name  string
		opts  func(o *Options)
		wants string
	}{
		{"other workers", func(o *Options) { o.Workers = 3 }, "--workers 2"},
		{"other SDK", func(o *Options) { o.Setup.SDKSha = "bbbb" }, "SDK aaaa"},
		{"other shard", func(o *Options) { o.Shard = shard.Spec{Index: 1, Count: 2} }, "every instance (no shard)"},
		{"other plan", func(o *Options) { o.Setup.Instances = insts(t, "c__c-3", "d__d-4") }, "does not plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := resumableFolder(t, plan, was)
			before := testenv.Stamps(t, out, true)
			o := Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out}, Workers: 2, Cache: engine.CacheOff, Strategy: workload.Single}
			tc.opts(&o)
			_, err := Run(context.Background(), o)
			if !errors.Is(err, input.ErrBad) || !strings.HasPrefix(err.Error(), "--out "+out+": ") || !strings.Contains(err.Error(), tc.wants) {
				t.Fatalf("Run: %v; want bad input naming --out %s and %q", err, out, tc.wants)
			}
			testenv.SameStamps(t, before, testenv.Stamps(t, out, false))
		})
	}
}

// TestRunOutInUse: two builds into one --out at the same time appended to
// one manifest and rewrote one summary, each over the other's. A build
// holds a lock on its folder while it runs; a second one is refused before
// it touches anything (bad input naming --out and the holder's pid): a
// build's folder, and the empty folder of a first run that has not written
// yet, which the refused run must not remove. The refused run keeps no lock.
func TestRunOutInUse(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-2")
	was := manifest.Settings{Workers: 2, CacheMode: "off", Strategy: workload.Single, SDKSha: "aaaa"}
	for _, tc := range []struct {
		name   string
		folder func(t *testing.T) string
	}{
		{"a build's folder", func(t *testing.T) string { return resumableFolder(t, plan, was) }},
		{"an empty folder", func(t *testing.T) string { return t.TempDir() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.folder(t)
			release, err := fleet.LockFolder(out) // another build, as a second open of the folder
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			before := testenv.Stamps(t, out, true)
			// Without the lock, the run would cut the torn tail, create the
			// manifest and records, and go on to connect a stack.
			o := Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out}, Workers: 2, Cache: engine.CacheOff, Strategy: workload.Single}
			_, err = Run(context.Background(), o)
			want := fmt.Sprintf("--out %s: in use by another buildtune process (pid %d)", out, os.Getpid())
			if !errors.Is(err, input.ErrBad) || !errors.Is(err, fleet.ErrInUse) || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("Run into a locked folder: %v\nwant bad input starting %q", err, want)
			}
			testenv.SameStamps(t, before, testenv.Stamps(t, out, false))
			release()
			// The refused run holds no lock of its own.
			again, err := fleet.LockFolder(out)
			if err != nil {
				t.Fatalf("LockFolder after the refused run: %v", err)
			}
			again()
		})
	}
}

// TestRunEmptyShard: with more shards than instances, a shard holds none.
// It was bad input (exit 2), which failed a CI matrix wider than the list;
// it is a build of nothing: no stack, an empty manifest, records and a
// summary naming the shard with 0 planned, so that merge finds every shard
// of the matrix and counts the others' images; the job page's summary says
// the shard had none. Run again into the same folder, it does the same.
func TestRunEmptyShard(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-2", "c__c-3")
	out := filepath.Join(t.TempDir(), "shard-5")
	step := filepath.Join(t.TempDir(), "step-summary.md")
	var started bool
	o := Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out}, Workers: 2, Cache: engine.CacheOff, Strategy: workload.Single,
		Shard: shard.Spec{Index: 5, Count: 8}, StepSummary: step,
		OnStart: func(env *fleet.Env, r *Result) {
			started = true
			if env != nil || r.Planned != 0 || r.Todo != 0 {
				t.Errorf("OnStart: env %v, planned %d, todo %d; want no stack and nothing planned", env, r.Planned, r.Todo)
			}
		}}
	for run := 1; run <= 2; run++ {
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatalf("run %d of an empty shard: %v; want no error", run, err)
		}
		if !started || res.Planned != 0 || res.Summary.Total != 0 {
			t.Errorf("run %d: started %v, planned %d, total %d", run, started, res.Planned, res.Summary.Total)
		}
		lines, torn, err := manifest.Read(filepath.Join(out, manifest.ManifestFile))
		if err != nil || torn || len(lines) != 0 {
			t.Errorf("run %d: manifest %d lines, torn %v, %v; want an empty manifest", run, len(lines), torn, err)
		}
		sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
		if err != nil || sum.Settings.Shard != "5/8" || sum.Planned != 0 || sum.Total != 0 || sum.Settings.SDKSha != "aaaa" {
			t.Errorf("run %d: summary %+v, %v; want shard 5/8 of SDK aaaa, nothing planned", run, sum, err)
		}
		if _, err := os.Stat(filepath.Join(out, RecordsFile)); err != nil {
			t.Errorf("run %d: records: %v", run, err)
		}
	}
	if md, err := os.ReadFile(step); err != nil || !strings.Contains(string(md), "(shard 5/8)") || !strings.Contains(string(md), "This shard has no instances") {
		t.Errorf("step summary (%v):\n%s\nwant it to say the shard has no instances", err, md)
	}
}
