package analyze

import (
	"slices"
	"strings"
	"testing"
)

func TestHalve(t *testing.T) {
	t.Run("decisive", func(t *testing.T) {
		d := Halve(map[string][]float64{
			"fast": {10, 11, 12, 13, 14}, "mid": {15, 16, 17, 18, 19}, "slow": {30, 31, 32, 33, 34},
		}, false, 0.05)
		if d.Best != "fast" || !slices.Equal(d.Keep, []string{"fast"}) || len(d.Drop) != 2 || !d.Done || !d.Decisive {
			t.Fatalf("got %+v", d)
		}
		e := d.Drop[0]
		if e.Cell != "mid" || e.Reason != DropSignificant || e.Median != 17 || e.BestMedian != 12 || e.Best != "fast" ||
			e.N != 5 || e.BestN != 5 || !near(e.P, 2.0/252, 1e-12) || !near(e.PAdjusted, 4.0/252, 1e-12) || e.Alpha != 0.05 {
			t.Errorf("evidence %+v", e)
		}
		s := e.String()
		for _, w := range []string{"mid", "median 17", "best fast 12", "p=0.00794", "Holm-adjusted 0.0159", "alpha=0.05"} {
			if !strings.Contains(s, w) {
				t.Errorf("evidence %q lacks %q", s, w)
			}
		}
	})
	cells := map[string][]float64{
		"a": {10, 12, 14, 16, 18},
		"b": {11, 13, 15, 17, 19},
		"c": {30, 31, 32, 33, 34},
	}
	t.Run("significance only", func(t *testing.T) {
		d := Halve(cells, false, 0.05)
		if !slices.Equal(d.Keep, []string{"a", "b"}) || len(d.Drop) != 1 || d.Drop[0].Cell != "c" || d.Done || d.Decisive {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("keep top", func(t *testing.T) {
		d := HalveWith(cells, false, HalvingPolicy{Alpha: 0.05, KeepTop: 1, MinReps: 5})
		if !slices.Equal(d.Keep, []string{"a"}) || len(d.Drop) != 2 || !d.Done || d.Decisive {
			t.Fatalf("got %+v", d)
		}
		if d.Drop[0].Cell != "b" || d.Drop[0].Reason != DropRank || d.Drop[1].Reason != DropSignificant {
			t.Errorf("drops %+v", d.Drop)
		}
		if s := d.Drop[0].String(); !strings.Contains(s, "outside the kept top") {
			t.Errorf("evidence %q", s)
		}
	})
	t.Run("keep top waits for reps", func(t *testing.T) {
		d := HalveWith(cells, false, HalvingPolicy{Alpha: 0.05, KeepTop: 1, MinReps: 6})
		if !slices.Equal(d.Keep, []string{"a", "b"}) || !hasWarning(d.Warnings, "keep-top-1 not applied") {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("unmeasured cell keeps going", func(t *testing.T) {
		d := Halve(map[string][]float64{"a": {1, 2, 3, 4, 5}, "b": {10, 11, 12, 13, 14}, "new": nil}, false, 0.05)
		if !slices.Equal(d.Keep, []string{"a", "new"}) || d.Done {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("single cell", func(t *testing.T) {
		d := Halve(map[string][]float64{"a": {1}}, false, 0.05)
		if !d.Done || d.Decisive || !hasWarning(d.Warnings, "only one cell") {
			t.Errorf("got %+v", d)
		}
	})
}
