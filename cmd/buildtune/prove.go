package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/spf13/pflag"
)

// exitError ends a command with a given status after its output.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// proveForward are the sweep flags prove passes on when given.
var proveForward = []string{"budget", "reps", "sample", "seed", "profile", "out", "temp", "attempts", "warmup",
	"registry-latency", "registry-error-rate", "registry-drop-rate", "prune-threshold", "prune-keep",
	"buildkit-addr", "registry", "state", "buildkitd", "max-parallelism", "registry-concurrency", "daemons",
	"workload", "instances", "context", "dockerfile", "target", "base-image", "tag", "cache-ref", "build-arg", "docker-auth"}

// prove runs the paired, interleaved sweep of a pull request's base and
// head settings, predicts both full builds and prints a verdict.
func (c *cli) prove(ctx context.Context, args []string) error {
	var (
		base, head string
		claim      string
		images     int
		af         analysisFlags
	)
	fs := c.flags("prove")
	fs.StringVar(&base, "base", evidence.DefaultBaseline.String(), "the current settings (the real CI defaults)")
	fs.StringVar(&head, "head", "", "the proposed settings, e.g. workers=16,batch=50,cache=min")
	fs.StringVar(&claim, "claim", "", "the pull request's claim for the full build, e.g. 3h: holds, refuted or inconclusive")
	fs.IntVar(&images, "images", evidence.DefaultImages, "images in the full build")
	fs.StringVar(&af.equivalence, "equivalence", "3%", "margin within which two settings count as equivalent")
	fs.Uint64Var(&af.seed, "analysis-seed", 1, "seed of the analysis' resampling")
	// The sweep's own flags, forwarded.
	var sf stackFlags
	var src sourceFlags
	sf.register(fs)
	src.register(fs)
	fs.Duration("budget", 0, "time budget: adaptive reps (successive halving) within it")
	fs.Int("reps", 0, "fixed reps per setting instead of a budget")
	fs.Int("sample", 0, "instances in the sample")
	fs.Int64("seed", 0, "seed of the sample and the trial order")
	fs.String("profile", "", "fixture profile")
	fs.String("out", "", "output folder (default runs/<timestamp>)")
	resume := fs.String("resume", "", "finish the proof in this folder (an interrupted one, or a finished one to re-compute its verdict)")
	fs.String("temp", "", "trial temperatures")
	fs.Int("attempts", 1, "attempts per image")
	fs.Bool("warmup", true, "one warm-up trial first")
	fs.Duration("registry-latency", 0, "latency added to every registry request")
	fs.Float64("registry-error-rate", 0, "fraction of registry requests answered 429/503")
	fs.Float64("registry-drop-rate", 0, "fraction of registry connections dropped")
	fs.String("prune-threshold", "0", "prune threshold of the sweep's builds")
	fs.String("prune-keep", "0", "what a prune keeps")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if head == "" {
		return input.Errorf("--head", "missing: want the proposed settings, e.g. workers=16,batch=50,cache=min")
	}
	for _, s := range []struct{ flag, v string }{{"--base", base}, {"--head", head}} {
		if _, err := sweep.ParseCell(s.v); err != nil {
			return input.Bad(s.flag, err)
		}
	}
	bc, _ := evidence.ParseConfig(base)
	hc, err := evidence.ParseConfig(head)
	if err != nil {
		return input.Bad("--head", err)
	}
	if bc == hc {
		return input.Errorf("--base and --head", "the same settings %s: nothing to prove", base)
	}
	var claimD = int64(0)
	if claim != "" {
		d, err := input.Duration(claim)
		if err != nil {
			return input.Bad("--claim", err)
		}
		claimD = int64(d)
	}
	if images < 1 || images > maxImages {
		return input.Errorf("--images", "%d: want a positive number of images, at most %d", images, maxImages)
	}
	af.baseline = base
	if _, err := af.options(); err != nil {
		return err // before the sweep: a bad margin must not cost a budget of builds
	}
	out, _ := fs.GetString("out")
	if out == "" {
		out = defaultOut()
	}
	sweepArgs := []string{"--config", base, "--config", head, "--out", out}
	if *resume != "" {
		if fs.Changed("out") {
			return input.Errorf("--resume and --out", "give one: --resume continues the proof in its own folder")
		}
		out, sweepArgs = *resume, []string{"--resume", *resume}
	}
	fs.Visit(func(f *pflag.Flag) {
		if *resume != "" {
			return // the folder's run.json holds the sweep's settings
		}
		for _, name := range proveForward {
			if f.Name == name && name != "out" {
				if sv, ok := f.Value.(pflag.SliceValue); ok {
					for _, v := range sv.GetSlice() {
						sweepArgs = append(sweepArgs, "--"+name+"="+v)
					}
				} else {
					sweepArgs = append(sweepArgs, "--"+name+"="+f.Value.String())
				}
			}
		}
	})
	if err := c.sweep(ctx, sweepArgs); err != nil {
		return err
	}
	a, err := af.analyse(out)
	if err != nil {
		return err
	}
	v := evidence.Prove(a, bc, hc, durationOf(claimD), images)
	fmt.Fprintln(c.stdout)
	fmt.Fprint(c.stdout, v.Markdown)
	path := filepath.Join(out, "verdict.md")
	if err := record.WriteAtomic(path, []byte(v.Markdown)); err != nil {
		return err
	}
	if err := record.WriteJSONAtomic(filepath.Join(out, "verdict.json"), v); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "verdict: %s\n", path)
	switch v.ExitCode {
	case evidence.ExitBetter:
		return nil
	case evidence.ExitBadInput:
		return input.Errorf("prove", "%s", v.Error)
	default:
		return &exitError{code: v.ExitCode, msg: fmt.Sprintf("verdict: %s (exit %d)", v.Claim, v.ExitCode)}
	}
}
