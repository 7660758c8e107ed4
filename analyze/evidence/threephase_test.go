package evidence

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// tpSpec describes a synthetic three-phase run, scheduled as internal/fleet
// runs one: the shared builder once, then per instance one job of the
// pool (base, then assembly, on one worker), batches with barriers. Trial
// r's builds take their seconds × factors[r].
type tpSpec struct {
	cfg                     Config
	builder, base, assembly float64
	factors                 []float64
	ids                     []string
	temp                    string
	// profile is what every record names; workload, when not "", is
	// written to run.json (a sweep folder).
	profile, workload string
}

func writeThreePhase(t *testing.T, dir string, s tpSpec) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if s.workload != "" {
		info := map[string]any{"id": "20261127T120000Z", "machine": map[string]any{"cores": 2}, "start": t0, "workload": s.workload,
			"grid": map[string]any{"workers": []int{s.cfg.Workers}, "batch": []any{s.cfg.Batch}, "reps": len(s.factors), "profile": s.profile}}
		data, _ := json.Marshal(info)
		if err := os.WriteFile(filepath.Join(dir, RunInfoFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := record.Create(filepath.Join(dir, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	at := func(base time.Time, s float64) time.Time { return base.Add(time.Duration(s * float64(time.Second))) }
	clock := t0
	for r, f := range s.factors {
		trial := r + 1
		rc := record.Config{Cell: s.cfg.Name(), Workers: s.cfg.Workers, Batch: s.cfg.Batch, CacheMode: s.cfg.CacheMode,
			Strategy: s.cfg.Strategy, Profile: s.profile, Temp: s.temp, Rep: r + 1}
		write := func(inst, phase, id string, start float64, secs float64, batch int) {
			t.Helper()
			st := at(clock, start)
			im := record.Image{Trial: trial, Config: rc, Instance: inst, Phase: phase, Status: record.StatusBuilt, Attempts: 1, BatchIndex: batch,
				Cost: record.Cost{ID: id, Start: st, End: at(st, secs), WallSeconds: secs, ExecSeconds: secs / 2, TotalSteps: 2}}
			if err := w.Write(&im); err != nil {
				t.Fatal(err)
			}
		}
		b, a := s.base*f, s.assembly*f
		write("", "builder", "shared/builder", 0, s.builder*f, 0)
		span := s.builder * f
		for k := 0; k*s.cfg.Batch < len(s.ids); k++ {
			n := min(s.cfg.Batch, len(s.ids)-k*s.cfg.Batch)
			for j := range n {
				id := s.ids[k*s.cfg.Batch+j]
				start := span + float64(j/s.cfg.Workers)*(b+a)
				write(id, "base", id+"/base", start, b, k)
				write(id, "assembly", id+"/assembly", start+b, a, k)
			}
			span += float64((n+s.cfg.Workers-1)/s.cfg.Workers) * (b + a)
		}
		tr := record.Trial{Trial: trial, Config: rc, Start: clock, End: at(clock, span), WallSeconds: span,
			Images: len(s.ids), Built: len(s.ids), ImagesPerHour: record.ImagesPerHour(len(s.ids), span)}
		if err := w.Write(&tr); err != nil {
			t.Fatal(err)
		}
		clock = at(clock, span+10)
	}
}

var tp = Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "three-phase"}

func threePhaseSweep(t *testing.T) *Analysis {
	t.Helper()
	dir := t.TempDir()
	writeThreePhase(t, dir, tpSpec{cfg: tp, builder: 5, base: 6, assembly: 4, factors: []float64{1, 1, 1}, ids: instances,
		temp: "cold", profile: "/fixtures/synthetic.yaml", workload: "synthetic"})
	return analyzeDir(t, dir)
}

// TestThreePhaseUnitIsTheInstance: a three-phase instance is one job of
// the pool (base then assembly on one worker, 6 + 4 = 10 s) and the shared
// builder (5 s) a cost paid once per run before the first job. 12
// instances at 2 workers, batch 3: 4 batches of 2 rounds of 10 s, + 5 s =
// 85 s. Counting records as images predicted a build of base-or-assembly
// draws with the builder among them, about half as long.
func TestThreePhaseUnitIsTheInstance(t *testing.T) {
	a := threePhaseSweep(t)
	c := a.Cell(tp)
	if c == nil {
		t.Fatal("no three-phase cell")
	}
	if c.Images != 3*len(instances) || math.Abs(c.ImageWall.Median-10) > 1e-6 || c.SharedWall == nil || math.Abs(c.SharedWall.Median-5) > 1e-6 {
		t.Errorf("cell: %d images (want %d instance builds), per-image wall %v (want 10), shared %+v (want 5)",
			c.Images, 3*len(instances), c.ImageWall.Median, c.SharedWall)
	}
	p, err := a.Predict(tp, Target{Images: 12})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.Median-85) > 1e-6 || math.Abs(p.Lo-85) > 1e-6 || math.Abs(p.Hi-85) > 1e-6 {
		t.Errorf("predicted %v (%v-%v), want 85 s", p.Median, p.Lo, p.Hi)
	}
	if p.Units != len(instances) {
		t.Errorf("%d measured images, want the %d instances (the builder is no image)", p.Units, len(instances))
	}

	full := t.TempDir()
	ids := append(slices.Clone(instances), "django__django-7", "django__django-8", "sympy__sympy-9", "psf__requests-1", "psf__requests-2", "pallets__flask-1")
	writeThreePhase(t, full, tpSpec{cfg: tp, builder: 5, base: 6, assembly: 4, factors: []float64{1}, ids: ids, profile: "synthetic"})
	run, err := Load(full)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Validate(a, run, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Images != 12 || math.Abs(v.MeasuredS-85) > 1e-6 || math.Abs(v.ErrorPct) > 1e-6 || !v.Inside || v.TooWide {
		t.Errorf("validation: %d images (want 12), measured %v, error %v%%, inside %v, too wide %v", v.Images, v.MeasuredS, v.ErrorPct, v.Inside, v.TooWide)
	}
	for _, w := range v.Warnings {
		if strings.Contains(w, "built") {
			t.Errorf("warning %q", w)
		}
	}
}

// TestValidateRefusesOtherBuilds: FULL must be a full build of the
// sweep's workload; a sweep folder, a sweep's trial, or another workload
// is bad input, one line naming FULL.
func TestValidateRefusesOtherBuilds(t *testing.T) {
	a := threePhaseSweep(t)
	spec := tpSpec{cfg: tp, builder: 5, base: 6, assembly: 4, factors: []float64{1}, ids: instances, profile: "synthetic"}
	other := filepath.Join(t.TempDir(), "other")
	s := spec
	s.profile = "cpu-heavy"
	writeThreePhase(t, other, s)
	sweepDir := filepath.Join(t.TempDir(), "sweep")
	s = spec
	s.temp, s.workload = "cold", "synthetic"
	writeThreePhase(t, sweepDir, s)
	coldTrial := filepath.Join(t.TempDir(), "cold")
	s = spec
	s.temp = "cold"
	writeThreePhase(t, coldTrial, s)
	for _, tt := range []struct{ dir, want string }{
		{other, `built workload "cpu-heavy" but the sweep`},
		{sweepDir, "a sweep folder, not a full build"},
		{coldTrial, "sweep trial, not a full build"},
	} {
		run, err := Load(tt.dir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Validate(a, run, Config{})
		if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.dir) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line of bad input naming it and saying %q", tt.dir, err, tt.want)
		}
	}
	// The same workload with the sweep's profile given as a file: fine.
	same := filepath.Join(t.TempDir(), "same")
	writeThreePhase(t, same, spec)
	run, err := Load(same)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Validate(a, run, Config{}); err != nil {
		t.Errorf("same workload: %v", err)
	}
}

// TestValidateIsRecommendsPrediction: validate predicts the build it reads
// (ids in completion order) as recommend --instances predicts the same ids
// in another order: same seed, same draws.
func TestValidateIsRecommendsPrediction(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{{cfg: w2, seconds: 10, reps: 3, temp: "cold"}}, instances, 0.1, map[string]any{"workers": []int{2}, "batch": []any{3}}, false)
	a := analyzeDir(t, dir)
	ids := append(slices.Clone(instances), "django__django-7", "sympy__sympy-9", "psf__requests-1")
	fullDir := t.TempDir()
	writeRun(t, fullDir, []cellSpec{{cfg: w2, seconds: 10, reps: 1}}, ids, 0, nil, false)
	full, err := Load(fullDir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Validate(a, full, Config{})
	if err != nil {
		t.Fatal(err)
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	r, err := a.Recommend(Constraints{Target: Target{Repos: ReposOf(rev)}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Recommended.PredictedS != v.PredictedS {
		t.Errorf("recommend --instances predicts %+v, validate %+v for the same ids", r.Recommended.PredictedS, v.PredictedS)
	}
}

// TestValidateTooWide: two trials 1.5x apart give an interval too wide to
// test anything; validate says so and does not count the measured time,
// inside it, as a hit.
func TestValidateTooWide(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, []cellSpec{{cfg: w2, seconds: 10, reps: 2, temp: "cold"}}, instances, 0.5, map[string]any{"workers": []int{2}, "batch": []any{3}}, false)
	a := analyzeDir(t, dir)
	fullDir := t.TempDir()
	writeRun(t, fullDir, []cellSpec{{cfg: w2, seconds: 12, reps: 1}}, instances, 0, nil, false)
	full, err := Load(fullDir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Validate(a, full, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !(v.PredictedS.Lo <= v.MeasuredS && v.MeasuredS <= v.PredictedS.Hi) {
		t.Fatalf("measured %v outside %+v: the case does not test the rule", v.MeasuredS, v.PredictedS)
	}
	if !v.TooWide || v.Inside {
		t.Errorf("interval %+v: too wide %v, inside %v; want too wide and not inside", v.PredictedS, v.TooWide, v.Inside)
	}
	if !slices.ContainsFunc(v.Warnings, func(w string) bool { return strings.Contains(w, "too wide to test the prediction: run more reps") }) {
		t.Errorf("warnings %q, want one saying the interval is too wide", v.Warnings)
	}
	// Bounded: factors 1 and 1.5 (normalised about 0.8 and 1.2) widened
	// by 1.5 ranges at each end, not a Cauchy's 60x.
	if v.PredictedS.Hi/v.PredictedS.Lo > math.Pow(1.5, 4)+0.01 {
		t.Errorf("interval %+v spans more than the bounded factors allow", v.PredictedS)
	}
}
