package main

import (
	"context"
	"errors"
	"fmt"
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
	)
	fs := c.flags("plan")
	af.register(fs)
	fs.IntVar(&images, "images", 0, fmt.Sprintf("images to build (default: the instance list the sweep drew its sample from, as its run.json records it; else %d)", evidence.DefaultImages))
	fs.StringVar(&deadline, "deadline", "", "finish within this (e.g. 3h): how many runners and workers")
	fs.IntVar(&runners, "runners", 0, "the reverse: what this many runners achieve")
	fs.IntVar(&cores, "cores", 0, "cores per runner (default: the sweep machine's)")
	fs.StringVar(&bandwidth, "registry-bandwidth", "unlimited", "the registry link shared by all runners (e.g. 100MiB/s); with a sweep of several registry bandwidths, the plan starts from the cells measured under this one, else under the unlimited registry")
	dirs, err := c.parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if fs.Changed("images") && (images < 1 || images > maxImages) {
		return input.Errorf("--images", "%d: want a positive number of images, at most %d", images, maxImages)
	}
	var d time.Duration
	switch {
	case deadline != "" && runners != 0:
		return input.Errorf("--deadline and --runners", "give one of them")
	case deadline != "":
		if d, err = input.Duration(deadline); err != nil {
			return input.Bad("--deadline", err)
		}
	case runners < 0:
		return input.Errorf("--runners", "%d: want a positive number of runners", runners)
	case runners == 0:
		return input.Errorf("plan", "give --deadline D (how many runners) or --runners R (what they achieve)")
	}
	if cores < 0 || cores > maxCores {
		return input.Errorf("--cores", "%d: want a positive number of cores, at most %d", cores, maxCores)
	}
	bw, err := input.Bandwidth(bandwidth)
	if err != nil {
		return input.Bad("--registry-bandwidth", err)
	}
	a, err := af.analyse(dirs[0])
	if err != nil {
		return err
	}
	if !fs.Changed("images") {
		// The list the sweep drew its sample from, else the SWT-Bench set.
		t := a.ResolveTarget(evidence.Target{})
		if images = t.Count(); images < 1 || images > maxImages {
			return input.Errorf(dirs[0], "its instance list holds %d instances: want 1 to %d, or give --images", images, maxImages)
		}
		if t.FromRun() {
			fmt.Fprintf(c.stderr, "planning for %s\n", t.Describe())
		}
	}
	c.warnRun(a.Warnings)
	if cores == 0 && a.Machine != nil {
		cores = a.Machine.Cores
	}
	p, err := a.PlanContext(ctx, images, d, runners, cores, bw)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("plan stopped before it finished, nothing printed: %w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(c.stdout, p.Text())
	if !p.Met() {
		// A result, not a failure of the command: the table and the
		// verdict are on stdout; exit 1 as prove does for a refuted claim.
		return &exitError{code: exitFailed, msg: "no plan meets the deadline (exit 1)"}
	}
	return nil
}
