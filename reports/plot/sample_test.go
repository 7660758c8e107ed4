package plot

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Realistic small datasets shaped like an SWT-Bench sweep: 433 images, workers
// 1-8, cache off/min/max, single and three-phase strategies. Fixed seed.

func sampleThroughput() ThroughputData {
	r := rand.New(rand.NewPCG(1, 2))
	var d ThroughputData
	params := []struct {
		mode, strat string
		u           USL
	}{
		{"off", "single", USL{Lambda: 9.5, Sigma: 0.06, Kappa: 0.0045}},
		{"min", "single", USL{Lambda: 8.8, Sigma: 0.08, Kappa: 0.006}},
		{"max", "single", USL{Lambda: 7.9, Sigma: 0.12, Kappa: 0.009}},
		{"min", "three-phase", USL{Lambda: 9.1, Sigma: 0.05, Kappa: 0.0008}},
	}
	for _, pr := range params {
		s := ThroughputSeries{Name: fmt.Sprintf("cache %s, %s", pr.mode, pr.strat)}
		u := pr.u
		s.USL = &u
		for _, w := range []int{1, 2, 4, 8} {
			var vs []float64
			for range 6 {
				v := u.At(float64(w)) * (1 + 0.07*r.NormFloat64())
				vs = append(vs, v)
				s.Trials = append(s.Trials, WorkerValue{Workers: w, ImagesPerHour: v})
			}
			m, lo, hi := medianCI(vs)
			s.Medians = append(s.Medians, WorkerInterval{Workers: w, ImagesPerHour: Interval{m, lo, hi}})
		}
		d.Series = append(d.Series, s)
	}
	return d
}

func medianCI(vs []float64) (m, lo, hi float64) {
	s := append([]float64(nil), vs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	n := len(s)
	m = (s[(n-1)/2] + s[n/2]) / 2
	return m, s[0], s[n-1]
}

func sampleHeat() HeatData {
	var d HeatData
	base := map[string]float64{"off": 1, "min": 0.93, "max": 0.82}
	for _, mode := range []string{"off", "min", "max"} {
		for _, w := range []int{1, 2, 4, 8} {
			for _, b := range []int{0, 10, 50} {
				u := USL{Lambda: 9.5, Sigma: 0.06, Kappa: 0.0045}
				bf := 1.0
				if b > 0 {
					bf = 1 - 0.6/float64(b)*float64(w)
				}
				d.Cells = append(d.Cells, HeatCell{CacheMode: mode, Workers: w, Batch: b,
					ImagesPerHour: u.At(float64(w)) * base[mode] * bf})
			}
		}
	}
	return d
}

func samplePhases() PhaseData {
	return PhaseData{Cells: []PhaseCell{
		{"W=1 b=50 off", PhaseSeconds{Exec: 212, ImageExport: 31, LayerPush: 48, Queue: 0, Other: 6}},
		{"W=4 b=50 off", PhaseSeconds{Exec: 230, ImageExport: 36, LayerPush: 71, Queue: 12, Other: 7}},
		{"W=4 b=50 min", PhaseSeconds{Exec: 228, ImageExport: 35, LayerPush: 70, CacheExport: 22, CacheImport: 9, Queue: 14, Other: 7}},
		{"W=4 b=50 max", PhaseSeconds{Exec: 231, ImageExport: 36, LayerPush: 72, CacheExport: 95, CacheImport: 18, Queue: 15, Other: 8}},
		{"W=8 stream min", PhaseSeconds{Exec: 262, ImageExport: 41, LayerPush: 104, CacheExport: 27, CacheImport: 11, Queue: 3, Other: 9}},
	}}
}

func sampleECDF() ECDFData {
	r := rand.New(rand.NewPCG(3, 4))
	var d ECDFData
	for _, c := range []struct {
		name      string
		mu, sigma float64
	}{{"W=1 off", 5.5, 0.35}, {"W=4 min", 5.7, 0.4}, {"W=4 max", 5.9, 0.45}, {"W=8 stream min", 5.8, 0.5}} {
		s := ECDFSeries{Name: c.name}
		for range 36 {
			s.Seconds = append(s.Seconds, math.Exp(c.mu+c.sigma*r.NormFloat64()))
		}
		d.Series = append(d.Series, s)
	}
	return d
}

func samplePredictions() PredictionData {
	h := 3600.0
	return PredictionData{
		DeadlineSeconds: 10 * h,
		Configs: []PredictedConfig{
			{Name: "W=16 b=50 min (proposed)", Seconds: Interval{12.7 * h, 11.2 * h, 14.6 * h}},
			{Name: "W=4 b=50 off (current)", Seconds: Interval{9.8 * h, 9.1 * h, 10.6 * h}, Baseline: true},
			{Name: "W=8 stream off", Seconds: Interval{5.4 * h, 4.9 * h, 6.1 * h}},
			{Name: "W=8 stream min", Seconds: Interval{5.9 * h, 5.2 * h, 6.8 * h}},
			{Name: "W=8 b=50 max", Seconds: Interval{8.3 * h, 7.1 * h, 9.9 * h}},
		},
	}
}

func sampleValidation() ValidationData {
	m := 60.0
	return ValidationData{Points: []ValidationPoint{
		{"W=1 off", Interval{62 * m, 57 * m, 68 * m}, Interval{66 * m, 63 * m, 70 * m}},
		{"W=4 min", Interval{24 * m, 21 * m, 27 * m}, Interval{23 * m, 22 * m, 25 * m}},
		{"W=8 stream", Interval{15 * m, 13 * m, 18 * m}, Interval{19 * m, 17.5 * m, 20 * m}},
		{"W=4 max", Interval{31 * m, 28 * m, 35 * m}, Interval{30 * m, 28 * m, 33 * m}},
	}}
}

func sampleBytes() BytesData {
	mib := float64(1 << 20)
	return BytesData{Bars: []BytesBar{
		{"cache off", Interval{182 * mib, 176 * mib, 190 * mib}},
		{"cache min", Interval{205 * mib, 197 * mib, 214 * mib}},
		{"cache max", Interval{371 * mib, 352 * mib, 395 * mib}},
	}}
}

func sampleDisk() DiskData {
	gib := float64(1 << 30)
	var d DiskData
	d.PruneThresholdBytes = 20 * gib
	for i, c := range []struct {
		name string
		per  float64
	}{{"cache off", 0.09}, {"cache max", 0.14}} {
		s := DiskSeries{Name: c.name}
		used := 2.0
		for n := 0; n <= 433; n += 12 {
			if used > 20 {
				s.Prunes = append(s.Prunes, float64(n))
				used = 4 + float64(i)
			}
			s.Points = append(s.Points, DiskPoint{Images: float64(n), Bytes: used * gib})
			used += c.per * 12
		}
		d.Series = append(d.Series, s)
	}
	return d
}

// sampleCharts builds every chart from the sample data.
func sampleCharts() (map[string]*Chart, error) {
	out := map[string]*Chart{}
	var err error
	add := func(name string, ch *Chart, e error) {
		if e != nil && err == nil {
			err = fmt.Errorf("%s: %w", name, e)
		}
		out[name] = ch
	}
	ch, e := Throughput(sampleThroughput())
	add("throughput", ch, e)
	ch, e = Heatmap(sampleHeat())
	add("heatmap", ch, e)
	ch, e = Phases(samplePhases())
	add("phases", ch, e)
	ch, e = ECDF(sampleECDF())
	add("ecdf", ch, e)
	ch, e = Predictions(samplePredictions())
	add("predictions", ch, e)
	ch, e = PredictedVsMeasured(sampleValidation())
	add("validation", ch, e)
	ch, e = BytesPushed(sampleBytes())
	add("bytes", ch, e)
	ch, e = DiskUse(sampleDisk())
	add("disk", ch, e)
	return out, err
}

// sampleThroughputClosePeaks is a sweep of workers 1, 2 and 4 whose five
// series peak within a worker of each other (N* 5.2 to 6.0), as a run of
// three cache modes under two registry bandwidths gives: their N* lines
// and labels fall on top of each other unless the chart keeps them apart.
func sampleThroughputClosePeaks() ThroughputData {
	r := rand.New(rand.NewPCG(5, 6))
	var d ThroughputData
	for i, pr := range []struct {
		name string
		u    USL
	}{
		{"cache off, single, batch 3, registry unlimited", USL{Lambda: 60, Sigma: 0.05, Kappa: 0.028}},
		{"cache min, single, batch 3, registry unlimited", USL{Lambda: 57, Sigma: 0.06, Kappa: 0.030}},
		{"cache max, single, batch 3, registry unlimited", USL{Lambda: 52, Sigma: 0.08, Kappa: 0.032}},
		{"cache off, single, batch 3, registry 16MiB/s", USL{Lambda: 40, Sigma: 0.07, Kappa: 0.027}},
		{"cache max, single, batch 3, registry 16MiB/s", USL{Lambda: 35, Sigma: 0.10, Kappa: 0.033}},
	} {
		u := pr.u
		s := ThroughputSeries{Name: pr.name, USL: &u}
		for _, w := range []int{1, 2, 4} {
			var vs []float64
			for range 5 {
				v := u.At(float64(w)) * (1 + 0.03*r.NormFloat64() + 0.001*float64(i))
				vs = append(vs, v)
				s.Trials = append(s.Trials, WorkerValue{Workers: w, ImagesPerHour: v})
			}
			m, lo, hi := medianCI(vs)
			s.Medians = append(s.Medians, WorkerInterval{Workers: w, ImagesPerHour: Interval{m, lo, hi}})
		}
		d.Series = append(d.Series, s)
	}
	return d
}
