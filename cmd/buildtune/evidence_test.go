package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// copyRun copies the synthetic sweep of analyze/evidence/testdata into a
// scratch folder, so the commands may write beside it.
func copyRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sweep")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"run.json", "records.jsonl"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "analyze", "evidence", "testdata", "sweep", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAnalyzeReportRecommend(t *testing.T) {
	dir := copyRun(t)
	if r := runIn(t, "analyze", dir); r.code != exitOK || !strings.Contains(r.stdout, "analysis:") {
		t.Fatalf("analyze: %s", r)
	}
	var a map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "analysis.json"))
	if err != nil || json.Unmarshal(b, &a) != nil || a["cells"] == nil {
		t.Fatalf("analysis.json: %v %s", err, b)
	}
	r := runIn(t, "recommend", dir, "--json", "--images", "40", "--baseline", "workers=4,batch=15,cache=off")
	if r.code != exitOK {
		t.Fatalf("recommend --json: %s", r)
	}
	var rec struct {
		Images      int `json:"images"`
		Recommended struct {
			Config struct {
				Workers   int    `json:"workers"`
				Batch     int    `json:"batch"`
				CacheMode string `json:"cache_mode"`
				Strategy  string `json:"strategy"`
			} `json:"config"`
			PredictedS struct{ Median, Lo, Hi float64 } `json:"predicted_s"`
		} `json:"recommended"`
		Baseline *struct {
			PredictedS struct{ Median, Lo, Hi float64 } `json:"predicted_s"`
		} `json:"baseline"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		t.Fatalf("recommend --json is not one JSON object: %v\n%s", err, r.stdout)
	}
	p := rec.Recommended.PredictedS
	if rec.Images != 40 || rec.Recommended.Config.Workers < 1 || rec.Recommended.Config.CacheMode == "" || !(p.Lo <= p.Median && p.Median <= p.Hi && p.Median > 0) || rec.Baseline == nil {
		t.Errorf("recommend --json: %+v", rec)
	}
	if r := runIn(t, "report", dir, "--images", "40"); r.code != exitOK {
		t.Fatalf("report: %s", r)
	}
	for _, f := range []string{"report.md", "report.html", "plots/throughput.png", "plots/predictions.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("report: %s missing or empty (%v)", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if i, j := strings.Index(string(md), "## Decision"), strings.Index(string(md), "## Method"); i < 0 || j < i {
		t.Errorf("report.md: want the decision first and the method last:\n%s", md)
	}
	if r := runIn(t, "plan", dir, "--images", "2000", "--deadline", "3h"); r.code != exitOK && r.code != exitFailed {
		t.Errorf("plan: %s", r)
	}
	if r := runIn(t, "plan", dir, "--images", "433", "--runners", "2"); r.code != exitOK || !strings.Contains(r.stdout, "2 runners") {
		t.Errorf("plan --runners: %s", r)
	}
}

// TestRecommendWorkflow: the knobs of a workflow shaped like the real one
// are shown as a diff, applied with --write, and nothing else changes.
func TestRecommendWorkflow(t *testing.T) {
	dir := copyRun(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "internal", "workflow", "testdata", "build-swtbench-images.yml"))
	if err != nil {
		t.Fatal(err)
	}
	wf := filepath.Join(t.TempDir(), "build.yml")
	if err := os.WriteFile(wf, src, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "recommend", dir, "--images", "40", "--workflow", wf, "--job", "build-and-push")
	if r.code != exitOK || !strings.Contains(r.stdout, "--- a/build.yml") || !strings.Contains(r.stdout, "MAX_WORKERS") {
		t.Fatalf("recommend --workflow: %s", r)
	}
	if after, _ := os.ReadFile(wf); string(after) != string(src) {
		t.Errorf("the diff changed the file")
	}
	if r := runIn(t, "recommend", dir, "--images", "40", "--workflow", wf, "--job", "build-and-push", "--write"); r.code != exitOK {
		t.Fatalf("recommend --write: %s", r)
	}
	after, _ := os.ReadFile(wf)
	if string(after) == string(src) {
		t.Errorf("--write changed nothing")
	}
	a, b := strings.Split(string(src), "\n"), strings.Split(string(after), "\n")
	if len(a) != len(b) {
		t.Fatalf("--write changed the number of lines: %d -> %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] && !strings.Contains(a[i], "MAX_WORKERS") && !strings.Contains(a[i], "BUILD_BATCH_SIZE") &&
			!strings.Contains(a[i], "CACHE_MODE") && !strings.Contains(a[i], "default:") {
			t.Errorf("line %d changed but holds no knob:\n- %s\n+ %s", i+1, a[i], b[i])
		}
	}
	if r := runIn(t, "recommend", dir, "--workflow", wf, "--format", "env"); r.code != exitOK || !strings.Contains(r.stdout, "MAX_WORKERS=") {
		t.Errorf("--format env: %s", r)
	}
}

// TestEvidenceBadInput: each bad input gets one line naming it, exit 2,
// and writes nothing.
func TestEvidenceBadInput(t *testing.T) {
	dir := copyRun(t)
	empty := t.TempDir()
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("hello"), 0o644)
	newer := t.TempDir()
	os.WriteFile(filepath.Join(newer, "records.jsonl"), []byte(`{"v":99,"kind":"trial","trial":1}`+"\n"), 0o644)
	noKnobs := filepath.Join(t.TempDir(), "ci.yml")
	os.WriteFile(noKnobs, []byte("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"analyze", empty}, empty},
		{[]string{"analyze", foreign}, foreign},
		{[]string{"analyze", newer}, "version"},
		{[]string{"analyze", filepath.Join(empty, "nope")}, "nope"},
		{[]string{"analyze"}, "run folder"},
		{[]string{"analyze", dir, "--baseline", "workers=4,colour=blue"}, "colour"},
		{[]string{"analyze", dir, "--baseline", "workers=0"}, "--baseline"},
		{[]string{"analyze", dir, "--equivalence", "300%"}, "--equivalence"},
		{[]string{"recommend", dir, "--deadline", "-3h"}, "--deadline"},
		{[]string{"recommend", dir, "--deadline", "soon"}, "--deadline"},
		{[]string{"recommend", dir, "--images", "0"}, "--images"},
		{[]string{"recommend", dir, "--images", "-5"}, "--images"},
		{[]string{"recommend", dir, "--max-workers", "-1"}, "--max-workers"},
		{[]string{"recommend", dir, "--max-registry-bytes", "lots"}, "--max-registry-bytes"},
		{[]string{"recommend", dir, "--workflow", noKnobs}, noKnobs},
		{[]string{"recommend", dir, "--workflow", filepath.Join(empty, "missing.yml")}, "missing.yml"},
		{[]string{"recommend", dir, "--write"}, "--workflow"},
		{[]string{"recommend", dir, "--instances", filepath.Join(empty, "ids.txt")}, "--instances"},
		{[]string{"plan", dir, "--images", "433"}, "--deadline"},
		{[]string{"plan", dir, "--images", "0", "--deadline", "3h"}, "--images"},
		{[]string{"plan", dir, "--deadline", "3h", "--runners", "2"}, "--deadline and --runners"},
		{[]string{"plan", dir, "--deadline", "0s"}, "--deadline"},
		{[]string{"plan", dir, "--runners", "-2"}, "--runners"},
		{[]string{"plan", dir, "--deadline", "3h", "--registry-bandwidth", "fast"}, "--registry-bandwidth"},
		{[]string{"report", dir, "--images", "0"}, "--images"},
		{[]string{"validate", dir}, "run folder"},
		{[]string{"validate", dir, empty}, empty},
		{[]string{"prove", "--head", "workers=16,batch=fifty"}, "batch"},
		{[]string{"prove"}, "--head"},
		{[]string{"prove", "--head", "workers=4,batch=15,cache=max"}, "--base and --head"},
		{[]string{"prove", "--head", "workers=16,batch=50,cache=min", "--claim", "soon"}, "--claim"},
	}
	before, _ := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	for _, tt := range tests {
		r := runIn(t, tt.args...)
		lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
		if r.code != exitUsage || len(lines) != 1 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("buildtune %v: want exit 2 and one line naming %q\n%s", tt.args, tt.want, r)
		}
	}
	for _, d := range []string{dir, empty, foreign, newer} {
		if _, err := os.Stat(filepath.Join(d, "analysis.json")); err == nil {
			t.Errorf("bad input wrote %s/analysis.json", d)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "records.jsonl")); string(after) != string(before) {
		t.Errorf("bad input changed the records")
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRecommendJSONGolden: `recommend --json` on the recorded sweep, with
// its fixed seeds, is byte for byte testdata/recommend.golden.json
// (-update rewrites it).
func TestRecommendJSONGolden(t *testing.T) {
	dir := copyRun(t)
	r := runIn(t, "recommend", dir, "--json", "--images", "40", "--baseline", "workers=4,batch=15,cache=off")
	if r.code != exitOK {
		t.Fatalf("recommend --json: %s", r)
	}
	golden := filepath.Join("testdata", "recommend.golden.json")
	if *update {
		if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if r.stdout != string(want) {
		t.Errorf("recommend --json differs from %s (go test -run RecommendJSONGolden -update):\n%s", golden, r.stdout)
	}
}

// TestProve: a real paired sweep of two settings, then the verdict. A
// claim no build can meet is refuted (exit 1), with the verdict in
// markdown on stdout and in OUT/verdict.md.
func TestProve(t *testing.T) {
	bk := testenv.Buildkitd(t)
	out := filepath.Join(t.TempDir(), "prove")
	r := runBT(t, 5*time.Minute, "prove", "--base", "workers=1,batch=stream,cache=off", "--head", "workers=2,batch=stream,cache=off",
		"--claim", "1s", "--images", "40", "--reps", "2", "--sample", "2", "--warmup=false", "--out", out, "--buildkitd", bk)
	if r.code != exitFailed {
		t.Fatalf("prove with an impossible claim: want exit %d (refuted)\n%s", exitFailed, r)
	}
	md, err := os.ReadFile(filepath.Join(out, "verdict.md"))
	if err != nil || !strings.Contains(string(md), "refuted") || !strings.Contains(r.stdout, "refuted") {
		t.Errorf("verdict.md (%v):\n%s\nstdout:\n%s", err, md, r.stdout)
	}
	set := readRecords(t, filepath.Join(out, "records.jsonl"))
	cells := map[string]int{}
	for _, tr := range record.Select(set).Trials {
		cells[tr.Cell]++
	}
	if cells["w1-stream-off-single"] != 2 || cells["w2-stream-off-single"] != 2 || len(cells) != 2 {
		t.Errorf("paired sweep: trials per cell %v, want 2 of each setting and nothing else", cells)
	}
}

// TestReportOutLeavesRun: with --out, report and analyze write only there
// (analysis.json included), so a run folder copied read-only is never
// written.
func TestReportOutLeavesRun(t *testing.T) {
	dir := copyRun(t)
	out := filepath.Join(t.TempDir(), "report")
	if r := runIn(t, "report", dir, "--images", "40", "--out", out); r.code != exitOK {
		t.Fatalf("report --out: %s", r)
	}
	an := filepath.Join(t.TempDir(), "an")
	if r := runIn(t, "analyze", dir, "--out", an); r.code != exitOK || !strings.Contains(r.stdout, filepath.Join(an, "analysis.json")) {
		t.Fatalf("analyze --out: %s", r)
	}
	for _, f := range []string{filepath.Join(out, "analysis.json"), filepath.Join(out, "report.md"), filepath.Join(an, "analysis.json")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "run.json" && e.Name() != "records.jsonl" {
			t.Errorf("the run folder gained %s", e.Name())
		}
	}
}

// writeListSweep writes a sweep folder as `sweep --instances set.txt
// --sample 8` leaves it: run.json records the list of 40 (instanceList,
// as the sweep command fills it), and the records are of two cells
// building a sample of 8 drawn from it, 4 cold reps each. The list file
// is removed afterwards: the evidence commands must not need it.
func writeListSweep(t *testing.T) string {
	t.Helper()
	var ids []string
	for _, rc := range []struct {
		repo string
		n    int
	}{{"django", 15}, {"sympy", 10}, {"astropy", 8}, {"requests", 7}} {
		for i := range rc.n {
			ids = append(ids, fmt.Sprintf("%s__%s-%d", rc.repo, rc.repo, i+1))
		}
	}
	listFile := writeFile(t, "set.txt", strings.Join(ids, "\n")+"\n")
	all, err := workload.LoadInstanceList(listFile)
	if err != nil {
		t.Fatal(err)
	}
	list, err := instanceList(fleet.Source{Instances: listFile}, all)
	if err != nil || list == nil || len(list.IDs) != 40 {
		t.Fatalf("instanceList = %+v, %v; want the 40 ids", list, err)
	}
	if l, err := instanceList(fleet.Source{}, all); l != nil || err != nil {
		t.Errorf("instanceList of the fixtures = %+v, %v; want nil", l, err)
	}
	if err := os.Remove(listFile); err != nil {
		t.Fatal(err)
	}
	sample := []string{"astropy__astropy-1", "astropy__astropy-2", "django__django-1", "django__django-2", "django__django-3",
		"sympy__sympy-1", "sympy__sympy-2", "sympy__sympy-3"}
	dir := filepath.Join(t.TempDir(), "sweep")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	info := sweep.RunInfo{ID: "20261126T120000Z", Machine: sweep.Machine{Cores: 2, OS: "linux", Arch: "amd64"}, Version: "(devel)",
		Grid: sweep.Grid{Workers: []int{2, 4}, Batches: []int{4}, Cache: []engine.CacheMode{"off"}, Strategies: []string{"single"},
			Registry: []string{sweep.Direct}, Temps: []string{sweep.Cold}, Reps: 4, Sample: len(sample), Seed: 1},
		Seed: 1, Start: t0, Workload: "fixtures", Instances: list}
	if err := sweep.WriteRunInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	w, err := record.Create(filepath.Join(dir, sweep.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	trial, clock := 0, t0
	for rep := 1; rep <= 4; rep++ {
		for _, cell := range []struct{ workers, seconds float64 }{{2, 10}, {4, 12}} {
			trial++
			workers := int(cell.workers)
			rc := record.Config{Cell: fmt.Sprintf("w%d-b4-off-single", workers), Workers: workers, Batch: 4, CacheMode: "off",
				Strategy: "single", Temp: record.TempCold, Rep: rep}
			d := cell.seconds * (1 + 0.01*float64(rep))
			span := 0.0
			for b := range 2 {
				for k := range 4 {
					s := clock.Add(time.Duration((1 + span + float64(k/workers)*d) * float64(time.Second)))
					id := sample[4*b+k]
					im := record.Image{Trial: trial, Config: rc, Instance: id, Phase: "single", Status: record.StatusBuilt, Attempts: 1, BatchIndex: b,
						Cost: record.Cost{ID: id, Start: s, End: s.Add(time.Duration(d * float64(time.Second))), WallSeconds: d,
							ExecSeconds: 0.6 * d, ImageExportSeconds: 0.1 * d, LayerPushSeconds: 0.2 * d, CachedSteps: 3, TotalSteps: 4, ImageBytes: 50 << 20}}
					if err := w.Write(&im); err != nil {
						t.Fatal(err)
					}
				}
				span += float64((4+workers-1)/workers) * d
			}
			wall := 1 + span
			end := clock.Add(time.Duration(wall * float64(time.Second)))
			tr := record.Trial{Trial: trial, Config: rc, Start: clock, End: end, WallSeconds: wall, Images: 8, Built: 8,
				ImagesPerHour: record.ImagesPerHour(8, wall), BytesPushed: 8 * 50 << 20}
			if err := w.Write(&tr); err != nil {
				t.Fatal(err)
			}
			clock = end.Add(10 * time.Second)
		}
	}
	return dir
}

// TestPredictsTheSweepsList: a sweep of a sample of 8 drawn from a list of
// 40 (--instances set.txt --sample 8) is predicted for the 40, with the
// list's repos, by recommend, report and analyze, which say so; --images
// still wins, and a sweep without a list keeps the 433 images.
func TestPredictsTheSweepsList(t *testing.T) {
	dir := writeListSweep(t)
	const target = "the 40 instances of set.txt, the list the sweep drew its sample from"
	r := runIn(t, "recommend", dir, "--json")
	if r.code != exitOK {
		t.Fatalf("recommend --json: %s", r)
	}
	var rec struct {
		Images   int      `json:"images"`
		Target   string   `json:"target"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		t.Fatalf("recommend --json: %v\n%s", err, r.stdout)
	}
	if rec.Images != 40 || rec.Target != target {
		t.Errorf("recommend --json: %d images, target %q; want 40, %q", rec.Images, rec.Target, target)
	}
	// The list's repos weight the draws: its 7 requests images have no
	// repo in the sample (433 images without repos would not say so).
	if w := strings.Join(rec.Warnings, "\n"); !strings.Contains(w, "7 of 40 target images (1 repo) have no observations of their repo") {
		t.Errorf("recommend --json: warnings %q, want the list's repos used", rec.Warnings)
	}
	if r := runIn(t, "recommend", dir); r.code != exitOK || !strings.Contains(r.stdout, "for 40 images") || !strings.Contains(r.stdout, "Predicted for "+target+".") {
		t.Errorf("recommend: want the prediction for the list, named\n%s", r)
	}
	r = runIn(t, "recommend", dir, "--json", "--images", "433")
	rec.Images, rec.Target = 0, ""
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.Images != 433 || rec.Target != "" {
		t.Errorf("recommend --images 433: %d images, target %q (%v); want --images to win", rec.Images, rec.Target, err)
	}
	if r := runIn(t, "report", dir); r.code != exitOK || !strings.Contains(r.stdout, "predictions for "+target) {
		t.Errorf("report: want it to name the list\n%s", r)
	}
	if md, _ := os.ReadFile(filepath.Join(dir, "report.md")); !strings.Contains(string(md), "for 40 images") || !strings.Contains(string(md), "Predicted for "+target) {
		t.Errorf("report.md: want the decision for the list's 40 images\n%s", md)
	}
	if r := runIn(t, "analyze", dir); r.code != exitOK || !strings.Contains(r.stdout, "full build: "+target) {
		t.Errorf("analyze: want it to name the list\n%s", r)
	}
	if r := runIn(t, "plan", dir, "--runners", "1"); r.code != exitOK || !strings.Contains(r.stderr, "planning for "+target) {
		t.Errorf("plan: want it to plan the list\n%s", r)
	}
	var an struct {
		Options struct {
			Images int `json:"images"`
		} `json:"options"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "analysis.json")); err != nil || json.Unmarshal(b, &an) != nil || an.Options.Images != 40 {
		t.Errorf("analysis.json: options.images %d (%v), want 40", an.Options.Images, err)
	}
	// A sweep without a recorded list (the fixtures, or one made before
	// sweeps recorded it) keeps the 433 images.
	old := copyRun(t)
	if r := runIn(t, "report", old); r.code != exitOK || !strings.Contains(r.stdout, "predictions for 433 images") {
		t.Errorf("report of a sweep without a list: want 433 images\n%s", r)
	}
}
