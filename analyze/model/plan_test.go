package model

import (
	"strings"
	"testing"
)

// linear predicts images×perImage/workers seconds with a ±10% interval and
// a fixed prune share.
func linear(perImage func(workers int) float64, pruneShare float64) Predictor {
	return func(workers, images int) Prediction {
		m := float64(images) * perImage(workers) / float64(workers)
		return Prediction{Images: images, Workers: workers, Median: m, Lo: 0.9 * m, Hi: 1.1 * m, PruneShare: pruneShare, Prunes: 1}
	}
}

func TestPlanCapacity(t *testing.T) {
	pred := linear(func(int) float64 { return 60 }, 0)
	pl, err := PlanCapacity(PlanInput{Images: 100, Deadline: 3600, Workers: []int{1, 2, 4}, Predict: pred, MaxRunners: 10, CoresPerRunner: 8})
	if err != nil {
		t.Fatal(err)
	}
	// W=1: Hi = 66 s × shard <= 3600 -> shard <= 54 -> R = 2 (shard 50,
	// median 3000 s, 2×3000/3600 runner-hours). W=2: shard 100 fits (Hi
	// 3300): R = 1, 3000 s. W=4: R = 1, 1500 s.
	want := []PlanOption{
		{Workers: 1, Runners: 2, ShardImages: 50, RunnerHours: 2 * 3000.0 / 3600, Feasible: true},
		{Workers: 2, Runners: 1, ShardImages: 100, RunnerHours: 3000.0 / 3600, Feasible: true},
		{Workers: 4, Runners: 1, ShardImages: 100, RunnerHours: 1500.0 / 3600, Feasible: true},
	}
	for i, w := range want {
		g := pl.Options[i]
		if g.Workers != w.Workers || g.Runners != w.Runners || g.ShardImages != w.ShardImages || !near(g.RunnerHours, w.RunnerHours, 1e-12) || g.Feasible != w.Feasible {
			t.Errorf("option %d = %+v, want %+v", i, g, w)
		}
	}
	if pl.Best != 2 {
		t.Errorf("best = %d, want 2 (W=4)", pl.Best)
	}
	// 4 workers on 8 cores: half used, nothing else known.
	if pl.Limit != LimitCores || !near(pl.CoreUse, 0.5, 1e-12) || !strings.Contains(pl.Reason, "the closest is cores") {
		t.Errorf("limit %q core use %v reason %q", pl.Limit, pl.CoreUse, pl.Reason)
	}

	// Deadline 1000 s: W=4 needs Hi = 16.5×shard <= 1000 -> shard <= 60 ->
	// R = 2 (shard 50, 750 s); W=2 needs shard <= 30 -> R = 4 (shard 25).
	pl, err = PlanCapacity(PlanInput{Images: 100, Deadline: 1000, Workers: []int{2, 4}, Predict: pred, MaxRunners: 10})
	if err != nil {
		t.Fatal(err)
	}
	if o := pl.Options[0]; o.Runners != 4 || o.ShardImages != 25 || !near(o.RunnerHours, 4*750.0/3600, 1e-12) {
		t.Errorf("W=2: %+v", o)
	}
	if o := pl.Options[1]; o.Runners != 2 || o.ShardImages != 50 || !near(o.RunnerHours, 2*750.0/3600, 1e-12) {
		t.Errorf("W=4: %+v", o)
	}
	if pl.Best != 1 {
		t.Errorf("best = %d, want 1", pl.Best)
	}
}

func TestPlanCapacityTies(t *testing.T) {
	// Time does not depend on workers: every option has the same runners
	// and runner-hours, so the fewest workers wins.
	pred := func(workers, images int) Prediction {
		m := float64(images) * 10
		return Prediction{Median: m, Lo: m, Hi: m}
	}
	pl, err := PlanCapacity(PlanInput{Images: 10, Deadline: 50, Workers: []int{4, 2, 8}, Predict: pred})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Best != 1 || pl.Options[1].Runners != 2 {
		t.Errorf("best %d options %+v", pl.Best, pl.Options)
	}
	if pl.Limit != "" || !hasWarning(pl.Warnings, "limiting resource unknown") {
		t.Errorf("limit %q warnings %q", pl.Limit, pl.Warnings)
	}
}

func TestPlanCapacityInfeasible(t *testing.T) {
	pred := linear(func(int) float64 { return 60 }, 0)
	pl, err := PlanCapacity(PlanInput{Images: 100, Deadline: 100, Workers: []int{1, 4}, Predict: pred, MaxRunners: 2})
	// An infeasible deadline is an answer, not an error, and says so in
	// words (no internal field names such as "Hi").
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	// The closest miss at 2 runners: W=4, shard 50, Hi 825 s.
	if pl.Best != -1 || pl.Options[1].Runners != 2 || pl.Options[1].Feasible || !near(pl.Options[1].Prediction.Hi, 825, 1e-9) {
		t.Errorf("plan %+v", pl)
	}
	if want := "No plan meets 1m40s on at most 2 runners: the fastest plan, 4 workers x 2 runners, needs up to 13m45s."; pl.Verdict != want {
		t.Errorf("verdict %q, want %q", pl.Verdict, want)
	}
	for _, in := range []PlanInput{
		{Images: 0, Deadline: 1, Workers: []int{1}, Predict: pred},
		{Images: 1, Deadline: 0, Workers: []int{1}, Predict: pred},
		{Images: 1, Deadline: 1, Predict: pred},
		{Images: 1, Deadline: 1, Workers: []int{1}},
		{Images: 1, Deadline: 1, Workers: []int{0}, Predict: pred},
		{Images: 1, Deadline: 1, Workers: []int{1}, Predict: pred, RegistryBandwidth: -1},
	} {
		if _, err := PlanCapacity(in); err == nil {
			t.Errorf("%+v: no error", in)
		}
	}
}

// TestPlanRegistryBound: the shared registry link bounds the time of every
// option, so a slow link makes any deadline it cannot carry infeasible.
func TestPlanRegistryBound(t *testing.T) {
	pred := linear(func(int) float64 { return 60 }, 0)
	// 100 images × 1e6 B at 1e4 B/s: 10000 s through the link, over the
	// 3600 s deadline whatever the runners.
	in := PlanInput{Images: 100, Deadline: 3600, Workers: []int{1, 4}, Predict: pred, MaxRunners: 10,
		RegistryBytesPerImage: 1e6, RegistryBandwidth: 1e4}
	pl, err := PlanCapacity(in)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Best != -1 || !strings.Contains(pl.Verdict, "registry alone takes at least 2h47m") || pl.Limit != LimitRegistry {
		t.Errorf("best %d verdict %q limit %q", pl.Best, pl.Verdict, pl.Limit)
	}
	for _, o := range pl.Options {
		if o.Runners != 1 || o.Prediction.Lo < 10000 || o.Prediction.Median < 10000 || !o.RegistryBound {
			t.Errorf("option %+v: want 1 runner and the interval at least 10000 s", o)
		}
	}
	// W=4, 1 runner: builds alone 1500 s (1350-1650); the link needs
	// 10000 s: [max(1350, 10000), 1650+10000].
	if o := pl.Options[1]; !near(o.Prediction.Lo, 10000, 1e-9) || !near(o.Prediction.Median, 10000, 1e-9) || !near(o.Prediction.Hi, 11650, 1e-9) {
		t.Errorf("W=4 interval %v %v %v", o.Prediction.Lo, o.Prediction.Median, o.Prediction.Hi)
	}
	// A 1e6 B/s link needs 100 s: the plan still meets the deadline, the
	// upper end grows by those 100 s, and the use is a sound share.
	in.RegistryBandwidth = 1e6
	pl, err = PlanCapacity(in)
	if err != nil || pl.Best != 1 {
		t.Fatalf("best %d err %v", pl.Best, err)
	}
	if o := pl.Options[1]; !near(o.Prediction.Hi, 1650+100, 1e-9) || !near(o.Prediction.Median, 1500, 1e-9) {
		t.Errorf("W=4: %+v", o.Prediction)
	}
	if !near(pl.RegistryUse, 100.0/1500, 1e-12) || !strings.Contains(pl.Reason, "976.6 KiB/s registry: 7%") {
		t.Errorf("registry use %v reason %q", pl.RegistryUse, pl.Reason)
	}
	// The same bound in the reverse question.
	o, _, err := Achieve(PlanInput{Images: 100, Predict: pred, RegistryBytesPerImage: 1e6, RegistryBandwidth: 1e4}, 4, 4)
	if err != nil || !o.RegistryBound || !near(o.Prediction.Median, 10000, 1e-9) {
		t.Errorf("Achieve = %+v, %v", o, err)
	}
}

// TestPlanCores: the runner's cores against the sweep machine's scale the
// USL peak, so the core use changes with --cores.
func TestPlanCores(t *testing.T) {
	pred := linear(func(int) float64 { return 60 }, 0)
	use := map[int]float64{}
	for _, cores := range []int{1, 2, 64} {
		pl, err := PlanCapacity(PlanInput{Images: 100, Deadline: 3600, Workers: []int{4}, Predict: pred,
			CoresPerRunner: cores, SweepCores: 2, NStar: 7, MeasuredMax: 4})
		if err != nil {
			t.Fatal(err)
		}
		use[cores] = pl.CoreUse
		if cores != 2 && !strings.Contains(pl.Reason, "scaled from 7.0 on the sweep's 2 cores") {
			t.Errorf("%d cores: reason %q", cores, pl.Reason)
		}
		if !strings.Contains(pl.Reason, "extrapolated beyond the 4 builds measured") {
			t.Errorf("%d cores: reason %q", cores, pl.Reason)
		}
	}
	// 4 builds against peaks of 3.5, 7 and 224.
	if !near(use[1], 4/3.5, 1e-12) || !near(use[2], 4.0/7, 1e-12) || !near(use[64], 4.0/224, 1e-12) {
		t.Errorf("core use %v", use)
	}
	// The batch caps the builds at once: 8 workers at batch 3 are 3 builds.
	pl, err := PlanCapacity(PlanInput{Images: 100, Deadline: 3600, Workers: []int{8}, Predict: pred, Batch: 3,
		CoresPerRunner: 2, SweepCores: 2, NStar: 7})
	if err != nil || !near(pl.CoreUse, 3.0/7, 1e-12) || pl.Limit != LimitBatch {
		t.Errorf("batch 3: core use %v limit %q err %v", pl.CoreUse, pl.Limit, err)
	}
}

// TestPlanSmallAndOdd: never more workers than images per runner; an
// extrapolated option wins only beyond its uncertainty.
func TestPlanSmallAndOdd(t *testing.T) {
	pred := linear(func(int) float64 { return 60 }, 0)
	pl, err := PlanCapacity(PlanInput{Images: 1, Deadline: 3600, Workers: []int{1, 4, 8}, Predict: pred})
	if err != nil || len(pl.Options) != 1 || pl.Options[0].Workers != 1 || pl.Best != 0 {
		t.Errorf("1 image: %+v, %v", pl, err)
	}
	// 8 workers, shard >= 8: the deadline that needs shards of 5 is not met
	// with 8 workers.
	pl, err = PlanCapacity(PlanInput{Images: 40, Deadline: 41, Workers: []int{8}, Predict: pred})
	if err != nil || pl.Best != -1 || pl.Options[0].ShardImages < 8 {
		t.Errorf("8 workers: %+v, %v", pl, err)
	}

	// Measured 4 workers: 100 s per image / 4, ±10%. Extrapolated 8
	// workers: 1% faster (within the uncertainty), then 50% faster.
	for _, tc := range []struct {
		gain float64
		best int
	}{{0.99, 0}, {0.5, 1}} {
		p := func(w, n int) Prediction {
			m := float64(n) * 100 / 4
			if w == 8 {
				m *= tc.gain
			}
			return Prediction{Images: n, Workers: w, Median: m, Lo: 0.9 * m, Hi: 1.1 * m, Extrapolated: w == 8}
		}
		pl, err := PlanCapacity(PlanInput{Images: 100, Deadline: 1e6, Workers: []int{4, 8}, Predict: p})
		if err != nil || pl.Best != tc.best {
			t.Errorf("gain %v: best %d, want %d (%v)", tc.gain, pl.Best, tc.best, err)
		}
	}

	// More runners than images: one image per runner, with a warning.
	o, warns, err := Achieve(PlanInput{Images: 433, Predict: pred}, 1000, 1)
	if err != nil || o.Runners != 433 || o.ShardImages != 1 || !hasWarning(warns, "1000 runners for 433 images") {
		t.Errorf("Achieve 1000 runners: %+v %q %v", o, warns, err)
	}
	if _, _, err := Achieve(PlanInput{Images: 433, Predict: pred}, 1000, 2); err == nil {
		t.Error("2 workers on 1-image shards: no error")
	}
}

func TestPlanLimit(t *testing.T) {
	tests := []struct {
		name  string
		in    PlanInput
		share float64
		want  string
		check func(Plan) bool
	}{
		{
			// 1e10 B through a 5e6 B/s registry: 2000 s, over the builds'
			// 1500 s; at 1 runner Hi 1650+2000 s misses the hour, so 2
			// runners (builds 750 s): demand 1e10/750 B/s, use 2000/750.
			name: "registry",
			in:   PlanInput{CoresPerRunner: 8, RegistryBytesPerImage: 1e8, RegistryBandwidth: 5e6},
			want: LimitRegistry,
			check: func(p Plan) bool {
				o := p.Options[0]
				return o.Runners == 2 && near(o.Prediction.Median, 2000, 1e-9) && near(p.RegistryDemand, 1e10/750, 1e-6) &&
					near(p.RegistryUse, 2000.0/750, 1e-9) && strings.Contains(p.Reason, "the registry sets the time")
			},
		},
		{
			// USL peak at 3 workers: 4/3 of capacity.
			name: "cores via NStar",
			in:   PlanInput{CoresPerRunner: 32, NStar: 3, RegistryBytesPerImage: 1e8, RegistryBandwidth: 1e9},
			want: LimitCores,
			check: func(p Plan) bool {
				return near(p.CoreUse, 4.0/3, 1e-12) && strings.Contains(p.Reason, "USL peak of 3.0 builds at once on 32 cores: 133% of the peak")
			},
		},
		{
			// Prunes take 20% of the time: twice the saturation share.
			name:  "disk",
			in:    PlanInput{CoresPerRunner: 8, RegistryBytesPerImage: 1e8, RegistryBandwidth: 1e9},
			share: 0.2,
			want:  LimitDisk,
			check: func(p Plan) bool { return near(p.DiskUse, 2, 1e-12) && near(p.PruneShare, 0.2, 1e-12) },
		},
		{
			name: "registry bandwidth unknown",
			in:   PlanInput{CoresPerRunner: 16, RegistryBytesPerImage: 1e8},
			want: LimitCores,
			check: func(p Plan) bool {
				return p.RegistryUse == 0 && hasWarning(p.Warnings, "registry bandwidth unknown")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Images, in.Deadline, in.Workers = 100, 3600, []int{4}
			in.Predict = linear(func(int) float64 { return 60 }, tt.share)
			pl, err := PlanCapacity(in)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Limit != tt.want || !tt.check(pl) {
				t.Errorf("limit %q (want %q), plan %+v", pl.Limit, tt.want, pl)
			}
		})
	}
}

func TestAchieve(t *testing.T) {
	pred := linear(func(int) float64 { return 60 }, 0)
	o, _, err := Achieve(PlanInput{Images: 100, Predict: pred}, 3, 4) // shard 34 × 15 s
	if err != nil || o.Prediction.Median != 510 || o.Prediction.Images != 34 || o.Runners != 3 {
		t.Errorf("Achieve = %+v, %v", o, err)
	}
	if _, _, err := Achieve(PlanInput{Images: 100, Predict: pred}, 0, 4); err == nil {
		t.Error("0 runners: no error")
	}
	if _, _, err := Achieve(PlanInput{Images: 100}, 1, 4); err == nil {
		t.Error("no predictor: no error")
	}
}
