package analyze

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
)

func TestHolm(t *testing.T) {
	// Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> 0.06.
	got := holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if !near(got[i], want[i], 1e-12) {
			t.Fatalf("holm = %v, want %v", got, want)
		}
	}
	if got := holm([]float64{0.5, 0.9}); got[0] != 1 || got[1] != 1 {
		t.Errorf("capping: %v", got)
	}
}

func TestRank(t *testing.T) {
	cells := map[string][]float64{
		"fast": {10, 11, 12, 13, 14},
		"mid":  {15, 16, 17, 18, 19},
		"slow": {30, 31, 32, 33, 34},
	}
	r := Rank(cells, false, 0.05)
	if r.Best != "fast" || len(r.Cells) != 3 || r.Comparisons != 2 {
		t.Fatalf("got %+v", r)
	}
	names := []string{r.Cells[0].Name, r.Cells[1].Name, r.Cells[2].Name}
	if !slices.Equal(names, []string{"fast", "mid", "slow"}) {
		t.Errorf("order %v", names)
	}
	// Both raw p = 2/252; Holm: 2*p, then max(p, 2*p).
	for _, c := range r.Cells[1:] {
		if !near(c.P, 2.0/252, 1e-12) || !near(c.PAdjusted, 4.0/252, 1e-12) || !c.Worse || c.Best {
			t.Errorf("cell %+v", c)
		}
	}
	if c := r.Cells[0]; !c.Best || c.Worse || c.P != 1 || c.PAdjusted != 1 || c.Position != 1 {
		t.Errorf("best %+v", c)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %q", r.Warnings)
	}

	// Higher is better flips the order.
	r = Rank(cells, true, 0.05)
	if r.Best != "slow" || r.Cells[1].Name != "mid" || r.Cells[2].Name != "fast" || !r.Cells[2].Worse {
		t.Errorf("higher is better: %+v", r)
	}

	// Deterministic regardless of map order.
	first := Rank(cells, false, 0.05)
	for i := 0; i < 20; i++ {
		if again := Rank(cells, false, 0.05); !reflect.DeepEqual(first, again) {
			t.Fatal("Rank is not deterministic")
		}
	}
	if _, err := json.Marshal(first); err != nil {
		t.Errorf("json: %v", err)
	}
}

func TestRankTiesAndLimits(t *testing.T) {
	t.Run("equal medians by name", func(t *testing.T) {
		r := Rank(map[string][]float64{"b": {1, 2, 3}, "a": {1, 2, 3}, "c": {0, 2, 9}}, false, 0.05)
		got := []string{r.Cells[0].Name, r.Cells[1].Name, r.Cells[2].Name}
		if !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Errorf("order %v", got)
		}
	})
	t.Run("too few for any conclusion", func(t *testing.T) {
		r := Rank(map[string][]float64{"x": {1, 2, 3}, "y": {4, 5, 6}, "z": {7, 8, 9}}, false, 0.05)
		if !hasWarning(r.Warnings, "no conclusion possible") {
			t.Errorf("warnings %q", r.Warnings)
		}
		for _, c := range r.Cells[1:] {
			if c.Worse || !hasWarning(c.Warnings, "need at least 4 per side") {
				t.Errorf("cell %+v", c)
			}
		}
	})
	t.Run("holm needs more than uncorrected", func(t *testing.T) {
		// 4 vs 4: smallest p 2/70 = 0.0286 < 0.05, but with 3
		// comparisons Holm's first step needs p < 0.0167.
		r := Rank(map[string][]float64{
			"a": {1, 2, 3, 4}, "b": {11, 12, 13, 14}, "c": {21, 22, 23, 24}, "d": {31, 32, 33, 34},
		}, false, 0.05)
		if !hasWarning(r.Warnings, "no conclusion possible: with 3 comparisons") {
			t.Errorf("warnings %q", r.Warnings)
		}
		for _, c := range r.Cells[1:] {
			if c.Worse {
				t.Errorf("cell %s worse with adjusted p %v", c.Name, c.PAdjusted)
			}
		}
	})
	t.Run("empty, NaN and single", func(t *testing.T) {
		r := Rank(map[string][]float64{"a": {1, math.NaN(), 2}, "e": nil}, false, 0.05)
		if r.Best != "a" || !slices.Equal(r.Unranked, []string{"e"}) || r.Cells[0].Sample.N != 2 {
			t.Errorf("got %+v", r)
		}
		for _, w := range []string{`"a": dropped 1`, `"e" has no samples`, "only one cell"} {
			if !hasWarning(r.Warnings, w) {
				t.Errorf("warnings %q lack %q", r.Warnings, w)
			}
		}
		if r := Rank(nil, false, 0.05); r.Best != "" || !hasWarning(r.Warnings, "nothing to rank") {
			t.Errorf("nil: %+v", r)
		}
	})
}
