package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

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
var proveForward = []string{"equivalence", "budget", "reps", "max-reps", "sample", "seed", "profile", "out", "temp", "attempts", "warmup", "trace",
	"registry-latency", "registry-error-rate", "registry-drop-rate", "prune-threshold", "prune-keep",
	"buildkit-addr", "tlscacert", "tlscert", "tlskey", "tlsservername",
	"registry", "state", "buildkitd", "max-parallelism", "registry-concurrency", "daemons",
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
	fs.IntVar(&images, "images", 0, fmt.Sprintf("images in the full build (default: the instance list the sweep drew its sample from, as its run.json records it; else %d)", evidence.DefaultImages))
	fs.StringVar(&af.equivalence, "equivalence", "3%", sweepUsage["equivalence"])
	fs.Uint64Var(&af.seed, "analysis-seed", 1, "seed of the analysis' resampling")
	// The sweep's own flags, forwarded.
	var sf stackFlags
	var src sourceFlags
	sf.register(fs)
	src.register(fs)
	var budget, latency time.Duration // passed on as given, read as the sweep reads them
	durationVar(fs, &budget, "budget", 0, sweepUsage["budget"])
	fs.Int("reps", 0, sweepUsage["reps"])
	fs.Int("max-reps", 0, sweepUsage["max-reps"])
	fs.Int("sample", 0, sweepUsage["sample"])
	fs.Int64("seed", 0, sweepUsage["seed"])
	fs.String("profile", "", sweepUsage["profile"])
	fs.String("out", "", sweepUsage["out"])
	resume := fs.String("resume", "", "finish the proof in this folder (an interrupted one, or a finished one to re-compute its verdict, which starts no BuildKit)")
	fs.String("temp", "", sweepUsage["temp"])
	fs.Int("attempts", 1, sweepUsage["attempts"])
	fs.Bool("warmup", true, sweepUsage["warmup"])
	fs.Bool("trace", false, sweepUsage["trace"])
	durationVar(fs, &latency, "registry-latency", 0, sweepUsage["registry-latency"])
	fs.Float64("registry-error-rate", 0, sweepUsage["registry-error-rate"])
	fs.Float64("registry-drop-rate", 0, sweepUsage["registry-drop-rate"])
	fs.String("prune-threshold", "0", pruneThresholdUsage)
	fs.String("prune-keep", "0", pruneKeepUsage)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := emptyValues(fs, sourceWants); err != nil {
		return err
	}
	if head == "" && *resume != "" {
		// A resumed proof is given the pair it was started with: name the
		// folder's problem, or the cells to give, rather than only --head.
		info, err := sweep.ReadRunInfo(*resume)
		if err != nil {
			return input.Errorf("--resume "+*resume, "%v; want the folder of a proof (with run.json)", err)
		}
		var cells []string
		for _, c := range info.Grid.Cells() {
			cells = append(cells, c.String())
		}
		return input.Errorf("--head", "missing: a resumed proof takes the --base and --head it was started with (the proof in %s measured %s)", *resume, strings.Join(cells, " and "))
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
	// A registry bandwidth is a condition the build runs under, not a
	// setting a pull request changes: base and head under two conditions
	// would credit the link's difference to the settings.
	if bb, hb := proveCondition(base), proveCondition(head); bb != hb {
		return input.Errorf("--head "+head, "runs under registry bandwidth %s and --base under %s: a bandwidth is a condition, not a setting; want both under the same one", hb, bb)
	}
	var claimD = int64(0)
	if claim != "" {
		d, err := input.Duration(claim)
		if err != nil {
			return input.Bad("--claim", err)
		}
		claimD = int64(d)
	}
	if fs.Changed("images") && (images < 1 || images > maxImages) {
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
		if err := proveResumeCells(*resume, base, head, fs.Changed("base")); err != nil {
			return err
		}
		out, sweepArgs = *resume, []string{"--resume", *resume}
	}
	// Every given sweep flag is passed on, also to a resumed sweep: where
	// to build (--buildkit-addr, --buildkitd, ...) is no part of run.json,
	// and a flag that would change the sweep (--sample, --profile, ...) is
	// refused by the sweep, never dropped.
	fs.Visit(func(f *pflag.Flag) {
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
	var sweepFailed *failedError
	if err := c.sweep(ctx, sweepArgs); err != nil && !errors.As(err, &sweepFailed) {
		// Failed builds are the verdict's to report (proveFailures).
		if errors.Is(err, context.Canceled) {
			// The sweep's own hint would resume a sweep, which gives no
			// verdict: the proof is resumed by prove.
			again := fmt.Sprintf("buildtune prove --resume %s --base %s --head %s", out, base, head)
			if claim != "" {
				again += " --claim " + claim
			}
			if fs.Changed("images") {
				again += fmt.Sprintf(" --images %d", images)
			}
			return fmt.Errorf("proof stopped, no verdict; what was recorded is in %s; resume with: %s: %w", out, again, context.Canceled)
		}
		return err
	}
	if sweepFailed != nil {
		fmt.Fprintf(c.stderr, "prove: %v\n", sweepFailed)
	}
	a, err := af.analyse(out)
	if err != nil {
		return err
	}
	// Without --images, the full build is the run's default, as for
	// recommend and plan: the instance list the sweep drew its sample
	// from (--instances), else the SWT-Bench images.
	// A resumed proof without --images keeps the target it was started
	// with: a verdict on another number of images would answer another
	// question, silently (a claim for 40 images refuted for 433).
	var target evidence.Target
	if fs.Changed("images") {
		target.Images = images
	} else if *resume != "" {
		if n := proofImages(*resume); n > 0 {
			target.Images = n
			fmt.Fprintf(c.stderr, "prove: --images %d, as the proof in %s was started with\n", n, *resume)
		}
	}
	v := evidence.ProveTarget(a, bc, hc, durationOf(claimD), target)
	// No prediction because the proof's own builds failed is neither bad
	// input nor an inconclusive budget: the builds failed (exit 1, as any
	// command whose builds failed), and the verdict says so.
	failedMsg := ""
	if v.Error != "" {
		if failedMsg = proveFailures(out, base, head); failedMsg != "" {
			v.ExitCode = exitFailed
			v.Markdown = fmt.Sprintf("### buildtune: no verdict, the builds failed\n\n%s; the prediction: %s\n", failedMsg, v.Error)
			v.Error = failedMsg + ": " + v.Error
		}
	}
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
	if failedMsg != "" {
		return &failedError{fmt.Sprintf("no verdict: %s (their errors are in %s)", failedMsg, filepath.Join(out, sweep.RecordsFile))}
	}
	switch v.ExitCode {
	case evidence.ExitBetter:
		return nil
	case evidence.ExitBadInput:
		return input.Errorf("prove", "%s", v.Error)
	default:
		return &exitError{code: v.ExitCode, msg: fmt.Sprintf("verdict: %s (exit %d)", v.Claim, v.ExitCode)}
	}
}

// proveCondition is the registry bandwidth a prove setting runs under, as
// the sweep labels its cells ("unlimited" when none is given).
func proveCondition(s string) string {
	c, err := sweep.ParseCell(s)
	if err != nil {
		return ""
	}
	if label, err := sweep.NormalizeBandwidth(c.Registry); err == nil {
		return label
	}
	return c.Registry
}

// proveResumeCells refuses a --base or --head that is not a cell of the
// proof in dir: its verdict would compare a setting the proof never
// measured (extrapolated, or from another cell), not the pair it was
// started with. baseGiven says --base was given (its default is the real
// CI defaults, which a resumed proof of other settings did not measure).
func proveResumeCells(dir, base, head string, baseGiven bool) error {
	info, err := sweep.ReadRunInfo(dir)
	if err != nil {
		return input.Errorf("--resume "+dir, "%v; want the folder of a proof (with run.json)", err)
	}
	var names []string
	for _, c := range info.Grid.Cells() {
		names = append(names, c.Name())
	}
	for _, s := range []struct{ flag, v string }{{"--base", base}, {"--head", head}} {
		c, err := sweep.ParseCell(s.v)
		if err != nil {
			return input.Bad(s.flag, err)
		}
		if label, err := sweep.NormalizeBandwidth(c.Registry); err == nil {
			c.Registry = label
		}
		if slices.Contains(names, c.Name()) {
			continue
		}
		flag := s.flag
		if flag == "--base" && !baseGiven {
			flag = "--base (default " + base + ")"
		}
		return input.Errorf(flag, "%s is not a cell of the proof in %s (its cells: %s); want the --base and --head it was started with", c.Name(), dir, strings.Join(names, ", "))
	}
	return nil
}

// proveFailures says how many images of base's and head's cells failed to
// build in the proof's sweep (warm-up trial aside), "" when none did.
func proveFailures(out, base, head string) string {
	set, err := record.ReadFile(filepath.Join(out, sweep.RecordsFile))
	if err != nil {
		return ""
	}
	var parts []string
	for _, s := range []struct{ label, v string }{{"base", base}, {"head", head}} {
		c, err := sweep.ParseCell(s.v)
		if err != nil {
			continue
		}
		if label, err := sweep.NormalizeBandwidth(c.Registry); err == nil {
			c.Registry = label
		}
		name := c.Name()
		failed, all := 0, 0
		for _, im := range set.Images {
			if im.Cell != name || im.Temp == record.TempWarmup {
				continue
			}
			all++
			if im.Status == record.StatusFailed {
				failed++
			}
		}
		if failed > 0 {
			parts = append(parts, fmt.Sprintf("%s %s: %d of %d images failed", s.label, name, failed, all))
		}
	}
	return strings.Join(parts, "; ")
}

// proofImages is the --images the proof in dir was started with, as its
// run.json's command line records it; 0 when it was started without one
// (or the folder's run.json is not a proof's).
func proofImages(dir string) int {
	info, err := sweep.ReadRunInfo(dir)
	if err != nil {
		return 0
	}
	cl := info.CommandLine
	i := slices.Index(cl, "prove")
	if i < 0 {
		return 0
	}
	n := 0
	for j := i + 1; j < len(cl); j++ {
		v, ok := strings.CutPrefix(cl[j], "--images=")
		if !ok && cl[j] == "--images" && j+1 < len(cl) {
			v, ok = cl[j+1], true
		}
		if ok {
			if k, err := strconv.Atoi(v); err == nil && k > 0 && k <= maxImages {
				n = k // the last one given wins, as for the flag
			}
		}
	}
	return n
}
