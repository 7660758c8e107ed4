package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// A sweep's round 1: 3 trials a cell. Mann-Whitney cannot drop anything
// (p >= 0.1); the t-tests drop the cells that are plainly slower and keep
// the close one.
func TestHalveTTestsRoundOne(t *testing.T) {
	cells := map[string][]float64{ // images/hour
		"w4":  {1200, 1190, 1215},
		"w2":  {1170, 1205, 1160}, // within the noise of w4
		"w1":  {640, 655, 630},
		"w1m": {600, 610, 590},
	}
	if d := Halve(cells, true, 0.05); len(d.Drop) != 0 {
		t.Fatalf("Mann-Whitney alone dropped %v at 3 reps", d.Drop)
	}
	d := HalveWith(cells, true, HalvingPolicy{Alpha: 0.05, TTests: true})
	var dropped []string
	for _, e := range d.Drop {
		dropped = append(dropped, e.Cell)
		if e.Reason != DropSignificantT || !(e.WelchP < 0.05) || !(e.PooledP < 0.05) || e.PAdjusted < 0.05 {
			t.Errorf("evidence %+v", e)
		}
	}
	slices.Sort(dropped)
	if !slices.Equal(dropped, []string{"w1", "w1m"}) || !slices.Equal(d.Keep, []string{"w4", "w2"}) || d.Done {
		t.Fatalf("dropped %v, kept %v", dropped, d.Keep)
	}
	s := d.Drop[0].String()
	for _, w := range []string{"t-tests on logs", "Welch", "pooled", "alpha=0.05"} {
		if !strings.Contains(s, w) {
			t.Errorf("evidence %q lacks %q", s, w)
		}
	}

	// The same cells as seconds (lower is better) drop the same cells.
	secs := map[string][]float64{}
	for k, v := range cells {
		for _, x := range v {
			secs[k] = append(secs[k], 3600*6/x)
		}
	}
	d2 := HalveWith(secs, false, HalvingPolicy{Alpha: 0.05, TTests: true})
	if !slices.Equal(d2.Keep, []string{"w4", "w2"}) || len(d2.Drop) != 2 {
		t.Errorf("as seconds: kept %v, dropped %v", d2.Keep, d2.Drop)
	}
}

// An outlier makes a cell's own variance large: Welch keeps it even though
// its median is far below, and a cell with values that agree closely by
// chance cannot be dropped on its own small variance when the rest of the
// sweep is noisier (pooled).
func TestHalveTTestsGuards(t *testing.T) {
	d := HalveWith(map[string][]float64{
		"best":    {1000, 1010, 1020},
		"outlier": {900, 910, 400},
		"other":   {1005, 995, 1015},
	}, true, HalvingPolicy{Alpha: 0.05, TTests: true})
	if len(d.Drop) != 0 {
		t.Errorf("dropped %v", d.Drop)
	}
	// Two tight cells 3% apart in a sweep whose other cells vary by 10%.
	d = HalveWith(map[string][]float64{
		"best":  {1000, 1001, 1002},
		"tight": {970, 971, 972},
		"a":     {900, 1000, 1100},
		"b":     {850, 950, 1050},
	}, true, HalvingPolicy{Alpha: 0.05, TTests: true})
	for _, e := range d.Drop {
		if e.Cell == "tight" {
			t.Errorf("dropped on its own small variance: %v", e)
		}
	}
	// No spread at all: nothing to test with.
	// (Mann-Whitney's tie-corrected normal approximation may still call
	// it; the t-tests must not.)
	d = HalveWith(map[string][]float64{"a": {10, 10, 10}, "b": {5, 5, 5}}, true, HalvingPolicy{Alpha: 0.05, TTests: true})
	for _, e := range d.Drop {
		if e.Reason == DropSignificantT {
			t.Errorf("dropped by t-tests without any spread: %v", e)
		}
	}
	// Fewer than 3 a side are not tested, however far apart.
	d = HalveWith(map[string][]float64{"a": {100, 101}, "b": {50, 50.5}, "c": {100.5, 99.5}}, true, HalvingPolicy{Alpha: 0.05, TTests: true})
	if len(d.Drop) != 0 {
		t.Errorf("dropped %v on 2 samples a side", d.Drop)
	}
}

// When no cell is truly worse, the t-test rule must not drop one more
// often than alpha allows: 6 cells of 3 trials drawn alike, with normal
// and with heavy-tailed (Student-t, 3 df) noise on the log scale.
func TestHalveTTestsFamilyWiseError(t *testing.T) {
	for _, heavy := range []bool{false, true} {
		t.Run(fmt.Sprintf("heavy=%v", heavy), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			const sweeps = 4000
			wrong := 0
			for range sweeps {
				cells := map[string][]float64{}
				for c := range 6 {
					for range 3 {
						e := rng.NormFloat64()
						if heavy { // t with 3 df: a normal over sqrt(chi2(3)/3)
							var chi float64
							for range 3 {
								z := rng.NormFloat64()
								chi += z * z
							}
							e /= math.Sqrt(chi / 3)
						}
						cells[fmt.Sprint("c", c)] = append(cells[fmt.Sprint("c", c)], 1000*math.Exp(0.03*e))
					}
				}
				if d := HalveWith(cells, true, HalvingPolicy{Alpha: 0.05, TTests: true}); len(d.Drop) > 0 {
					wrong++
				}
			}
			if rate := float64(wrong) / sweeps; rate > 0.05 {
				t.Errorf("a cell no worse than the best was dropped in %.1f%% of sweeps (alpha 5%%)", 100*rate)
			} else {
				t.Logf("false drops in %.2f%% of sweeps", 100*rate)
			}
		})
	}
}

// TestLogTTestsNotMade: LogTTests returns p = 1 by convention when it
// cannot test; LogTTestsNotMade says so, so that no caller prints that
// p = 1 as a finding.
func TestLogTTestsNotMade(t *testing.T) {
	two, three := []float64{7172, 7246}, []float64{4836, 5163, 5000}
	if w, p := LogTTests(two, three, nil); w != 1 || p != 1 {
		t.Fatalf("2 against 3: p = %v, %v; want the convention 1, 1", w, p)
	}
	tests := []struct {
		a, b []float64
		want string
	}{
		{two, three, "need 3 trials a side"},
		{three, two, "need 3 trials a side"},
		{[]float64{1, 2, math.NaN()}, three, "need 3 trials a side"},
		{[]float64{0, 2, 3}, three, "a throughput is not above 0"},
		{[]float64{7172, 7246, 7200}, three, ""},
	}
	for _, tt := range tests {
		if got := LogTTestsNotMade(tt.a, tt.b); got != tt.want {
			t.Errorf("LogTTestsNotMade(%v, %v) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
