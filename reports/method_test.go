package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// methodRun copies analyze/evidence's synthetic sweep with run.json's keys
// overridden by info, every image record given the registry label reg
// and a private stack's daemon, a warm-up trial's line when warmup is set,
// and source.json when source is not empty; then analyses it with seed 1.
func methodRun(t *testing.T, info map[string]any, reg, source string, warmup bool) *evidence.Analysis {
	t.Helper()
	src := filepath.Join("..", "analyze", "evidence", "testdata", "sweep")
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(src, evidence.RunInfoFile))
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
	if err := os.WriteFile(filepath.Join(dir, evidence.RunInfoFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := os.ReadFile(filepath.Join(src, evidence.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	recs = bytes.ReplaceAll(recs, []byte(`"kind":"image",`), []byte(`"kind":"image","registry":"`+reg+`","daemon":"unix:///tmp/buildtune-1/buildkitd-0/buildkitd.sock",`))
	if warmup {
		recs = append(recs, []byte(`{"v":1,"kind":"trial","trial":0,"cell":"w1-b3-off-single","workers":1,"batch":3,"cache_mode":"off","strategy":"single","temp":"warmup","rep":0,"images":6,"built":6,"wall_s":60,"images_per_hour":360}`+"\n")...)
	}
	if err := os.WriteFile(filepath.Join(dir, evidence.RecordsFile), recs, 0o644); err != nil {
		t.Fatal(err)
	}
	if source != "" {
		if err := os.WriteFile(filepath.Join(dir, evidence.SourceFile), []byte(source), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run, err := evidence.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := evidence.Analyze(run, evidence.Options{Seed: 1, Reps: 200})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestMethodNamesTheRun: a sweep of another profile, sampled from an
// instance list, under an emulated registry, says so in its method and
// under its title, in the markdown and the HTML alike: the profile (not
// the default) with its file and digest, the list, the sample and its
// seed, the target, the registry's conditions, the daemons and their
// limits, the prune policy, warm-up and the command to repeat it.
func TestMethodNamesTheRun(t *testing.T) {
	ids := []string{"django__django-1", "django__django-2", "django__django-3", "astropy__astropy-1", "sympy__sympy-1",
		"sympy__sympy-2", "sympy__sympy-3", "flask__flask-1", "flask__flask-2", "flask__flask-3"}
	a := methodRun(t, map[string]any{
		"workload": "validate-wide", "profile_digest": "sha256:bbede8e1ac232a954415ededaa1b16c13a678e7cea5db1a37ad739dd0651e7a3",
		"grid": map[string]any{"workers": []int{1, 2, 4}, "batch": []any{3}, "cache": []string{"off", "min"}, "strategy": []string{"single"},
			"temp": []string{"cold", "warm"}, "reps": 5, "sample": 6, "seed": 7, "profile": "/p/validate-wide.yaml"},
		"instance_list": map[string]any{"source": "/lists/ids.txt", "ids": ids},
		"command_line": []string{"/tmp/btr", "sweep", "--profile", "/p/validate-wide.yaml", "--instances", "/lists/ids.txt", "--sample", "6",
			"--seed", "7", "--max-parallelism", "2", "--prune-threshold", "2GiB", "--prune-keep", "1GiB", "--registry-latency", "20ms",
			"--tag", "{{.Registry}}/x:{{.Slug}} y"},
	}, "latency=20ms,errors=0.05,status=429,drops=0.01", `{"instances": "/lists/ids.txt"}`, true)
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	m := d.Method
	for _, c := range []struct{ field, got, want string }{
		{"workload", m.Workload, "profile validate-wide, not the default (/p/validate-wide.yaml, sha256:bbede8e1ac23)"},
		{"instances", m.Instances, "a sample of 6 of the 10 instances of /lists/ids.txt, stratified by repo, seed 7; built: "},
		{"target", m.Target, "the 10 instances of ids.txt, the list the sweep drew its sample from"},
		{"registry", m.Registry, "embedded (go-containerregistry, blobs on disk; the default); through buildtune's proxy, no bandwidth cap, 20ms added to every request, 5% of requests answered 429, 1% of connections dropped"},
		{"daemons", m.Daemons, "1 buildkitd daemon of a private stack the sweep started, max-parallelism 2, at most 4 connections"},
		{"prune", m.Prune, "a daemon whose cache reaches 2GiB is pruned down to 1GiB; 5 prunes in the counted trials"},
		{"plan", m.Plan, "a fixed grid; one warm-up trial first"},
		{"command", m.Command, "buildtune sweep --profile /p/validate-wide.yaml --instances /lists/ids.txt --sample 6 --seed 7 --max-parallelism 2 --prune-threshold 2GiB --prune-keep 1GiB --registry-latency 20ms --tag '{{.Registry}}/x:{{.Slug}} y'"},
		{"grid", m.Grid, "workers 1, 2, 4; batch 3; cache off, min; strategy single"},
		{"buildtune", m.Buildtune, "(devel), go1.26"},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("method %s = %q, want it to say %q", c.field, c.got, c.want)
		}
	}
	md, err := Markdown(d, "plots")
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	head := s[:strings.Index(s, "## Decision")]
	if !strings.Contains(head, "Workload: the generated SWT-Bench-shaped fixtures, profile validate-wide, not the default") ||
		!strings.Contains(head, "Predictions for the 10 instances of ids.txt") {
		t.Errorf("the report's head does not name the profile and the target:\n%s", head)
	}
	method := s[strings.Index(s, "## Method"):]
	for _, want := range []string{"- Workload: ", "- Instances: ", "- Predictions for: ", "- Registry: ", "- Daemons: ", "- Prune: ",
		"- Command: `buildtune sweep --profile"} {
		if !strings.Contains(method, want) {
			t.Errorf("method lacks %q:\n%s", want, method)
		}
	}
	page, err := HTML(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"profile validate-wide, not the default", "a sample of 6 of the 10 instances of /lists/ids.txt",
		"20ms added to every request", "--prune-threshold 2GiB"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestMethodCustomWorkload: a custom Dockerfile build reads as such, with
// its templates, not as the fixtures; a sample from the SWT-Bench ids and
// their default target say so; several registry bandwidths describe each
// condition; no warm-up and an adaptive plan are said.
func TestMethodCustomWorkload(t *testing.T) {
	a := methodRun(t, map[string]any{"workload": "custom:ctx", "adaptive": true, "initial_reps": 3, "alpha": 0.05, "budget_s": 900.0,
		"command_line": []string{"buildtune", "sweep", "--context", "/src/ctx", "--registry", "distribution", "--warmup=false"}},
		"", `{"context": "/src/ctx", "dockerfile": "/src/ctx/Dockerfile.eval", "target": "source-minimal", "tag": "{{.Registry}}/x:{{.Slug}}", "build_args": {"B": "2", "A": "1"}}`, false)
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	m := d.Method
	for _, c := range []struct{ field, got, want string }{
		{"workload", m.Workload, "a custom Dockerfile build, not the fixtures: context /src/ctx, Dockerfile /src/ctx/Dockerfile.eval, target source-minimal, tag {{.Registry}}/x:{{.Slug}}, build args A=1 B=2"},
		{"instances", m.Instances, "a sample of 6 of the 433 SWT-Bench ids, stratified by repo, seed 1"},
		{"target", m.Target, "433 images, the SWT-Bench set"},
		{"registry", m.Registry, "distribution (Debian's docker-registry); direct (no bandwidth cap, latency or faults)"},
		{"plan", m.Plan, "adaptive (successive halving within a 15m00s budget): 3 reps per cell first"},
		{"plan", m.Plan, "trials per cell measured; no warm-up trial"},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("method %s = %q, want it to say %q", c.field, c.got, c.want)
		}
	}
	if m.Reps != 0 {
		t.Errorf("an adaptive sweep's planned reps (%d) read as the reps each cell got", m.Reps)
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "5 reps per cell") {
		t.Errorf("adaptive sweep's method claims its planned reps:\n%s", md)
	}
}

func TestRegistryConditions(t *testing.T) {
	for label, want := range map[string]string{
		"":                         "direct (no bandwidth cap, latency or faults)",
		"direct":                   "direct (no bandwidth cap, latency or faults)",
		"bw=16MiB/s,latency=100ms": "bandwidth 16MiB/s shared by every connection, pushes and pulls, 100ms added to every request",
		"errors=0.005,drops=0.25":  "no bandwidth cap, 0.5% of requests answered 429 or 503, 25% of connections dropped",
		"bw=1MiB/s,future=3":       "bandwidth 1MiB/s shared by every connection, pushes and pulls, future=3",
	} {
		if got := registryConditions(label); got != want {
			t.Errorf("registryConditions(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestCommandText(t *testing.T) {
	got := commandText([]string{"/usr/local/bin/bt", "sweep", "--tag", "{{.Registry}}/a:{{.Slug}}", "--build-arg", "K=it's", "--out", "runs/x"})
	want := `buildtune sweep --tag '{{.Registry}}/a:{{.Slug}}' --build-arg 'K=it'\''s' --out runs/x`
	if got != want {
		t.Errorf("commandText = %s, want %s", got, want)
	}
}

// TestTablePredictionsAreTheDecisions: every cell's row of the
// predictions table is the prediction its decision shows (the same seed
// and target), fastest first.
func TestTablePredictionsAreTheDecisions(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	rec := d.Decision.Recommended
	found := false
	for i, p := range d.Predictions {
		if p.Name == rec.Name {
			found = true
			if p.Median != rec.Median || p.Lo != rec.Lo || p.Hi != rec.Hi {
				t.Errorf("table %s: %v (%v-%v), decision %v (%v-%v)", p.Name, p.Median, p.Lo, p.Hi, rec.Median, rec.Lo, rec.Hi)
			}
		}
		if i > 0 && d.Predictions[i-1].Median > p.Median {
			t.Errorf("predictions not fastest first: %s %v before %s %v", d.Predictions[i-1].Name, d.Predictions[i-1].Median, p.Name, p.Median)
		}
	}
	if !found {
		t.Errorf("the recommended %s has no row", rec.Name)
	}
	if got := d.Charts.Predictions.Title; got != "Predicted wall time of a build of 433 images" {
		t.Errorf("predictions chart title %q", got)
	}
}

// TestPredictionsPerCondition: a sweep of two registry bandwidths gets one
// predictions table per condition, each noted with its own decision's
// picks.
func TestPredictionsPerCondition(t *testing.T) {
	a := editedRun(t, twoConditions)
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	sec := s[strings.Index(s, "### Predictions"):strings.Index(s, "### Model")]
	i16, iun := strings.Index(sec, "#### Registry bandwidth 16MiB/s"), strings.Index(sec, "#### Registry bandwidth unlimited")
	if i16 < 0 || iun < i16 {
		t.Fatalf("predictions not split by condition:\n%s", sec)
	}
	for i, part := range []string{sec[i16:iun], sec[iun:]} {
		dec := d.Decisions[i]
		note := "recommended"
		if !dec.Confident {
			note = "fastest"
		}
		if !strings.Contains(part, "| "+dec.Recommended.Name+" |") || strings.Count(part, "| "+note) != 1 {
			t.Errorf("condition %s: its table does not mark its own pick %s:\n%s", dec.Registry, dec.Recommended.Name, part)
		}
	}
}

// TestThroughputLegendSaysRange: cells of fewer trials than a 95%
// interval needs are drawn with their range, and the legend says so, as
// the cells table does.
func TestThroughputLegendSaysRange(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	short := 0
	for _, c := range d.Cells {
		if c.CIConfidence < 0.95-1e-9 {
			short++
		}
	}
	want := map[int]string{0: "", len(d.Cells): "median, range of the trials"}[short]
	if short > 0 && short < len(d.Cells) {
		want = "median, 95% CI (range under 6 trials)"
	}
	if short == 0 {
		t.Fatal("testdata has no cell of too few trials: the test tests nothing")
	}
	if got := d.Charts.Throughput.IntervalLabel; got != want {
		t.Errorf("legend %q, want %q (%d of %d cells show a range)", got, want, short, len(d.Cells))
	}
}

func TestPercent1NoNegativeZero(t *testing.T) {
	for v, want := range map[float64]string{-0.004: "0.0%", 0.004: "0.0%", -0.06: "-0.1%", 15.64: "15.6%"} {
		if got := percent1(v); got != want {
			t.Errorf("percent1(%v) = %q, want %q", v, got, want)
		}
	}
}
