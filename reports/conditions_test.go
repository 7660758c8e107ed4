package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/sweep/record"
)

// editedRun copies analyze/evidence's synthetic sweep, each records line
// replaced by what edit returns, and analyses it.
func editedRun(t *testing.T, edit func(line []byte) [][]byte) *evidence.Analysis {
	t.Helper()
	src := filepath.Join("..", "analyze", "evidence", "testdata", "sweep")
	dir := t.TempDir()
	for _, f := range []string{evidence.RunInfoFile, evidence.RecordsFile} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == evidence.RecordsFile {
			var out [][]byte
			for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
				out = append(out, edit(line)...)
			}
			data = append(bytes.Join(out, []byte("\n")), '\n')
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
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

var (
	cellRE  = regexp.MustCompile(`"cell":"([^"]*)"`)
	trialRE = regexp.MustCompile(`"trial":([0-9]+)`)
)

// twoConditions adds to every record a copy measured under a 16MiB/s
// registry (trial numbers + 1000).
func twoConditions(line []byte) [][]byte {
	cp := cellRE.ReplaceAll(bytes.Clone(line), []byte(`"cell":"${1}-bw16MiB/s"`))
	cp = trialRE.ReplaceAllFunc(cp, func(m []byte) []byte {
		n, _ := strconv.Atoi(string(trialRE.FindSubmatch(m)[1]))
		return []byte(`"trial":` + strconv.Itoa(n+1000))
	})
	return [][]byte{line, cp}
}

// TestReportPerCondition: a sweep of two registry bandwidths gets one
// decision per condition, and knob findings per condition; naming one
// condition gives that decision alone.
func TestReportPerCondition(t *testing.T) {
	a := editedRun(t, twoConditions)
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Decisions) != 2 || d.Decisions[0].Registry != "16MiB/s" || d.Decisions[1].Registry != "unlimited" {
		t.Fatalf("decisions %+v, want 16MiB/s and unlimited", d.Decisions)
	}
	if !strings.HasSuffix(d.Decisions[0].Recommended.Cell, "-bw16MiB/s") || strings.Contains(d.Decisions[1].Recommended.Cell, "-bw") {
		t.Errorf("recommended %q and %q: want each from its condition", d.Decisions[0].Recommended.Cell, d.Decisions[1].Recommended.Cell)
	}
	for _, dec := range d.Decisions {
		if ru := dec.RunnerUp.Cell; ru != "" && strings.Contains(ru, "-bw") != (dec.Registry != "unlimited") {
			t.Errorf("%s: runner-up %s from another condition", dec.Registry, ru)
		}
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### Registry bandwidth 16MiB/s", "### Registry bandwidth unlimited", "not a setting to choose", "workers (registry bandwidth unlimited)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	one, err := FromAnalysis(a, evidence.Constraints{Registry: "16MiB/s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Decisions) != 0 || !strings.HasSuffix(one.Decision.Recommended.Cell, "-bw16MiB/s") {
		t.Errorf("16MiB/s named: %+v", one.Decision)
	}
}

// TestReportWithoutRecommendation: a run whose every build failed has no
// recommendation; the report is still written, saying so and why.
func TestReportWithoutRecommendation(t *testing.T) {
	a := editedRun(t, func(line []byte) [][]byte {
		line = bytes.Replace(line, []byte(`"status":"built"`), []byte(`"status":"failed","error_class":"build","error":"exit 1"`), 1)
		line = bytes.Replace(line, []byte(`"built":6`), []byte(`"built":0,"failed":6`), 1)
		line = regexp.MustCompile(`"images_per_hour":[0-9.e+]+`).ReplaceAll(line, []byte(`"images_per_hour":0`))
		return [][]byte{line}
	})
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatalf("no recommendation is an error: %v", err)
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "No recommendation: ") || !strings.Contains(string(md), "no cell has built images") {
		t.Errorf("report lacks the no-recommendation section:\n%s", md)
	}
	if _, err := Write(t.TempDir(), d); err != nil {
		t.Errorf("writing the report: %v", err)
	}
}

// TestSummaryOneTrialNoCI: a cell of one trial has no interval; the
// summary printed its value twice as a "95% CI".
func TestSummaryOneTrialNoCI(t *testing.T) {
	a := editedRun(t, func(line []byte) [][]byte {
		if bytes.Contains(line, []byte(`"cell":"w1-b3-off-single"`)) && !bytes.Contains(line, []byte(`"rep":1,`)) {
			return nil
		}
		return [][]byte{line}
	})
	s := AnalysisSummary(a)
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "w1-b3-off-single") && !strings.Contains(line, "(no CI: 1 trial)") {
			t.Errorf("one-trial row: %q, want (no CI: 1 trial)", line)
		}
	}
}

// TestCellsRankedPerCondition: with two registry bandwidths, the cells
// table, the analysis summary, the sweep summary and the predictions chart
// rank cells within each condition: each condition has its own best at #1,
// the other cells' p-values are against it, and no condition's rows are
// interleaved with the other's.
func TestCellsRankedPerCondition(t *testing.T) {
	a := editedRun(t, twoConditions)
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Cells) != 8 {
		t.Fatalf("%d cell rows, want 8", len(d.Cells))
	}
	for i, c := range d.Cells {
		capped := strings.HasSuffix(c.Name, "-bw16MiB/s")
		if want := map[bool]string{true: "16MiB/s", false: "unlimited"}[capped]; c.Registry != want {
			t.Errorf("row %s: condition %q, want %q", c.Name, c.Registry, want)
		}
		if capped != (i < 4) {
			t.Errorf("row %d %s: the conditions' rows are interleaved", i, c.Name)
		}
		if c.Position != i%4+1 || (c.Position == 1) != (c.Verdict == VerdictBest) {
			t.Errorf("row %s: position %d, verdict %q; want %d, best only at 1", c.Name, c.Position, c.Verdict, i%4+1)
		}
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#### Registry bandwidth 16MiB/s\n", "#### Registry bandwidth unlimited\n",
		"ranked only among the cells of the same registry bandwidth", "| 1 | w4-b3-off-single-bw16MiB/s |", "| 1 | w4-b3-off-single |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Count(string(md), "| best |") != 2 {
		t.Errorf("report: %d cells marked best, want one per condition", strings.Count(string(md), "| best |"))
	}

	// The model's USL fits are per condition too, named with it.
	for _, want := range []string{"cache off, single, batch 3, registry 16MiB/s", "cache off, single, batch 3, registry unlimited"} {
		if !slices.ContainsFunc(d.Model.USL, func(u USLRow) bool { return u.Series == want }) {
			t.Errorf("USL rows %+v lack %q", d.Model.USL, want)
		}
	}

	s := AnalysisSummary(a)
	for _, want := range []string{"registry bandwidth 16MiB/s (best w4-b3-off-single-bw16MiB/s):", "registry bandwidth unlimited (best w4-b3-off-single):"} {
		if !strings.Contains(s, want) {
			t.Errorf("analysis summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, " best\n") != 2 {
		t.Errorf("analysis summary marks %d cells best, want one per condition:\n%s", strings.Count(s, " best\n"), s)
	}

	set, err := record.ReadFile(filepath.Join(a.Dir, evidence.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	sum := SweepSummary(set, SweepInfo{RunID: "x"})
	if !strings.Contains(sum, "cold trials, registry bandwidth 16MiB/s") || !strings.Contains(sum, "cold trials, registry bandwidth unlimited") {
		t.Errorf("sweep summary lacks a ranking per condition:\n%s", sum)
	}
	if strings.Count(sum, "| 1 | w4-b3-off-single") != 2 {
		t.Errorf("sweep summary: want w4 first under each condition:\n%s", sum)
	}

	unlimited := false
	for _, p := range d.Charts.Predictions.Configs {
		capped := strings.Contains(p.Name, "-bw")
		if capped && unlimited {
			t.Errorf("predictions chart: %s after an unlimited cell, want the capped condition's rows first, then the unlimited ones", p.Name)
		}
		unlimited = unlimited || !capped
	}
}
