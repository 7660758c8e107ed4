package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workflow"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/reports"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/spf13/pflag"
)

// analysisFlags are the flags of every command that analyses a run.
type analysisFlags struct {
	baseline    string
	equivalence string
	seed        uint64
}

func (f *analysisFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.baseline, "baseline", evidence.DefaultBaseline.String(), "configuration to compare against (the real CI defaults); may lie outside the grid")
	fs.StringVar(&f.equivalence, "equivalence", "3%", "margin within which two cells count as equivalent (two one-sided tests)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of every resampling")
}

// options checks the flags (bad input: a usage error) and returns the
// analysis options; a command that builds first calls it before it starts.
func (f *analysisFlags) options() (evidence.Options, error) {
	base, err := evidence.ParseConfig(f.baseline)
	if err != nil {
		return evidence.Options{}, input.Bad("--baseline", err)
	}
	margin, err := input.Fraction(f.equivalence)
	if err != nil || margin <= 0 || margin >= 1 {
		return evidence.Options{}, input.Errorf("--equivalence", "%q: want a margin such as 3%% (between 0 and 100%%)", f.equivalence)
	}
	return evidence.Options{Baseline: base, EquivalenceMargin: margin, Seed: f.seed}, nil
}

// analyse loads and analyses the run folder dir.
func (f *analysisFlags) analyse(dir string) (*evidence.Analysis, error) {
	o, err := f.options()
	if err != nil {
		return nil, err
	}
	run, err := evidence.Load(dir)
	if err != nil {
		return nil, err
	}
	return evidence.Analyze(run, o)
}

// runDir takes the one RUN argument of fs.
func runDir(fs *pflag.FlagSet, n int) ([]string, error) {
	if fs.NArg() != n {
		return nil, usagef("%s: want %d run folder(s), got %d", fs.Name(), n, fs.NArg())
	}
	return fs.Args(), nil
}

// parseArgs parses flags that take positional run folders.
func (c *cli) parseArgs(fs *pflag.FlagSet, args []string, n int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			c.usage(fs)
			return nil, errHelp
		}
		return nil, usagef("%s: %v", fs.Name(), err)
	}
	return runDir(fs, n)
}

func (c *cli) analyze(_ context.Context, args []string) error {
	var af analysisFlags
	var out string
	fs := c.flags("analyze")
	af.register(fs)
	fs.StringVar(&out, "out", "", "folder of analysis.json (default: the run folder; give one for a read-only run)")
	dirs, err := c.parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := checkFolderFlag(fs, "out", out); err != nil {
		return err
	}
	if err := checkReportOut(out, dirs[0], "analysis.json"); err != nil {
		return err
	}
	if err := checkOutFiles(cmp.Or(out, dirs[0]), "analysis.json"); err != nil {
		return err
	}
	a, err := af.analyse(dirs[0])
	if err != nil {
		return err
	}
	if out == "" {
		out = dirs[0]
	} else {
		// A folder made here and left empty by a failure goes again.
		made := missingDirs(out)
		defer made.removeEmpty()
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("creating --out %s: %w", out, err)
		}
	}
	path := filepath.Join(out, "analysis.json")
	if err := a.WriteJSON(path); err != nil {
		return err
	}
	fmt.Fprint(c.stdout, reports.AnalysisSummary(a))
	fmt.Fprintf(c.stdout, "full build: %s\n", a.ResolveTarget(evidence.Target{}).Describe())
	fmt.Fprintf(c.stdout, "analysis: %s\n", path)
	return nil
}

// targetFlags say which full build to predict.
type targetFlags struct {
	images         int
	instances      string
	pruneThreshold string
	pruneKeep      string
}

func (f *targetFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.images, "images", 0, fmt.Sprintf("images in the full build (default: the instance list the sweep drew its sample from, as its run.json records it; else %d)", evidence.DefaultImages))
	fs.StringVar(&f.instances, "instances", "", "instance id list of the full build (one per line): its repos weight the per-image costs")
	fs.StringVar(&f.pruneThreshold, "prune-threshold", "0", "the full build's prune threshold (e.g. 60GiB; 0 = none)")
	fs.StringVar(&f.pruneKeep, "prune-keep", "0", "what a prune keeps (e.g. 40GiB)")
}

// target is the build the flags name. Without --images or --instances
// its count is left zero: the analysis' default build, which
// Analysis.ResolveTarget fills in once the run is read (the instance list
// the sweep drew its sample from, else 433 images). An explicit --images
// wins over that list.
func (f *targetFlags) target(fs *pflag.FlagSet) (evidence.Target, error) {
	var t evidence.Target
	if fs.Changed("images") {
		if f.images < 1 || f.images > maxImages {
			return t, input.Errorf("--images", "%d: want a positive number of images, at most %d", f.images, maxImages)
		}
		t.Images = f.images
	}
	if f.instances != "" {
		if fs.Changed("images") {
			return t, input.Errorf("--images and --instances", "give one of them")
		}
		data, err := readSmallFile("--instances", f.instances, maxInstancesBytes, "want a list of instance ids, one a line")
		if err != nil {
			return t, err
		}
		insts, err := workload.ParseInstanceList(data, f.instances)
		if err != nil {
			return t, input.Bad("--instances", err)
		}
		var ids []string
		for _, in := range insts {
			ids = append(ids, in.ID)
		}
		if len(ids) > maxImages {
			return t, input.Errorf("--instances "+f.instances, "%d instances: want at most %d", len(ids), maxImages)
		}
		t.Repos, t.Images = evidence.ReposOf(ids), len(ids)
		t.Name = fmt.Sprintf("the %s of %s", analyze.Plural(len(ids), "instance"), filepath.Base(f.instances))
	}
	var err error
	if t.PruneThreshold, t.PruneKeep, err = input.PruneSizes(f.pruneThreshold, f.pruneKeep); err != nil {
		return t, err
	}
	return t, nil
}

// resolveTarget is the build to predict once the run is read: t, or the
// run's default (Analysis.ResolveTarget), which is bad input past
// maxImages, as --images is.
func resolveTarget(a *evidence.Analysis, t evidence.Target) (evidence.Target, error) {
	t = a.ResolveTarget(t)
	if n := t.Count(); n > maxImages {
		return t, input.Errorf(a.Dir, "its run.json lists %d instances to predict: want at most %d; give --images N", n, maxImages)
	}
	return t, nil
}

func (c *cli) recommend(_ context.Context, args []string) error {
	var (
		af                         analysisFlags
		tf                         targetFlags
		deadline, maxBytes         string
		maxWorkers                 int
		asJSON, write              bool
		wfFile, job, step, format_ string
		regBW                      string
	)
	fs := c.flags("recommend")
	af.register(fs)
	tf.register(fs)
	fs.StringVar(&regBW, "registry-bandwidth", "", conditionUsage)
	fs.StringVar(&deadline, "deadline", "", deadlineUsage)
	fs.IntVar(&maxWorkers, "max-workers", 0, "at most this many workers (0 = no limit)")
	fs.StringVar(&maxBytes, "max-registry-bytes", "0", "at most this many bytes sent to the registry by the full build (e.g. 500GiB; 0 = no limit)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object to stdout")
	fs.StringVar(&wfFile, "workflow", "", "GitHub Actions workflow file whose knobs (MAX_WORKERS, BUILD_BATCH_SIZE, OPENHANDS_BUILDKIT_CACHE_MODE) to rewrite")
	fs.BoolVar(&write, "write", false, "with --workflow: apply the change instead of printing the diff")
	fs.StringVar(&job, "job", "", "with --workflow: only this job")
	fs.StringVar(&step, "step", "", "with --workflow: only this step (name or id)")
	fs.StringVar(&format_, "format", "diff", "with --workflow: diff, or env (KEY=VALUE lines)")
	dirs, err := c.parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := checkWorkflowFlags(fs); err != nil {
		return err
	}
	cons := evidence.Constraints{MaxWorkers: maxWorkers}
	if cons.Target, err = tf.target(fs); err != nil {
		return err
	}
	if deadline != "" {
		if cons.Deadline, err = input.Duration(deadline); err != nil {
			return input.Bad("--deadline", err)
		}
	}
	if maxWorkers < 0 {
		return input.Errorf("--max-workers", "%d: want 0 (no limit) or more", maxWorkers)
	}
	if cons.MaxRegistryBytes, err = input.Size(maxBytes); err != nil {
		return input.Bad("--max-registry-bytes", err)
	}
	if format_ != "diff" && format_ != "env" {
		return input.Errorf("--format", "%q: want diff or env", format_)
	}
	if (write || job != "" || step != "" || fs.Changed("format")) && wfFile == "" {
		return input.Errorf("--write, --job, --step and --format", "they need --workflow FILE")
	}
	var src []byte
	if wfFile != "" {
		if src, err = readSmallFile("--workflow", wfFile, maxWorkflowBytes, "want a GitHub Actions workflow file (or action.yml)"); err != nil {
			return err
		}
	}
	a, err := af.analyse(dirs[0])
	if err != nil {
		return err
	}
	c.warnRun(a.Warnings)
	if err := checkCondition(a, regBW); err != nil {
		return err
	}
	if cons.Target, err = resolveTarget(a, cons.Target); err != nil {
		return err
	}
	cons.Registry = regBW
	if regBW == "" && len(a.Conditions()) > 1 {
		if wfFile != "" {
			return input.Errorf("--registry-bandwidth", "the sweep measured the registry bandwidths %s (conditions, not settings): give the one the CI build runs under to rewrite --workflow",
				strings.Join(a.Conditions(), ", "))
		}
		return c.recommendEach(a, cons, asJSON)
	}
	rec, err := a.Recommend(cons)
	if err != nil {
		return err
	}
	if wfFile != "" {
		return c.rewriteWorkflow(wfFile, src, rec, workflow.Options{Job: job, Step: step}, write, format_)
	}
	if asJSON {
		b, err := rec.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s\n", b)
		return nil
	}
	fmt.Fprint(c.stdout, reports.RecommendationText(rec))
	return nil
}

// deadlineUsage is the help of recommend's and report's --deadline.
const deadlineUsage = "the full build must finish within this (e.g. 3h), at the upper end of its interval"

const conditionUsage = "the registry bandwidth condition to decide for (e.g. 16MiB/s or unlimited), for a sweep that measured several with --registry-bandwidth (default: one decision per condition)"

// checkCondition checks a --registry-bandwidth condition against those the
// sweep measured ("" names none).
func checkCondition(a *evidence.Analysis, v string) error {
	if v == "" {
		return nil
	}
	n, err := input.Bandwidth(v)
	if err != nil {
		return input.Bad("--registry-bandwidth", err)
	}
	if conds := a.Conditions(); !slices.Contains(conds, input.FormatBandwidth(n)) {
		return input.Errorf("--registry-bandwidth "+v, "not measured by the sweep, which measured %s", strings.Join(conds, ", "))
	}
	return nil
}

// recommendEach prints one recommendation per registry bandwidth condition
// (a JSON array with --json); it fails only when no condition has one.
func (c *cli) recommendEach(a *evidence.Analysis, cons evidence.Constraints, asJSON bool) error {
	results := a.RecommendEach(cons)
	var firstErr error
	var objs []any
	var b strings.Builder
	fmt.Fprintf(&b, "The sweep measured the registry bandwidths %s: a condition the build runs under, not a setting. One recommendation each (--registry-bandwidth picks one), for %s.\n",
		strings.Join(a.Conditions(), ", "), cons.Target.Describe())
	for _, r := range results {
		fmt.Fprintf(&b, "\n== registry bandwidth %s ==\n", r.Registry)
		if r.Err != nil {
			firstErr = cmp.Or(firstErr, r.Err)
			fmt.Fprintf(&b, "no recommendation: %s\n", oneLine(r.Err))
			objs = append(objs, map[string]string{"registry_bandwidth": r.Registry, "error": oneLine(r.Err)})
			continue
		}
		b.WriteString(reports.RecommendationText(r.Recommendation))
		objs = append(objs, r.Recommendation)
	}
	if firstErr != nil && len(results) > 0 && !slices.ContainsFunc(results, func(r evidence.ConditionRecommendation) bool { return r.Err == nil }) {
		return firstErr
	}
	if asJSON {
		out, err := json.MarshalIndent(objs, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s\n", out)
		return nil
	}
	fmt.Fprint(c.stdout, b.String())
	return nil
}

func (c *cli) validate(_ context.Context, args []string) error {
	var af analysisFlags
	fs := c.flags("validate")
	af.register(fs)
	dirs, err := c.parseArgs(fs, args, 2)
	if err != nil {
		return err
	}
	if err := checkOutFiles(dirs[1], "validation.json"); err != nil {
		return err
	}
	a, err := af.analyse(dirs[0])
	if err != nil {
		return err
	}
	full, err := evidence.Load(dirs[1])
	if err != nil {
		return err
	}
	c.warnRun(a.Warnings)
	c.warnRun(full.Warnings)
	v, err := evidence.Validate(a, full, evidence.Config{})
	if err != nil {
		return err
	}
	fmt.Fprint(c.stdout, reports.ValidationText(v))
	return record.WriteJSONAtomic(filepath.Join(dirs[1], evidence.ValidationFile), v)
}

func (c *cli) report(_ context.Context, args []string) error {
	var (
		af          analysisFlags
		tf          targetFlags
		out         string
		validations []string
		regBW       string
		deadline    string
	)
	fs := c.flags("report")
	af.register(fs)
	tf.register(fs)
	fs.StringVar(&regBW, "registry-bandwidth", "", conditionUsage)
	fs.StringVar(&deadline, "deadline", "", deadlineUsage+"; the decision and the predictions chart mark it")
	fs.StringVar(&out, "out", "", "folder of report.md, report.html, plots/ and analysis.json (default: the run folder)")
	fs.StringArrayVar(&validations, "validation", nil, "a full build folder validated with 'buildtune validate' (its validation.json): predicted against measured; repeatable")
	dirs, err := c.parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := checkFolderFlag(fs, "out", out); err != nil {
		return err
	}
	if err := checkReportOut(out, dirs[0], "analysis.json, report.md, report.html and plots/"); err != nil {
		return err
	}
	if err := checkOutFiles(cmp.Or(out, dirs[0]), "report.md", "report.html", "analysis.json", reports.PlotDir); err != nil {
		return err
	}
	t, err := tf.target(fs)
	if err != nil {
		return err
	}
	cons := evidence.Constraints{Registry: regBW}
	if deadline != "" {
		if cons.Deadline, err = input.Duration(deadline); err != nil {
			return input.Bad("--deadline", err)
		}
	}
	var vs []evidence.Validation
	for _, dir := range validations {
		// The file validate wrote, given for its folder, was refused as
		// "open FILE/validation.json: not a directory".
		if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
			if filepath.Base(dir) != evidence.ValidationFile {
				return input.Errorf("--validation "+dir, "a file; want a full build folder validated with 'buildtune validate' (it holds %s)", evidence.ValidationFile)
			}
			dir = filepath.Dir(dir)
		}
		v, err := evidence.ReadValidation(dir)
		if err != nil {
			return fmt.Errorf("--validation: %w", err)
		}
		vs = append(vs, v)
	}
	a, err := af.analyse(dirs[0])
	if err != nil {
		return err
	}
	if err := checkCondition(a, regBW); err != nil {
		return err
	}
	if out == "" {
		out = dirs[0]
	}
	if t, err = resolveTarget(a, t); err != nil {
		return err
	}
	cons.Target = t
	d, err := reports.FromAnalysis(a, cons)
	if err != nil {
		return err
	}
	reports.AddValidations(&d, vs)
	// The folders reports.Write makes (out, its plots) go again if it
	// fails leaving them empty.
	made := missingDirs(filepath.Join(out, reports.PlotDir))
	if _, err = reports.Write(out, d); err != nil {
		made.removeEmpty()
		return err
	}
	// Beside the report, so --out makes a report folder that stands alone
	// and a read-only run folder is never written.
	if err := a.WriteJSON(filepath.Join(out, "analysis.json")); err != nil {
		return err
	}
	if s := os.Getenv("GITHUB_STEP_SUMMARY"); s != "" {
		md, err := os.ReadFile(filepath.Join(out, "report.md"))
		if err == nil {
			f, ferr := os.OpenFile(s, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if ferr == nil {
				_, ferr = f.Write(md)
				f.Close()
			}
			if ferr != nil {
				// A warning, as build's: the report is written, and exit 0
				// says so; "buildtune: ..." read as the command's failure.
				fmt.Fprintf(c.stderr, "warning: writing the step summary ($GITHUB_STEP_SUMMARY): %v (the report is written)\n", ferr)
			}
		}
	}
	fmt.Fprintf(c.stdout, "predictions for %s\n", t.Describe())
	fmt.Fprintf(c.stdout, "report: %s\n", filepath.Join(out, "report.md"))
	return nil
}

// warnRun prints what a run was read and analysed with reservations (a
// torn last line, trials that do not count, records of several runs,
// cells without built images) on stderr, one line each: a command whose
// answer is a recommendation or a plan must not hide them, and its stdout
// may be JSON.
func (c *cli) warnRun(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(c.stderr, "buildtune: warning: %s\n", w)
	}
}

// checkReportOut refuses (bad input, before anything is written) an --out folder of analyze or
// report that holds another run: its run.json or records.jsonl, next to which what the command
// writes (writes: analysis.json, a report) would pass for that run's own and replace its own.
// The run folder itself (by any path to it) is where they belong; "" is the run folder.
func checkReportOut(out, runDir, writes string) error {
	if out == "" {
		return nil
	}
	if o, err := os.Stat(out); err != nil {
		return nil // made by the command: it holds nothing yet
	} else if r, err := os.Stat(runDir); err == nil && os.SameFile(o, r) {
		return nil
	}
	for _, name := range []string{sweep.RunInfoFile, sweep.RecordsFile} {
		if _, err := os.Lstat(filepath.Join(out, name)); err == nil {
			return input.Errorf("--out "+out, "holds %s of another run than %s: the %s written there would replace that run's or pass for them; want a new folder, or the run folder itself",
				name, runDir, writes)
		}
	}
	return nil
}

// checkOutFiles refuses (bad input, before anything is written) a folder
// where an evidence command writes one of its files (names: analysis.json,
// report.md, ...) into dir, and a file where it makes the folder plots/ or
// a folder where it writes a chart: the atomic rename into place cannot
// replace them, and it failed after the report's other files were written,
// as an error of no class (exit 1, the exit of failed builds) naming a
// temporary file.
func checkOutFiles(dir string, names ...string) error {
	for _, name := range names {
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			continue // missing (or unreadable: the write says why)
		}
		if name == reports.PlotDir {
			if !fi.IsDir() {
				return input.Errorf(path, "a file, where the report's charts go; want a folder (or nothing there)")
			}
			entries, err := os.ReadDir(path)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if ext := filepath.Ext(e.Name()); e.IsDir() && (ext == ".png" || ext == ".svg") {
					return input.Errorf(filepath.Join(path, e.Name()), "a folder, where a chart is written; want a file (or nothing there)")
				}
			}
			continue
		}
		if fi.IsDir() {
			return input.Errorf(path, "a folder, where %s is written; want a file (or nothing there)", name)
		}
	}
	return nil
}
