package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// tinyProfile writes a fixture profile whose images build in a few tenths of
// a second, for tests about what is built rather than how fast.
func tinyProfile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tiny.yaml")
	const y = `name: tiny
time_scale: 0.003
cpu_unit: 200
arg_position: before
steps:
  builder:  {cpu_seconds: 30, bytes: 64KiB}
  apt:      {cpu_seconds: 50, bytes: 256KiB}
  npm:      {cpu_seconds: 10, bytes: 128KiB}
  settings: {cpu_seconds: 1, bytes: 1KiB}
agent_server_bytes: 512KiB
base:
  bytes: 256KiB
  sigma: 0
`
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startedSweep writes the folder of a sweep of --instances list --profile prof
// interrupted before its first trial was recorded: run.json (with the list's
// ids and the profile's digest) and source.json, as the sweep command leaves
// them.
func startedSweep(t *testing.T, list, prof string, ids []string) string {
	t.Helper()
	p, err := fixtures.LoadProfile(prof)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "sweep")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	info := sweep.RunInfo{ID: "20261127T120000Z", Machine: sweep.Machine{Cores: 2, OS: "linux", Arch: "amd64"}, Version: "(devel)",
		Grid: sweep.Grid{Workers: []int{1}, Batches: []int{2}, Cache: []engine.CacheMode{"off"}, Strategies: []string{"single"},
			Registry: []string{sweep.Direct}, Temps: []string{sweep.Cold}, Reps: 1, Sample: 2, Seed: 1, Profile: prof},
		Seed: 1, Workload: p.Name, ProfileDigest: p.Digest(), Instances: &sweep.InstanceList{Source: list, IDs: ids}}
	if err := sweep.WriteRunInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	if err := (&fleet.Source{Instances: list}).Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSweepResumeMovedListAndProfile: run.json keeps a sweep's instance list
// (its ids) and its profile's digest, so a resume needs neither file where it
// was. A moved list is not needed (the resume gets as far as the stack, here a
// missing buildkitd), and may be named where it is now; a list of other ids
// given to the resume is refused. A moved profile is refused naming --profile,
// and taken from --profile NEWPATH when its digest is run.json's; another
// profile is refused. Refusals are one line, exit 2, the folder unchanged.
func TestSweepResumeMovedListAndProfile(t *testing.T) {
	tmp := t.TempDir()
	ids := []string{"org1__repo1-1", "org2__repo2-2", "org3__repo3-3", "org4__repo4-4"}
	list := filepath.Join(tmp, "ids.txt")
	if err := os.WriteFile(list, []byte(strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prof := tinyProfile(t, tmp)
	dir := startedSweep(t, list, prof, ids)
	before := testenv.Files(t, dir)

	moved := filepath.Join(tmp, "moved-ids.txt")
	movedProf := filepath.Join(tmp, "moved-tiny.yaml")
	if err := os.Rename(list, moved); err != nil {
		t.Fatal(err)
	}
	bk := []string{"--buildkitd", "/nonexistent/buildkitd", "--registry", "127.0.0.1:1"}
	resume := func(extra ...string) result {
		t.Helper()
		t.Setenv("BUILDKIT_HOST", "")
		return runIn(t, append(append([]string{"sweep", "--resume", dir}, bk...), extra...)...)
	}
	reachesStack := func(what string, r result) {
		t.Helper()
		if !strings.Contains(r.stderr, "buildkitd not found at /nonexistent/buildkitd") {
			t.Errorf("%s: want the resume to get as far as the missing buildkitd\n%s", what, r)
		}
	}
	refused := func(what string, r result, want ...string) {
		t.Helper()
		if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("%s: want exit 2 and one line\n%s", what, r)
		}
		for _, w := range want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q\n%s", what, w, r)
			}
		}
		if after := testenv.Files(t, dir); !maps.Equal(after, before) {
			t.Errorf("%s: the refused resume changed %s", what, dir)
		}
	}

	reachesStack("list moved", resume())
	reachesStack("list moved, --instances NEWPATH", resume("--instances", moved))
	other := filepath.Join(tmp, "other.txt")
	if err := os.WriteFile(other, []byte("orgx__repox-1\norgy__repoy-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("--instances of other ids", resume("--instances", other), "--instances "+other, "2 ids", "4 ids", "run.json", "instance_list")

	if err := os.Rename(prof, movedProf); err != nil {
		t.Fatal(err)
	}
	refused("profile moved", resume(), "--resume "+dir, prof, "--profile NEWPATH", "profile_digest")
	reachesStack("profile moved, --profile NEWPATH", resume("--profile", movedProf))
	edited := filepath.Join(tmp, "edited.yaml")
	b, err := os.ReadFile(movedProf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(edited, bytes.Replace(b, []byte("cpu_seconds: 50"), []byte("cpu_seconds: 51"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("--profile of another digest", resume("--profile", edited), "--profile "+edited, "profile_digest")
}

// TestSweepResumeEditedList: a sweep interrupted and resumed after its
// --instances file was edited builds, on resume, the sample of the ids it
// started with (run.json's instance_list), with a warning that the file was
// ignored; it never mixes the new file's ids into its records.
func TestSweepResumeEditedList(t *testing.T) {
	bk := testenv.Buildkitd(t)
	tmp := t.TempDir()
	list := filepath.Join(tmp, "ids.txt")
	if err := os.WriteFile(list, []byte("org1__repo1-1\norg2__repo2-2\norg3__repo3-3\norg4__repo4-4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prof := tinyProfile(t, tmp)
	out := filepath.Join(tmp, "sweep")
	r := runIn(t, "sweep", "--profile", prof, "--instances", list, "--sample", "2", "--workers", "1", "--batch", "2", "--cache", "off",
		"--reps", "2", "--warmup=false", "--out", out, "--buildkitd", bk)
	if r.code != exitOK {
		t.Fatalf("sweep: %s", r)
	}
	recs := filepath.Join(out, sweep.RecordsFile)
	first := builtInstances(t, recs)
	if len(first) != 2 {
		t.Fatalf("sweep built %v, want a sample of 2", first)
	}
	// As if interrupted before the second trial finished: its records go.
	data, err := os.ReadFile(recs)
	if err != nil {
		t.Fatal(err)
	}
	var kept [][]byte
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var v struct {
			Trial int `json:"trial"`
		}
		if json.Unmarshal(line, &v) == nil && v.Trial == 2 {
			continue
		}
		kept = append(kept, line)
	}
	if err := os.WriteFile(recs, append(bytes.Join(kept, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	runJSON, err := os.ReadFile(filepath.Join(out, sweep.RunInfoFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(list, []byte("orgw__repow-1\norgx__repox-2\norgy__repoy-3\norgz__repoz-4\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r = runIn(t, "sweep", "--resume", out, "--buildkitd", bk)
	if r.code != exitOK {
		t.Fatalf("resume: %s", r)
	}
	if !strings.Contains(r.stderr, "the instance list "+list+" has changed since the sweep started") || !strings.Contains(r.stderr, "instance_list") {
		t.Errorf("resume: want a warning that the edited list was ignored for run.json's\n%s", r)
	}
	if got := builtInstances(t, recs); !slices.Equal(got, first) {
		t.Errorf("after the resume the records name %v, want only the sample the sweep started with, %v", got, first)
	}
	set := readRecords(t, recs)
	n := 0
	for _, tr := range record.Select(set).Trials {
		if tr.Built == 2 {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d trials of 2 built images count, want 2", n)
	}
	// The sweep started with --warmup=false: its resume adds no warm-up
	// trial (it did, the flag's default, before run.json kept the choice).
	for _, tr := range set.Trials {
		if tr.Temp == record.TempWarmup {
			t.Errorf("the resume of a sweep started with --warmup=false ran a warm-up trial: %+v", tr)
		}
	}
	if now, err := os.ReadFile(filepath.Join(out, sweep.RunInfoFile)); err != nil || !bytes.Equal(now, runJSON) {
		t.Errorf("the resume changed run.json (%v)", err)
	}
}

// builtInstances are the instances the image records of path name, sorted.
func builtInstances(t *testing.T, path string) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, im := range readRecords(t, path).Images {
		seen[im.Instance] = true
	}
	return slices.Sorted(maps.Keys(seen))
}
