package evidence

import (
	"fmt"
	"testing"
	"time"
)

// benchRun writes a synthetic sweep folder with record.Writer (the
// generator of gen_test.go): 8 cells (workers 1, 2, 4, 8 x cache off, max;
// batch 15) x 25 cold reps x 48 images = 9600 image lines, plus 200 trial
// lines and 8 prune events, about 10k lines.
func benchRun(b *testing.B) string {
	b.Helper()
	var ids []string
	repos := []string{"django", "sympy", "matplotlib", "sphinx-doc", "scikit-learn", "astropy"}
	for i := range 48 {
		r := repos[i%len(repos)]
		ids = append(ids, fmt.Sprintf("%s__%s-%d", r, r, i))
	}
	var cells []cellSpec
	for _, w := range []int{1, 2, 4, 8} {
		for _, c := range []string{"off", "max"} {
			secs := 10 * (1 + 0.15*float64(w-1))
			if c == "max" {
				secs *= 1.2
			}
			cells = append(cells, cellSpec{cfg: Config{Workers: w, Batch: 15, CacheMode: c, Strategy: "single"}, seconds: secs, reps: 25, temp: "cold", fixed: 2})
		}
	}
	grid := map[string]any{"workers": []int{1, 2, 4, 8}, "batch": []any{15}, "cache": []string{"off", "max"},
		"strategy": []string{"single"}, "temp": []string{"cold"}, "registry-bandwidth": []string{"unlimited"},
		"reps": 25, "sample": len(ids), "seed": 1, "profile": "synthetic"}
	dir := b.TempDir()
	writeRun(b, dir, cells, ids, 0.004, grid, true)
	return dir
}

// BenchmarkAnalyzePredict10k loads a 10k-line sweep folder, analyses it
// (cells, comparisons, USL fits, prune model) and predicts the full
// 433-image build for the baseline (w4-b15-max, measured) and for a
// configuration it must extrapolate (w6-b50-off).
// Target: under 5 s per op: `buildtune report` or `recommend` on a sweep
// twenty times bigger than the default one answers before a user
// reaches for Ctrl-C. The folder is written once, outside the timer.
func BenchmarkAnalyzePredict10k(b *testing.B) {
	dir := benchRun(b)
	b.ReportAllocs()
	var load, analyze, predict time.Duration
	for b.Loop() {
		t0 := time.Now()
		run, err := Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		a, err := Analyze(run, Options{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		for _, cfg := range []Config{DefaultBaseline, {Workers: 6, Batch: 50, CacheMode: "off", Strategy: "single"}} {
			p, err := a.Predict(cfg, Target{Images: DefaultImages, PruneThreshold: 2 << 30, PruneKeep: 1 << 30, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			if !(p.Median > 0) {
				b.Fatalf("%s: predicted median %v", cfg.Name(), p.Median)
			}
		}
		t3 := time.Now()
		load, analyze, predict = load+t1.Sub(t0), analyze+t2.Sub(t1), predict+t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(load.Seconds()/n, "load-s/op")
	b.ReportMetric(analyze.Seconds()/n, "analyze-s/op")
	b.ReportMetric(predict.Seconds()/n, "predict-s/op")
}
