package model

import (
	"errors"
	"fmt"
	"strings"
)

// Limits named by Plan.Limit.
const (
	LimitCores    = "cores"
	LimitRegistry = "registry bandwidth"
	LimitDisk     = "disk and prunes"
)

// PruneShareSaturated is the share of wall time spent in prunes that Plan
// counts as a fully used resource when it compares disk against cores and
// registry bandwidth.
const PruneShareSaturated = 0.10

// ErrInfeasible means no option meets the constraints.
var ErrInfeasible = errors.New("infeasible")

// Predictor predicts the wall time of building images images on one runner
// with workers workers (for example a closure over Predict).
type Predictor func(workers, images int) Prediction

// PlanInput describes a capacity question.
type PlanInput struct {
	// Images is the number of images to build and Deadline the wall time
	// in seconds they must be built in.
	Images   int
	Deadline float64
	// Workers lists the candidate workers per runner.
	Workers []int
	// Predict predicts one runner's build.
	Predict Predictor
	// MaxRunners is the largest number of runners (<= 0: Images).
	MaxRunners int
	// CoresPerRunner is the CPU cores per runner (0: unknown) and NStar
	// the USL fit's worker count of peak throughput (0: none).
	CoresPerRunner int
	NStar          float64
	// RegistryBytesPerImage is the bytes each image sends to the registry
	// and RegistryBandwidth the registry's bandwidth in bytes/s shared by
	// all runners (0: unknown).
	RegistryBytesPerImage, RegistryBandwidth float64
}

// PlanOption is the smallest runner count for one workers value.
type PlanOption struct {
	Workers int
	// Runners is the number of runners and ShardImages the images of the
	// largest shard, ceil(Images/Runners).
	Runners, ShardImages int
	// Prediction is the predicted build of the largest shard, which is the
	// build's wall time since shards run in parallel.
	Prediction Prediction
	// RunnerHours is Runners × the predicted median, in hours.
	RunnerHours float64
	// Feasible says the prediction's Hi meets the deadline within
	// MaxRunners; when false, Runners is MaxRunners and the prediction is
	// the closest miss.
	Feasible bool
}

// Plan is the answer to a capacity question.
type Plan struct {
	// Options has one entry per workers value, in input order; Best
	// indexes the feasible option with the fewest runner-hours (ties:
	// fewer runners, then fewer workers), -1 when none is feasible.
	Options []PlanOption
	Best    int
	// Limit is the resource closest to saturation for the best option
	// (LimitCores, LimitRegistry, LimitDisk; "" when no input allows a
	// decision), and Reason says why in a sentence.
	Limit  string
	Reason string
	// CoreUse is workers / min(cores, NStar) over the known ones (0:
	// unknown).
	CoreUse float64
	// RegistryDemand is the bytes/s all runners send to the registry at the
	// predicted pace, and RegistryUse that over RegistryBandwidth (0:
	// unknown).
	RegistryDemand, RegistryUse float64
	// PruneShare is the predicted share of wall time spent in prunes, and
	// DiskUse that over PruneShareSaturated.
	PruneShare, DiskUse float64
	Warnings            []string
}

// PlanCapacity finds, for each workers value, the smallest number of
// runners R whose largest shard, ceil(Images/R) images, is predicted to
// finish within the deadline at the upper end of its interval (Hi), and
// picks the option with the fewest runner-hours. Runner counts are tried
// from 1 up, once per distinct shard size. It then names the limiting
// resource of the best option: the highest of CoreUse, RegistryUse and
// DiskUse, each a share of its capacity. When no option is feasible, the
// plan is returned with an error wrapping ErrInfeasible.
func PlanCapacity(in PlanInput) (Plan, error) {
	pl := Plan{Best: -1}
	switch {
	case in.Images < 1:
		return pl, fmt.Errorf("planning %d images: need at least 1", in.Images)
	case !(in.Deadline > 0) || !isFinite(in.Deadline):
		return pl, fmt.Errorf("planning with deadline %v s: must be positive", in.Deadline)
	case len(in.Workers) == 0:
		return pl, fmt.Errorf("planning: no workers values")
	case in.Predict == nil:
		return pl, fmt.Errorf("planning: no predictor")
	}
	maxR := in.MaxRunners
	if maxR <= 0 || maxR > in.Images {
		maxR = in.Images
	}
	for _, w := range in.Workers {
		if w < 1 {
			return pl, fmt.Errorf("planning %d workers per runner: need at least 1", w)
		}
		opt := PlanOption{Workers: w}
		lastShard := 0
		for r := 1; r <= maxR; r++ {
			shard := ceilDiv(in.Images, r)
			if shard == lastShard {
				continue
			}
			lastShard = shard
			p := in.Predict(w, shard)
			opt.Runners, opt.ShardImages, opt.Prediction = r, shard, p
			if p.Hi <= in.Deadline {
				opt.Feasible = true
				break
			}
		}
		// The smallest R with this shard size: more runners add nothing.
		opt.Runners = ceilDiv(in.Images, opt.ShardImages)
		opt.RunnerHours = float64(opt.Runners) * opt.Prediction.Median / 3600
		pl.Options = append(pl.Options, opt)
	}
	for i, o := range pl.Options {
		if !o.Feasible {
			continue
		}
		if pl.Best < 0 || better(o, pl.Options[pl.Best]) {
			pl.Best = i
		}
	}
	if pl.Best < 0 {
		var miss []string
		for _, o := range pl.Options {
			miss = append(miss, fmt.Sprintf("%d workers x %d runners: Hi %.0f s", o.Workers, o.Runners, o.Prediction.Hi))
		}
		return pl, fmt.Errorf("planning %d images within %.0f s on at most %d runners (%s): %w",
			in.Images, in.Deadline, maxR, strings.Join(miss, "; "), ErrInfeasible)
	}
	limit(&pl, in, pl.Options[pl.Best])
	return pl, nil
}

// better says a has fewer runner-hours than b (ties: fewer runners, then
// fewer workers).
func better(a, b PlanOption) bool {
	if a.RunnerHours != b.RunnerHours {
		return a.RunnerHours < b.RunnerHours
	}
	if a.Runners != b.Runners {
		return a.Runners < b.Runners
	}
	return a.Workers < b.Workers
}

// limit fills the limiting resource of option o.
func limit(pl *Plan, in PlanInput, o PlanOption) {
	var capacity float64
	var capWhat []string
	if in.CoresPerRunner > 0 {
		capacity = float64(in.CoresPerRunner)
		capWhat = append(capWhat, fmt.Sprintf("%d cores", in.CoresPerRunner))
	}
	if in.NStar > 0 && isFinite(in.NStar) {
		if capacity == 0 || in.NStar < capacity {
			capacity = in.NStar
		}
		capWhat = append(capWhat, fmt.Sprintf("USL peak at %.1f workers", in.NStar))
	}
	var parts []string
	if capacity > 0 {
		pl.CoreUse = float64(o.Workers) / capacity
		parts = append(parts, fmt.Sprintf("%d workers per runner against %s use %.0f%% of the cores",
			o.Workers, strings.Join(capWhat, " and "), 100*pl.CoreUse))
	}
	if in.RegistryBytesPerImage > 0 && o.Prediction.Median > 0 {
		perRunner := float64(o.ShardImages) / o.Prediction.Median // images/s
		pl.RegistryDemand = in.RegistryBytesPerImage * perRunner * float64(o.Runners)
		if in.RegistryBandwidth > 0 {
			pl.RegistryUse = pl.RegistryDemand / in.RegistryBandwidth
			parts = append(parts, fmt.Sprintf("%d runners push %.1f MB/s to a %.1f MB/s registry (%.0f%%)",
				o.Runners, pl.RegistryDemand/1e6, in.RegistryBandwidth/1e6, 100*pl.RegistryUse))
		} else {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf(
				"registry bandwidth unknown: %d runners would push %.1f MB/s", o.Runners, pl.RegistryDemand/1e6))
		}
	}
	pl.PruneShare = o.Prediction.PruneShare
	pl.DiskUse = pl.PruneShare / PruneShareSaturated
	parts = append(parts, fmt.Sprintf("prunes take %.0f%% of the predicted time (%.1f prunes per build)",
		100*pl.PruneShare, o.Prediction.Prunes))

	best := 0.0
	for _, c := range []struct {
		name string
		use  float64
	}{{LimitCores, pl.CoreUse}, {LimitRegistry, pl.RegistryUse}, {LimitDisk, pl.DiskUse}} {
		if c.use > best {
			best, pl.Limit = c.use, c.name
		}
	}
	if pl.Limit == "" {
		pl.Reason = strings.Join(parts, "; ") + ": no resource is measurably in use, so the limit is unknown."
		pl.Warnings = append(pl.Warnings, "no core, registry or prune figures: limiting resource unknown")
		return
	}
	pl.Reason = fmt.Sprintf("%s: the limit is %s.", strings.Join(parts, "; "), pl.Limit)
	pl.Reason = strings.ToUpper(pl.Reason[:1]) + pl.Reason[1:]
}

// Achieve predicts the wall time of building images images on runners
// runners with workers workers each: the prediction of the largest shard,
// ceil(images/runners) images.
func Achieve(predict Predictor, runners, workers, images int) (Prediction, error) {
	switch {
	case predict == nil:
		return Prediction{}, fmt.Errorf("achieving %d images: no predictor", images)
	case runners < 1 || workers < 1 || images < 1:
		return Prediction{}, fmt.Errorf("achieving %d images on %d runners x %d workers: all must be >= 1", images, runners, workers)
	}
	return predict(workers, ceilDiv(images, runners)), nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
