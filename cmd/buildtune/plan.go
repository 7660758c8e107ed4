package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/input"
)

// maxCores bounds --cores: far above any runner, and low enough that the
// workers scaled to it stay a plan that can be simulated.
const maxCores = 4096

func (c *cli) plan(ctx context.Context, args []string) error {
	var (
		af                  analysisFlags
		images, runners     int
		cores               int
		deadline, bandwidth string
		instances           string
	)
	fs := c.flags("plan")
	af.register(fs)
	fs.IntVar(&images, "images", 0, fmt.Sprintf("images to build (default: the instance list the sweep drew its sample from, as its run.json records it; else %d)", evidence.DefaultImages))
	fs.StringVar(&instances, "instances", "", "instance id list of the full build (one per line): its count, and its repos weight the per-image costs, as recommend's --instances")
	fs.StringVar(&deadline, "deadline", "", "finish within this (e.g. 3h): how many runners and workers")
	fs.IntVar(&runners, "runners", 0, "the reverse: what this many runners achieve")
	fs.IntVar(&cores, "cores", 0, "cores per runner (default, or 0: the sweep machine's)")
	fs.StringVar(&bandwidth, "registry-bandwidth", "unlimited", "the registry link shared by all runners (e.g. 100MiB/s); with a sweep of several registry bandwidths, the plan starts from the cells measured under this one, else under the unlimited registry")
	dirs, err := c.parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if fs.Changed("images") && (images < 1 || images > maxImages) {
		return input.Errorf("--images", "%d: want a positive number of images, at most %d", images, maxImages)
	}
	// --instances as recommend reads it (--images and --instances
	// together are bad input).
	tf := targetFlags{images: images, instances: instances, pruneThreshold: "0", pruneKeep: "0"}
	listed, err := tf.target(fs)
	if err != nil {
		return err
	}
	var d time.Duration
	switch {
	case deadline != "" && fs.Changed("runners"):
		return input.Errorf("--deadline and --runners", "give one of them")
	case deadline != "":
		if d, err = input.Duration(deadline); err != nil {
			return input.Bad("--deadline", err)
		}
		if d < time.Second {
			// A plan's times print to the hundredth of a second: 1ns
			// read "No plan meets 0.00s".
			return input.Errorf("--deadline "+deadline, "want at least 1s for a full build")
		}
	case fs.Changed("runners") && runners < 1:
		return input.Errorf(fmt.Sprintf("--runners %d", runners), "want a positive number of runners")
	case runners == 0:
		return input.Errorf("plan", "give --deadline D (how many runners) or --runners R (what they achieve)")
	}
	if cores < 0 || cores > maxCores {
		return input.Errorf(fmt.Sprintf("--cores %d", cores), "want a positive number of cores per runner, at most %d, or 0 for the sweep machine's", maxCores)
	}
	bw, err := input.Bandwidth(bandwidth)
	if err != nil {
		return input.Bad("--registry-bandwidth", err)
	}
	a, err := af.analyse(dirs[0])
	if err != nil {
		return err
	}
	// The target recommend predicts for: --images, else the run's default
	// (ResolveTarget, the list's repos included).
	var target evidence.Target
	switch {
	case instances != "":
		target, images = listed, listed.Count()
		fmt.Fprintf(c.stderr, "planning for %s\n", target.Describe())
	case fs.Changed("images"):
		target.Images = images
	default:
		// The list the sweep drew its sample from, else the SWT-Bench set.
		t := a.ResolveTarget(evidence.Target{})
		if images = t.Count(); images < 1 || images > maxImages {
			return input.Errorf(dirs[0], "its instance list holds %d instances: want 1 to %d, or give --images", images, maxImages)
		}
		if t.FromRun() {
			fmt.Fprintf(c.stderr, "planning for %s\n", t.Describe())
		}
		// Its repos weight the per-image costs, as recommend's do.
		target = t
	}
	c.warnRun(a.Warnings)
	if cores == 0 && a.Machine != nil {
		cores = a.Machine.Cores
	}
	basis, err := recommendedBasis(ctx, a, target, bw)
	if err != nil {
		return fmt.Errorf("plan stopped before it finished, nothing printed: %w", err)
	}
	if target.Count() == 0 {
		target.Images = images
	}
	p, err := a.PlanTargetContext(ctx, basis.name(), target, d, runners, cores, bw)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("plan stopped before it finished, nothing printed: %w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(c.stdout, basis.text(p))
	if !p.Met() {
		// A result, not a failure of the command: the table and the
		// verdict are on stdout; exit 1 as prove does for a refuted claim.
		return &exitError{code: exitFailed, msg: "no plan meets the deadline (exit 1)"}
	}
	return nil
}

// planBasis is what a plan starts from: recommend's pick, so that plan
// sizes runners for the configuration recommend and report tell the user
// to use, not for the best measured cell, which can be another (recommend
// ranks by the predicted full build, and picks the cheapest of those
// equivalent to the fastest; the best measured cell has the highest
// median images/hour of the sample's trials).
type planBasis struct {
	// rec is recommend's pick (nil when recommend has none, and why is
	// in recErr); best is the best measured cell's name.
	rec    *evidence.Recommendation
	recErr error
	best   string
}

// name is the cell to plan from: recommend's pick, or "" (the best
// measured cell) when it has none.
func (b planBasis) name() string {
	if b.rec == nil {
		return ""
	}
	return b.rec.Recommended.Name
}

// recommendedBasis recommends for target under the condition a plan at
// registry bandwidth bw starts from (the one measured at bw, else the
// unlimited registry). A run recommend has no pick for is planned from
// its best measured cell, and the plan's first line says why. The
// recommendation cannot be stopped halfway: a cancelled ctx ends the wait
// for it (the error wraps ctx's).
func recommendedBasis(ctx context.Context, a *evidence.Analysis, target evidence.Target, bw int64) (planBasis, error) {
	b := planBasis{best: a.Comparisons.Best}
	cons := evidence.Constraints{Target: target}
	if conds := a.Conditions(); len(conds) > 1 {
		want := "unlimited"
		if bw > 0 {
			want = input.FormatBandwidth(bw)
		}
		if !slices.Contains(conds, want) {
			want = "unlimited"
		}
		if !slices.Contains(conds, want) {
			return b, nil // the plan refuses it, naming the conditions
		}
		cons.Registry = want
	}
	if err := ctx.Err(); err != nil {
		return b, err
	}
	type answer struct {
		rec evidence.Recommendation
		err error
	}
	done := make(chan answer, 1)
	go func() {
		rec, err := a.Recommend(cons)
		done <- answer{rec, err}
	}()
	var ans answer
	select {
	case <-ctx.Done():
		return b, ctx.Err()
	case ans = <-done:
	}
	if ans.err != nil {
		b.recErr = ans.err
		return b, nil
	}
	b.rec = &ans.rec
	return b, nil
}

// text is the plan's text, its first line saying what the basis is: recommend's pick, and
// the best measured cell when that is another; or the best measured cell, and why recommend's
// pick is not the basis.
func (b planBasis) text(p evidence.CapacityPlan) string {
	const why = "recommend ranks by the predicted full build, the cheapest of those equivalent to the fastest first, not by the sample's median images/hour"
	switch {
	case b.rec == nil:
		reason := "it has none"
		if b.recErr != nil {
			reason = oneLine(b.recErr)
		}
		p.BasisNote = fmt.Sprintf("the best measured cell: %s; not recommend's pick: %s", p.Basis, reason)
	case p.Basis == b.rec.Recommended.Config:
		pick := "recommend's pick"
		if !b.rec.Confident {
			pick = "recommend's best so far, not confident"
		}
		p.BasisNote = fmt.Sprintf("%s: %s", pick, p.Basis)
		if b.best != "" && b.best != b.rec.Recommended.Name {
			p.BasisNote += fmt.Sprintf("; not the best measured cell, %s: %s", b.best, why)
		}
	default:
		p.BasisNote = fmt.Sprintf("the best measured cell: %s; not recommend's pick, %s: %s", p.Basis, b.rec.Recommended.Config, why)
	}
	return p.Text()
}
