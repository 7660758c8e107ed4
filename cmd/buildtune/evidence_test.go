package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/testenv"
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
