package analyze

import (
	"math"
	"strings"
	"testing"
)

func near(got, want, tol float64) bool {
	if want == 0 {
		return math.Abs(got) <= tol
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func seq(from, to float64) []float64 {
	var s []float64
	for x := from; x <= to; x++ {
		s = append(s, x)
	}
	return s
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestHelpers(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tt := range []struct {
		a, b, want float64
	}{
		{6, 3, 2}, {1, 0, 0}, {0, 0, 0}, {1e308, 1e-308, 0}, {-3, 2, -1.5},
	} {
		if got := safeDiv(tt.a, tt.b); got != tt.want {
			t.Errorf("safeDiv(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	vals, dropped := finite([]float64{1, nan, 2, inf, -inf, 3})
	if dropped != 3 || len(vals) != 3 || vals[0] != 1 || vals[1] != 2 || vals[2] != 3 {
		t.Errorf("finite = %v, %d", vals, dropped)
	}
	for _, tt := range []struct {
		s    []float64
		want float64
	}{
		{[]float64{7}, 7}, {[]float64{1, 4}, 2.5}, {[]float64{1, 2, 9}, 2}, {[]float64{1, 2, 3, 10}, 2.5},
	} {
		if got := sortedMedian(tt.s); got != tt.want {
			t.Errorf("sortedMedian(%v) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
