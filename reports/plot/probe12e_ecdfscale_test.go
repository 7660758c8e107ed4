package plot

import (
	"testing"

	gplot "gonum.org/v1/plot"
)

// Cells of very different scales (1 s per image at 4 workers, 10 min at
// 1 worker) drew the fast cells' curves as one vertical line at 0 s on a
// linear axis up to 900 s: four of six series, hidden under each other.
// When the times span more than a factor of 20 the axis is logarithmic,
// with labelled ticks, so every curve has room.
func TestProbe12eECDFWideRange(t *testing.T) {
	d := ECDFData{Series: []ECDFSeries{
		{Name: "w1", Seconds: []float64{520, 600, 680}},
		{Name: "w2", Seconds: []float64{1.0, 1.2, 1.3}},
		{Name: "w4", Seconds: []float64{1.4, 1.7, 1.9}},
	}}
	ch, err := ECDF(d)
	if err != nil {
		t.Fatal(err)
	}
	p := ch.Panels[0]
	if _, ok := p.X.Scale.(gplot.LogScale); !ok {
		t.Fatalf("x scale %T for times from 1 s to 680 s, want a log scale", p.X.Scale)
	}
	labelled := 0
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if tk.Label != "" {
			labelled++
			if tk.Value < p.X.Min || tk.Value > p.X.Max {
				t.Errorf("tick %v outside [%v, %v]", tk.Value, p.X.Min, p.X.Max)
			}
		}
	}
	if labelled < 3 {
		t.Errorf("%d labelled ticks on the log axis, want at least 3", labelled)
	}
	if _, err := PNG(ch, 0, 0); err != nil {
		t.Fatal(err)
	}
	// A narrow range stays linear.
	narrow, err := ECDF(ECDFData{Series: []ECDFSeries{{Name: "a", Seconds: []float64{10, 20, 30}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := narrow.Panels[0].X.Scale.(gplot.LogScale); ok {
		t.Error("a 10-30 s range drawn on a log scale")
	}
}
