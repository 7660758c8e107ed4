package analyze

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

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

// uslData returns reps throughputs per worker count from the USL with the
// given parameters, each times 1+u with u uniform in [-noise, noise].
func uslData(seed uint64, lambda, sigma, kappa, noise float64, ns []float64, reps int) (workers, throughput []float64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	for _, n := range ns {
		for range reps {
			workers = append(workers, n)
			throughput = append(throughput, uslX(lambda, sigma, kappa, n)*(1+noise*(2*rng.Float64()-1)))
		}
	}
	return workers, throughput
}

func TestFitUSLBootstrap(t *testing.T) {
	// N* = sqrt(0.95/0.01) = 9.75, inside the measured 1..16.
	const lambda, sigma, kappa = 30, 0.05, 0.01
	trueNStar := math.Sqrt((1 - sigma) / kappa)
	for _, seed := range []uint64{1, 2, 3} {
		ns, xs := uslData(seed, lambda, sigma, kappa, 0.02, []float64{1, 2, 4, 8, 16}, 5)
		m, err := FitUSLBootstrap(ns, xs, 300, seed, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if m.Reps != 300 || m.Requested != 300 || m.Confidence != 0.95 || m.Seed != seed || len(m.Warnings) != 0 {
			t.Errorf("seed %d: reps %d/%d confidence %v warnings %q", seed, m.Reps, m.Requested, m.Confidence, m.Warnings)
		}
		if math.Abs(m.Sigma-sigma) > 0.015 || !near(m.Kappa, kappa, 0.08) || !near(m.Lambda, lambda, 0.02) || !near(m.NStar, trueNStar, 0.03) {
			t.Errorf("seed %d: sigma %v kappa %v lambda %v N* %v", seed, m.Sigma, m.Kappa, m.Lambda, m.NStar)
		}
		for _, iv := range []struct {
			name          string
			lo, point, hi float64
		}{
			{"sigma", m.SigmaLo, m.Sigma, m.SigmaHi},
			{"kappa", m.KappaLo, m.Kappa, m.KappaHi},
			{"lambda", m.LambdaLo, m.Lambda, m.LambdaHi},
			{"N*", m.NStarLo, m.NStar, m.NStarHi},
		} {
			if !(iv.lo < iv.point && iv.point < iv.hi) {
				t.Errorf("seed %d: %s %v outside its interval [%v, %v]", seed, iv.name, iv.point, iv.lo, iv.hi)
			}
			// 2% noise on 25 points: the intervals are narrow.
			if iv.hi-iv.lo > 0.5*math.Abs(iv.point) {
				t.Errorf("seed %d: %s interval [%v, %v] too wide", seed, iv.name, iv.lo, iv.hi)
			}
		}
		if m.SigmaLo < 0 || m.KappaLo < 0 {
			t.Errorf("negative sigma or kappa bound: %v, %v", m.SigmaLo, m.KappaLo)
		}
		med, lo, hi := m.ThroughputInterval(8)
		if truth := uslX(lambda, sigma, kappa, 8); !(lo < med && med < hi) || !near(med, truth, 0.02) {
			t.Errorf("seed %d: X(8) %v [%v, %v], truth %v", seed, med, lo, hi, truth)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Errorf("json: %v", err)
		}
	}
}

func TestFitUSLBootstrapDeterministic(t *testing.T) {
	ns, xs := uslData(4, 30, 0.05, 0.01, 0.02, []float64{1, 2, 4, 8, 16}, 3)
	m1, err1 := FitUSLBootstrap(ns, xs, 50, 7, 0.9)
	m2, err2 := FitUSLBootstrap(ns, xs, 50, 7, 0.9)
	m3, err3 := FitUSLBootstrap(ns, xs, 50, 8, 0.9)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	if !reflect.DeepEqual(m1, m2) {
		t.Error("same seed, different results")
	}
	if m1.SigmaLo == m3.SigmaLo && m1.KappaHi == m3.KappaHi {
		t.Error("different seeds, identical intervals")
	}
	if !hasWarning(m1.Warnings, "only 50 resamples") {
		t.Errorf("warnings %q", m1.Warnings)
	}
}

// TestFitUSLWarmStart checks that the bootstrap's warm-started search finds
// the same optimum as the full search of FitUSL.
func TestFitUSLWarmStart(t *testing.T) {
	ns, xs := uslData(5, 30, 0.05, 0.01, 0.02, []float64{1, 2, 4, 8, 16}, 4)
	point, err := FitUSL(ns, xs)
	if err != nil {
		t.Fatal(err)
	}
	warm := uslParams{point.Lambda, point.Sigma, point.Kappa}
	rng := rand.New(rand.NewPCG(1, 2))
	strata := strataOf(ns)
	rn, rx := make([]float64, len(ns)), make([]float64, len(ns))
	for r := 0; r < 20; r++ {
		stratifiedResample(rng, strata, ns, xs, rn, rx)
		cold, err1 := FitUSL(rn, rx)
		hot, err2 := fitUSL(rn, rx, false, &warm)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !near(hot.Sigma, cold.Sigma, 1e-3) || !near(hot.Kappa, cold.Kappa, 1e-3) || !near(hot.Lambda, cold.Lambda, 1e-5) {
			t.Errorf("resample %d: warm %v %v %v, cold %v %v %v", r, hot.Lambda, hot.Sigma, hot.Kappa, cold.Lambda, cold.Sigma, cold.Kappa)
		}
	}
}

func TestStratifiedResample(t *testing.T) {
	ns := []float64{4, 1, 2, 4, 1, 8, 4}
	xs := []float64{40, 10, 20, 41, 11, 80, 42}
	strata := strataOf(ns)
	want := [][]int{{1, 4}, {2}, {0, 3, 6}, {5}}
	if !reflect.DeepEqual(strata, want) {
		t.Fatalf("strata %v, want %v", strata, want)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rn, rx := make([]float64, len(ns)), make([]float64, len(ns))
	varied := false
	for r := 0; r < 100; r++ {
		stratifiedResample(rng, strata, ns, xs, rn, rx)
		// Every resample keeps each worker count's multiplicity, and
		// every throughput comes from a point with that worker count.
		if got := slices.Clone(rn); !slices.Equal(got, []float64{1, 1, 2, 4, 4, 4, 8}) {
			t.Fatalf("worker counts %v", got)
		}
		for i := range rn {
			if math.Floor(rx[i]/10) != rn[i] {
				t.Fatalf("point (%v, %v) mixes strata", rn[i], rx[i])
			}
		}
		varied = varied || !slices.Equal(rx, []float64{10, 11, 20, 40, 41, 42, 80})
	}
	if !varied {
		t.Error("resampling never varied")
	}
}

func TestFitUSLBootstrapLimits(t *testing.T) {
	t.Run("single points per worker count", func(t *testing.T) {
		ns, xs := uslData(6, 30, 0.05, 0.01, 0.02, []float64{1, 2, 4, 8, 16}, 1)
		m, err := FitUSLBootstrap(ns, xs, 20, 1, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !hasWarning(m.Warnings, "5 of 5 worker counts have a single point") {
			t.Errorf("warnings %q", m.Warnings)
		}
		if m.SigmaLo != m.SigmaHi || !near(m.SigmaLo, m.Sigma, 1e-3) {
			t.Errorf("identical resamples, interval [%v, %v] around %v", m.SigmaLo, m.SigmaHi, m.Sigma)
		}
	})
	t.Run("no peak", func(t *testing.T) {
		// Two worker counts: every fit is Amdahl's law, N* infinite.
		m, err := FitUSLBootstrap([]float64{1, 1, 1, 8, 8, 8}, []float64{10, 10.2, 9.8, 60, 61, 59}, 20, 1, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if m.NStar != 0 || m.NStarLo != 0 || m.NStarHi != 0 || !hasWarning(m.Warnings, "N* has no finite upper bound") {
			t.Errorf("N* %v [%v, %v], warnings %q", m.NStar, m.NStarLo, m.NStarHi, m.Warnings)
		}
		if m.KappaLo != 0 || m.KappaHi != 0 {
			t.Errorf("kappa [%v, %v]", m.KappaLo, m.KappaHi)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Errorf("json: %v", err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		ns, xs := uslData(7, 30, 0.05, 0.01, 0.02, []float64{1, 4, 16}, 2)
		m, err := FitUSLBootstrap(ns, xs, 0, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if m.Requested != DefaultReps || m.Confidence != DefaultConfidence || !hasWarning(m.Warnings, "confidence 2 is not in (0, 1)") {
			t.Errorf("requested %d confidence %v warnings %q", m.Requested, m.Confidence, m.Warnings)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := FitUSLBootstrap([]float64{1, 2}, []float64{1}, 10, 1, 0.95); !errors.Is(err, ErrLength) {
			t.Errorf("err = %v", err)
		}
		if _, err := FitUSLBootstrap([]float64{4, 4}, []float64{1, 2}, 10, 1, 0.95); !errors.Is(err, ErrTooFewPoints) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("throughput interval without resamples", func(t *testing.T) {
		m := USLModel{USLFit: USLFit{Lambda: 10, Sigma: 0.1}}
		med, lo, hi := m.ThroughputInterval(2)
		if want := 20 / 1.1; !near(med, want, 1e-12) || lo != med || hi != med {
			t.Errorf("got %v [%v, %v], want %v", med, lo, hi, want)
		}
	})
}

func TestQuantileWithInf(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 0.5, 2},        // h = 2
		{[]float64{1, 2, 3, inf}, 0.5, 2},      // h = 2 needs x(2) only
		{[]float64{1, 2, 3, inf}, 0.625, 2.5},  // h = 2.5 needs x(3)
		{[]float64{1, 2, 3, inf}, 0.8, inf},    // h = 3.2 needs x(4)
		{[]float64{1, 2, inf, inf}, 0.75, inf}, // h = 3
		{[]float64{inf, inf}, 0.01, inf},       // h < 1 needs x(1)
		{[]float64{5, inf, inf, inf}, 0.1, 5},  // h = 0.4 gives x(1)
	}
	for _, tt := range tests {
		if got := quantileWithInf(tt.xs, tt.p); got != tt.want {
			t.Errorf("quantileWithInf(%v, %v) = %v, want %v", tt.xs, tt.p, got, tt.want)
		}
	}
}

func TestUSLNStar(t *testing.T) {
	for _, tt := range []struct{ sigma, kappa, want float64 }{
		{0.05, 0.01, math.Sqrt(95)},
		{0, 0.25, 2},
		{0.1, 0, math.Inf(1)},
		{1, 0, 1},
		{1.5, 0.01, 1},
	} {
		if got := uslNStar(tt.sigma, tt.kappa); !(got == tt.want || near(got, tt.want, 1e-12)) {
			t.Errorf("uslNStar(%v, %v) = %v, want %v", tt.sigma, tt.kappa, got, tt.want)
		}
	}
}
