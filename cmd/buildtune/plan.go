package main

import (
	"context"
	"fmt"
	"time"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/input"
)

func (c *cli) plan(_ context.Context, args []string) error {
	var (
		af                  analysisFlags
		images, runners     int
		cores               int
		deadline, bandwidth string
	)
	fs := c.flags("plan")
	af.register(fs)
	fs.IntVar(&images, "images", evidence.DefaultImages, "images to build")
	fs.StringVar(&deadline, "deadline", "", "finish within this (e.g. 3h): how many runners and workers")
	fs.IntVar(&runners, "runners", 0, "the reverse: what this many runners achieve")
	fs.IntVar(&cores, "cores", 0, "cores per runner (default: the sweep machine's)")
	fs.StringVar(&bandwidth, "registry-bandwidth", "unlimited", "the registry link shared by all runners (e.g. 100MiB/s)")
	dirs, err := c.parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if images < 1 {
		return input.Errorf("--images", "%d: want a positive number of images", images)
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
	if cores < 0 {
		return input.Errorf("--cores", "%d: want a positive number", cores)
	}
	bw, err := input.Bandwidth(bandwidth)
	if err != nil {
		return input.Bad("--registry-bandwidth", err)
	}
	a, err := af.analyse(dirs[0])
	if err != nil {
		return err
	}
	c.warnRun(a.Warnings)
	if cores == 0 && a.Machine != nil {
		cores = a.Machine.Cores
	}
	p, err := a.Plan(images, d, runners, cores, bw)
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
