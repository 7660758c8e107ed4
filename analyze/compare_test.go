package analyze

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

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
