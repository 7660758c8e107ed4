package reports

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/sweep/record"
)

// section returns the part of md from the heading start up to the next
// heading of the same or a higher level ("" when start is missing).
func section(md, start string) string {
	i := strings.Index(md, start)
	if i < 0 {
		return ""
	}
	level := strings.Index(start, " ")
	rest := md[i+len(start):]
	for _, h := range []string{"\n" + strings.Repeat("#", level) + " ", "\n" + strings.Repeat("#", level-1) + " "} {
		if j := strings.Index(rest, h); j >= 0 && level > 1 {
			rest = rest[:j]
		}
	}
	return start + rest
}

func markdownOf(t *testing.T, a *evidence.Analysis) string {
	t.Helper()
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(md)
}

var (
	wallRE  = regexp.MustCompile(`"wall_s":([0-9.]+)`)
	builtRE = regexp.MustCompile(`"built":([0-9]+)`)
	iphRE   = regexp.MustCompile(`"images_per_hour":[0-9.e+-]+`)
)

// TestFixedCostOfThePick: the model's fixed cost per run is the cell the
// decision picked, named, not whichever cell comes first in
// analysis.json; a cell whose fixed cost differs by much is listed too.
func TestFixedCostOfThePick(t *testing.T) {
	// w1-b3-off-single (first in analysis.json, not the pick) gets 20 s
	// more of per-run cost: its trials last 20 s longer than their images.
	a := editedRun(t, func(l []byte) [][]byte {
		if bytes.Contains(l, []byte(`"kind":"trial"`)) && bytes.Contains(l, []byte(`"cell":"w1-b3-off-single"`)) {
			l = wallRE.ReplaceAllFunc(l, func(m []byte) []byte {
				w, err := strconv.ParseFloat(string(wallRE.FindSubmatch(m)[1]), 64)
				if err != nil {
					t.Fatal(err)
				}
				return []byte(`"wall_s":` + strconv.FormatFloat(w+20, 'g', -1, 64))
			})
			// images_per_hour follows its trial's wall time.
			built, err := strconv.Atoi(string(builtRE.FindSubmatch(l)[1]))
			if err != nil {
				t.Fatal(err)
			}
			w, err := strconv.ParseFloat(string(wallRE.FindSubmatch(l)[1]), 64)
			if err != nil {
				t.Fatal(err)
			}
			l = iphRE.ReplaceAll(l, []byte(`"images_per_hour":`+strconv.FormatFloat(record.ImagesPerHour(built, w), 'g', -1, 64)))
		}
		return [][]byte{l}
	})
	if a.Models.Fixed[0].Cell != "w1-b3-off-single" || a.Models.Fixed[0].Seconds < 15 {
		t.Fatalf("testdata: first fixed cost %+v, want w1-b3-off-single's, about 21 s", a.Models.Fixed[0])
	}
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	pick := d.Decision.Recommended.Cell
	if pick == "" || pick == "w1-b3-off-single" {
		t.Fatalf("testdata: the pick is %q, want another cell than w1-b3-off-single", pick)
	}
	role := "best so far"
	if d.Decision.Confident {
		role = "recommended"
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	model := section(string(md), "### Model")
	want := "**Fixed cost per run** of " + mdEscape(pick) + " (" + role + "): 1.00s"
	if !strings.Contains(model, want) {
		t.Errorf("model section lacks %q:\n%s", want, model)
	}
	if !strings.Contains(model, "| w1-b3-off-single | 21.0s") {
		t.Errorf("model section does not list w1-b3-off-single's fixed cost of 21s, 20 s above the pick's:\n%s", model)
	}

	// Fixed costs that differ by little: one line, the others' range.
	md2 := markdownOf(t, editedRun(t, func(l []byte) [][]byte { return [][]byte{l} }))
	model = section(md2, "### Model")
	if want := "(" + role + "): 1.00s (no spread at this precision); the other 3 cells': 1.00s"; !strings.Contains(model, want) {
		t.Errorf("equal fixed costs: model section lacks %q:\n%s", want, model)
	}
	if strings.Contains(model, "| fixed cost per run |") {
		t.Errorf("equal fixed costs get a table:\n%s", model)
	}
}

// TestWarmTrialsInReport: a sweep of cold and warm trials shows the warm
// cells in a table of their own, and says the decision rests on the cold
// ones; a sweep of cold trials only has no such table or words.
func TestWarmTrialsInReport(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	if len(a.Warm) == 0 {
		t.Fatal("testdata has no warm trial: the test tests nothing")
	}
	md := markdownOf(t, a)
	warm := section(md, "### Warm trials")
	if warm == "" {
		t.Fatalf("no warm trials section:\n%s", md)
	}
	for _, w := range a.Warm {
		row := "| " + mdEscape(w.Name) + " | " + strconv.Itoa(w.N) + " | " + throughput(w.ImagesPerHour.Median) + " |"
		if !strings.Contains(warm, row) {
			t.Errorf("warm section lacks the row %q:\n%s", row, warm)
		}
		if cold := a.Cell(w.Config); cold != nil && !strings.Contains(warm, throughput(cold.ImagesPerHour.Median)) {
			t.Errorf("warm row of %s lacks its cold median %s:\n%s", w.Name, throughput(cold.ImagesPerHour.Median), warm)
		}
	}
	cells := section(md, "### Cells")
	for _, want := range []string{"per cold trial", "rest on the cold trials alone", "prunes of the warm trials as well"} {
		if !strings.Contains(cells, want) {
			t.Errorf("cells section lacks %q:\n%s", want, cells)
		}
	}
	if !strings.Contains(md, "(cold trials)](plots/throughput.png)") {
		t.Errorf("the throughput chart's caption does not say it draws the cold trials")
	}

	cold := editedRun(t, func(l []byte) [][]byte {
		if bytes.Contains(l, []byte(`"temp":"warm"`)) {
			return nil
		}
		return [][]byte{l}
	})
	md = markdownOf(t, cold)
	if strings.Contains(md, "Warm trials") || strings.Contains(md, "per cold trial") || strings.Contains(md, "rest on the cold trials") {
		t.Errorf("a sweep of cold trials only speaks of warm ones:\n%s", md)
	}
}

// TestUSLCaveats: the USL fit's warnings sit in the model section beside
// its table; the throughput chart's caption claims a fit only when there
// is one.
func TestUSLCaveats(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	if len(a.Models.USL) == 0 || len(a.Models.USL[0].Warnings) == 0 {
		t.Fatal("testdata has no USL fit with warnings: the test tests nothing")
	}
	md := markdownOf(t, a)
	model := section(md, "### Model")
	table := strings.Index(model, "| series |")
	if table < 0 {
		t.Fatalf("no USL table:\n%s", model)
	}
	for _, w := range a.Models.USL[0].Warnings {
		if i := strings.Index(model, mdEscape(w)); i < table {
			t.Errorf("model section lacks the USL warning %q after its table:\n%s", w, model)
		}
	}
	// cache off (workers 1, 2 and 4) has a fit, cache min (workers 2) none.
	if !strings.Contains(md, "![Throughput against builds at once, with the USL fit of the series that have one (cold trials)]") {
		t.Errorf("a run with one fit of two series: the caption does not say so:\n%s", section(md, "### Cells"))
	}

	// One worker count (w2 only): no fit, and the caption says so.
	one := editedRun(t, func(l []byte) [][]byte {
		if bytes.Contains(l, []byte(`"workers":1,`)) || bytes.Contains(l, []byte(`"workers":4,`)) {
			return nil
		}
		return [][]byte{l}
	})
	for _, u := range one.Models.USL {
		if u.Error == "" {
			t.Fatalf("testdata: one worker count, yet a USL fit %+v", u)
		}
	}
	md = markdownOf(t, one)
	if strings.Contains(md, "with the USL fit") {
		t.Errorf("no USL fit, yet a caption claims one:\n%s", md)
	}
	if !strings.Contains(md, "no USL fit: one worker count per series") {
		t.Errorf("caption does not say there is no fit:\n%s", md)
	}

	// The caption of each case, from the chart's data.
	d0 := sampleData().Charts.Throughput
	if got := throughputCaption(d0); got != "Throughput against workers, with the USL fit" {
		t.Errorf("every series fitted: caption %q", got)
	}
	for i := range d0.Series {
		d0.Series[i].USL = nil
	}
	if got := throughputCaption(d0); got != "Throughput against workers, per trial and per cell median; no USL fit" {
		t.Errorf("no series fitted, several worker counts: caption %q", got)
	}

	// A fit that failed is named with its reason.
	d := sampleData()
	d.Model.USL = nil
	d.Model.NoFit = []USLFailure{{Series: "cache off, single, stream", Error: "too few points"}}
	out, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(section(string(out), "### Model"), "**cache off, single, stream**: no USL fit: too few points") {
		t.Errorf("a failed fit is not named:\n%s", out)
	}
}
