package reports

import (
	"bytes"
	"strings"
	"testing"
)

// TestCellsTableCPUBusy: a sweep whose trials measured the host's CPU
// gets a CPU busy column, each cell's median over its trials, and the
// caption says what it is; w1-b3-off-single's trials measured nothing and
// read n/a. A sweep that measured nothing (the records before host_cpu)
// has no such column.
func TestCellsTableCPUBusy(t *testing.T) {
	busy := map[string]string{"w4-b3-off-single": `"host_cpu":0.93,"foreign_cpu":0.01,`, "w2-b3-off-single": `"host_cpu":0.71,`, "w2-b3-min-single": `"host_cpu":0.7,`}
	a := editedRun(t, func(l []byte) [][]byte {
		if bytes.Contains(l, []byte(`"kind":"trial"`)) {
			for cell, f := range busy {
				if bytes.Contains(l, []byte(`"cell":"`+cell+`"`)) {
					l = bytes.Replace(l, []byte(`"kind":"trial",`), []byte(`"kind":"trial",`+f), 1)
				}
			}
		}
		return [][]byte{l}
	})
	md := markdownOf(t, a)
	for _, want := range []string{"| per image | CPU busy | p (Holm) |", "CPU busy is the median share of the host's cores busy"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for cell, want := range map[string]string{"w4-b3-off-single": " 93% |", "w2-b3-off-single": " 71% |", "w1-b3-off-single": " n/a |"} {
		line := lineWith(md, "| "+cell+" |")
		if !strings.Contains(line, want) {
			t.Errorf("row %q lacks %q", line, want)
		}
	}

	plain := markdownOf(t, editedRun(t, func(l []byte) [][]byte { return [][]byte{l} }))
	if strings.Contains(plain, "CPU busy") {
		t.Error("a sweep that measured no host CPU has a CPU busy column")
	}
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
