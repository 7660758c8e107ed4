package reports

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// A cell whose every build failed (0 images/hour) was ranked "worse" in
// the cells table, beside the settings that were measured and found
// slower, and cache_mode "matters" because of it. The table says the cell
// built no image; the knob verdicts leave it out.
func TestProbe12eFailedCellRow(t *testing.T) {
	a := editedRun(t, func(line []byte) [][]byte {
		if !bytes.Contains(line, []byte(`"cell":"w2-b3-min-single"`)) {
			return [][]byte{line}
		}
		line = bytes.Replace(line, []byte(`"status":"built"`), []byte(`"status":"failed","error_class":"build","error":"exit 1"`), 1)
		line = bytes.Replace(line, []byte(`"built":6`), []byte(`"built":0,"failed":6`), 1)
		line = regexp.MustCompile(`"images_per_hour":[0-9.e+]+`).ReplaceAll(line, []byte(`"images_per_hour":0`))
		return [][]byte{line}
	})
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range d.Cells {
		if r.Name != "w2-b3-min-single" {
			continue
		}
		found = true
		if r.Verdict != VerdictNoImage {
			t.Errorf("verdict of the failed cell %q, want %q", r.Verdict, VerdictNoImage)
		}
	}
	if !found {
		t.Fatal("failed cell missing from the cells table")
	}
	for _, f := range d.Model.Fixed {
		if f.Cell == "w2-b3-min-single" {
			t.Errorf("fixed cost per run of a cell that built no image: %+v (its trials have no schedule of images to subtract)", f)
		}
	}
	for _, c := range d.Charts.Heatmap.Cells {
		if c.CacheMode == "min single" && c.Workers == 2 {
			t.Errorf("heat map draws the failed cell at %v images/hour on its colour scale", c.ImagesPerHour)
		}
	}
	for _, sr := range d.Charts.Throughput.Series {
		for _, tr := range sr.Trials {
			if tr.ImagesPerHour == 0 {
				t.Errorf("throughput chart series %q draws a failed trial at 0 images/hour", sr.Name)
			}
		}
	}
	if len(d.Charts.Heatmap.Failed) != 1 {
		t.Errorf("heat map's failed cells %+v, want w2-b3-min-single", d.Charts.Heatmap.Failed)
	}
	seen := false
	for _, line := range strings.Split(AnalysisSummary(a), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "w2-b3-min-single" {
			seen = true
			if !strings.HasSuffix(line, VerdictNoImage) {
				t.Errorf("analyze's line of the failed cell: %q, want it to end in %q", line, VerdictNoImage)
			}
		}
	}
	if !seen {
		t.Errorf("analyze's summary has no line of the failed cell:\n%s", AnalysisSummary(a))
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "**cache\\_mode**: matters") {
		t.Errorf("cache_mode said to matter from a cell that built nothing:\n%s", md)
	}
}
