package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/analyze/evidence"
)

// TestBarrierLossNamesItsCell: the model's loss to batch barriers is one
// cell's, simulated at its workers and batch; the report names that cell
// and what the decision made of it, as the fixed cost does. Without a
// name it read as the loss of the decision's pick, which, when the pick is
// a stream (no barrier) or there is no recommendation, it is not.
func TestBarrierLossNamesItsCell(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	for _, tc := range []struct {
		name string
		c    evidence.Constraints
		want string
	}{
		// The pick is batched: its own loss.
		{"recommended", evidence.Constraints{}, "**Lost to batch barriers** of w4-b3-off-single (recommended): "},
		// No candidate meets the deadline: the best measured cell's.
		{"no recommendation", evidence.Constraints{Deadline: time.Second}, "**Lost to batch barriers** of w4-b3-off-single (best measured): "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := FromAnalysis(a, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			md, err := Markdown(d, "")
			if err != nil {
				t.Fatal(err)
			}
			model := section(string(md), "### Model")
			if !strings.Contains(model, tc.want) {
				t.Errorf("model section does not say %q:\n%s", tc.want, model)
			}
		})
	}
}

// TestBarrierLossForTheTarget: a report for another build than the
// analysis' default (--images, --instances) states the barrier loss of
// that build, not of the default 433 images: how much a barrier costs
// depends on how many batches the build runs.
func TestBarrierLossForTheTarget(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	def, ok := a.BarrierFor("w4-b3-off-single", a.Options.Images)
	if !ok {
		t.Fatal("no barrier loss of w4-b3-off-single")
	}
	seven, ok := a.BarrierFor("w4-b3-off-single", 7)
	if !ok || seven.Images != 7 {
		t.Fatalf("barrier loss for 7 images: %+v, %v", seven, ok)
	}
	if percent1(100*seven.Median) == percent1(100*def.Median) {
		t.Fatalf("testdata: the loss for 7 images (%v) reads as the default build's (%v)", seven.Median, def.Median)
	}
	d, err := FromAnalysis(a, evidence.Constraints{Target: evidence.Target{Images: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Model.BarrierLossPct, [3]float64{100 * seven.Median, 100 * seven.Lo, 100 * seven.Hi}; got != want {
		t.Errorf("barrier loss %v, want the 7-image build's %v (the default build's: %v)", got, want, 100*def.Median)
	}
}
