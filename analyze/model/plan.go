package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/buildtune/buildtune/analyze"
)

// Limits named by Plan.Limit.
const (
	LimitCores    = "cores"
	LimitRegistry = "registry bandwidth"
	LimitDisk     = "disk and prunes"
	// LimitBatch: the batch holds every build a runner runs at once and
	// no resource is saturated, so more workers cannot help.
	LimitBatch = "batch size"
)

// PruneShareSaturated is the share of wall time spent in prunes that Plan
// counts as a fully used resource when it compares disk against cores and
// registry bandwidth.
const PruneShareSaturated = 0.10

// ErrInfeasible means no option meets the constraints (Recommend; a plan
// no option of which meets its deadline is an answer, see PlanCapacity).
var ErrInfeasible = errors.New("infeasible")

// Predictor predicts the wall time of building images images on one runner
// with workers workers (for example a closure over Predict). A prediction
// that relies on anything outside the measurements is Extrapolated.
type Predictor func(workers, images int) Prediction

// PlanInput describes a capacity question.
type PlanInput struct {
	// Images is the number of images to build and Deadline the wall time
	// in seconds they must be built in (PlanCapacity only).
	Images   int
	Deadline float64
	// Workers lists the candidate workers per runner.
	Workers []int
	// Predict predicts one runner's build.
	Predict Predictor
	// MaxRunners is the largest number of runners (<= 0: Images).
	MaxRunners int
	// Batch is the batch size of the planned builds (0: stream); a runner
	// never has more builds at once than one batch holds.
	Batch int
	// CoresPerRunner is the CPU cores per runner and SweepCores those of
	// the machine the sweep measured on (0: unknown; when only one is
	// known, the runner is taken to be like the sweep machine).
	CoresPerRunner, SweepCores int
	// NStar is the USL fit's builds at once of peak throughput on the
	// sweep machine (0: none) and MeasuredMax the most builds at once
	// measured; a peak beyond it is extrapolated.
	NStar       float64
	MeasuredMax int
	// RegistryBytesPerImage is the bytes each image sends to and fetches
	// from the registry, and RegistryBandwidth the registry's bandwidth in
	// bytes/s, one budget shared by all runners, both directions (0:
	// unlimited or unknown).
	RegistryBytesPerImage, RegistryBandwidth float64
	// Context stops a plan when it is cancelled (nil: never): the plan
	// looks at it before and after each prediction, and then fails with
	// an error wrapping its Err. A Predict that takes the same context
	// (PredictContext) stops inside a prediction; whatever it returns
	// then is not used.
	Context context.Context
}

// stopped returns the context's error, wrapped, once it is cancelled.
func (in PlanInput) stopped() error {
	if in.Context == nil {
		return nil
	}
	if err := in.Context.Err(); err != nil {
		return fmt.Errorf("planning %s stopped: %w", analyze.Plural(in.Images, "image"), err)
	}
	return nil
}

// PlanOption is the smallest runner count for one workers value.
type PlanOption struct {
	Workers int
	// Runners is the number of runners and ShardImages the images of the
	// largest shard, ceil(Images/Runners).
	Runners, ShardImages int
	// Prediction is the predicted build of the largest shard, which is the
	// build's wall time since shards run in parallel, bounded by the
	// registry (see RegistryBound).
	Prediction Prediction
	// RegistrySeconds is the least time the registry link needs for all
	// images' bytes (0: unlimited or unknown), and RegistryBound says it
	// is above the predicted median of the builds alone.
	RegistrySeconds float64
	RegistryBound   bool
	// BuildSeconds is the predicted median of the builds alone, without
	// the registry bound.
	BuildSeconds float64
	// RunnerHours is Runners × the predicted median, in hours.
	RunnerHours float64
	// Feasible says the prediction's Hi meets the deadline within
	// MaxRunners; when false, Runners is the most tried and the prediction
	// is the closest miss.
	Feasible     bool
	Extrapolated bool
}

// Plan is the answer to a capacity question.
type Plan struct {
	// Options has one entry per workers value that is not more than the
	// images, in input order; Best indexes the chosen feasible option
	// (see PlanCapacity), -1 when none is feasible.
	Options []PlanOption
	Best    int
	// Verdict says in a sentence which option meets the deadline, or that
	// none does and what the fastest one needs.
	Verdict string
	// Limit is the resource closest to saturation for the best option (or
	// the fastest when none is feasible: LimitCores, LimitRegistry,
	// LimitDisk; LimitBatch when none is saturated and the batch caps the
	// builds at once; "" when no input allows a decision), and Reason says
	// why in a sentence.
	Limit  string
	Reason string
	// CoreUse is the builds at once per runner over the USL peak scaled to
	// the runner's cores, or over its cores without a peak (0: unknown).
	CoreUse float64
	// RegistryDemand is the bytes/s all runners would move through the
	// registry at the pace of the builds alone, and RegistryUse that over
	// RegistryBandwidth (0: unknown); above 1 the registry sets the time.
	RegistryDemand, RegistryUse float64
	// PruneShare is the predicted share of wall time spent in prunes, and
	// DiskUse that over PruneShareSaturated.
	PruneShare, DiskUse float64
	Warnings            []string
}

// PlanCapacity finds, for each workers value, the smallest number of
// runners R whose largest shard, ceil(Images/R) images and never fewer
// than the workers, is predicted to finish within the deadline at the
// upper end of its interval (Hi), the registry included (RegistryBound).
// Runner counts are tried from 1 up, once per distinct shard size.
//
// The best option has the fewest runner-hours among the measured ones
// (ties: fewer runners, then fewer workers). An Extrapolated option
// replaces it only when its gain is beyond the uncertainty: its
// runner-hours at Hi below the measured one's at Lo. It then names the
// limiting resource of the best option: the highest of CoreUse,
// RegistryUse and DiskUse, each a share of its capacity. A deadline no
// option meets is an answer, not an error: Best is -1 and Verdict names
// the fastest option and what it needs.
func PlanCapacity(in PlanInput) (Plan, error) {
	pl := Plan{Best: -1}
	if err := checkPlanInput(in); err != nil {
		return pl, err
	}
	switch {
	case !(in.Deadline > 0) || !isFinite(in.Deadline):
		return pl, fmt.Errorf("planning with deadline %v s: must be positive", in.Deadline)
	}
	maxR := in.MaxRunners
	if maxR <= 0 || maxR > in.Images {
		maxR = in.Images
	}
	regS := registrySeconds(in)
	for _, w := range in.Workers {
		if w > in.Images {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf("%s per runner left out: more than the %s", analyze.Plural(w, "worker"), analyze.Plural(in.Images, "image")))
			continue
		}
		opt := PlanOption{Workers: w, RegistrySeconds: regS}
		// The fewest runners whose shard meets the deadline. A shard's
		// time grows with its images, so the runners are searched by
		// bisection: a handful of predictions, the largest shards only
		// near the answer (a linear scan from one runner predicted every
		// shard size on the way, slow for large builds). Runners whose
		// shard would have fewer images than workers are left out: a
		// smaller workers value does that better.
		rMax := maxR
		if w > 1 {
			// ceil(Images/r) >= w  <=>  r <= ceil(Images/(w-1)) - 1
			rMax = min(rMax, ceilDiv(in.Images, w-1)-1)
		}
		rMax = max(rMax, 1)
		byShard := map[int]PlanOption{}
		eval := func(r int) (PlanOption, error) {
			shard := ceilDiv(in.Images, r)
			if o, ok := byShard[shard]; ok {
				return o, nil
			}
			if err := in.stopped(); err != nil {
				return opt, err
			}
			raw := in.Predict(w, shard)
			if err := in.stopped(); err != nil {
				return opt, err
			}
			o := opt
			p, bound := RegistryBound(raw, regS)
			o.ShardImages, o.Prediction, o.RegistryBound, o.BuildSeconds = shard, p, bound, raw.Median
			o.Feasible = p.Hi <= in.Deadline
			byShard[shard] = o
			return o, nil
		}
		var err error
		if regS > in.Deadline {
			// The shared link alone misses the deadline: more runners
			// cannot help, so the fewest are reported.
			opt, err = eval(1)
		} else if opt, err = eval(rMax); err == nil && opt.Feasible {
			lo, hi := 1, rMax // hi meets the deadline
			for lo < hi && err == nil {
				mid := lo + (hi-lo)/2
				var o PlanOption
				if o, err = eval(mid); o.Feasible {
					hi, opt = mid, o
				} else {
					lo = mid + 1
				}
			}
			if err == nil {
				opt, err = eval(hi)
			}
		}
		if err != nil {
			return pl, err
		}
		// The smallest R with this shard size: more runners add nothing.
		opt.Runners = ceilDiv(in.Images, opt.ShardImages)
		opt.RunnerHours = float64(opt.Runners) * opt.Prediction.Median / 3600
		opt.Extrapolated = opt.Prediction.Extrapolated
		pl.Options = append(pl.Options, opt)
	}
	pl.Best = pick(pl.Options)
	if pl.Best < 0 {
		f := fastest(pl.Options)
		o := pl.Options[f]
		if regS > in.Deadline {
			pl.Verdict = fmt.Sprintf("No plan meets %s: moving %s through the %s/s registry alone takes at least %s, whatever the runners.",
				analyze.FormatSeconds(in.Deadline), analyze.FormatBytes(float64(in.Images)*in.RegistryBytesPerImage), analyze.FormatBytes(in.RegistryBandwidth),
				analyze.FormatSeconds(regS))
		} else {
			pl.Verdict = fmt.Sprintf("No plan meets %s on at most %s: the fastest plan, %s x %s, needs up to %s.",
				analyze.FormatSeconds(in.Deadline), analyze.Plural(maxR, "runner"), analyze.Plural(o.Workers, "worker"), analyze.Plural(o.Runners, "runner"),
				analyze.FormatSeconds(o.Prediction.Hi))
		}
		limit(&pl, in, o)
		return pl, nil
	}
	o := pl.Options[pl.Best]
	ex := ""
	if o.Extrapolated {
		ex = " (extrapolated)"
	}
	pl.Verdict = fmt.Sprintf("%s x %s%s meets %s: predicted %s, up to %s, %s runner-hours.",
		analyze.Plural(o.Workers, "worker"), analyze.Plural(o.Runners, "runner"), ex, analyze.FormatSeconds(in.Deadline),
		analyze.FormatSeconds(o.Prediction.Median), analyze.FormatSeconds(o.Prediction.Hi), FormatHours(o.RunnerHours))
	limit(&pl, in, o)
	return pl, nil
}

func checkPlanInput(in PlanInput) error {
	switch {
	case in.Images < 1:
		return fmt.Errorf("planning %d images: need at least 1", in.Images)
	case len(in.Workers) == 0:
		return fmt.Errorf("planning: no workers values")
	case in.Predict == nil:
		return fmt.Errorf("planning: no predictor")
	case in.RegistryBytesPerImage < 0 || in.RegistryBandwidth < 0 || !isFinite(in.RegistryBytesPerImage) || !isFinite(in.RegistryBandwidth):
		return fmt.Errorf("planning with %v registry bytes per image at %v bytes/s: must be finite and >= 0", in.RegistryBytesPerImage, in.RegistryBandwidth)
	}
	for _, w := range in.Workers {
		if w < 1 {
			return fmt.Errorf("planning %d workers per runner: need at least 1", w)
		}
	}
	return nil
}

// registrySeconds is the least time the shared registry link needs to move
// every image's bytes (0: unlimited or unknown).
func registrySeconds(in PlanInput) float64 {
	if !(in.RegistryBandwidth > 0) || !(in.RegistryBytesPerImage > 0) {
		return 0
	}
	s := float64(in.Images) * in.RegistryBytesPerImage / in.RegistryBandwidth
	return math.Min(s, math.MaxFloat64)
}

// RegistryBound bounds a build's prediction p by the registry: the build
// cannot end before the link has moved every byte (seconds), and at worst
// no transfer overlaps a build, so Lo and Median become at least seconds
// and Hi grows by seconds. bound says seconds is above the median of the
// builds alone. seconds <= 0 leaves p as it is.
func RegistryBound(p Prediction, seconds float64) (_ Prediction, bound bool) {
	if !(seconds > 0) {
		return p, false
	}
	bound = seconds > p.Median
	p.Lo = math.Max(p.Lo, seconds)
	p.Median = math.Max(p.Median, seconds)
	p.Mean = math.Max(p.Mean, seconds)
	p.Hi = math.Min(p.Hi+seconds, math.MaxFloat64)
	if p.Median > 0 && p.Images > 0 {
		p.ImagesPerHour = float64(p.Images) * 3600 / p.Median
		p.ImagesPerHourLo = float64(p.Images) * 3600 / p.Hi
		p.ImagesPerHourHi = float64(p.Images) * 3600 / p.Lo
	}
	p.Samples = nil
	if bound {
		p.Warnings = append(p.Warnings, fmt.Sprintf("the registry link needs at least %s for all images: it sets the time", analyze.FormatSeconds(seconds)))
	}
	return p, bound
}

// pick returns the best feasible option (-1: none): the fewest runner-hours
// among measured options (ties: fewer runners, then fewer workers); an
// extrapolated option wins only when its runner-hours at Hi are below the
// measured best's at Lo, and among extrapolated options only, the same
// order applies.
func pick(opts []PlanOption) int {
	bestM, bestX := -1, -1
	for i, o := range opts {
		switch {
		case !o.Feasible:
		case !o.Extrapolated:
			if bestM < 0 || better(o, opts[bestM]) {
				bestM = i
			}
		default:
			if bestX < 0 || better(o, opts[bestX]) {
				bestX = i
			}
		}
	}
	switch {
	case bestM < 0:
		return bestX
	case bestX < 0:
		return bestM
	}
	// The extrapolated option with the fewest runner-hours at Hi.
	x := -1
	for i, o := range opts {
		if o.Feasible && o.Extrapolated && (x < 0 || hiHours(o) < hiHours(opts[x])) {
			x = i
		}
	}
	if m := opts[bestM]; hiHours(opts[x]) < float64(m.Runners)*m.Prediction.Lo/3600 {
		return x
	}
	return bestM
}

func hiHours(o PlanOption) float64 { return float64(o.Runners) * o.Prediction.Hi / 3600 }

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

// fastest returns the option with the lowest Hi (ties: measured, fewer
// runners, fewer workers).
func fastest(opts []PlanOption) int {
	f := 0
	for i, o := range opts {
		b := opts[f]
		switch {
		case o.Prediction.Hi != b.Prediction.Hi:
			if o.Prediction.Hi < b.Prediction.Hi {
				f = i
			}
		case o.Extrapolated != b.Extrapolated:
			if !o.Extrapolated {
				f = i
			}
		case o.Runners != b.Runners:
			if o.Runners < b.Runners {
				f = i
			}
		case o.Workers < b.Workers:
			f = i
		}
	}
	return f
}

// Concurrency is the builds at once of w workers on a shard of images
// images at batch size batch (0: stream).
func Concurrency(w, batch, images int) int {
	if batch > 0 {
		w = min(w, batch)
	}
	if images > 0 {
		w = min(w, images)
	}
	return max(w, 1)
}

// limit fills the limiting resource of option o.
func limit(pl *Plan, in PlanInput, o PlanOption) {
	var parts []string
	k := Concurrency(o.Workers, in.Batch, o.ShardImages)
	builds := analyze.Plural(k, "build") + " at once per runner"
	if k < o.Workers {
		builds += fmt.Sprintf(" (%s, capped by the batch of %d)", analyze.Plural(o.Workers, "worker"), in.Batch)
	}
	cores, sweep := in.CoresPerRunner, in.SweepCores
	if cores <= 0 {
		cores = sweep
	}
	if sweep <= 0 {
		sweep = cores
	}
	switch {
	case in.NStar > 0 && isFinite(in.NStar):
		peak, on := in.NStar, ""
		if cores > 0 {
			peak = in.NStar * float64(cores) / float64(sweep)
			on = " on " + analyze.Plural(cores, "core")
		}
		note := ""
		if in.MeasuredMax > 0 && in.NStar > float64(in.MeasuredMax) {
			note = fmt.Sprintf(", extrapolated beyond the %s measured", analyze.Plural(in.MeasuredMax, "build"))
		}
		if cores > 0 && cores != sweep {
			note += fmt.Sprintf(", scaled from %.1f on the sweep's %s at equal builds per core (extrapolated)", in.NStar, analyze.Plural(sweep, "core"))
		}
		pl.CoreUse = float64(k) / peak
		parts = append(parts, fmt.Sprintf("%s against the USL peak of %.1f builds at once%s%s: %s of the peak",
			builds, peak, on, note, share(pl.CoreUse)))
	case cores > 0:
		pl.CoreUse = float64(k) / float64(cores)
		parts = append(parts, fmt.Sprintf("%s on %s: %s builds per core (no USL peak)", builds, analyze.Plural(cores, "core"), share(pl.CoreUse)))
	}
	if in.RegistryBytesPerImage > 0 && o.BuildSeconds > 0 {
		total := float64(in.Images) * in.RegistryBytesPerImage
		// At the pace of the builds alone.
		pl.RegistryDemand = math.Min(total/o.BuildSeconds, math.MaxFloat64)
		switch {
		case in.RegistryBandwidth <= 0:
			pl.Warnings = append(pl.Warnings, fmt.Sprintf(
				"registry bandwidth unknown: %s would move %s/s (%s in all)", analyze.Plural(o.Runners, "runner"), analyze.FormatBytes(pl.RegistryDemand), analyze.FormatBytes(total)))
		case o.RegistryBound:
			pl.RegistryUse = o.RegistrySeconds / o.BuildSeconds
			parts = append(parts, fmt.Sprintf("moving %s through a %s/s registry takes at least %s, longer than the builds' %s (%s of the bandwidth at their pace): the registry sets the time",
				analyze.FormatBytes(total), analyze.FormatBytes(in.RegistryBandwidth), analyze.FormatSeconds(o.RegistrySeconds), analyze.FormatSeconds(o.BuildSeconds), share(pl.RegistryUse)))
		default:
			pl.RegistryUse = pl.RegistryDemand / in.RegistryBandwidth
			parts = append(parts, fmt.Sprintf("%s %s %s/s of a %s/s registry: %s",
				analyze.Plural(o.Runners, "runner"), verbS(o.Runners, "move"), analyze.FormatBytes(pl.RegistryDemand), analyze.FormatBytes(in.RegistryBandwidth), share(pl.RegistryUse)))
		}
	}
	pl.PruneShare = o.Prediction.PruneShare
	pl.DiskUse = pl.PruneShare / PruneShareSaturated
	if o.Prediction.Prunes > 0 {
		parts = append(parts, fmt.Sprintf("prunes take %s of the predicted time (%.1f prunes per build)",
			share(pl.PruneShare), o.Prediction.Prunes))
	} else {
		parts = append(parts, "no prune is predicted")
	}

	best := 0.0
	for _, c := range []struct {
		name string
		use  float64
	}{{LimitCores, pl.CoreUse}, {LimitRegistry, pl.RegistryUse}, {LimitDisk, pl.DiskUse}} {
		if c.use > best {
			best, pl.Limit = c.use, c.name
		}
	}
	if best < 1 && in.Batch > 0 && k == in.Batch && k < o.ShardImages {
		pl.Limit = LimitBatch
		pl.Reason = capitalize(fmt.Sprintf("%s: no resource is saturated and the batch of %d holds every build a runner runs at once, so the limit is %s (more workers add nothing).",
			strings.Join(parts, "; "), in.Batch, pl.Limit))
		return
	}
	if pl.Limit == "" {
		pl.Reason = capitalize(strings.Join(parts, "; ") + ": no resource is measurably in use, so the limit is unknown.")
		pl.Warnings = append(pl.Warnings, "no core, registry or prune figures: limiting resource unknown")
		return
	}
	if best < 1 {
		pl.Reason = capitalize(fmt.Sprintf("%s: no resource is saturated; the closest is %s.", strings.Join(parts, "; "), pl.Limit))
		return
	}
	pl.Reason = capitalize(fmt.Sprintf("%s: the limit is %s.", strings.Join(parts, "; "), pl.Limit))
}

// FormatHours formats runner-hours: 12.3, 0.84, or 0.0042 below 1, with
// two significant digits (never a rounded 0.0 for a build that takes
// time, and never 0.11 and 0.14 both as "0.1" in a plan table whose rows
// are ranked by them beside a 0.077).
func FormatHours(h float64) string {
	if h > 0 && h < 1 {
		return fmt.Sprintf("%.2g", h)
	}
	return fmt.Sprintf("%.1f", h)
}

// share formats a share of a capacity: 45%, or 3.2e+05x beyond 10x.
func share(u float64) string {
	if u < 10 {
		return fmt.Sprintf("%.0f%%", 100*u)
	}
	return fmt.Sprintf("%.3gx", u)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Achieve predicts the build of in.Images images on runners runners with
// workers workers each: the prediction of the largest shard,
// ceil(images/runners) images, bounded by the registry (RegistryBound).
// More runners than images are cut to one image per runner, with a
// warning; more workers than the shard's images is an error (a smaller
// workers value does the same). in.Workers and in.Deadline are not used.
func Achieve(in PlanInput, runners, workers int) (PlanOption, []string, error) {
	switch {
	case in.Predict == nil:
		return PlanOption{}, nil, fmt.Errorf("achieving %d images: no predictor", in.Images)
	case runners < 1 || workers < 1 || in.Images < 1:
		return PlanOption{}, nil, fmt.Errorf("achieving %d images on %d runners x %d workers: all must be >= 1", in.Images, runners, workers)
	}
	var warns []string
	if runners > in.Images {
		warns = append(warns, fmt.Sprintf("%s for %s: planned on %s, one image each (the others would idle)",
			analyze.Plural(runners, "runner"), analyze.Plural(in.Images, "image"), analyze.Plural(in.Images, "runner")))
		runners = in.Images
	}
	shard := ceilDiv(in.Images, runners)
	if workers > shard {
		return PlanOption{}, warns, fmt.Errorf("achieving %d images on %d runners x %d workers: more workers than the %d images per runner", in.Images, runners, workers, shard)
	}
	regS := registrySeconds(in)
	if err := in.stopped(); err != nil {
		return PlanOption{}, warns, err
	}
	raw := in.Predict(workers, shard)
	if err := in.stopped(); err != nil {
		return PlanOption{}, warns, err
	}
	p, bound := RegistryBound(raw, regS)
	o := PlanOption{Workers: workers, Runners: ceilDiv(in.Images, shard), ShardImages: shard, Prediction: p,
		RegistrySeconds: regS, RegistryBound: bound, BuildSeconds: raw.Median, Extrapolated: p.Extrapolated}
	o.RunnerHours = float64(o.Runners) * p.Median / 3600
	o.Feasible = in.Deadline <= 0 || p.Hi <= in.Deadline
	return o, warns, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// verbS is verb agreeing with n subjects: "1 runner moves", "2 runners
// move".
func verbS(n int, verb string) string {
	if n == 1 {
		return verb + "s"
	}
	return verb
}
