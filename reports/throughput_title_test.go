package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// TestThroughputTitleNamesTheCap: a sweep whose trials had fewer images
// than workers ran fewer builds at once because of its sample, not its
// batch size; the chart's title must not blame the batch size, and its x
// axis is builds at once, not workers.
func TestThroughputTitleNamesTheCap(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func([]byte) [][]byte
		want string
	}{
		{"batch", func(l []byte) [][]byte { return [][]byte{l} }, "capped by the batch size)"},
		{"sample", func(l []byte) [][]byte {
			if bytes.Contains(l, []byte(`"kind":"trial"`)) {
				l = bytes.Replace(l, []byte(`"images":6,`), []byte(`"images":1,`), 1)
			}
			return [][]byte{l}
		}, "capped by the sample size)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := editedRun(t, tc.edit)
			d, err := FromAnalysis(a, evidence.Constraints{})
			if err != nil {
				t.Fatal(err)
			}
			th := d.Charts.Throughput
			if !strings.HasSuffix(th.Title, tc.want) {
				t.Errorf("title %q, want it to end %q", th.Title, tc.want)
			}
			if th.XLabel != "builds at once" {
				t.Errorf("x label %q, want %q", th.XLabel, "builds at once")
			}
			// The caption (the image's alt text) says what the axis says.
			if c := throughputCaption(th); !strings.HasPrefix(c, "Throughput against builds at once") {
				t.Errorf("caption %q, want it to name the axis, builds at once", c)
			}
		})
	}
}
