package analyze

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
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

func TestSummary(t *testing.T) {
	tests := []struct {
		name       string
		xs         []float64
		conf       float64
		n          int
		min, max   float64
		mean, med  float64
		lo, hi     float64
		coverage   float64
		warn       string // substring expected in a warning, "" for none
		noWarnings bool
	}{
		{
			// Binomial(10, 1/2): P(B<=1) = 11/1024, P(B<=2) = 56/1024, so
			// k = 2 covers 1 - 22/1024 and k = 3 only 1 - 112/1024.
			name: "ten", xs: []float64{10, 3, 7, 1, 5, 9, 2, 8, 4, 6}, conf: 0.95,
			n: 10, min: 1, max: 10, mean: 5.5, med: 5.5, lo: 2, hi: 9,
			coverage: 1 - 22.0/1024, noWarnings: true,
		},
		{
			// [min, max] of 6 covers 1 - 2/64 >= 0.95.
			name: "six is enough for 95%", xs: seq(1, 6), conf: 0.95,
			n: 6, min: 1, max: 6, mean: 3.5, med: 3.5, lo: 1, hi: 6,
			coverage: 1 - 2.0/64, noWarnings: true,
		},
		{
			// [min, max] of 5 covers only 1 - 2/32 = 0.9375.
			name: "five is too few for 95%", xs: seq(1, 5), conf: 0.95,
			n: 5, min: 1, max: 5, mean: 3, med: 3, lo: 1, hi: 5,
			coverage: 0.9375, warn: "need at least 6 samples",
		},
		{
			// Binomial(7, 1/2): P(B<=2) = 29/128: k = 3 covers 1 - 58/128.
			name: "odd, low confidence", xs: seq(1, 7), conf: 0.5,
			n: 7, min: 1, max: 7, mean: 4, med: 4, lo: 3, hi: 5,
			coverage: 1 - 58.0/128, noWarnings: true,
		},
		{
			name: "one value", xs: []float64{42}, conf: 0.95,
			n: 1, min: 42, max: 42, mean: 42, med: 42, lo: 42, hi: 42,
			coverage: 0, warn: "need at least 6 samples",
		},
		{
			name: "empty", xs: nil, conf: 0.95, warn: "no samples",
		},
		{
			name: "non-finite dropped", xs: []float64{math.NaN(), 1, 2, math.Inf(1), 3, 4, 5, 6}, conf: 0.95,
			n: 6, min: 1, max: 6, mean: 3.5, med: 3.5, lo: 1, hi: 6,
			coverage: 1 - 2.0/64, warn: "dropped 2 non-finite",
		},
		{
			name: "bad confidence falls back", xs: seq(1, 6), conf: 95,
			n: 6, min: 1, max: 6, mean: 3.5, med: 3.5, lo: 1, hi: 6,
			coverage: 1 - 2.0/64, warn: "not in (0, 1)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.xs)
			s := Summary(in, tt.conf)
			if !slices.EqualFunc(in, tt.xs, func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }) {
				t.Errorf("Summary modified its input: %v", in)
			}
			if s.N != tt.n || s.Min != tt.min || s.Max != tt.max || !near(s.Mean, tt.mean, 1e-12) || s.Median != tt.med {
				t.Errorf("got N=%d min=%v max=%v mean=%v median=%v, want %d %v %v %v %v",
					s.N, s.Min, s.Max, s.Mean, s.Median, tt.n, tt.min, tt.max, tt.mean, tt.med)
			}
			if s.Lo != tt.lo || s.Hi != tt.hi || !near(s.Confidence, tt.coverage, 1e-9) {
				t.Errorf("got CI [%v, %v] at %v, want [%v, %v] at %v", s.Lo, s.Hi, s.Confidence, tt.lo, tt.hi, tt.coverage)
			}
			if tt.warn != "" && !hasWarning(s.Warnings, tt.warn) {
				t.Errorf("warnings %q lack %q", s.Warnings, tt.warn)
			}
			if tt.noWarnings && len(s.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", s.Warnings)
			}
		})
	}
}

func TestSummaryProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		n := 1 + rng.IntN(60)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.ExpFloat64()*100) / 10 // ties happen
		}
		conf := []float64{0.5, 0.8, 0.9, 0.95, 0.99}[rng.IntN(5)]
		s := Summary(xs, conf)
		if !(s.Min <= s.Lo && s.Lo <= s.Median && s.Median <= s.Hi && s.Hi <= s.Max) {
			t.Fatalf("n=%d conf=%v: want min <= lo <= median <= hi <= max, got %+v", n, conf, s)
		}
		if s.Confidence < 0 || s.Confidence > 1 {
			t.Fatalf("coverage %v outside [0, 1]", s.Confidence)
		}
		if (s.Confidence < conf) != hasWarning(s.Warnings, "need at least") {
			t.Fatalf("n=%d conf=%v coverage=%v: warning mismatch %q", n, conf, s.Confidence, s.Warnings)
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("json: %v", err)
		}
	}
}

func TestMedianCISamples(t *testing.T) {
	// benchmath: need >= 6 samples at 0.95; 1-2^(1-n) >= 0.99 needs n = 8.
	for conf, want := range map[float64]int{0.95: 6, 0.99: 8, 0.5: 2} {
		if got := medianCISamples(conf); got != want {
			t.Errorf("medianCISamples(%v) = %d, want %d", conf, got, want)
		}
	}
}

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

func TestCompare(t *testing.T) {
	t.Run("separated", func(t *testing.T) {
		c := Compare(seq(1, 5), seq(6, 10), 0.05)
		if !near(c.Ratio, 8.0/3, 1e-12) || !near(c.P, 2.0/252, 1e-12) || !c.Significant || !c.Exact || c.MinN != 4 || c.U != 0 {
			t.Errorf("got %+v", c)
		}
		if len(c.Warnings) != 0 {
			t.Errorf("warnings %q", c.Warnings)
		}
		// 5 vs 5 at alpha 0.05: P(U <= 2) = 4/252 <= 0.025 < P(U <= 3) =
		// 7/252, so the interval is [D(3), D(23)] with coverage 1 - 8/252.
		var d []float64
		for _, x := range seq(1, 5) {
			for _, y := range seq(6, 10) {
				d = append(d, y/x)
			}
		}
		sort.Float64s(d)
		if !near(c.RatioLo, d[2], 1e-12) || !near(c.RatioHi, d[22], 1e-12) || !near(c.RatioConfidence, 1-8.0/252, 1e-12) {
			t.Errorf("ratio CI [%v, %v] at %v, want [%v, %v] at %v", c.RatioLo, c.RatioHi, c.RatioConfidence, d[2], d[22], 1-8.0/252)
		}
		if !near(c.RatioHL, d[12], 1e-12) {
			t.Errorf("HL ratio %v, want %v", c.RatioHL, d[12])
		}
	})
	t.Run("too few", func(t *testing.T) {
		c := Compare(seq(1, 3), seq(4, 6), 0.05)
		if c.Significant || !near(c.P, 0.1, 1e-12) {
			t.Errorf("got %+v", c)
		}
		if !hasWarning(c.Warnings, "too few samples for significance at alpha=0.05: need at least 4 per side") {
			t.Errorf("warnings %q", c.Warnings)
		}
		// Full range [4/3, 6] covers only 1 - 2/20.
		if !near(c.RatioLo, 4.0/3, 1e-12) || !near(c.RatioHi, 6, 1e-12) || !near(c.RatioConfidence, 0.9, 1e-12) || !hasWarning(c.Warnings, "ratio interval") {
			t.Errorf("ratio CI [%v, %v] at %v, warnings %q", c.RatioLo, c.RatioHi, c.RatioConfidence, c.Warnings)
		}
	})
	t.Run("scale", func(t *testing.T) {
		a := seq(10, 19)
		b := make([]float64, len(a))
		for i, x := range a {
			b[i] = 2 * x
		}
		c := Compare(a, b, 0.05)
		if !near(c.RatioHL, 2, 1e-12) || !(c.RatioLo <= 2 && 2 <= c.RatioHi) || c.RatioConfidence < 0.95 {
			t.Errorf("HL %v CI [%v, %v] at %v", c.RatioHL, c.RatioLo, c.RatioHi, c.RatioConfidence)
		}
		if !c.Significant {
			t.Errorf("doubling not significant: p=%v", c.P)
		}
	})
	t.Run("large uses normal interval", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		var a, b []float64
		for i := 0; i < 40; i++ {
			x := 100 * math.Exp(rng.NormFloat64()*0.2)
			a = append(a, x)
			b = append(b, 1.5*100*math.Exp(rng.NormFloat64()*0.2))
		}
		c := Compare(a, b, 0.05)
		if c.Exact || !c.Significant || !(c.RatioLo < c.RatioHL && c.RatioHL < c.RatioHi) ||
			math.Abs(math.Log(c.RatioHL/1.5)) > 0.15 || !near(c.RatioConfidence, 0.95, 0.01) {
			t.Errorf("got exact=%v p=%v CI [%v, %v] at %v", c.Exact, c.P, c.RatioLo, c.RatioHi, c.RatioConfidence)
		}
	})
	t.Run("ratio interval coverage", func(t *testing.T) {
		// Simulated scale model b = 1.5 a: the 95% interval should cover
		// 1.5 about 95% of the time (exact regime: at least 95%).
		rng := rand.New(rand.NewPCG(13, 14))
		const sims = 1000
		hits := 0
		for s := 0; s < sims; s++ {
			var a, b []float64
			for i := 0; i < 8; i++ {
				a = append(a, 100*math.Exp(rng.NormFloat64()*0.2))
				b = append(b, 150*math.Exp(rng.NormFloat64()*0.2))
			}
			if c := Compare(a, b, 0.05); c.RatioLo <= 1.5 && 1.5 <= c.RatioHi {
				hits++
			}
		}
		if cov := float64(hits) / sims; cov < 0.93 || cov > 0.99 {
			t.Errorf("coverage %v", cov)
		}
	})
	t.Run("zero median and non-positive values", func(t *testing.T) {
		c := Compare([]float64{0, 0, 0}, []float64{1, 2, 3}, 0.05)
		if c.Ratio != 0 || !hasWarning(c.Warnings, "ratio undefined") || !hasWarning(c.Warnings, "no ratio interval") {
			t.Errorf("got %+v", c)
		}
		if _, err := json.Marshal(c); err != nil {
			t.Errorf("json: %v", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		c := Compare(nil, []float64{1, 2}, 0.05)
		if c.P != 1 || c.Significant || !hasWarning(c.Warnings, "empty") {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("NaN dropped", func(t *testing.T) {
		c := Compare([]float64{1, 2, math.NaN(), 3, 4, 5}, seq(6, 10), 0.05)
		if c.A.N != 5 || !near(c.P, 2.0/252, 1e-12) || !hasWarning(c.Warnings, "a: dropped 1") {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("bad alpha", func(t *testing.T) {
		c := Compare(seq(1, 5), seq(6, 10), 0)
		if c.Alpha != DefaultAlpha || !hasWarning(c.Warnings, "alpha 0 is not in") {
			t.Errorf("got %+v", c)
		}
	})
}

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

func TestFitUSL(t *testing.T) {
	gen := func(lambda, sigma, kappa float64, ns []float64) []float64 {
		xs := make([]float64, len(ns))
		for i, n := range ns {
			xs[i] = uslX(lambda, sigma, kappa, n)
		}
		return xs
	}
	t.Run("exact USL", func(t *testing.T) {
		ns := []float64{1, 2, 4, 8, 16, 32, 48}
		f, err := FitUSL(ns, gen(20, 0.05, 0.002, ns))
		if err != nil {
			t.Fatal(err)
		}
		if !near(f.Lambda, 20, 1e-4) || !near(f.Sigma, 0.05, 1e-3) || !near(f.Kappa, 0.002, 1e-3) || f.R2 < 0.999999 {
			t.Errorf("got %+v", f)
		}
		if !near(f.NStar, math.Sqrt(0.95/0.002), 1e-3) || !near(f.PeakThroughput, uslX(20, 0.05, 0.002, f.NStar), 1e-4) {
			t.Errorf("N* = %v, peak %v", f.NStar, f.PeakThroughput)
		}
		if f.Amdahl || f.Points != 7 || f.DistinctN != 7 || len(f.Warnings) != 0 {
			t.Errorf("got %+v", f)
		}
	})
	t.Run("noisy USL with replicates", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		var ns, xs []float64
		for _, n := range []float64{1, 2, 4, 8, 12, 16, 24, 32} {
			for rep := 0; rep < 3; rep++ {
				ns = append(ns, n)
				xs = append(xs, uslX(70, 0.1, 0.003, n)*(1+0.02*rng.NormFloat64()))
			}
		}
		f, err := FitUSL(ns, xs)
		if err != nil {
			t.Fatal(err)
		}
		if f.R2 < 0.95 || !near(f.Lambda, 70, 0.1) || !near(f.NStar, math.Sqrt(0.9/0.003), 0.25) || f.DistinctN != 8 {
			t.Errorf("got %+v", f)
		}
	})
	t.Run("Amdahl data", func(t *testing.T) {
		ns := []float64{1, 2, 4, 8, 16}
		f, err := FitUSL(ns, gen(10, 0.1, 0, ns))
		if err != nil {
			t.Fatal(err)
		}
		if !near(f.Lambda, 10, 1e-5) || !near(f.Sigma, 0.1, 1e-4) || f.Kappa != 0 || f.NStar != 0 || !hasWarning(f.Warnings, "no peak") {
			t.Errorf("got %+v", f)
		}
		g, err := FitAmdahl(ns, gen(10, 0.1, 0, ns))
		if err != nil || !g.Amdahl || !near(g.Sigma, 0.1, 1e-4) || g.Kappa != 0 {
			t.Errorf("FitAmdahl: %+v, %v", g, err)
		}
	})
	t.Run("two distinct counts", func(t *testing.T) {
		f, err := FitUSL([]float64{4, 4, 16, 16}, []float64{70, 66, 35, 34})
		if err != nil {
			t.Fatal(err)
		}
		if !f.Amdahl || f.Kappa != 0 || !hasWarning(f.Warnings, "cannot fit kappa") || !hasWarning(f.Warnings, "no degrees of freedom") {
			t.Errorf("got %+v", f)
		}
		for _, w := range []string{"sigma=", "sigma diverged", "poor fit"} {
			if !hasWarning(f.Warnings, w) {
				t.Errorf("throughput halves from 4 to 16 workers, beyond Amdahl: warnings %q lack %q", f.Warnings, w)
			}
		}
	})
	t.Run("three distinct counts", func(t *testing.T) {
		ns := []float64{1, 8, 32}
		f, err := FitUSL(ns, gen(5, 0.02, 0.001, ns))
		if err != nil {
			t.Fatal(err)
		}
		if f.Amdahl || !hasWarning(f.Warnings, "3 distinct worker counts for 3 parameters") || !near(f.Kappa, 0.001, 1e-3) {
			t.Errorf("got %+v", f)
		}
	})
	t.Run("optimum beyond data", func(t *testing.T) {
		ns := []float64{1, 2, 3, 4}
		f, err := FitUSL(ns, gen(5, 0.02, 0.001, ns))
		if err != nil {
			t.Fatal(err)
		}
		if !hasWarning(f.Warnings, "extrapolation") {
			t.Errorf("got %+v", f)
		}
	})
	errCases := []struct {
		name string
		n, x []float64
		err  error
	}{
		{"length", []float64{1, 2}, []float64{1}, ErrLength},
		{"empty", nil, nil, ErrEmpty},
		{"NaN", []float64{1, 2, 3}, []float64{1, math.NaN(), 3}, ErrNotFinite},
		{"zero workers", []float64{0, 2, 3}, []float64{1, 2, 3}, ErrInvalid},
		{"negative throughput", []float64{1, 2, 3}, []float64{1, -2, 3}, ErrInvalid},
		{"all zero", []float64{1, 2, 3}, []float64{0, 0, 0}, ErrInvalid},
		{"one distinct", []float64{4, 4, 4}, []float64{1, 2, 3}, ErrTooFewPoints},
	}
	for _, tt := range errCases {
		t.Run("error "+tt.name, func(t *testing.T) {
			if _, err := FitUSL(tt.n, tt.x); !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			} else if !strings.HasPrefix(err.Error(), "fitting usl: ") {
				t.Errorf("err = %q", err)
			}
		})
	}
}

func TestMakespan(t *testing.T) {
	tests := []struct {
		name      string
		d         []float64
		w, b      int
		want      float64
		rationale string
	}{
		{"brief example batched", []float64{4, 1, 1, 1}, 2, 2, 5, "batch [4,1] takes 4, batch [1,1] takes 1"},
		{"brief example stream", []float64{4, 1, 1, 1}, 2, 0, 4, "w0 runs 4, w1 runs 1+1+1"},
		{"negative batch is stream", []float64{4, 1, 1, 1}, 2, -1, 4, ""},
		{"batch larger than list", []float64{4, 1, 1, 1}, 2, 10, 4, ""},
		{"one worker is the sum", []float64{4, 1, 1, 1}, 1, 2, 7, ""},
		{"more workers than images", []float64{4, 1, 1, 1}, 8, 0, 4, ""},
		{"empty", nil, 3, 2, 0, ""},
		{"list order, not LPT", []float64{3, 3, 2, 2, 2}, 2, 0, 7, "3|3, then 2 on w0 (5), 2 on w1 (5), 2 on w0 (7)"},
		{"barrier wastes", []float64{3, 3, 2, 2, 2}, 2, 3, 7, "[3,3,2] takes 5, [2,2] takes 2"},
		{"barrier hurts", []float64{5, 1, 1, 5, 1, 1}, 2, 3, 10, "[5,1,1] takes 5, twice; stream: 5|1,1,5 -> 7"},
		{"stream of the same", []float64{5, 1, 1, 5, 1, 1}, 2, 0, 7, ""},
		{"batch of one is sequential", []float64{2, 3, 4}, 4, 1, 9, ""},
		{"greedy picks the first free", []float64{2, 2, 1, 1, 2}, 2, 0, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Makespan(tt.d, tt.w, tt.b); got != tt.want {
				t.Errorf("Makespan(%v, W=%d, B=%d) = %v, want %v (%s)", tt.d, tt.w, tt.b, got, tt.want, tt.rationale)
			}
		})
	}
	// The real pipeline: 433 images in 29 batches of 15 (the last 13).
	d := make([]float64, 433)
	for i := range d {
		d[i] = 100
	}
	if got := Makespan(d, 4, 15); got != 29*400 {
		t.Errorf("433x100s W=4 B=15: %v, want %v", got, 29*400)
	}
	if got := Makespan(d, 4, 0); got != 109*100 {
		t.Errorf("433x100s W=4 stream: %v, want %v", got, 109*100)
	}
}

func TestMakespanLastBatch(t *testing.T) {
	// W=16 B=50 on 433 images: 8 batches of 50 (4 rounds each) and one of
	// 33 (3 rounds): 8*400 + 300.
	d := make([]float64, 433)
	for i := range d {
		d[i] = 100
	}
	if got, want := Makespan(d, 16, 50), 8*400.0+300; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMakespanPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for workers = 0")
		}
	}()
	Makespan([]float64{1}, 0, 1)
}

// TestMakespanBounds checks Graham's bounds batch by batch: each batch takes
// at least max(its longest image, its sum / W) and at most sum / W + longest.
func TestMakespanBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 500; trial++ {
		n := rng.IntN(60)
		d := make([]float64, n)
		for i := range d {
			d[i] = rng.ExpFloat64() * 100
		}
		w := 1 + rng.IntN(8)
		b := rng.IntN(20)
		size := b
		if size <= 0 {
			size = max(n, 1)
		}
		var lower, upper float64
		for s := 0; s < n; s += size {
			chunk := d[s:min(s+size, n)]
			var sum float64
			for _, x := range chunk {
				sum += x
			}
			lower += math.Max(slices.Max(chunk), sum/float64(w))
			upper += sum/float64(w) + slices.Max(chunk)
		}
		got := Makespan(d, w, b)
		if got < lower*(1-1e-12) || got > upper*(1+1e-12) {
			t.Fatalf("n=%d W=%d B=%d: %v outside [%v, %v]", n, w, b, got, lower, upper)
		}
	}
}

func TestPredictMakespan(t *testing.T) {
	t.Run("constant times are exact", func(t *testing.T) {
		times := make([]float64, 50)
		for i := range times {
			times[i] = 100
		}
		p := PredictMakespan(times, 4, 15, 433, 100, 1)
		if p.Median != 11600 || p.Lo != 11600 || p.Hi != 11600 || !near(p.ImagesPerHour, 433*3600/11600.0, 1e-12) {
			t.Errorf("got %+v", p)
		}
		if !hasWarning(p.Warnings, "only 100 resamples") || p.Reps != 100 || p.Samples != 50 {
			t.Errorf("got %+v", p)
		}
	})
	rng := rand.New(rand.NewPCG(11, 12))
	times := make([]float64, 200)
	for i := range times {
		times[i] = 154 * math.Exp(0.5*rng.NormFloat64())
	}
	t.Run("deterministic for a seed", func(t *testing.T) {
		p1 := PredictMakespan(times, 4, 15, 433, 0, 42)
		p2 := PredictMakespan(times, 4, 15, 433, 0, 42)
		if !reflect.DeepEqual(p1, p2) {
			t.Errorf("same seed, different results: %+v vs %+v", p1, p2)
		}
		if p1.Reps != DefaultReps || len(p1.Warnings) != 0 {
			t.Errorf("got %+v", p1)
		}
		if !(p1.Lo <= p1.Median && p1.Median <= p1.Hi && p1.Lo < p1.Hi) {
			t.Errorf("interval [%v, %v] around %v", p1.Lo, p1.Hi, p1.Median)
		}
		if !(p1.ImagesPerHourLo <= p1.ImagesPerHour && p1.ImagesPerHour <= p1.ImagesPerHourHi) {
			t.Errorf("images/hour [%v, %v] around %v", p1.ImagesPerHourLo, p1.ImagesPerHourHi, p1.ImagesPerHour)
		}
		// The mean image takes ~154*e^(1/8) = 175 s, so 4 workers build
		// at most ~82 images/hour; barriers cost some of that.
		if p1.ImagesPerHour < 50 || p1.ImagesPerHour > 85 {
			t.Errorf("implausible images/hour %v", p1.ImagesPerHour)
		}
		p3 := PredictMakespan(times, 4, 15, 433, 0, 43)
		if p3.Median == p1.Median && p3.Lo == p1.Lo {
			t.Errorf("different seeds gave identical predictions")
		}
		stream := PredictMakespan(times, 4, 0, 433, 0, 42)
		if stream.Median >= p1.Median {
			t.Errorf("stream %v not faster than batches of 15 %v", stream.Median, p1.Median)
		}
	})
	t.Run("warnings", func(t *testing.T) {
		p := PredictMakespan([]float64{100, math.NaN(), -1, 120}, 4, 15, 433, 500, 1)
		if p.Samples != 2 || !hasWarning(p.Warnings, "dropped 2") || !hasWarning(p.Warnings, "only 2 per-image times") {
			t.Errorf("got %+v", p)
		}
		for _, c := range []struct {
			times      []float64
			workers, n int
			warn       string
		}{
			{[]float64{1}, 0, 10, "workers = 0"},
			{[]float64{1}, 2, 0, "nothing to predict"},
			{nil, 2, 10, "no per-image times"},
		} {
			p := PredictMakespan(c.times, c.workers, 2, c.n, 10, 1)
			if p.Median != 0 || !hasWarning(p.Warnings, c.warn) {
				t.Errorf("%+v: got %+v", c, p)
			}
		}
		p = PredictMakespan([]float64{0, 0}, 2, 2, 10, 10, 1)
		if p.ImagesPerHour != 0 || !hasWarning(p.Warnings, "undefined") {
			t.Errorf("zero times: %+v", p)
		}
		if _, err := json.Marshal(p); err != nil {
			t.Errorf("json: %v", err)
		}
	})
}
