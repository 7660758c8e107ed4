package reports

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

var workersRE = regexp.MustCompile(`"workers":([0-9]+)`)
var cellWRE = regexp.MustCompile(`"cell":"w([0-9]+)-`)

// On a grid of 60 cells the ECDF drew 60 step lines over each other, and
// colours and dashes repeat after 32: no curve could be followed. The chart
// draws the fastest cells of each condition and the decision's pick, and
// its caption says how many of how many.
func TestProbe12eECDFFewCells(t *testing.T) {
	a := editedRun(t, func(line []byte) [][]byte {
		out := [][]byte{line}
		for k := 1; k < 5; k++ {
			cp := workersRE.ReplaceAllFunc(bytes.Clone(line), func(m []byte) []byte {
				n, _ := strconv.Atoi(string(workersRE.FindSubmatch(m)[1]))
				return []byte(`"workers":` + strconv.Itoa(n+8*k))
			})
			cp = cellWRE.ReplaceAllFunc(cp, func(m []byte) []byte {
				n, _ := strconv.Atoi(string(cellWRE.FindSubmatch(m)[1]))
				return []byte(`"cell":"w` + strconv.Itoa(n+8*k) + "-")
			})
			cp = trialRE.ReplaceAllFunc(cp, func(m []byte) []byte {
				n, _ := strconv.Atoi(string(trialRE.FindSubmatch(m)[1]))
				return []byte(`"trial":` + strconv.Itoa(n+1000*k))
			})
			out = append(out, cp)
		}
		return out
	})
	if len(a.Cells) < 16 {
		t.Fatalf("%d cells, want at least 16", len(a.Cells))
	}
	d, err := FromAnalysis(a, evidence.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	s := d.Charts.ECDF.Series
	if len(s) > maxECDFSeries {
		t.Errorf("ECDF of %d series, want at most %d", len(s), maxECDFSeries)
	}
	names := map[string]bool{}
	for _, x := range s {
		names[x.Name] = true
	}
	if pick := d.Decision.Recommended.Cell; pick != "" && !names[pick] {
		t.Errorf("ECDF lacks the recommended cell %s", pick)
	}
	if best := d.Cells[0].Name; !names[best] {
		t.Errorf("ECDF lacks the best cell %s", best)
	}
	var caption string
	for _, c := range chartSpecs(d) {
		if c.name == "ecdf" {
			caption = c.caption
		}
	}
	if !strings.Contains(caption, "of "+strconv.Itoa(len(a.Cells))+" cells") {
		t.Errorf("ECDF caption %q does not say it draws some of the %d cells", caption, len(a.Cells))
	}
}
