package analyze

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestEquivalent(t *testing.T) {
	a := seq(100, 104)
	// Shifting b = a by the margin, the one-sided U is the count of pairs
	// on the right side, by hand:
	//  margin 0.035: b/0.965 = 103.6, 104.7, ... beats 4+5+5+5+5 = 24 of
	//    25 a's, and a beats 24 of b/1.035 = 96.6 ... 100.5; the exact
	//    5+5 tail P(U >= 24) = P(U <= 1) = 2/252 on both sides.
	//  margin 0.025: b/0.975 = 102.6, 103.6, ... beats 3+4+5+5+5 = 22,
	//    P(U >= 22) = P(U <= 3) = 7/252 = 0.0278 on both sides.
	tests := []struct {
		name       string
		a, b       []float64
		margin     float64
		alpha      float64
		pLo, pHi   float64
		equivalent bool
	}{
		{"identical, margin 3.5%", a, a, 0.035, 0.05, 2.0 / 252, 2.0 / 252, true},
		{"identical, margin 2.5%", a, a, 0.025, 0.05, 7.0 / 252, 7.0 / 252, true},
		{"identical, margin 2.5%, alpha 0.025", a, a, 0.025, 0.025, 7.0 / 252, 7.0 / 252, false},
		// b = 1.1 a: b/1.03 lies above every a, so a beats none: p = 1.
		{"10% apart, margin 3%", a, scale(a, 1.1), 0.03, 0.05, 1.0 / 252, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Equivalent(tt.a, tt.b, tt.margin, tt.alpha)
			if !near(e.PLower, tt.pLo, 1e-12) || !near(e.PUpper, tt.pHi, 1e-12) || !near(e.P, math.Max(tt.pLo, tt.pHi), 1e-12) {
				t.Errorf("p lower %v upper %v P %v, want %v %v", e.PLower, e.PUpper, e.P, tt.pLo, tt.pHi)
			}
			if e.Equivalent != tt.equivalent || !e.Exact || !near(e.MinP, 1.0/252, 1e-12) {
				t.Errorf("got %+v", e)
			}
			if len(e.Warnings) != 0 {
				t.Errorf("warnings %q", e.Warnings)
			}
		})
	}
}

func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f * x
	}
	return out
}

func TestEquivalentRatioInterval(t *testing.T) {
	// At alpha 0.05 the interval is at 1-2*0.05: c is the largest with
	// P(U <= c-1) <= 0.05. For 5+5, P(U <= 4) = 12/252 = 0.0476 and
	// P(U <= 5) = 19/252, so c = 5: [D(5), D(21)] with coverage 1 - 24/252.
	a := seq(100, 104)
	b := []float64{99, 101.5, 102, 104.5, 106}
	e := Equivalent(a, b, 0.05, 0.05)
	var d []float64
	for _, x := range a {
		for _, y := range b {
			d = append(d, y/x)
		}
	}
	sort.Float64s(d)
	if !near(e.RatioLo, d[4], 1e-12) || !near(e.RatioHi, d[20], 1e-12) || !near(e.RatioConfidence, 1-24.0/252, 1e-12) {
		t.Errorf("interval [%v, %v] at %v, want [%v, %v] at %v", e.RatioLo, e.RatioHi, e.RatioConfidence, d[4], d[20], 1-24.0/252)
	}
	if !near(e.Ratio, d[12], 1e-12) {
		t.Errorf("HL ratio %v, want %v", e.Ratio, d[12])
	}
}

// TestEquivalentDuality checks TOST against its interval: without ties, a
// one-sided test rejects at alpha exactly when the 1-2*alpha interval
// excludes that side's margin, so Equivalent implies the interval lies
// inside (1-margin, 1+margin), and an interval inside implies P <= alpha.
func TestEquivalentDuality(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const margin, alpha = 0.03, 0.05
	seen := map[bool]int{}
	for trial := 0; trial < 300; trial++ {
		n1, n2 := 4+rng.IntN(10), 4+rng.IntN(10)
		shift := 1 + 0.04*(rng.Float64()-0.5)
		var a, b []float64
		for range n1 {
			a = append(a, 100*math.Exp(0.01*rng.NormFloat64()))
		}
		for range n2 {
			b = append(b, 100*shift*math.Exp(0.01*rng.NormFloat64()))
		}
		e := Equivalent(a, b, margin, alpha)
		inside := e.RatioLo > 1-margin && e.RatioHi < 1+margin
		seen[e.Equivalent]++
		if e.Equivalent && !inside {
			t.Fatalf("equivalent (p=%v) but interval [%v, %v]", e.P, e.RatioLo, e.RatioHi)
		}
		if inside && e.P > alpha {
			t.Fatalf("interval [%v, %v] inside but p=%v", e.RatioLo, e.RatioHi, e.P)
		}
		if !(e.RatioLo <= e.Ratio && e.Ratio <= e.RatioHi) {
			t.Fatalf("HL %v outside [%v, %v]", e.Ratio, e.RatioLo, e.RatioHi)
		}
	}
	if seen[true] < 20 || seen[false] < 20 {
		t.Errorf("simulation does not exercise both outcomes: %v", seen)
	}
}

func TestEquivalentLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	var a, b, c []float64
	for range 30 {
		a = append(a, 150*math.Exp(0.01*rng.NormFloat64()))
		b = append(b, 150*math.Exp(0.01*rng.NormFloat64()))
		c = append(c, 1.06*150*math.Exp(0.01*rng.NormFloat64()))
	}
	e := Equivalent(a, b, 0.03, 0.05)
	if e.Exact || !e.Equivalent || e.P > 1e-6 || len(e.Warnings) != 0 {
		t.Errorf("same distribution: %+v", e)
	}
	e = Equivalent(a, c, 0.03, 0.05)
	if e.Equivalent || e.P < 0.5 || !(e.RatioLo > 1.03) {
		t.Errorf("6%% apart: %+v", e)
	}
}

func TestEquivalentWarnings(t *testing.T) {
	tests := []struct {
		name          string
		a, b          []float64
		margin, alpha float64
		warn          string
		tested        bool
	}{
		// 3+3: the smallest one-sided p is 1/20 = alpha.
		{"too few", seq(100, 102), seq(100, 102), 0.1, 0.05, "too few samples for equivalence at alpha=0.05", true},
		{"margin zero", seq(1, 5), seq(1, 5), 0, 0.05, "margin 0 is not in (0, 1)", false},
		{"margin too large", seq(1, 5), seq(1, 5), 1.5, 0.05, "margin 1.5 is not in (0, 1)", false},
		{"alpha", seq(100, 104), seq(100, 104), 0.035, 0.5, "alpha 0.5 is not in (0, 0.5)", true},
		{"empty", nil, seq(1, 5), 0.03, 0.05, "a sample is empty", false},
		{"non-positive", []float64{0, 1, 2, 3}, seq(1, 5), 0.03, 0.05, "a has values <= 0", false},
		{"NaN dropped", []float64{100, math.NaN(), 101, 102, 103, 104}, seq(100, 104), 0.035, 0.05, "a: dropped 1 non-finite", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Equivalent(tt.a, tt.b, tt.margin, tt.alpha)
			if !hasWarning(e.Warnings, tt.warn) {
				t.Errorf("warnings %q lack %q", e.Warnings, tt.warn)
			}
			if !tt.tested && (e.P != 1 || e.Equivalent || e.Ratio != 0) {
				t.Errorf("untested result %+v", e)
			}
			if tt.tested && e.Ratio == 0 {
				t.Errorf("no ratio: %+v", e)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Errorf("json: %v", err)
			}
		})
	}
	if e := Equivalent(seq(100, 102), seq(100, 102), 0.1, 0.05); e.Equivalent || !near(e.P, 1.0/20, 1e-12) {
		t.Errorf("3+3 at its best: %+v", e)
	}
	if e := Equivalent(seq(100, 104), seq(100, 104), 0.035, 0.5); e.Alpha != DefaultAlpha || !e.Equivalent {
		t.Errorf("default alpha: %+v", e)
	}
}
