package analyze

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMannWhitney(t *testing.T) {
	tests := []struct {
		name  string
		a, b  []float64
		u, p  float64
		tol   float64
		exact bool
	}{
		// Exact: all 252 orderings of 5+5, only one with U=0.
		{"separated 5v5", seq(1, 5), seq(6, 10), 0, 2.0 / 252, 1e-12, true},
		{"separated 5v5 reversed", seq(6, 10), seq(1, 5), 25, 2.0 / 252, 1e-15, true},
		{"separated 3v3", seq(1, 3), seq(4, 6), 0, 0.1, 1e-12, true},
		// U = 3 of 9; counts of U for 3+3 are 1,1,2,3,3,3,3,2,1,1:
		// P(U <= 3) = 7/20, so p = 0.7.
		{"interleaved 3v3", []float64{1, 3, 5}, []float64{2, 4, 6}, 3, 0.7, 1e-12, true},
		{"singletons", []float64{1}, []float64{2}, 0, 1, 0, true},
		{"unequal sizes", []float64{1, 2}, []float64{3, 4, 5, 6, 7}, 0, 2.0 / 21, 1e-12, true},
		// Ties: normal approximation (values from an independent Python
		// implementation of the same formulas).
		{"identical", seq(1, 3), seq(1, 3), 4.5, 1, 0, false},
		{"all equal", []float64{5, 5, 5}, []float64{5, 5}, 3, 1, 0, false},
		{"ties", []float64{1, 2, 2, 3, 4}, []float64{2, 3, 5, 6, 7, 8}, 4.5, 0.06476896969888779, 1e-9, false},
		{"ties 7v8", []float64{10, 12, 12, 15, 20, 22, 22}, []float64{14, 18, 18, 25, 30, 31, 40, 41}, 10, 0.04228766045716448, 1e-9, false},
		// Large: normal approximation without ties.
		{"separated 25v25", seq(0, 24), seq(25, 49), 0, 1.4156562588851784e-09, 1e-5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, p, exact, err := mannWhitney(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if u != tt.u || !near(p, tt.p, tt.tol) || exact != tt.exact {
				t.Errorf("got U=%v p=%.10g exact=%v, want U=%v p=%.10g exact=%v", u, p, exact, tt.u, tt.p, tt.exact)
			}
			U, P, err := MannWhitney(tt.a, tt.b)
			if err != nil || U != u || P != p {
				t.Errorf("MannWhitney = %v, %v, %v; want %v, %v", U, P, err, u, p)
			}
		})
	}
}

func TestMannWhitneyLargeNoTies(t *testing.T) {
	// 30 vs 30 with a shift of 6 positions, p from the Python reference.
	a := make([]float64, 30)
	b := make([]float64, 30)
	for i := range a {
		a[i] = 0.5 * float64(i)
		b[i] = 0.5*float64(i) + 3.25 // no ties
	}
	u, p, err := MannWhitney(a, b)
	if err != nil {
		t.Fatal(err)
	}
	// U counts pairs a > b: for each a[i] the b[j] with j < i-6.
	var want float64
	for i := range a {
		for j := range b {
			if a[i] > b[j] {
				want++
			}
		}
	}
	if u != want {
		t.Errorf("U = %v, want %v", u, want)
	}
	if p <= 0 || p >= 0.05 {
		t.Errorf("p = %v, want in (0, 0.05)", p)
	}
}

func TestMannWhitneyErrors(t *testing.T) {
	if _, _, err := MannWhitney(nil, []float64{1}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty a: err = %v", err)
	}
	if _, _, err := MannWhitney([]float64{1}, nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty b: err = %v", err)
	}
	if _, _, err := MannWhitney([]float64{1, math.NaN()}, []float64{1}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: err = %v", err)
	}
}

// TestUExactCDF checks the dynamic programme against enumeration of every
// ordering, and against a published critical value.
func TestUExactCDF(t *testing.T) {
	for n1 := 1; n1 <= 6; n1++ {
		for n2 := 1; n2 <= 6; n2++ {
			n := n1 + n2
			counts := make([]float64, n1*n2+1)
			var total float64
			for mask := 0; mask < 1<<n; mask++ {
				if popcount(mask) != n1 {
					continue
				}
				// bit i set: the i-th smallest value belongs to a.
				u, bs := 0, 0
				for i := 0; i < n; i++ {
					if mask&(1<<i) != 0 {
						u += bs
					} else {
						bs++
					}
				}
				counts[u]++
				total++
			}
			cdf := uExactCDF(n1, n2)
			var acc float64
			for u := range counts {
				acc += counts[u]
				if !near(cdf[u], acc/total, 1e-12) {
					t.Fatalf("n1=%d n2=%d u=%d: cdf %v, want %v", n1, n2, u, cdf[u], acc/total)
				}
			}
		}
	}
	// Tables of the U test: n1 = n2 = 10, two-sided alpha = 0.05,
	// critical value 23: P(U <= 23) <= 0.025 < P(U <= 24).
	cdf := uExactCDF(10, 10)
	if !(cdf[23] <= 0.025 && cdf[24] > 0.025) {
		t.Errorf("10x10: P(U<=23)=%v P(U<=24)=%v", cdf[23], cdf[24])
	}
	// Symmetry of the largest size used.
	cdf = uExactCDF(ExactMax, ExactMax-3)
	mn := ExactMax * (ExactMax - 3)
	for u := 0; u < mn; u++ {
		if !near(cdf[u], 1-cdf[mn-u-1], 1e-9) {
			t.Fatalf("asymmetric at u=%d: %v vs %v", u, cdf[u], 1-cdf[mn-u-1])
		}
	}
}

func popcount(x int) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}

func TestMannWhitneyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 300; trial++ {
		a := make([]float64, 1+rng.IntN(30))
		b := make([]float64, 1+rng.IntN(30))
		for i := range a {
			a[i] = math.Round(rng.NormFloat64() * 5)
		}
		for i := range b {
			b[i] = math.Round(rng.NormFloat64()*5 + 2)
		}
		u, p, err := MannWhitney(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if !(p >= 0 && p <= 1) {
			t.Fatalf("p = %v", p)
		}
		if u < 0 || u > float64(len(a)*len(b)) {
			t.Fatalf("U = %v outside [0, %d]", u, len(a)*len(b))
		}
		// Swapping the samples: U' = n1 n2 - U, same p.
		u2, p2, _ := MannWhitney(b, a)
		if !near(u2, float64(len(a)*len(b))-u, 1e-9) || !near(p2, p, 1e-12) {
			t.Fatalf("swap: U %v -> %v, p %v -> %v", u, u2, p, p2)
		}
		if p < minAttainableP(len(a), len(b))*(1-1e-12) {
			t.Fatalf("p %v below the smallest attainable %v", p, minAttainableP(len(a), len(b)))
		}
	}
}

func TestMinSamplesPerSide(t *testing.T) {
	// 2/C(2n, n): n=3 -> 0.1, n=4 -> 0.0286, n=5 -> 0.0079, n=6 -> 0.00216.
	for alpha, want := range map[float64]int{0.05: 4, 0.1: 4, 0.1000001: 3, 0.01: 5, 0.005: 6, 0.025: 5} {
		if got := minSamplesPerSide(alpha); got != want {
			t.Errorf("minSamplesPerSide(%v) = %d, want %d", alpha, got, want)
		}
	}
}

func TestMannWhitneyGreater(t *testing.T) {
	tests := []struct {
		name  string
		a, b  []float64
		u, p  float64
		tol   float64
		exact bool
	}{
		// Exact 5+5: one ordering of 252 has U = 25.
		{"a above b", seq(6, 10), seq(1, 5), 25, 1.0 / 252, 1e-12, true},
		{"a below b", seq(1, 5), seq(6, 10), 0, 1, 0, true},
		// 3+3 counts of U = 0..9: 1,1,2,3,3,3,3,2,1,1 (of 20).
		// U_a = 3: P(U >= 3) = 1 - 4/20; U_b = 6: P(U >= 6) = 7/20.
		{"interleaved a", []float64{1, 3, 5}, []float64{2, 4, 6}, 3, 0.8, 1e-12, true},
		{"interleaved b", []float64{2, 4, 6}, []float64{1, 3, 5}, 6, 0.35, 1e-12, true},
		{"singletons", []float64{2}, []float64{1}, 1, 0.5, 1e-12, true},
		// Normal approximation: half the two-sided p of TestMannWhitney,
		// in the direction of the difference.
		{"ties 7v8", []float64{14, 18, 18, 25, 30, 31, 40, 41}, []float64{10, 12, 12, 15, 20, 22, 22}, 46, 0.04228766045716448 / 2, 1e-9, false},
		{"separated 25v25", seq(25, 49), seq(0, 24), 625, 1.4156562588851784e-09 / 2, 1e-5, false},
		{"all equal", []float64{5, 5, 5}, []float64{5, 5}, 3, 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, p, exact, err := mannWhitneyGreater(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if u != tt.u || !near(p, tt.p, tt.tol) || exact != tt.exact {
				t.Errorf("got U=%v p=%.10g exact=%v, want U=%v p=%.10g exact=%v", u, p, exact, tt.u, tt.p, tt.exact)
			}
			if U, P, err := MannWhitneyGreater(tt.a, tt.b); err != nil || U != u || P != p {
				t.Errorf("MannWhitneyGreater = %v, %v, %v; want %v, %v", U, P, err, u, p)
			}
		})
	}
	if _, _, err := MannWhitneyGreater(nil, []float64{1}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: err = %v", err)
	}
	if _, _, err := MannWhitneyGreater([]float64{1}, []float64{math.Inf(1)}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("Inf: err = %v", err)
	}
}

// TestMannWhitneyGreaterTwoSided checks that, exact and below 1, the
// two-sided p is twice the smaller one-sided p.
func TestMannWhitneyGreaterTwoSided(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for trial := 0; trial < 200; trial++ {
		a := make([]float64, 1+rng.IntN(12))
		b := make([]float64, 1+rng.IntN(12))
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64() + 1
		}
		_, p2, exact, _ := mannWhitney(a, b)
		_, pa, _, _ := mannWhitneyGreater(a, b)
		_, pb, _, _ := mannWhitneyGreater(b, a)
		if !exact {
			t.Fatal("continuous values gave ties")
		}
		if want := math.Min(1, 2*math.Min(pa, pb)); !near(p2, want, 1e-12) {
			t.Fatalf("two-sided %v, one-sided %v and %v", p2, pa, pb)
		}
		if pa < minAttainableGreaterP(len(a), len(b))*(1-1e-12) {
			t.Fatalf("p %v below the smallest attainable %v", pa, minAttainableGreaterP(len(a), len(b)))
		}
	}
}

func TestMinAttainableGreaterP(t *testing.T) {
	tests := []struct {
		n1, n2 int
		want   float64
	}{
		{3, 3, 1.0 / 20},
		{4, 4, 1.0 / 70},
		{5, 5, 1.0 / 252},
		{1, 1, 0.5},
		{0, 4, 1},
		{25, 25, 1.4156562588851784e-09 / 2},
	}
	for _, tt := range tests {
		if got := minAttainableGreaterP(tt.n1, tt.n2); !near(got, tt.want, 1e-5) {
			t.Errorf("minAttainableGreaterP(%d, %d) = %v, want %v", tt.n1, tt.n2, got, tt.want)
		}
	}
}

func TestCanSeparate(t *testing.T) {
	// Smallest two-sided p is 2/C(n1+n2, n1) while exact.
	tests := []struct {
		n1, n2 int
		alpha  float64
		want   bool
	}{
		{3, 3, 0.05, false},  // 2/20 = 0.1
		{4, 4, 0.05, true},   // 2/70 = 0.0286
		{3, 4, 0.05, false},  // 2/35 = 0.0571
		{3, 5, 0.05, true},   // 2/56 = 0.0357
		{1, 20, 0.05, false}, // 2/21 = 0.0952
		{2, 20, 0.05, true},  // 2/231 = 0.00866
		{4, 4, 0.01, false},  // 0.0286
		{5, 5, 0.01, true},   // 2/252 = 0.0079
		{4, 4, 0, true},      // DefaultAlpha
		{0, 5, 0.05, false},
		{30, 30, 0.001, true}, // normal approximation
	}
	for _, tt := range tests {
		if got := CanSeparate(tt.n1, tt.n2, tt.alpha); got != tt.want {
			t.Errorf("CanSeparate(%d, %d, %v) = %v, want %v", tt.n1, tt.n2, tt.alpha, got, tt.want)
		}
	}
}
