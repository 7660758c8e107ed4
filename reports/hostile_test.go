package reports

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// failedCellRun copies analyze/evidence's synthetic sweep with every image
// of cell w2-b3-min-single failed, and analyses it.
func failedCellRun(t *testing.T) *evidence.Analysis {
	t.Helper()
	return editedRun(t, func(line []byte) [][]byte {
		if bytes.Contains(line, []byte(`"cell":"w2-b3-min-single"`)) {
			line = bytes.Replace(line, []byte(`"status":"built"`), []byte(`"status":"failed","error_class":"build","error":"exit 1"`), 1)
			line = bytes.Replace(line, []byte(`"built":6`), []byte(`"built":0,"failed":6`), 1)
			line = regexp.MustCompile(`"images_per_hour":[0-9.e+]+`).ReplaceAll(line, []byte(`"images_per_hour":0`))
		}
		return [][]byte{line}
	})
}

// TestCellWithoutBuiltImages: a cell whose every build failed has no
// per-image time; the report showed it as "0s" per image and drew a 0 s
// bar in the phase chart, as if its images built in no time.
func TestCellWithoutBuiltImages(t *testing.T) {
	a := failedCellRun(t)
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(d.Cells, func(c CellRow) bool { return c.Name == "w2-b3-min-single" })
	if i < 0 {
		t.Fatal("the failed cell is not in the cell table")
	}
	if !math.IsNaN(d.Cells[i].PerImageMedianS) {
		t.Errorf("failed cell: per-image median %v, want n/a (NaN)", d.Cells[i].PerImageMedianS)
	}
	for _, r := range d.Phases.Rows {
		if r.Name == "w2-b3-min-single" {
			t.Errorf("failed cell has a phase row: %+v", r)
		}
	}
	for _, c := range d.Charts.Phases.Cells {
		if c.Name == "w2-b3-min-single" {
			t.Error("failed cell has a bar in the phase chart")
		}
	}
	for _, s := range d.Charts.ECDF.Series {
		if s.Name == "w2-b3-min-single" {
			t.Error("failed cell has a series in the per-image ECDF")
		}
	}
	md, err := Markdown(d, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(line, "| 4 | w2-b3-min-single |") && !strings.Contains(line, "| n/a |") {
			t.Errorf("report row of the failed cell lacks n/a: %s", line)
		}
	}
}
