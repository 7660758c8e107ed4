package plot

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// checkPNG decodes b, checks its size and that it is not blank: the pixel
// luminance must vary.
func checkPNG(t *testing.T, b []byte, w, h vg.Length) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding png: %v", err)
	}
	wantW := int(math.Round(float64(w/vg.Inch) * DPI))
	wantH := int(math.Round(float64(h/vg.Inch) * DPI))
	if got := img.Bounds().Size(); got != (image.Point{wantW, wantH}) {
		t.Fatalf("png is %v, want %dx%d", got, wantW, wantH)
	}
	if v := variance(img); v < 100 {
		t.Fatalf("png looks blank: luminance variance %.1f", v)
	}
}

// checkCentre checks that the middle of the picture, where the data are,
// has ink: at least 0.5% of its pixels are clearly not white.
func checkCentre(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	dx, dy := r.Dx()/4, r.Dy()/4
	var ink, n int
	for y := r.Min.Y + dy; y < r.Max.Y-dy; y++ {
		for x := r.Min.X + dx; x < r.Max.X-dx; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr>>8 < 200 || cg>>8 < 200 || cb>>8 < 200 {
				ink++
			}
			n++
		}
	}
	if f := float64(ink) / float64(n); f < 0.005 {
		t.Fatalf("centre of the png is nearly empty: %.1f%% ink", 100*f)
	}
}

func variance(img image.Image) float64 {
	var sum, sum2, n float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum += l
			sum2 += l * l
			n++
		}
	}
	m := sum / n
	return sum2/n - m*m
}

// checkSVG parses b as XML and checks that it is an SVG document.
func checkSVG(t *testing.T, b []byte) {
	t.Helper()
	if !bytes.Contains(b, []byte("<svg")) {
		t.Fatal("svg has no <svg element")
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parsing svg: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("svg root element is %q", root)
	}
}

func TestChartsRender(t *testing.T) {
	charts, err := sampleCharts()
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 8 {
		t.Fatalf("%d sample charts, want 8", len(charts))
	}
	for name, ch := range charts {
		t.Run(name, func(t *testing.T) {
			if ch.Title == "" || len(ch.Panels) == 0 || !ch.hasLegend() {
				t.Fatalf("chart lacks a title, panels or legend: %+v", ch)
			}
			for _, p := range ch.Panels {
				if p.X.Label.Text == "" && p.Y.Label.Text == "" {
					t.Fatal("panel has no axis labels")
				}
				checkRange(t, p)
			}
			b, err := PNG(ch, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkPNG(t, b, ch.Width, ch.Height)
			checkCentre(t, b)
			s, err := SVG(ch, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkSVG(t, s)
		})
	}
}

func checkRange(t *testing.T, p *gplot.Plot) {
	t.Helper()
	for _, a := range []gplot.Axis{p.X, p.Y} {
		if !(a.Max > a.Min) || math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) {
			t.Fatalf("axis %q range [%g, %g] collapsed or infinite", a.Label.Text, a.Min, a.Max)
		}
	}
}

func TestDefaultSize(t *testing.T) {
	ch, err := BytesPushed(sampleBytes())
	if err != nil {
		t.Fatal(err)
	}
	b, err := PNG(ch, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, b, DefaultWidth, DefaultHeight)
	// A bare gonum plot can be rendered too, and an explicit size wins.
	b, err = PNG(ch.Panels[0], 4*vg.Inch, 3*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, b, 4*vg.Inch, 3*vg.Inch)
	if _, err := PNG(ch, -vg.Inch, 0); err == nil {
		t.Fatal("negative size rendered")
	}
	if _, err := SVG(nil, 0, 0); err == nil {
		t.Fatal("nil drawer rendered")
	}
}

func TestSave(t *testing.T) {
	ch, err := Throughput(sampleThroughput())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "charts")
	pngPath, svgPath, err := Save(ch, dir, "throughput", 6*vg.Inch, 4*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	if pngPath != filepath.Join(dir, "throughput.png") || svgPath != filepath.Join(dir, "throughput.svg") {
		t.Fatalf("paths %s, %s", pngPath, svgPath)
	}
	b, err := os.ReadFile(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, b, 6*vg.Inch, 4*vg.Inch)
	s, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, s)
	for _, base := range []string{"", "a/b", `a\b`} {
		if _, _, err := Save(ch, dir, base, 0, 0); err == nil {
			t.Errorf("base %q saved", base)
		}
	}
}

// Same input, same picture: charts carry no randomness.
func TestDeterministic(t *testing.T) {
	render := func() []byte {
		ch, err := Throughput(sampleThroughput())
		if err != nil {
			t.Fatal(err)
		}
		b, err := SVG(ch, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(render(), render()) {
		t.Fatal("two renderings of the same data differ")
	}
}

func TestEmptyInputsNameTheChart(t *testing.T) {
	cases := map[string]func() (*Chart, error){
		"throughput":           func() (*Chart, error) { return Throughput(ThroughputData{}) },
		"throughput no points": func() (*Chart, error) { return Throughput(ThroughputData{Series: []ThroughputSeries{{Name: "x"}}}) },
		"heatmap":              func() (*Chart, error) { return Heatmap(HeatData{}) },
		"phases":               func() (*Chart, error) { return Phases(PhaseData{}) },
		"ecdf":                 func() (*Chart, error) { return ECDF(ECDFData{Series: []ECDFSeries{{Name: "x"}}}) },
		"predictions":          func() (*Chart, error) { return Predictions(PredictionData{}) },
		"predicted-vs-measured": func() (*Chart, error) {
			return PredictedVsMeasured(ValidationData{})
		},
		"bytes-pushed": func() (*Chart, error) { return BytesPushed(BytesData{}) },
		"disk":         func() (*Chart, error) { return DiskUse(DiskData{Series: []DiskSeries{{Name: "x"}}}) },
	}
	for name, f := range cases {
		ch, err := f()
		if err == nil || ch != nil {
			t.Errorf("%s: empty input gave chart %v, error %v", name, ch, err)
			continue
		}
		want := strings.Fields(name)[0]
		if !strings.HasPrefix(err.Error(), want+" chart:") {
			t.Errorf("%s: error %q does not name the chart", name, err)
		}
	}
}

func TestBadValuesAreErrors(t *testing.T) {
	nan := math.NaN()
	cases := map[string]func() (*Chart, error){
		"throughput negative": func() (*Chart, error) {
			return Throughput(ThroughputData{Series: []ThroughputSeries{{Name: "x", Trials: []WorkerValue{{2, -1}}}}})
		},
		"throughput zero workers": func() (*Chart, error) {
			return Throughput(ThroughputData{Series: []ThroughputSeries{{Name: "x", Trials: []WorkerValue{{0, 5}}}}})
		},
		"throughput nan usl": func() (*Chart, error) {
			return Throughput(ThroughputData{Series: []ThroughputSeries{{Name: "x", Trials: []WorkerValue{{1, 5}}, USL: &USL{nan, 0, 0}}}})
		},
		"interval out of order": func() (*Chart, error) {
			return Throughput(ThroughputData{Series: []ThroughputSeries{{Name: "x", Medians: []WorkerInterval{{1, Interval{5, 6, 7}}}}}})
		},
		"heatmap duplicate": func() (*Chart, error) {
			return Heatmap(HeatData{Cells: []HeatCell{{"off", 1, 0, 3, ""}, {"off", 1, 0, 4, ""}}})
		},
		"heatmap negative batch": func() (*Chart, error) { return Heatmap(HeatData{Cells: []HeatCell{{"off", 1, -1, 3, ""}}}) },
		"phases negative":        func() (*Chart, error) { return Phases(PhaseData{Cells: []PhaseCell{{"a", PhaseSeconds{Exec: -1}}}}) },
		"ecdf inf": func() (*Chart, error) {
			return ECDF(ECDFData{Series: []ECDFSeries{{"a", []float64{1, math.Inf(1)}}}})
		},
		"predictions nan": func() (*Chart, error) {
			return Predictions(PredictionData{Configs: []PredictedConfig{{Name: "a", Seconds: Interval{Median: nan}}}})
		},
		"validation negative": func() (*Chart, error) {
			return PredictedVsMeasured(ValidationData{Points: []ValidationPoint{{"a", Interval{Median: -3}, Interval{Median: 3}}}})
		},
		"bytes negative": func() (*Chart, error) { return BytesPushed(BytesData{Bars: []BytesBar{{"a", Interval{Median: -3}}}}) },
		"disk negative": func() (*Chart, error) {
			return DiskUse(DiskData{Series: []DiskSeries{{Name: "a", Points: []DiskPoint{{1, -5}}}}})
		},
	}
	for name, f := range cases {
		if ch, err := f(); err == nil {
			t.Errorf("%s: got a chart %v, want an error", name, ch)
		}
	}
}

// Edge cases that must render: one point, all values equal, zeros.
func TestEdgeCasesRender(t *testing.T) {
	one := Interval{Median: 10}
	cases := map[string]func() (*Chart, error){
		"throughput single trial": func() (*Chart, error) {
			return Throughput(ThroughputData{Series: []ThroughputSeries{{Name: "x", Trials: []WorkerValue{{1, 12}}}}})
		},
		"throughput all zero": func() (*Chart, error) {
			return Throughput(ThroughputData{Series: []ThroughputSeries{{Name: "x", Trials: []WorkerValue{{4, 0}, {4, 0}}, Medians: []WorkerInterval{{4, Interval{}}}}}})
		},
		"throughput degenerate usl": func() (*Chart, error) {
			return Throughput(ThroughputData{Series: []ThroughputSeries{{Name: "x", Medians: []WorkerInterval{{2, one}}, USL: &USL{Lambda: 5, Sigma: -3, Kappa: 0}}}})
		},
		"heatmap one cell": func() (*Chart, error) { return Heatmap(HeatData{Cells: []HeatCell{{"min", 1, 0, 0, ""}}}) },
		"heatmap missing cell": func() (*Chart, error) {
			return Heatmap(HeatData{Cells: []HeatCell{{"off", 1, 0, 3, ""}, {"min", 2, 10, 4, ""}}})
		},
		"phases all zero": func() (*Chart, error) { return Phases(PhaseData{Cells: []PhaseCell{{Name: "a"}}}) },
		"ecdf one value": func() (*Chart, error) {
			return ECDF(ECDFData{Series: []ECDFSeries{{"a", []float64{0}}, {"empty", nil}}})
		},
		"ecdf all equal": func() (*Chart, error) { return ECDF(ECDFData{Series: []ECDFSeries{{"a", []float64{7, 7, 7}}}}) },
		"predictions zero": func() (*Chart, error) {
			return Predictions(PredictionData{Configs: []PredictedConfig{{Name: "a", Baseline: true}}})
		},
		"validation one point": func() (*Chart, error) {
			return PredictedVsMeasured(ValidationData{Points: []ValidationPoint{{"a", one, one}}})
		},
		"validation zeros": func() (*Chart, error) {
			return PredictedVsMeasured(ValidationData{Points: []ValidationPoint{{"a", Interval{}, Interval{}}}})
		},
		"bytes zero": func() (*Chart, error) { return BytesPushed(BytesData{Bars: []BytesBar{{"off", Interval{}}}}) },
		"disk one point": func() (*Chart, error) {
			return DiskUse(DiskData{Series: []DiskSeries{{Name: "a", Points: []DiskPoint{{0, 0}}, Prunes: []float64{0}}}})
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			ch, err := f()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ch.Panels {
				checkRange(t, p)
			}
			b, err := PNG(ch, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkPNG(t, b, ch.Width, ch.Height)
			if s, err := SVG(ch, 0, 0); err != nil {
				t.Fatal(err)
			} else {
				checkSVG(t, s)
			}
			if dir := os.Getenv("BUILDTUNE_PLOT_DIR"); dir != "" {
				if _, _, err := Save(ch, dir, "edge-"+strings.ReplaceAll(name, " ", "-"), 0, 0); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestUSL(t *testing.T) {
	u := USL{Lambda: 10, Sigma: 0.1, Kappa: 0.01}
	if got, want := u.At(1), 10.0; math.Abs(got-want) > 1e-9 {
		t.Errorf("At(1) = %g, want %g", got, want)
	}
	if got, want := u.Peak(), math.Sqrt(0.9/0.01); math.Abs(got-want) > 1e-9 {
		t.Errorf("Peak = %g, want %g", got, want)
	}
	// The peak is a maximum of the curve.
	n := u.Peak()
	if !(u.At(n) > u.At(n-1) && u.At(n) > u.At(n+1)) {
		t.Errorf("At(Peak) = %g is not above its neighbours %g, %g", u.At(n), u.At(n-1), u.At(n+1))
	}
	if p := (USL{Lambda: 1, Sigma: 0.1}).Peak(); !math.IsInf(p, 1) {
		t.Errorf("Peak with kappa 0 = %g, want +Inf", p)
	}
}

func TestThroughputPeak(t *testing.T) {
	d := sampleThroughput()
	ch, err := Throughput(d)
	if err != nil {
		t.Fatal(err)
	}
	p := ch.Panels[0]
	// Every in-reach peak is inside the x range; the far one is in the note.
	for _, s := range d.Series {
		n := s.USL.Peak()
		if n <= peakReach*8 && p.X.Max < n {
			t.Errorf("%s: N* %g beyond x max %g", s.Name, n, p.X.Max)
		}
	}
	if !strings.Contains(ch.Note, "three-phase N*≈34.5") {
		t.Errorf("note %q does not name the off-chart peak", ch.Note)
	}
	if p.X.Max < 1.2*14 {
		t.Errorf("x max %g does not reach 1.2 * N*", p.X.Max)
	}
}

func TestUnitsByMagnitude(t *testing.T) {
	h := 3600.0
	cases := []struct {
		secs float64
		want string
	}{{10 * h, "(h)"}, {30 * 60, "(min)"}, {45, "(s)"}}
	for _, c := range cases {
		ch, err := Predictions(PredictionData{Configs: []PredictedConfig{{Name: "a", Seconds: Interval{Median: c.secs}}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := ch.Panels[0].X.Label.Text; !strings.Contains(got, c.want) {
			t.Errorf("%gs: axis label %q, want unit %s", c.secs, got, c.want)
		}
	}
	ch, err := BytesPushed(sampleBytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := ch.Panels[0].Y.Label.Text; !strings.Contains(got, "(MiB)") {
		t.Errorf("bytes axis label %q, want MiB", got)
	}
	ch, err = DiskUse(sampleDisk())
	if err != nil {
		t.Fatal(err)
	}
	if got := ch.Panels[0].Y.Label.Text; !strings.Contains(got, "(GiB)") {
		t.Errorf("disk axis label %q, want GiB", got)
	}
}

func TestHeatmapLayout(t *testing.T) {
	ch, err := Heatmap(sampleHeat())
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Panels) != 3 {
		t.Fatalf("%d panels, want one per cache mode", len(ch.Panels))
	}
	for i, mode := range []string{"off", "min", "max"} {
		if got := ch.Panels[i].Title.Text; got != "cache "+mode {
			t.Errorf("panel %d title %q", i, got)
		}
	}
	tks := ch.Panels[0].X.Tick.Marker.Ticks(-0.5, 2.5)
	if got := tks[len(tks)-1].Label; got != "stream" {
		t.Errorf("last batch column %q, want stream", got)
	}
}

// TestHeatmapRows: cells that name rows (registry conditions) get a row
// of panels each, the condition in each panel's title and the best cell of
// each row outlined; more than three panels without rows wrap in threes.
func TestHeatmapRows(t *testing.T) {
	var cells []HeatCell
	for r, row := range []string{"registry unlimited", "registry 16MiB/s"} {
		for _, m := range []string{"off", "max"} {
			for _, w := range []int{1, 2} {
				cells = append(cells, HeatCell{CacheMode: m, Workers: w, Batch: 3, ImagesPerHour: float64(100*(2-r) + 10*w), Row: row})
			}
		}
	}
	ch, err := Heatmap(HeatData{Cells: cells})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Panels) != 4 || ch.Cols != 2 {
		t.Fatalf("%d panels in rows of %d, want 4 in rows of 2", len(ch.Panels), ch.Cols)
	}
	if a, b := ch.Panels[0].Y.Label.Text, ch.Panels[2].Y.Label.Text; a != "workers" || b != "workers" || ch.Panels[1].Y.Label.Text != "" {
		t.Errorf("y labels %q, %q, %q", a, b, ch.Panels[1].Y.Label.Text)
	}
	// The condition is in every panel's title, where it is not cut.
	for i, want := range []string{"cache off, registry unlimited", "cache max, registry unlimited", "cache off, registry 16MiB/s", "cache max, registry 16MiB/s"} {
		if got := ch.Panels[i].Title.Text; got != want {
			t.Errorf("panel %d title %q, want %q", i, got, want)
		}
	}
	// Each row has its best cell: cache off at 2 workers in both.
	for row, b := range bestByRow(cells) {
		if b.CacheMode != "off" || b.Workers != 2 || b.Row != row {
			t.Errorf("best of row %q: %+v, want cache off at 2 workers", row, b)
		}
	}
	if n := len(bestByRow(cells)); n != 2 {
		t.Errorf("%d rows with a best cell, want 2", n)
	}
	if _, err := Heatmap(HeatData{Cells: []HeatCell{cells[0], cells[0]}}); err == nil || !strings.Contains(err.Error(), "off registry unlimited") {
		t.Errorf("duplicate cell in a row: %v", err)
	}
	var flat []HeatCell
	for i := range 5 {
		flat = append(flat, HeatCell{CacheMode: fmt.Sprint("m", i), Workers: 1, ImagesPerHour: 1})
	}
	if ch, err := Heatmap(HeatData{Cells: flat}); err != nil || ch.Cols != 3 || len(ch.Panels) != 5 {
		t.Errorf("5 panels without rows: %v, cols %d", err, ch.Cols)
	}
	if ch, err = Heatmap(HeatData{Cells: cells}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Save(ch, t.TempDir(), "heatmap", 0, 0); err != nil {
		t.Errorf("saving the rows: %v", err)
	}
}

func TestNum(t *testing.T) {
	cases := map[float64]string{0: "0", 1234.4: "1234", 45.46: "45.5", 9.5: "9.5", 2.0: "2", 0.125: "0.125", -0.0001: "0"}
	for v, want := range cases {
		if got := num(v); got != want {
			t.Errorf("num(%g) = %q, want %q", v, got, want)
		}
	}
}

func TestTicks(t *testing.T) {
	for _, r := range [][2]float64{{0, 1.02}, {0, 15.3}, {103, 1040}, {-5, 5}} {
		var labelled int
		for _, tk := range (ticks{}).Ticks(r[0], r[1]) {
			if tk.Value < r[0] || tk.Value > r[1] {
				t.Errorf("range %v: tick %g outside", r, tk.Value)
			}
			if tk.Label != "" {
				labelled++
			}
		}
		if labelled < 3 || labelled > 8 {
			t.Errorf("range %v: %d labelled ticks", r, labelled)
		}
	}
}

// TestThroughputPeakLabelsApart: the N* labels of series with close peaks
// (five within 0.7 workers, and eight within 0.35) never print over each
// other, at the default size and at a short one, where a stagger by a
// share of the axis height put them on top of each other.
func TestThroughputPeakLabelsApart(t *testing.T) {
	eight := sampleThroughputClosePeaks()
	for i := range 3 {
		s := eight.Series[i]
		u := *s.USL
		u.Kappa *= 1.04 + 0.02*float64(i)
		s.Name += fmt.Sprintf(" (%d)", i)
		s.USL = &u
		eight.Series = append(eight.Series, s)
	}
	textRE := regexp.MustCompile(`<text x="([-0-9.e]+)" y="([-0-9.e]+)"[^>]*>(N\*≈[^<]*)</text>`)
	sty := textStyle(sansBold, annotSize, color.Black)
	for name, d := range map[string]ThroughputData{"five": sampleThroughputClosePeaks(), "eight": eight} {
		for _, size := range [][2]vg.Length{{0, 0}, {8 * vg.Inch, 2.6 * vg.Inch}} {
			ch, err := Throughput(d)
			if err != nil {
				t.Fatal(err)
			}
			b, err := SVG(ch, size[0], size[1])
			if err != nil {
				t.Fatal(err)
			}
			type box struct {
				text                   string
				minX, maxX, minY, maxY float64
			}
			var boxes []box
			for _, m := range textRE.FindAllSubmatch(b, -1) {
				x, _ := strconv.ParseFloat(string(m[1]), 64)
				y, _ := strconv.ParseFloat(string(m[2]), 64)
				y = -y // the svg flips y: this is the baseline, upwards
				r := sty.Rectangle(string(m[3])).Size()
				// The text's ink: from its baseline up to about the font
				// size, and a little below it.
				boxes = append(boxes, box{string(m[3]), x, x + float64(r.X), y - 0.2*annotSize, y + 0.75*annotSize})
			}
			if len(boxes) != len(d.Series) {
				t.Fatalf("%s at %v: %d N* labels, want %d", name, size, len(boxes), len(d.Series))
			}
			for i := range boxes {
				for j := i + 1; j < len(boxes); j++ {
					a, c := boxes[i], boxes[j]
					if a.minX < c.maxX && c.minX < a.maxX && a.minY < c.maxY && c.minY < a.maxY {
						t.Errorf("%s at %v: labels %q and %q overlap (%+v, %+v)", name, size, a.text, c.text, a, c)
					}
				}
			}
		}
	}
}

// stackLabels: labels beside close lines step down a row each; a label
// that would pass the right edge ends left of its line; far-apart lines
// share the top row.
func TestStackLabels(t *testing.T) {
	size := vg.Point{X: 40, Y: 10}
	pts := stackLabels([]vg.Length{100, 90, 300, 95}, []vg.Point{size, size, size, size}, 0, 320, 200)
	if pts[1].Y != pts[2].Y || pts[1].X != 93 {
		t.Errorf("leftmost %v and far right %v: want the top row, right of their lines", pts[1], pts[2])
	}
	if !(pts[3].Y < pts[1].Y && pts[0].Y < pts[3].Y) {
		t.Errorf("rows %v, %v, %v: want 90, 95, 100 stepping down", pts[1].Y, pts[3].Y, pts[0].Y)
	}
	if pts[2].X+size.X > 320 || pts[2].X >= 300 {
		t.Errorf("label of the line at 300 starts at %v: want it left of the line, inside the edge", pts[2].X)
	}
}

// TestPhasesMedianSum: bars of phase medians end at their sum, which is not
// the median wall time: the labels and the axis say so; bars of means
// (which do add up to the mean) do not.
func TestPhasesMedianSum(t *testing.T) {
	cells := []PhaseCell{{"w2-b3-off", PhaseSeconds{Exec: 2.5, ImageExport: 0.5, LayerPush: 0.7}}}
	for _, tc := range []struct {
		stat string
		sum  bool
	}{{"median", true}, {"mean", false}, {"", false}} {
		ch, err := Phases(PhaseData{Stat: tc.stat, Cells: cells})
		if err != nil {
			t.Fatal(err)
		}
		b, err := SVG(ch, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if got := strings.Contains(s, "Σ 3.7 s"); got != tc.sum {
			t.Errorf("stat %q: label %q shown %v, want %v", tc.stat, "Σ 3.7 s", got, tc.sum)
		}
		if got := strings.Contains(s, "which is not the median wall time"); got != tc.sum {
			t.Errorf("stat %q: axis note shown %v, want %v", tc.stat, got, tc.sum)
		}
	}
}
