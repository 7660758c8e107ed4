package model

import (
	"errors"
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
	if pl.Limit != LimitCores || !near(pl.CoreUse, 0.5, 1e-12) || !strings.Contains(pl.Reason, "the limit is cores") {
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
	if !errors.Is(err, ErrInfeasible) || !strings.Contains(err.Error(), "at most 2 runners") {
		t.Fatalf("err = %v", err)
	}
	// The closest miss at 2 runners: W=4, shard 50, Hi 825 s.
	if pl.Best != -1 || pl.Options[1].Runners != 2 || pl.Options[1].Feasible || !near(pl.Options[1].Prediction.Hi, 825, 1e-9) {
		t.Errorf("plan %+v", pl)
	}
	for _, in := range []PlanInput{
		{Images: 0, Deadline: 1, Workers: []int{1}, Predict: pred},
		{Images: 1, Deadline: 0, Workers: []int{1}, Predict: pred},
		{Images: 1, Deadline: 1, Predict: pred},
		{Images: 1, Deadline: 1, Workers: []int{1}},
		{Images: 1, Deadline: 1, Workers: []int{0}, Predict: pred},
	} {
		if _, err := PlanCapacity(in); err == nil || errors.Is(err, ErrInfeasible) {
			t.Errorf("%+v: err = %v", in, err)
		}
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
			// 100 images in 1500 s on one runner: 1e8 B × 100/1500 = 6.67 MB/s
			// of a 5 MB/s registry.
			name: "registry",
			in:   PlanInput{CoresPerRunner: 8, RegistryBytesPerImage: 1e8, RegistryBandwidth: 5e6},
			want: LimitRegistry,
			check: func(p Plan) bool {
				return near(p.RegistryDemand, 1e8*100/1500, 1e-6) && near(p.RegistryUse, 1e8*100/1500/5e6, 1e-9)
			},
		},
		{
			// USL peak at 3 workers: 4/3 of capacity.
			name: "cores via NStar",
			in:   PlanInput{CoresPerRunner: 32, NStar: 3, RegistryBytesPerImage: 1e8, RegistryBandwidth: 1e9},
			want: LimitCores,
			check: func(p Plan) bool {
				return near(p.CoreUse, 4.0/3, 1e-12) && strings.Contains(p.Reason, "USL peak at 3.0 workers")
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
	p, err := Achieve(pred, 3, 4, 100) // shard 34 × 15 s
	if err != nil || p.Median != 510 || p.Images != 34 {
		t.Errorf("Achieve = %+v, %v", p, err)
	}
	if _, err := Achieve(pred, 0, 4, 100); err == nil {
		t.Error("0 runners: no error")
	}
	if _, err := Achieve(nil, 1, 4, 100); err == nil {
		t.Error("no predictor: no error")
	}
}
