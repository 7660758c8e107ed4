package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/buildtune/buildtune/reports/plot"
)

// sampleData is a fixed, realistic report: an SWT-Bench-shaped sweep of
// workers 1-8 x batch 15/stream x cache off/min/max on a 2-core runner,
// predicted for the full 433 images. Chart data comes from a fixed seed.
func sampleData() Data {
	const h, m = 3600.0, 60.0
	rec := ConfigPrediction{Name: "workers=4 batch=stream cache=off strategy=single", Median: 1*h + 52*m, Lo: 1*h + 45*m, Hi: 2*h + 3*m}
	ru := ConfigPrediction{Name: "workers=8 batch=stream cache=off strategy=single", Median: 1*h + 58*m, Lo: 1*h + 47*m, Hi: 2*h + 14*m, Extrapolated: true}
	base := ConfigPrediction{Name: "workers=4 batch=15 cache=max strategy=single", Median: 2*h + 43*m, Lo: 2*h + 31*m, Hi: 2*h + 58*m}
	d := Data{
		Title: "Build tuning: SWT-Bench images on a 2-core runner",
		Run:   Run{ID: "sweep-20261126-1402", Date: time.Date(2026, 11, 26, 14, 2, 0, 0, time.UTC)},
		Decision: Decision{
			Recommended: rec, RunnerUp: ru, Baseline: base,
			Images:      433,
			Saving:      Interval{Median: 51 * m, Lo: 39 * m, Hi: 62 * m},
			Significant: false, GapP: 0.2143,
			Confident: true,
			Reasons: []string{
				"workers=4 batch=stream cache=off has the lowest predicted median of the 18 measured cells.",
				"Dropping the batch barrier saves 12% of wall time at 4 workers; cache=max costs 17.2s of cache export per image.",
			},
			Warnings: []string{"The runner-up relies on a USL extrapolation to 8 workers."},
			Deadline: 10 * h,
		},
		Knobs: []KnobFinding{
			{"workers", "4 is best on 2 cores and 1 and 2 are significantly slower; the USL fit puts the peak at 4.3 workers, so 8 (extrapolated) is not expected to help."},
			{"batch", "stream beats batch 15 by 12% (8–16%) at 4 workers: the barrier idles workers while the slowest image of a batch finishes."},
			{"cache", "off > min > max; max is significantly slower (p = 0.0173), min is equivalent to off within 5%."},
		},
		Model: Model{
			USL: []USLRow{
				{Series: "cache off, single", Lambda: [3]float64{130, 121, 138}, Sigma: [3]float64{0.25, 0.17, 0.34}, Kappa: [3]float64{0.04, 0.021, 0.062}, NStar: [3]float64{4.3, 3.2, 6.4}},
				{Series: "cache min, single", Lambda: [3]float64{126, 117, 134}, Sigma: [3]float64{0.27, 0.18, 0.37}, Kappa: [3]float64{0.045, 0.024, 0.07}, NStar: [3]float64{4.0, 3.0, 6.0}},
				{Series: "cache max, single", Lambda: [3]float64{119, 110, 127}, Sigma: [3]float64{0.3, 0.2, 0.41}, Kappa: [3]float64{0, 0, 0.031}, NStar: [3]float64{math.Inf(1), 4.3, math.Inf(1)},
					Warnings: []string{"kappa = 0: throughput has no peak; it approaches lambda/sigma = 397"}},
			},
			Fixed: []FixedRow{
				{Cell: "workers=4 batch=stream cache=off", Seconds: [3]float64{41, 35.2, 47.9}, PerImageS: 62.2, Role: "recommended"},
				{Cell: "workers=4 batch=15 cache=min", Seconds: [3]float64{43.5, 36.1, 50.2}, PerImageS: 66.8},
				{Cell: "workers=4 batch=15 cache=max", Seconds: [3]float64{58, 49.4, 66.3}, PerImageS: 83.8},
			},
			PruneS:          [3]float64{72, 0, 0},
			DiskGrowthBytes: [3]float64{310 * (1 << 20), 287 * (1 << 20), 334 * (1 << 20)},
			BarrierLossPct:  [3]float64{12.1, 8.3, 16.4},
		},
		Phases: PhaseTable{Stat: "mean", Rows: []PhaseRow{
			{"workers=4 batch=stream cache=off", 62.2, plot.PhaseSeconds{Exec: 46.4, ImageExport: 5.9, LayerPush: 8.6, Queue: 0.3, Other: 1}},
			{"workers=4 batch=15 cache=min", 66.8, plot.PhaseSeconds{Exec: 46.6, ImageExport: 5.7, LayerPush: 8.6, CacheExport: 2.7, CacheImport: 0.8, Queue: 1.4, Other: 1.1}},
			{"workers=4 batch=15 cache=max", 83.8, plot.PhaseSeconds{Exec: 46.8, ImageExport: 5.9, LayerPush: 8.8, CacheExport: 17.2, CacheImport: 2.3, Queue: 1.4, Other: 1.1}},
		}},
		Validation: []ValidationRow{
			{Name: "workers=4 batch=stream cache=off", Images: 433, PredictedMedian: 1*h + 52*m, PredictedLo: 1*h + 45*m, PredictedHi: 2*h + 3*m, Measured: 1*h + 57*m, ErrorPct: -4.3, Inside: true},
			{Name: "workers=4 batch=15 cache=max", Images: 433, PredictedMedian: 2*h + 43*m, PredictedLo: 2*h + 31*m, PredictedHi: 2*h + 58*m, Measured: 3*h + 5*m, ErrorPct: -11.9, Inside: false},
		},
		Method: Method{
			Workload:  "the generated SWT-Bench-shaped fixtures, default profile",
			Instances: "a sample of 12 of the 433 SWT-Bench ids, stratified by repo, seed 1",
			Target:    "433 images, the SWT-Bench set",
			Daemons:   "1 buildkitd daemon of a private stack the sweep started, BuildKit's default max-parallelism, at most 4 connections to the registry at once (BuildKit's default)",
			Registry:  "embedded (go-containerregistry, blobs on disk; the default); direct (no bandwidth cap, latency or faults)",
			Prune:     "none (no --prune-threshold)",
			Plan:      "a fixed grid; one warm-up trial first on the fresh daemon, left out of every statistic",
			Buildtune: "(devel), go1.26.8",
			Machine:   "AMD EPYC 7B13 VM, 24 GiB, Linux 6.18",
			Cores:     2,
			BuildKit:  "v0.34.2",
			Commit:    "bc5396b",
			Command:   "buildtune sweep --workers 1,2,4 --batch 15,stream --cache off,min,max --reps 6 --sample 12",
			Grid:      "workers 1, 2, 4 x batch 15, stream x cache off, min, max; single strategy",
			Reps:      6,
			Temps:     []string{"cold", "warm"},
			Sample:    12,
			Warnings:  []string{"2 of 1296 image builds failed and were retried."},
		},
	}
	d.Cells, d.Charts = sampleCells()
	// Two cells measured warm too, beside their cold medians.
	for _, w := range []struct {
		name          string
		iph, lo, hi   float64
		perImage, iqr float64
	}{{"workers=4 batch=stream cache=off", 402.5, 371.9, 430.8, 35.8, 21.4}, {"workers=4 batch=15 cache=max", 371.2, 340.3, 398.6, 38.8, 19.7}} {
		row := WarmRow{Name: w.name, N: 6, MedianIPH: w.iph, LoIPH: w.lo, HiIPH: w.hi, IQR: w.iqr, CIConfidence: 0.95, PerImageMedianS: w.perImage}
		for _, c := range d.Cells {
			if c.Name == w.name {
				row.ColdMedianIPH = c.MedianIPH
			}
		}
		d.Warm = append(d.Warm, row)
	}
	d.Predictions = []ConfigPrediction{rec, ru,
		{Name: "workers=4 batch=15 cache=off strategy=single", Median: 2*h + 7*m, Lo: 1*h + 59*m, Hi: 2*h + 18*m},
		base,
		{Name: "workers=16 batch=50 cache=min strategy=single", Median: 12*h + 40*m, Lo: 11*h + 10*m, Hi: 14*h + 35*m, Extrapolated: true},
	}
	d.Charts.Predictions = plot.PredictionData{DeadlineSeconds: d.Decision.Deadline}
	for _, p := range d.Predictions {
		d.Charts.Predictions.Configs = append(d.Charts.Predictions.Configs, plot.PredictedConfig{
			Name: shortName(p.Name), Seconds: plot.Interval{Median: p.Median, Lo: p.Lo, Hi: p.Hi}, Baseline: p.Name == base.Name})
	}
	v := plot.ValidationData{}
	for _, r := range d.Validation {
		v.Points = append(v.Points, plot.ValidationPoint{Name: shortName(r.Name),
			Predicted: plot.Interval{Median: r.PredictedMedian, Lo: r.PredictedLo, Hi: r.PredictedHi},
			Measured:  plot.Interval{Median: r.Measured}})
	}
	d.Charts.Validation = &v
	return d
}

// sampleCells draws per-trial throughputs from USL curves with a fixed
// seed and derives the cells table and the chart inputs from them.
func sampleCells() ([]CellRow, Charts) {
	r := rand.New(rand.NewPCG(7, 11))
	var ch Charts
	var cells []CellRow
	modes := []struct {
		name string
		u    plot.USL
	}{
		{"off", plot.USL{Lambda: 130, Sigma: 0.25, Kappa: 0.04}},
		{"min", plot.USL{Lambda: 126, Sigma: 0.27, Kappa: 0.045}},
		{"max", plot.USL{Lambda: 119, Sigma: 0.3, Kappa: 0.05}},
	}
	for _, md := range modes {
		s := plot.ThroughputSeries{Name: "cache " + md.name + ", single"}
		u := md.u
		s.USL = &u
		for _, w := range []int{1, 2, 4} {
			for _, b := range []int{0, 15} {
				barrier := 1.0
				if b > 0 {
					barrier = 1 - 0.12*float64(w)/4
				}
				var vs []float64
				for range 6 {
					vs = append(vs, u.At(float64(w))*barrier*(1+0.06*r.NormFloat64()))
				}
				med, lo, hi, iqr := summary(vs)
				batch := "stream"
				if b > 0 {
					batch = fmt.Sprint(b)
				}
				cells = append(cells, CellRow{
					Name: fmt.Sprintf("workers=%d batch=%s cache=%s", w, batch, md.name),
					N:    len(vs), MedianIPH: med, LoIPH: lo, HiIPH: hi, IQR: iqr,
					PerImageMedianS: 3600 * float64(w) / med,
				})
				ch.Heatmap.Cells = append(ch.Heatmap.Cells, plot.HeatCell{CacheMode: md.name, Workers: w, Batch: b, ImagesPerHour: med})
				if b == 0 {
					for _, v := range vs {
						s.Trials = append(s.Trials, plot.WorkerValue{Workers: w, ImagesPerHour: v})
					}
					s.Medians = append(s.Medians, plot.WorkerInterval{Workers: w, ImagesPerHour: plot.Interval{Median: med, Lo: lo, Hi: hi}})
				}
			}
		}
		ch.Throughput.Series = append(ch.Throughput.Series, s)
	}
	// Rank best first, with made-up but consistent p-values and verdicts.
	for i := range cells {
		for j := i + 1; j < len(cells); j++ {
			if cells[j].MedianIPH > cells[i].MedianIPH {
				cells[i], cells[j] = cells[j], cells[i]
			}
		}
	}
	for i := range cells {
		c := &cells[i]
		switch {
		case i == 0:
			c.Verdict, c.PAdj = VerdictBest, math.NaN()
		case i < 3:
			c.Verdict, c.PAdj = VerdictNotSeparable, 0.214+0.1*float64(i)
		case i < 5:
			c.Verdict, c.PAdj = VerdictEquivalent, 0.0412
		default:
			c.Verdict, c.PAdj = VerdictWorse, 0.0173/float64(i)
		}
		c.Outliers = i % 4 / 3
	}
	for _, c := range []struct {
		name      string
		mu, sigma float64
	}{{"workers=4 stream off", 4.13, 0.3}, {"workers=4 batch=15 min", 4.2, 0.35}, {"workers=4 batch=15 max", 4.42, 0.4}} {
		s := plot.ECDFSeries{Name: c.name}
		for range 72 {
			s.Seconds = append(s.Seconds, math.Exp(c.mu+c.sigma*r.NormFloat64()))
		}
		ch.ECDF.Series = append(ch.ECDF.Series, s)
	}
	ch.Phases = plot.PhaseData{Stat: "mean", Cells: []plot.PhaseCell{
		{Name: "workers=4 stream off", Seconds: plot.PhaseSeconds{Exec: 46.4, ImageExport: 5.9, LayerPush: 8.6, Queue: 0.3, Other: 1}},
		{Name: "workers=4 batch=15 min", Seconds: plot.PhaseSeconds{Exec: 46.6, ImageExport: 5.7, LayerPush: 8.6, CacheExport: 2.7, CacheImport: 0.8, Queue: 1.4, Other: 1.1}},
		{Name: "workers=4 batch=15 max", Seconds: plot.PhaseSeconds{Exec: 46.8, ImageExport: 5.9, LayerPush: 8.8, CacheExport: 17.2, CacheImport: 2.3, Queue: 1.4, Other: 1.1}},
	}}
	mib := float64(1 << 20)
	ch.Bytes = plot.BytesData{Bars: []plot.BytesBar{
		{Name: "cache off", Bytes: plot.Interval{Median: 1210 * mib, Lo: 1150 * mib, Hi: 1290 * mib}},
		{Name: "cache min", Bytes: plot.Interval{Median: 1260 * mib, Lo: 1190 * mib, Hi: 1340 * mib}},
		{Name: "cache max", Bytes: plot.Interval{Median: 2480 * mib, Lo: 2310 * mib, Hi: 2660 * mib}},
	}}
	gib := float64(1 << 30)
	ch.Disk.PruneThresholdBytes = 50 * gib
	for i, c := range []struct {
		name string
		per  float64
	}{{"cache off", 0.31}, {"cache max", 0.42}} {
		s := plot.DiskSeries{Name: c.name}
		used := 5.0
		for n := 0; n <= 433; n += 8 {
			if used > 50 {
				s.Prunes = append(s.Prunes, float64(n))
				used = 10 + 2*float64(i)
			}
			s.Points = append(s.Points, plot.DiskPoint{Images: float64(n), Bytes: used * gib})
			used += c.per * 8
		}
		ch.Disk.Series = append(ch.Disk.Series, s)
	}
	return cells, ch
}

// summary returns the median, the range (as a stand-in for the CI of six
// values) and the interquartile range.
func summary(vs []float64) (med, lo, hi, iqr float64) {
	s := append([]float64(nil), vs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	n := len(s)
	q := func(p float64) float64 {
		x := p * float64(n-1)
		i := int(x)
		if i+1 >= n {
			return s[n-1]
		}
		return s[i] + (x-float64(i))*(s[i+1]-s[i])
	}
	return q(0.5), s[0], s[n-1], q(0.75) - q(0.25)
}
