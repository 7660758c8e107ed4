package evidence

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// setupRun copies testdata/sweep with run.json's keys overridden by info,
// every image record given the registry label reg and a daemon address,
// and source.json written when source is not empty; then analyses it.
func setupRun(t *testing.T, info map[string]any, reg, source string) *Analysis {
	t.Helper()
	src := filepath.Join("testdata", "sweep")
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(src, RunInfoFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range info {
		m[k] = v
	}
	raw, _ = json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, RunInfoFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := os.ReadFile(filepath.Join(src, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	recs = bytes.ReplaceAll(recs, []byte(`"kind":"image",`), []byte(`"kind":"image","registry":"`+reg+`","daemon":"unix:///tmp/buildtune-1/buildkitd-0/buildkitd.sock",`))
	if err := os.WriteFile(filepath.Join(dir, RecordsFile), recs, 0o644); err != nil {
		t.Fatal(err)
	}
	if source != "" {
		if err := os.WriteFile(filepath.Join(dir, SourceFile), []byte(source), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return analyzeDir(t, dir)
}

// TestSetup: the analysis says how the sweep was set up, from run.json,
// source.json, the records and the command line: the profile and its
// digest, the list the sample came from and the sampled ids, the
// registry's conditions, the daemons, the adaptive plan and the flags
// run.json keeps nowhere else.
func TestSetup(t *testing.T) {
	a := setupRun(t, map[string]any{
		"workload": "validate-wide", "profile_digest": "sha256:abc",
		"adaptive": true, "initial_reps": 3, "alpha": 0.05, "budget_s": 900.0,
		"instance_list": map[string]any{"source": "/x/ids.txt", "ids": []string{"django__django-1", "django__django-2", "astropy__astropy-3"}},
		"command_line": []string{"/tmp/btr", "sweep", "--profile", "p.yaml", "--registry=distribution", "--max-parallelism", "2",
			"--prune-threshold", "2GiB", "--prune-keep", "1GiB", "--buildkit-addr", "unix:///a", "--buildkit-addr", "unix:///b"},
	}, "latency=20ms,errors=0.05", `{"instances": "/x/ids.txt"}`)
	s := a.Setup
	if s == nil {
		t.Fatal("no setup for a run with run.json")
	}
	if s.Workload != "validate-wide" || s.ProfileDigest != "sha256:abc" || s.Profile != "synthetic" {
		t.Errorf("workload %q, digest %q, profile %q", s.Workload, s.ProfileDigest, s.Profile)
	}
	if s.Sample != 6 || s.Seed != 1 || s.Universe != 3 {
		t.Errorf("sample %d, seed %d, universe %d; want 6, 1, 3", s.Sample, s.Seed, s.Universe)
	}
	if len(s.Sampled) == 0 || !slices.IsSorted(s.Sampled) {
		t.Errorf("sampled %v: want the built instances, sorted", s.Sampled)
	}
	if got := s.Registries["unlimited"]; got != "latency=20ms,errors=0.05" || len(s.Registries) != 1 {
		t.Errorf("registries %v", s.Registries)
	}
	if len(s.Daemons) != 1 || !s.Adaptive || s.InitialReps != 3 || s.BudgetSeconds != 900 || s.Alpha != 0.05 {
		t.Errorf("daemons %v, adaptive %v %d %g %g", s.Daemons, s.Adaptive, s.InitialReps, s.BudgetSeconds, s.Alpha)
	}
	want := map[string]string{"registry": "distribution", "max-parallelism": "2", "prune-threshold": "2GiB", "prune-keep": "1GiB",
		"buildkit-addr": "unix:///a,unix:///b"}
	for k, v := range want {
		if s.Flags[k] != v {
			t.Errorf("flag %s = %q, want %q", k, s.Flags[k], v)
		}
	}
	if _, ok := s.Flags["daemons"]; ok {
		t.Errorf("flag daemons set though not given: %v", s.Flags)
	}
	if s.Source == nil || s.Source.Instances != "/x/ids.txt" || s.Source.Custom() {
		t.Errorf("source %+v: want the fixtures with an instance list", s.Source)
	}
	if s.Warmup {
		t.Error("warm-up reported for records without one")
	}
}

// TestSetupCustomSource: a custom workload's source.json is read, and a
// grid of explicit cells keeps its cells.
func TestSetupCustomSource(t *testing.T) {
	a := setupRun(t, map[string]any{"workload": "custom:ctx",
		"grid": map[string]any{"workers": []int{}, "batch": []any{}, "configs": []string{"workers=4,batch=15,cache=max,strategy=single"}, "sample": 4, "seed": 2}},
		"", `{"context": "/src/ctx", "tag": "{{.Registry}}/x:{{.Slug}}", "build_args": {"A": "b"}}`)
	s := a.Setup
	if s.Source == nil || !s.Source.Custom() || s.Source.Context != "/src/ctx" || s.Source.BuildArgs["A"] != "b" {
		t.Errorf("source %+v", s.Source)
	}
	if a.Grid == nil || len(a.Grid.Configs) != 1 || a.Grid.Configs[0] != "workers=4,batch=15,cache=max,strategy=single" {
		t.Errorf("grid configs %+v", a.Grid)
	}
	if s.Universe != DefaultImages || s.Seed != 2 {
		t.Errorf("universe %d, seed %d: want the SWT-Bench ids, the grid's seed", s.Universe, s.Seed)
	}
}

func TestFlagValue(t *testing.T) {
	args := []string{"buildtune", "sweep", "--registry", "host:5000", "--prune-keep=1GiB", "--trace", "--", "--daemons", "3"}
	for _, c := range []struct {
		name, want string
		ok         bool
	}{
		{"registry", "host:5000", true},
		{"prune-keep", "1GiB", true},
		{"daemons", "", false}, // after "--"
		{"reg", "", false},     // no prefix match
		{"trace", "", false},   // a bool flag has no value to take
	} {
		if got, ok := flagValue(args, c.name); got != c.want || ok != c.ok {
			t.Errorf("flagValue(%s) = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestSetupStackRecord: a run.json that records its stack (what the command
// resolved, as a --grid file's prune policy) wins over the command line's
// flags; a stack the sweep did not start says nothing of buildkitd's
// settings.
func TestSetupStackRecord(t *testing.T) {
	a := setupRun(t, map[string]any{
		"command_line": []string{"buildtune", "sweep", "--grid", "g.yaml", "--max-parallelism", "8"},
		"stack": map[string]any{"source": "private stack in /tmp/buildtune-1", "private": true, "registry_kind": "distribution",
			"daemons": 3, "max_parallelism": 2, "registry_concurrency": 16, "prune_threshold_bytes": 2 << 30, "prune_keep_bytes": 1 << 30},
	}, "", "")
	s := a.Setup
	if s == nil || s.Stack == nil || !s.Stack.Private || s.Stack.Daemons != 3 {
		t.Fatalf("setup %+v: want the recorded stack", s)
	}
	want := map[string]string{"registry": "distribution", "daemons": "3", "max-parallelism": "2", "registry-concurrency": "16",
		"prune-threshold": "2GiB", "prune-keep": "1GiB", "grid": "g.yaml"}
	for k, v := range want {
		if s.Flags[k] != v {
			t.Errorf("flag %s = %q, want %q (flags %v)", k, s.Flags[k], v, s.Flags)
		}
	}
	a = setupRun(t, map[string]any{
		"command_line": []string{"buildtune", "sweep", "--max-parallelism", "8"},
		"stack":        map[string]any{"source": "stack in runs/stack", "registry_kind": "embedded", "daemons": 1},
	}, "", "")
	if f := a.Setup.Flags; f["registry"] != "" || f["prune-threshold"] != "0" || f["max-parallelism"] != "8" {
		t.Errorf("a running stack's sweep: flags %v; want no registry kind, no prunes, the flag as given", f)
	}
}
