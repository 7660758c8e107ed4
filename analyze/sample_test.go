package analyze

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

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

func TestSummaryQuartiles(t *testing.T) {
	// Definition 4: Q1 at h = n/4, Q3 at h = 3n/4 (1-based), interpolated.
	tests := []struct {
		name        string
		xs          []float64
		q1, q3, iqr float64
	}{
		{"1..10: h=2.5 and 7.5", []float64{10, 3, 7, 1, 5, 9, 2, 8, 4, 6}, 2.5, 7.5, 5},
		{"1..8: h=2 and 6 are order statistics", seq(1, 8), 2, 6, 4},
		{"1..4: h=1 and 3", seq(1, 4), 1, 3, 2},
		{"skewed: h=1.25 and 3.75", []float64{1, 2, 4, 100, 5}, 1.25, 4.75, 3.5},
		{"one value", []float64{42}, 42, 42, 0},
		{"empty", nil, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summary(tt.xs, 0.95)
			if !near(s.Q1, tt.q1, 1e-12) || !near(s.Q3, tt.q3, 1e-12) || !near(s.IQR, tt.iqr, 1e-12) {
				t.Errorf("Q1=%v Q3=%v IQR=%v, want %v %v %v", s.Q1, s.Q3, s.IQR, tt.q1, tt.q3, tt.iqr)
			}
			if s.N > 0 && !(s.Min <= s.Q1 && s.Q1 <= s.Median && s.Median <= s.Q3 && s.Q3 <= s.Max) {
				t.Errorf("quartiles out of order: %+v", s)
			}
		})
	}
}

// readCases decodes testdata/name, a JSON object whose "cases" field is a
// list, into cases.
func readCases(t *testing.T, name string, cases any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &struct{ Cases any }{cases}); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
}

func TestPercentile(t *testing.T) {
	var cases []struct {
		Name string
		Xs   []float64
		P    float64
		Want float64
	}
	readCases(t, "quantiles.json", &cases)
	if len(cases) < 10 {
		t.Fatalf("only %d cases read", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			in := slices.Clone(c.Xs)
			if got := Percentile(in, c.P); !near(got, c.Want, 1e-9) {
				t.Errorf("Percentile(%v, %v) = %v, want %v", c.Xs, c.P, got, c.Want)
			}
			if !slices.Equal(in, c.Xs) {
				t.Errorf("input modified: %v", in)
			}
		})
	}
	t.Run("non-finite ignored", func(t *testing.T) {
		if got := Percentile([]float64{math.NaN(), 4, math.Inf(1), 2, 8}, 0.5); got != 3 {
			t.Errorf("got %v, want 3", got)
		}
		if got := Percentile([]float64{1, 2}, math.NaN()); got != 0 {
			t.Errorf("NaN p: got %v, want 0", got)
		}
		if got := Percentile([]float64{math.NaN()}, 0.5); got != 0 {
			t.Errorf("no finite values: got %v, want 0", got)
		}
	})
}

func TestOutliers(t *testing.T) {
	var cases []struct {
		Name string
		Xs   []float64
		K    float64
		Want []int
	}
	readCases(t, "outliers.json", &cases)
	if len(cases) < 5 {
		t.Fatalf("only %d cases read", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			in := slices.Clone(c.Xs)
			got := Outliers(in, c.K)
			if len(got) != len(c.Want) || (len(got) > 0 && !slices.Equal(got, c.Want)) {
				t.Errorf("Outliers(%v, %v) = %v, want %v", c.Xs, c.K, got, c.Want)
			}
			if !slices.Equal(in, c.Xs) {
				t.Errorf("input modified: %v", in)
			}
		})
	}
	t.Run("non-finite are outliers", func(t *testing.T) {
		// Finite values 1, 2, 3: median 2, MAD 1, bound 4.45.
		if got := Outliers([]float64{1, math.NaN(), 2, 3, math.Inf(-1)}, 3); !slices.Equal(got, []int{1, 4}) {
			t.Errorf("got %v, want [1 4]", got)
		}
		if got := Outliers([]float64{math.NaN(), math.NaN()}, 3); !slices.Equal(got, []int{0, 1}) {
			t.Errorf("all NaN: got %v", got)
		}
	})
	t.Run("k scales the bound", func(t *testing.T) {
		// Median 0, MAD 1: 2.5 is outside for k=1 (1.48) but not k=2 (2.97).
		xs := []float64{-1, 0, 1, -1, 1, 2.5, 0}
		if got := Outliers(xs, 1); !slices.Equal(got, []int{5}) {
			t.Errorf("k=1: %v", got)
		}
		if got := Outliers(xs, 2); len(got) != 0 {
			t.Errorf("k=2: %v", got)
		}
	})
}

func TestFormatSeconds(t *testing.T) {
	for s, want := range map[float64]string{
		0: "0s", 0.284: "0.28s", 5.16: "5.16s", -5.5: "-5.50s", 50.8: "50.8s", 59.96: "1m00s",
		61.2: "1m01s", 725: "12m05s", 3599.4: "59m59s", 3600: "1h00m", 38016: "10h34m",
		math.NaN(): "n/a", math.Inf(1): "∞", -0.001: "0.00s", 0.001: "0.00s", -0.006: "-0.01s",
	} {
		if got := FormatSeconds(s); got != want {
			t.Errorf("FormatSeconds(%v) = %q, want %q", s, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	if got := Plural(1, "repo"); got != "1 repo" {
		t.Errorf("Plural(1) = %q", got)
	}
	if got := Plural(0, "repo"); got != "0 repos" {
		t.Errorf("Plural(0) = %q", got)
	}
}

func TestFormatBytes(t *testing.T) {
	for b, want := range map[float64]string{512: "512 B", 6 << 20: "6.0 MiB", 15.4 * (1 << 30): "15.4 GiB", 1000 * (1 << 10): "1000.0 KiB"} {
		if got := FormatBytes(b); got != want {
			t.Errorf("FormatBytes(%v) = %q, want %q", b, got, want)
		}
	}
}
