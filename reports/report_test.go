package reports

import (
	"bytes"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/buildtune/buildtune/reports/plot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", name, got)
	}
}

func TestMarkdownGolden(t *testing.T) {
	md, err := Markdown(sampleData(), "plots")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.md", md)
}

func TestDecisionFirst(t *testing.T) {
	md, err := Markdown(sampleData(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := "## Decision\n\n**Use workers=4, batch=stream, cache=off: predicted 1h52m (1h45m–2h03m) for 433 images, " +
		"31% (24–38%) faster than the baseline workers=4, batch=15, cache=max (2h43m, 2h31m–2h58m).**\n"
	if !strings.Contains(string(md), want) {
		t.Errorf("markdown lacks the decision sentence %q:\n%s", want, md)
	}
	s := string(md)
	if d, e, m := strings.Index(s, "## Decision"), strings.Index(s, "## Evidence"), strings.Index(s, "## Method"); !(d >= 0 && d < e && e < m) {
		t.Errorf("sections out of order: decision %d, evidence %d, method %d", d, e, m)
	}
	if strings.Index(s, "## Decision") > strings.Index(s, "|") {
		t.Error("a table comes before the decision")
	}
}

func TestNotConfident(t *testing.T) {
	d := sampleData()
	d.Decision.Confident = false
	d.Decision.Warnings = []string{"too few reps: 3 per cell, Mann-Whitney needs 4 to reach p < 0.05.", "the runner-up is extrapolated"}
	for name, render := range map[string]func() ([]byte, error){
		"markdown": func() ([]byte, error) { return Markdown(d, "") },
		"html":     func() ([]byte, error) { return HTML(d) },
	} {
		out, err := render()
		if err != nil {
			t.Fatal(err)
		}
		s := string(out)
		if !strings.Contains(s, "No confident recommendation: too few reps: 3 per cell, Mann-Whitney needs 4 to reach p &lt; 0.05.") &&
			!strings.Contains(s, `**No confident recommendation: too few reps: 3 per cell, Mann-Whitney needs 4 to reach p \< 0.05.**`) {
			t.Errorf("%s: no 'No confident recommendation' headline:\n%s", name, s)
		}
		if strings.Contains(s, "Use workers=4") {
			t.Errorf("%s: recommends despite not being confident", name)
		}
		if !strings.Contains(s, "The fastest so far is workers=4, batch=stream, cache=off") {
			t.Errorf("%s: does not name the fastest candidate", name)
		}
		if !strings.Contains(s, "the runner-up is extrapolated") {
			t.Errorf("%s: drops the second warning", name)
		}
	}
	d.Decision.Warnings = nil
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "**No confident recommendation: the evidence does not support one.**") {
		t.Errorf("no fallback headline without warnings:\n%s", md)
	}
}

// chartCount is the number of charts with data in sampleData.
const chartCount = 8

func parseHTML(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func count(doc *html.Node, tag string) int {
	n := 0
	walk(doc, func(x *html.Node) {
		if x.Type == html.ElementNode && x.Data == tag {
			n++
		}
	})
	return n
}

var external = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\b(src|href|xlink:href|action|srcset)\s*=`),
	regexp.MustCompile(`(?i)url\s*\(`),
	regexp.MustCompile(`(?i)https?:|//[a-z0-9]`),
	regexp.MustCompile(`(?i)<(script|link|iframe|object|embed|img|image)\b`),
	regexp.MustCompile(`(?i)@import`),
}

func TestHTMLSelfContained(t *testing.T) {
	out, err := HTML(sampleData())
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range external {
		if m := re.Find(out); m != nil {
			t.Errorf("report.html holds %q (matches %s): it must reference nothing outside itself", m, re)
		}
	}
	doc := parseHTML(t, out)
	if n := count(doc, "svg"); n != chartCount {
		t.Errorf("%d <svg> elements, want one per chart (%d)", n, chartCount)
	}
	if n := count(doc, "figure"); n != chartCount {
		t.Errorf("%d <figure> elements, want %d", n, chartCount)
	}
	// Every svg must be in the SVG namespace and hold drawn paths.
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "svg" {
			if n.Namespace != "svg" {
				t.Errorf("svg parsed in namespace %q", n.Namespace)
			}
			if !strings.Contains(render(t, n), "<path") {
				t.Error("an svg has no paths")
			}
		}
	})
	if n := count(doc, "table"); n != 7 {
		t.Errorf("%d tables, want 7 (cells, warm trials, predictions, USL model, fixed costs, phases, validation)", n)
	}
	s := string(out)
	for _, want := range []string{"<p class=\"lead\"><strong>Use workers=4, batch=stream, cache=off: predicted 1h52m", "<style>", "bc5396b"} {
		if !strings.Contains(s, want) {
			t.Errorf("html lacks %q", want)
		}
	}
}

func render(t *testing.T, n *html.Node) string {
	var b bytes.Buffer
	if err := html.Render(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLEscapes(t *testing.T) {
	d := sampleData()
	evil := `<script>alert("x")</script> & <img src=http://example.com/x.png>`
	d.Title = evil
	d.Cells[0].Name = evil
	d.Knobs[0].Finding = evil
	d.Method.Command = evil
	d.Charts.Bytes.Bars[0].Name = evil // drawn inside an SVG
	out, err := HTML(d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "<script") || strings.Contains(s, "<img") {
		t.Errorf("unescaped markup in the html:\n%s", s)
	}
	doc := parseHTML(t, out)
	if count(doc, "script") != 0 || count(doc, "img") != 0 {
		t.Error("the parsed html holds a script or img element")
	}
	// The text survives escaping: the cell name is a text node, in the
	// table and in the chart.
	texts := 0
	walk(doc, func(n *html.Node) {
		if n.Type == html.TextNode && strings.Contains(n.Data, evil) {
			texts++
		}
	})
	if texts < 5 { // title, h1, table cell, knob, command
		t.Errorf("escaped text found %d times, want at least 5", texts)
	}
	d.Method.Command = "" // a code span: markdown shows it literally
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(^|[^\\])<script`).Match(md) {
		t.Error("markdown passes raw html through")
	}
}

func TestMarkdownTables(t *testing.T) {
	d := sampleData()
	d.Cells[1].Name = "a|b"
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	// Every table row has as many unescaped pipes as its header.
	var want int
	for _, line := range strings.Split(string(md), "\n") {
		if !strings.HasPrefix(line, "|") {
			want = 0
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`)
		if want == 0 {
			want = n
		} else if n != want {
			t.Errorf("row %q has %d cells separators, header has %d", line, n, want)
		}
	}
	if !strings.Contains(string(md), "![Predicted wall time of the full build](plots/predictions.png)") {
		t.Error("no relative link to plots/predictions.png")
	}
	if _, err := Markdown(d, "/abs/plots"); err == nil {
		t.Error("an absolute plot folder is accepted")
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	f, err := Write(dir, sampleData())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Plots) != 2*chartCount {
		t.Errorf("%d plot files, want %d", len(f.Plots), 2*chartCount)
	}
	for _, p := range append([]string{f.Markdown, f.HTML}, f.Plots...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(p) {
		case ".png":
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if r := img.Bounds(); r.Dx() < 600 || r.Dy() < 300 {
				t.Errorf("%s is only %v", p, r)
			}
		case ".svg":
			if !bytes.Contains(b, []byte("<svg")) {
				t.Errorf("%s is not an svg", p)
			}
		}
	}
	md, err := os.ReadFile(f.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	// Every image link resolves to a written file.
	for _, m := range regexp.MustCompile(`\]\((plots/[^)]+)\)`).FindAllSubmatch(md, -1) {
		if _, err := os.Stat(filepath.Join(dir, string(m[1]))); err != nil {
			t.Errorf("report.md links a missing file: %v", err)
		}
	}
	// No temporary files are left behind.
	for _, sub := range []string{dir, filepath.Join(dir, PlotDir)} {
		es, _ := os.ReadDir(sub)
		for _, e := range es {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("temporary file %s left in %s", e.Name(), sub)
			}
		}
	}
	// Writing again replaces the files.
	if _, err := Write(dir, sampleData()); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyChartsStillRender(t *testing.T) {
	d := sampleData()
	d.Charts = Charts{
		Throughput: plot.ThroughputData{Series: []plot.ThroughputSeries{{Name: "no trials"}}},
		Validation: &plot.ValidationData{},
	}
	dir := t.TempDir()
	f, err := Write(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Plots) != 0 {
		t.Errorf("plots written without data: %v", f.Plots)
	}
	md, _ := os.ReadFile(f.Markdown)
	if n := strings.Count(string(md), "skipped: no data"); n != chartCount {
		t.Errorf("%d skip notes, want %d:\n%s", n, chartCount, md)
	}
	if strings.Contains(string(md), "![") {
		t.Error("markdown links a chart that has no data")
	}
	page, _ := os.ReadFile(f.HTML)
	if n := count(parseHTML(t, page), "svg"); n != 0 {
		t.Errorf("%d svgs without chart data", n)
	}
	// A bare Data renders too.
	if _, err := Write(t.TempDir(), Data{}); err != nil {
		t.Errorf("empty data: %v", err)
	}
}

func TestBadChartIsAnError(t *testing.T) {
	d := sampleData()
	d.Charts.Bytes.Bars[0].Bytes.Median = math.NaN()
	if _, err := Write(t.TempDir(), d); err == nil || !strings.Contains(err.Error(), "bytes chart") {
		t.Errorf("a NaN bar gave %v, want an error naming the bytes chart", err)
	}
	if _, err := HTML(d); err == nil {
		t.Error("HTML accepted a NaN bar")
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{duration(0.283), "0.28s"},
		{duration(9.996), "10.0s"},
		{duration(38.24), "38.2s"},
		{duration(59.96), "1m00s"},
		{duration(725), "12m05s"},
		{duration(3599.6), "1h00m"},
		{duration(6720), "1h52m"},
		{duration(36 * 3600), "36h00m"},
		{duration(math.NaN()), "n/a"},
		{throughput(2752.24), "2752.2"},
		{throughput(34), "34.0"},
		{pValue(0.017345), "0.0173"},
		{pValue(1), "1"},
		{pValue(0.000012345), "1.23e-05"},
		{pValue(math.NaN()), "n/a"},
		{byteSize(512), "512 B"},
		{byteSize(1.5 * (1 << 30)), "1.5 GiB"},
		{workers(math.Inf(1)), "∞"},
		{estimate([3]float64{0.061, 0.031, 0.094}, sig3), "0.061 (0.031–0.094)"},
		{estimate([3]float64{72, 0, 0}, duration), "1m12s"},
		{shortName("workers=4 batch=stream cache=off strategy=single"), "workers=4, batch=stream, cache=off"},
		{shortName("workers=4 batch=3 cache=min strategy=three-phase"), "workers=4, batch=3, cache=min, strategy=three-phase"},
		{shortName("w4-b3-off-single"), "w4-b3-off-single"},
		{mdEscape("a*b_c|d<e"), `a\*b\_c\|d\<e`},
		{mdCode("say `hi`"), "`` say `hi` ``"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestSlowerThanBaseline(t *testing.T) {
	d := sampleData()
	d.Decision.Recommended, d.Decision.Baseline = d.Decision.Baseline, d.Decision.Recommended
	d.Decision.Saving = Interval{Median: -51 * 60, Lo: -62 * 60, Hi: -39 * 60}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "46% (35–55%) slower than the baseline") {
		t.Errorf("slower recommendation not worded as slower:\n%s", md)
	}
}

// TestRenderSample writes the sample report to the folder named by
// BUILDTUNE_REPORT_DIR, for reading it. It is skipped otherwise.
func TestRenderSample(t *testing.T) {
	dir := os.Getenv("BUILDTUNE_REPORT_DIR")
	if dir == "" {
		t.Skip("set BUILDTUNE_REPORT_DIR to write the sample report")
	}
	f, err := Write(dir, sampleData())
	if err != nil {
		t.Fatal(err)
	}
	t.Log(f.Markdown, f.HTML)
}

// TestAdaptiveSection: an adaptive sweep's drops and stop are listed after
// the cells, each reason without the cell's name twice; a full grid has no
// such section.
func TestAdaptiveSection(t *testing.T) {
	d := sampleData()
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "Adaptive sweep") {
		t.Errorf("a full grid's report has an adaptive section:\n%s", md)
	}
	d.Adaptive = &Adaptive{Drops: []AdaptiveDrop{{Cell: "w1-b3-off-single", Why: "round 1: w1-b3-off-single: median 1636 (n=3) vs best w4-b3-off-single 2744 (n=3)"}},
		Stop: "done: w4-b3-off-single is significantly ahead of every other cell after round 1"}
	md, err = Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"### Adaptive sweep", "- `w1-b3-off-single`: round 1: median 1636 (n=3)",
		"It stopped because w4-b3-off-single is significantly ahead of every other cell after round 1."} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "### Adaptive sweep") < strings.Index(s, "### Cells") {
		t.Error("the adaptive section comes before the cells it explains")
	}
	d.Adaptive.Stop = "budget: round 2 (6 trials, 2 cells to 6 reps) needs about 3m0s, 1m0s of the 15m0s budget left"
	if md, err = Markdown(d, ""); err != nil || !strings.Contains(string(md), "It stopped because the budget would not cover the next round: round 2 (6 trials, 2 cells to 6 reps) needs about 3m0s") {
		t.Errorf("budget stop not worded (%v):\n%s", err, md)
	}
}

// TestDiagnosesSection: the analysis's diagnoses are listed after the
// knobs; none, no section.
func TestDiagnosesSection(t *testing.T) {
	d := sampleData()
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "What limits it") {
		t.Errorf("a report without diagnoses has the section:\n%s", md)
	}
	d.Diagnoses = []string{"w4 -> w8: the extra builds queued for their pushes."}
	if md, err = Markdown(d, ""); err != nil {
		t.Fatal(err)
	}
	s := string(md)
	i, k := strings.Index(s, "### What limits it\n\n- w4 -> w8: the extra builds queued for their pushes."), strings.Index(s, "### Knobs")
	if i < 0 || k < 0 || i < k {
		t.Errorf("diagnoses not listed after the knobs (at %d, knobs at %d):\n%s", i, k, s)
	}
}

// TestCrowdingFact: a fitted crowding is one fact of the Model section,
// with its slowdown beside one other image and the images it rests on.
func TestCrowdingFact(t *testing.T) {
	d := sampleData()
	d.Model.Crowding = []CrowdingRow{{Series: "cache max, single, registry 12MiB/s", Beta: 0.245, Images: 6}}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	want := "- **Crowding, cache max, single, registry 12MiB/s**: an image beside one other takes 1.25x its time alone (β 0.245, from 6 images seen at different crowding)"
	if i, m := strings.Index(s, want), strings.Index(s, "### Model"); i < 0 || m < 0 || i < m {
		t.Errorf("want %q in the Model section:\n%s", want, s)
	}
}

// TestSpreadFact: the machine's pooled trial spread is one fact of the
// Model section, with what it is pooled over.
func TestSpreadFact(t *testing.T) {
	d := sampleData()
	d.Model.TrialSpreadPct, d.Model.SpreadCells, d.Model.SpreadDF = 3.24, 4, 8
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	want := "- **The machine's speed from trial to trial**: ±3.2% (one standard deviation, pooled over 4 cells of the same host, 8 degrees of freedom)"
	if i, m := strings.Index(s, want), strings.Index(s, "### Model"); i < 0 || m < 0 || i < m {
		t.Errorf("want %q in the Model section:\n%s", want, s)
	}
}
