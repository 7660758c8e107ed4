package fullbuild

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/buildtune/buildtune/internal/testenv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/shard"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

func insts(t *testing.T, ids ...string) []workload.Instance {
	t.Helper()
	out := make([]workload.Instance, len(ids))
	for i, id := range ids {
		in, err := workload.ParseInstance(id)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = in
	}
	return out
}

func ids(in []workload.Instance) []string {
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = x.ID
	}
	return out
}

func TestToOutput(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := t0.Add(time.Hour)
	img := Image{Instance: "django__django-1", BaseImage: "r/base:1", Tags: []string{"r/img:1"}}
	built := &record.Image{Instance: "django__django-1", Phase: "single", Status: record.StatusBuilt, Attempts: 2,
		PoolWaitSeconds: 1, Cost: record.Cost{Start: t0, End: t0.Add(10 * time.Second), WallSeconds: 10,
			CacheImportSeconds: 1.5, CacheImportMisses: 2, CacheExportSeconds: 2.5, ImageExportSeconds: 3.5,
			LayerPushSeconds: 1.25, ManifestExportSeconds: 0.5, CachedSteps: 4, TotalSteps: 9}}
	o := ToOutput(built, img, "out/logs/x.log", "1/3", now)
	want := manifest.Output{Instance: img.Instance, BaseImage: "r/base:1", Tags: []string{"r/img:1"}, LogPath: "out/logs/x.log",
		Status: manifest.StatusBuilt, AttemptCount: 2, StartedAt: t0, FinishedAt: t0.Add(10 * time.Second),
		DurationSeconds: 10, BuildSeconds: 10, SDKCacheImportSeconds: 1.5, SDKCacheImportMissCount: 2,
		SDKCacheExportSeconds: 2.5, SDKImageExportSeconds: 3.5, SDKPushLayersSeconds: 1.25, SDKExportManifestSeconds: 0.5,
		SDKCachedStepCount: 4, Shard: "1/3"}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("built:\n got %+v\nwant %+v", o, want)
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}

	skipped := &record.Image{Instance: img.Instance, Status: record.StatusSkipped, Tag: "r/img:1"}
	o = ToOutput(skipped, Image{Instance: img.Instance}, "l", "", now)
	if o.Status != manifest.StatusSkipped || o.Error != nil || o.SkipReason == nil || !reflect.DeepEqual(o.Tags, []string{"r/img:1"}) || !o.StartedAt.Equal(now) {
		t.Errorf("skipped: %+v", o)
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
	// A skip found by its registry check starts and ends with the check,
	// which is all its duration.
	skipped.Start, skipped.End, skipped.WallSeconds, skipped.RemoteCheckSeconds = t0, t0.Add(250*time.Millisecond), 0.25, 0.25
	o = ToOutput(skipped, Image{Instance: img.Instance}, "l", "", now)
	if !o.StartedAt.Equal(t0) || !o.FinishedAt.Equal(t0.Add(250*time.Millisecond)) || o.BuildSeconds != 0 ||
		o.DurationSeconds != 0.25 || o.RemoteCheckSeconds != 0.25 {
		t.Errorf("skipped after a check: started %s finished %s build %vs duration %vs remote check %vs; want the check's times and seconds, no build time",
			o.StartedAt, o.FinishedAt, o.BuildSeconds, o.DurationSeconds, o.RemoteCheckSeconds)
	}
	// A build's registry check is its remote_check_seconds, and in its
	// duration beside its wait for a daemon slot and its build, as the
	// real script times an image from the moment a worker takes it; the
	// wait for a free worker before that (the rest of its pool wait) is
	// not the image's. started_at is that moment.
	checked := *built
	checked.RemoteCheckSeconds, checked.DaemonWaitSeconds = 0.5, 0.25
	o = ToOutput(&checked, img, "l", "", now)
	if o.RemoteCheckSeconds != 0.5 || o.DurationSeconds != 10.75 || o.BuildSeconds != 10 ||
		!o.StartedAt.Equal(t0.Add(-750*time.Millisecond)) || !o.FinishedAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("built after a check: remote check %vs duration %vs build %vs, %s to %s; want 0.5, 10.75, 10, from 0.75 s before the build's start to its end",
			o.RemoteCheckSeconds, o.DurationSeconds, o.BuildSeconds, o.StartedAt, o.FinishedAt)
	}
	if d := o.FinishedAt.Sub(o.StartedAt).Seconds(); d != o.DurationSeconds {
		t.Errorf("finished_at - started_at = %v s, duration_seconds %v: want equal, as in the real script", d, o.DurationSeconds)
	}

	for _, msg := range []string{"boom", ""} {
		failed := &record.Image{Instance: img.Instance, Phase: "assembly", Status: record.StatusFailed, Attempts: 3,
			Cost: record.Cost{Error: msg, ErrClass: record.ErrBuild}}
		o = ToOutput(failed, img, "l", "", now)
		if o.Status != manifest.StatusFailed || o.Error == nil || *o.Error == "" || o.AttemptCount != 3 {
			t.Errorf("failed %q: %+v", msg, o)
		}
		if err := o.Validate(); err != nil {
			t.Error(err)
		}
	}

	// The real field names, and error null for a built image.
	b, err := json.Marshal(ToOutput(built, img, "l", "", now))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"error":null`, `"base_image":`, `"tags":`, `"log_path":`, `"status":"built"`, `"attempt_count":2`,
		`"sdk_cache_import_seconds":`, `"sdk_push_layers_seconds":`, `"sdk_export_manifest_seconds":`, `"sdk_cached_step_count":4`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s lacks %s", b, k)
		}
	}
}

func TestLogText(t *testing.T) {
	msg := "exit code 1: RUN make"
	o := manifest.Output{Instance: "a__a-1", Status: manifest.StatusFailed, Error: &msg}
	s := logText(o, &record.Image{Phase: "single", Attempts: 3, Cost: record.Cost{WallSeconds: 4.5}})
	for _, k := range []string{"a__a-1", "failed", "attempts: 3", "wall_s: 4.500", msg} {
		if !strings.Contains(s, k) {
			t.Errorf("log lacks %q:\n%s", k, s)
		}
	}
}

func TestPending(t *testing.T) {
	plan := insts(t, "a__a-1", "a__a-2", "b__b-1", "b__b-2", "c__c-1")
	e := "x"
	prior := []manifest.Output{
		{Instance: "a__a-1", Status: manifest.StatusBuilt},
		{Instance: "a__a-2", Status: manifest.StatusFailed, Error: &e},
		{Instance: "b__b-1", Status: manifest.StatusFailed, Error: &e},
		{Instance: "b__b-1", Status: manifest.StatusBuilt}, // retried and built later
		{Instance: "b__b-2", Status: manifest.StatusBuilt},
		{Instance: "b__b-2", Status: manifest.StatusFailed, Error: &e}, // latest line wins
		{Instance: "z__z-9", Status: manifest.StatusBuilt},             // not in the plan
		{Instance: "c__c-1", Status: manifest.StatusSkipped},
	}
	todo, done := Pending(plan, prior)
	if got, want := ids(todo), []string{"a__a-2", "b__b-2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("todo %v, want %v", got, want)
	}
	var doneIDs []string
	for _, o := range done {
		doneIDs = append(doneIDs, o.Instance)
	}
	if want := []string{"a__a-1", "b__b-1", "c__c-1"}; !reflect.DeepEqual(doneIDs, want) {
		t.Errorf("done %v, want %v", doneIDs, want)
	}
	if todo, done := Pending(plan, nil); len(todo) != len(plan) || len(done) != 0 {
		t.Errorf("fresh: todo %d done %d", len(todo), len(done))
	}
}

func TestPlan(t *testing.T) {
	in := insts(t, "c__c-1", "a__a-1", "b__b-1", "a__a-2", "b__b-2", "c__c-2")
	if got := ids(Plan(in, shard.Spec{}, nil)); !reflect.DeepEqual(got, ids(in)) {
		t.Errorf("default order %v, want input order", got)
	}
	d := map[string]float64{"c__c-1": 1, "a__a-1": 50, "b__b-1": 20, "a__a-2": 40, "b__b-2": 30, "c__c-2": 2}
	if got, want := ids(Plan(in, shard.Spec{}, d)), []string{"a__a-1", "a__a-2", "b__b-2", "b__b-1", "c__c-2", "c__c-1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("LPT order %v, want %v", got, want)
	}
	for _, dur := range []map[string]float64{nil, d} {
		seen := map[string]int{}
		for i := 1; i <= 3; i++ {
			p := Plan(in, shard.Spec{Index: i, Count: 3}, dur)
			if dur == nil && len(p) != 2 { // round robin; with durations LPT balances load
				t.Errorf("shard %d/3: %v, want 2 instances", i, ids(p))
			}
			for _, x := range p {
				seen[x.ID]++
			}
		}
		for _, x := range in {
			if seen[x.ID] != 1 {
				t.Errorf("durations %v: %s in %d shards", dur != nil, x.ID, seen[x.ID])
			}
		}
	}
}

func TestLoadDurations(t *testing.T) {
	dir := t.TempDir()
	e := "x"
	w, _, err := manifest.Create(filepath.Join(dir, manifest.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []manifest.Output{
		{Instance: "a__a-1", Status: manifest.StatusBuilt, BuildSeconds: 12},
		{Instance: "a__a-2", Status: manifest.StatusFailed, Error: &e, BuildSeconds: 99},
		{Instance: "b__b-1", Status: manifest.StatusBuilt, DurationSeconds: 7},
	} {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	want := map[string]float64{"a__a-1": 12, "b__b-1": 7}
	for _, p := range []string{dir, filepath.Join(dir, manifest.ManifestFile)} {
		got, err := LoadDurations(p)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v %v, want %v", p, got, err, want)
		}
	}

	rdir := t.TempDir()
	rw, err := record.Create(filepath.Join(rdir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range []record.Image{
		{Trial: 0, Instance: "a__a-1", Phase: "base", Status: record.StatusBuilt, Cost: record.Cost{WallSeconds: 3}},
		{Trial: 0, Instance: "a__a-1", Phase: "assembly", Status: record.StatusBuilt, Cost: record.Cost{WallSeconds: 4}},
		{Trial: 1, Instance: "b__b-1", Phase: "single", Status: record.StatusBuilt, Cost: record.Cost{WallSeconds: 5}},
		{Trial: 0, Instance: "b__b-1", Phase: "single", Status: record.StatusBuilt, Cost: record.Cost{WallSeconds: 50}},
		{Trial: 0, Instance: "c__c-1", Phase: "single", Status: record.StatusFailed, Cost: record.Cost{WallSeconds: 8}},
	} {
		if err := rw.Write(&im); err != nil {
			t.Fatal(err)
		}
	}
	rw.Close()
	got, err := LoadDurations(rdir)
	if want := map[string]float64{"a__a-1": 7, "b__b-1": 5}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("records: %v %v, want %v", got, err, want)
	}

	empty := t.TempDir()
	garbage := filepath.Join(empty, "g.jsonl")
	os.WriteFile(garbage, []byte("not json\n"), 0o644)
	for _, p := range []string{filepath.Join(empty, "nope"), empty, garbage} {
		if _, err := LoadDurations(p); !errors.Is(err, input.ErrBad) {
			t.Errorf("%s: %v, want bad input", p, err)
		}
	}
	// A missing path or a file that is no manifest said what was wrong
	// ("stat nope: no such file or directory", "g.jsonl:1: invalid
	// character 'o' in literal null") but not what the flag takes.
	for _, p := range []string{filepath.Join(empty, "nope"), garbage} {
		if _, err := LoadDurations(p); err == nil || !strings.Contains(err.Error(), "want an earlier build's folder, its manifest.jsonl or its records.jsonl") {
			t.Errorf("%s: %v, want it to say what --durations-from takes", p, err)
		}
	}
}

func TestMarkdown(t *testing.T) {
	e := "boom"
	r := &Result{Resumed: 1, Summary: manifest.Summarize([]manifest.Output{
		{Instance: "a__a-1", Status: manifest.StatusBuilt, BuildSeconds: 3},
		{Instance: "a__a-2", Status: manifest.StatusFailed, Error: &e, AttemptCount: 3},
	}, time.Minute, manifest.SummaryExtra{Settings: manifest.Settings{Workers: 2, CacheMode: "off", Strategy: "single", Shard: "1/2"}})}
	md := Markdown(r)
	for _, k := range []string{"shard 1/2", "| 2 | 1 | 0 | 1 |", "batch stream", "`a__a-2` (3 attempts): boom", "Resumed: 1"} {
		if !strings.Contains(md, k) {
			t.Errorf("markdown lacks %q:\n%s", k, md)
		}
	}
}

// TestResumeOtherBuild: a folder whose images are all done is resumed
// without a stack; the same folder given another SDK commit or another
// shard is bad input, not a build where everything is already done.
func TestResumeOtherBuild(t *testing.T) {
	out := t.TempDir()
	plan := insts(t, "a__a-1", "b__b-2")
	w, _, err := manifest.Create(filepath.Join(out, manifest.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range plan {
		if err := w.Write(manifest.Output{Instance: in.ID, Status: manifest.StatusBuilt, AttemptCount: 1}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	opts := func(sha string, spec shard.Spec) Options {
		return Options{Setup: fleet.Setup{Instances: plan, SDKSha: sha, Out: out}, Workers: 1, Shard: spec}
	}
	res, err := Run(context.Background(), opts("aaaa", shard.Spec{}))
	if err != nil || res.Resumed != 2 || res.Summary.Settings.SDKSha != "aaaa" || res.Summary.Planned != 2 {
		t.Fatalf("resume of a finished build: %+v, %v", res, err)
	}
	if _, err := Run(context.Background(), opts("bbbb", shard.Spec{})); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "SDK aaaa") {
		t.Errorf("resume with another SDK commit: %v, want bad input naming SDK aaaa", err)
	}
	if _, err := Run(context.Background(), opts("aaaa", shard.Spec{Index: 1, Count: 2})); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "shard") {
		t.Errorf("resume as shard 1/2: %v, want bad input naming the shard", err)
	}
	if _, err := Run(context.Background(), opts("aaaa", shard.Spec{})); err != nil {
		t.Errorf("resume with the same settings after the refusals: %v", err)
	}
}

// TestDescribeNoCacheRef: a cache mode that exports, on a workload without
// a cache ref, is bad input before any build (each would fail otherwise).
func TestDescribeNoCacheRef(t *testing.T) {
	in := insts(t, "a__a-1")
	w, err := workload.Simple(workload.SimpleOptions{Name: "custom", Instances: in, Registry: "127.0.0.1:5000", SDKSha: "0123456789",
		ContextDir: t.TempDir(), Tag: "{{.Registry}}/x:{{.Slug}}"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := describe(w, workload.Single, engine.CacheMax, in); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "--cache-mode max") {
		t.Errorf("cache max without a ref: %v, want bad input naming --cache-mode", err)
	}
	if _, err := describe(w, workload.Single, engine.CacheOff, in); err != nil {
		t.Errorf("cache off without a ref: %v", err)
	}
}

// TestCombineRemoteCheck: a three-phase instance's line keeps the registry
// check that its first phase's record carries, beside the phases' sums.
func TestCombineRemoteCheck(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	base := &record.Image{Instance: "a__b-1", Phase: "base", Status: record.StatusBuilt, Attempts: 1, PoolWaitSeconds: 1, DaemonWaitSeconds: 0.25, RemoteCheckSeconds: 0.5,
		Cost: record.Cost{Start: t0, End: t0.Add(4 * time.Second), WallSeconds: 4}}
	asm := &record.Image{Instance: "a__b-1", Phase: "assembly", Status: record.StatusBuilt, Attempts: 2,
		Cost: record.Cost{Start: t0.Add(4 * time.Second), End: t0.Add(10 * time.Second), WallSeconds: 6}}
	c := Combine([]*record.Image{base, asm})
	if c.RemoteCheckSeconds != 0.5 || c.PoolWaitSeconds != 1 || c.WallSeconds != 10 || c.Attempts != 2 || c.Phase != "assembly" {
		t.Fatalf("combined: remote check %v pool wait %v wall %v attempts %d phase %s; want 0.5, 1, 10, 2, assembly",
			c.RemoteCheckSeconds, c.PoolWaitSeconds, c.WallSeconds, c.Attempts, c.Phase)
	}
	o := ToOutput(c, Image{Instance: "a__b-1"}, "l", "", t0)
	if o.RemoteCheckSeconds != 0.5 || o.DurationSeconds != 10.75 {
		t.Errorf("line: remote check %v duration %v, want 0.5 and 10.75 (check, daemon wait and the phases' builds; not the wait for a worker)", o.RemoteCheckSeconds, o.DurationSeconds)
	}
}

// TestResumeRefusesOtherFolders: a folder that holds no build of this one
// (a sweep's, records without a manifest, a manifest that does not read, a
// summary that does not read, the lines of another shard with no summary,
// as a killed build left them, or images this build does not plan) is bad
// input naming --out, and the folder is
// left byte for byte as it was (its torn tail too: a refused folder is
// not repaired).
func TestResumeRefusesOtherFolders(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-2")
	line := func(id, shardSpec string) string {
		b, err := json.Marshal(manifest.Output{Instance: id, Status: manifest.StatusBuilt, AttemptCount: 1, Shard: shardSpec})
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	sum := func(sha, shardSpec string) string {
		b, err := json.Marshal(manifest.Summary{Total: 2, Planned: 2, Built: 2, Settings: manifest.Settings{SDKSha: sha, Shard: shardSpec}})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const torn = `{"instance":"b__b-2","sta`
	for _, tc := range []struct {
		name     string
		manifest string // "" = none
		summary  string // "" = none
		records  string // "" = none
		runJSON  string // a sweep's run.json; "" = none
		spec     shard.Spec
		want     string
	}{
		{"a sweep's folder", "", "", `{"v":1,"kind":"trial","trial":1,"wall_s":10}` + "\n", "{}", shard.Spec{}, "sweep"},
		{"records without a manifest", "", "", `{"v":1,"kind":"trial","trial":1,"wall_s":10}` + "\n", "", shard.Spec{}, "no manifest.jsonl"},
		{"manifest not a manifest", "hello world\n", "", "", "", shard.Spec{}, "manifest.jsonl:1"},
		{"manifest line without a key", `{"status":"built"}` + "\n", "", "", "", shard.Spec{}, "no instance"},
		{"summary not a summary", line("a__a-1", ""), "garbage{", "", "", shard.Spec{}, "build-summary.json"},
		{"another SDK, torn tail", line("a__a-1", "") + torn, sum("bbbb", ""), "", "", shard.Spec{}, "SDK bbbb"},
		{"another shard, no summary", line("a__a-1", "2/2"), "", "", "", shard.Spec{}, "shard 2/2"},
		{"sharded lines, unsharded build, no summary", line("a__a-1", ""), "", "", "", shard.Spec{Index: 1, Count: 2}, "every instance"},
		{"images not planned", line("a__a-1", "") + line("c__c-3", "") + line("d__d-4", ""), sum("aaaa", ""), "", "", shard.Spec{}, "2 images this build does not plan (c__c-3, d__d-4)"},
		{"image not planned", line("a__a-1", "") + line("c__c-3", ""), sum("aaaa", ""), "", "", shard.Spec{}, "holds 1 image this build does not plan (c__c-3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			for _, f := range []struct{ name, text string }{
				{manifest.ManifestFile, tc.manifest}, {manifest.SummaryFile, tc.summary}, {RecordsFile, tc.records}, {"run.json", tc.runJSON},
			} {
				if f.text == "" {
					continue
				}
				if err := os.WriteFile(filepath.Join(out, f.name), []byte(f.text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := testenv.Files(t, out)
			_, err := Run(context.Background(), Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out}, Workers: 1, Shard: tc.spec})
			if !errors.Is(err, input.ErrBad) || !strings.HasPrefix(err.Error(), "--out "+out) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: %v; want bad input naming --out %s and %q", err, out, tc.want)
			}
			if after := testenv.Files(t, out); !reflect.DeepEqual(after, before) {
				t.Errorf("the refused folder changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

// TestRunOutNotCreatable: an output folder that cannot be created is bad
// input naming --out.
func TestRunOutNotCreatable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(file, "out")
	_, err := Run(context.Background(), Options{Setup: fleet.Setup{Instances: insts(t, "a__a-1"), Out: out}, Workers: 1})
	if !errors.Is(err, input.ErrBad) || !strings.HasPrefix(err.Error(), "--out "+out) {
		t.Errorf("Run into %s: %v; want bad input naming --out", out, err)
	}
}
