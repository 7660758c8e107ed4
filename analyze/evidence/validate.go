package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/model"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// Validation compares a sweep's prediction of a full build with the
// build's measured wall time.
type Validation struct {
	Config Config `json:"config"`
	// Images is the number of instances built (a three-phase instance's
	// base and assembly count once, the shared builder not at all).
	Images int `json:"images"`
	// MeasuredS is the full build's wall time in seconds and PredictedS
	// the prediction for its images and settings.
	MeasuredS  float64  `json:"measured_s"`
	PredictedS Interval `json:"predicted_s"`
	// ErrorPct is (predicted median − measured) / measured × 100: positive
	// when the prediction was too slow.
	ErrorPct float64 `json:"error_pct"`
	// Inside says the measured time fell inside a testable interval: it is
	// false when TooWide, whatever the measured time.
	Inside bool `json:"inside_interval"`
	// TooWide says the interval's Hi is more than model.MaxTestableRatio
	// times its Lo: it cannot test the prediction (run more reps).
	TooWide      bool     `json:"too_wide,omitempty"`
	Extrapolated bool     `json:"extrapolated,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
}

// Validate predicts full's build (its instances and their repos) with cfg,
// or, when cfg is zero, with the settings of full's trial, and compares the
// prediction with full's measured wall time. full must be a full build (a
// 'buildtune build' folder: no run.json, no sweep trial) of the workload
// the sweep measured; anything else is bad input (an error wrapping
// input.ErrBad). The prediction is the one 'recommend --instances' makes for
// the same ids: same seed, and the same instances whatever their order.
func Validate(sweep *Analysis, full *Run, cfg Config) (Validation, error) {
	var v Validation
	if sweep == nil || full == nil || full.Selected == nil || len(full.Selected.Trials) == 0 {
		return v, fmt.Errorf("validating: need a sweep analysis and a full run with a trial that counts")
	}
	if sameFolder(sweep.Dir, full.Dir) {
		return v, input.Errorf(full.Dir, "given as both the sweep and the full build: a build predicted from its own records proves nothing; want SWEEP FULL, two folders")
	}
	trials := full.Selected.Trials
	t := trials[0]
	if full.Info != nil && sweep.run != nil && sweep.run.Info == nil {
		// The two folders the other way round: FULL is a sweep and SWEEP
		// is no sweep (no run.json).
		return v, input.Errorf(full.Dir, "a sweep folder (it has %s), while %s is not: the folders are the wrong way round; want SWEEP FULL", RunInfoFile, sweep.Dir)
	}
	if err := checkFullBuild(full, t); err != nil {
		return v, err
	}
	warns, err := checkWorkload(sweep, full, t)
	if err != nil {
		return v, err
	}
	v.Warnings = append(v.Warnings, warns...)
	if len(trials) > 1 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("%s has %d trials that count: validating against the first, trial %d", full.Dir, len(trials), t.Trial))
	}
	if t.ForeignCPU >= ForeignLoadWarn {
		v.Warnings = append(v.Warnings, fmt.Sprintf("the full build ran beside other work on the host: processes outside buildtune and its stack took %.0f%% of its CPU, so it may be slower than its settings alone make it, and the error larger", 100*t.ForeignCPU))
	}
	own := configOf(t.Config)
	if cfg.Workers == 0 {
		cfg = own
	} else if cfg != own {
		v.Warnings = append(v.Warnings, fmt.Sprintf("predicting with %s while the full build ran %s", cfg, own))
	}
	v.Config = cfg
	var built []record.Image
	jobs, _ := jobsOf(full.Selected.Images)
	for _, im := range builtImages(jobs) {
		if im.Trial == t.Trial {
			built = append(built, im)
		}
	}
	if len(built) == 0 {
		return v, input.Errorf(full.Dir, "trial %d has no built images to validate against", t.Trial)
	}
	ids := make([]string, len(built))
	for i, im := range built {
		ids[i] = instanceOf(im)
	}
	if l := sweep.InstanceList; l != nil && len(l.IDs) > 0 {
		inList := make(map[string]bool, len(l.IDs))
		for _, id := range l.IDs {
			inList[id] = true
		}
		var outside []string
		for _, id := range ids {
			if !inList[id] {
				outside = append(outside, id)
			}
		}
		if len(outside) > 0 {
			some := strings.Join(outside[:min(len(outside), 3)], ", ")
			if len(outside) > 3 {
				some += fmt.Sprintf(" and %d more", len(outside)-3)
			}
			v.Warnings = append(v.Warnings, fmt.Sprintf("%d of the %d built instances are not in %s (%s): the sweep measured a sample of another set, so the prediction is for instances it never drew from",
				len(outside), len(ids), l.describe(), some))
		}
	}
	if t.Built > 0 && t.Built != len(ids) {
		v.Warnings = append(v.Warnings, fmt.Sprintf("trial %d says %d built, %d built instances found", t.Trial, t.Built, len(ids)))
	}
	v.Images = len(ids)
	v.MeasuredS = t.WallSeconds
	if !(v.MeasuredS > 0) {
		// A trial record without its wall time: its start and end give it.
		if d := t.End.Sub(t.Start).Seconds(); !t.Start.IsZero() && d > 0 {
			v.MeasuredS = d
			v.Warnings = append(v.Warnings, fmt.Sprintf("trial %d records no wall time: measured from its start and end, %s", t.Trial, analyze.FormatSeconds(d)))
		} else {
			return v, input.Errorf(full.Dir, "trial %d records no wall time (wall_s 0, no start and end): nothing to validate against; want a finished full build", t.Trial)
		}
	}
	if failed := t.Failed + t.InfraFailed; failed > 0 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("%d of the full build's images failed: its wall time includes their attempts, the prediction only the %d built, so the error is not the model's alone",
			failed, len(ids)))
	}
	// The seed recommend uses (the analysis' own, mixed with the config's
	// name), so that both predict the same build alike.
	p, err := sweep.Predict(cfg, Target{Repos: ReposOf(ids), Seed: sweep.Options.Seed})
	if err != nil {
		return v, fmt.Errorf("validating against %s: %w", full.Dir, err)
	}
	v.PredictedS = Interval{p.Median, p.Lo, p.Hi}
	v.Extrapolated = p.Extrapolated
	v.Warnings = append(v.Warnings, p.Warnings...)
	v.ErrorPct = finite(100 * (p.Median - v.MeasuredS) / v.MeasuredS)
	v.TooWide = p.TooWide
	v.Inside = !p.TooWide && p.Lo <= v.MeasuredS && v.MeasuredS <= p.Hi
	if p.TooWide {
		v.Warnings = append(v.Warnings, fmt.Sprintf(
			"the measured %s is not counted as inside the interval: the interval cannot test the prediction", analyze.FormatSeconds(v.MeasuredS)))
	}
	return v, nil
}

// checkFullBuild refuses a FULL that is not a full build: a folder with
// run.json, or trials of a sweep (cold, warm or warm-up), is a sweep.
func checkFullBuild(full *Run, t record.Trial) error {
	if full.Info != nil {
		return input.Errorf(full.Dir, "has %s: a sweep folder, not a full build; want the folder of 'buildtune build'", RunInfoFile)
	}
	if t.Temp != "" {
		return input.Errorf(full.Dir, "trial %d is a %s sweep trial, not a full build; want the folder of 'buildtune build'", t.Trial, t.Temp)
	}
	// A build killed and resumed: its trial record is the last run's
	// (its images and its wall), while earlier runs built the others.
	// Validating that slice as "the full build" would compare a part of
	// it, and its time is no one build's.
	if full.Records != nil {
		earlier := map[string]bool{}
		for _, im := range full.Records.Images {
			if im.Instance != "" && im.Run == t.Run && im.Status != record.StatusSkipped && !im.Start.IsZero() && im.Start.Before(t.Start) {
				earlier[im.Instance] = true
			}
		}
		if n := len(earlier); n > 0 {
			return input.Errorf(full.Dir, "was resumed: earlier runs built %s before its last run started at %s, whose trial record covers %s only; "+
				"a resumed build's time is no one build's: want a full build that ran in one go",
				analyze.Plural(n, "image"), t.Start.UTC().Format(time.RFC3339), analyze.Plural(t.Images, "image"))
		}
	}
	return nil
}

// checkWorkload refuses a full build of another workload than the sweep's.
// A full build records the workload's name as its profile; a sweep records
// it in run.json ("workload") and records its --profile argument (a file
// name or a built-in profile's name) in every record. A mismatch of the
// names is bad input; when the sweep has no workload name (no run.json)
// and its profile differs from the build's, it can only be a warning: a
// profile file's name need not be the workload's.
func checkWorkload(sweep *Analysis, full *Run, t record.Trial) ([]string, error) {
	built := t.Profile
	if built == "" {
		return []string{fmt.Sprintf("%s records no profile: cannot check that it built the sweep's workload", full.Dir)}, nil
	}
	if sweep.Workload != "" {
		if sweep.Workload != built {
			return nil, input.Errorf(full.Dir, "built workload %s but the sweep %s measured workload %s; want a full build of the same fixture profile", input.Quote(built), sweep.Dir, input.Quote(sweep.Workload))
		}
		return nil, nil
	}
	var profiles []string
	if sweep.run != nil && sweep.run.Selected != nil {
		for _, st := range sweep.run.Selected.Trials {
			if st.Profile != "" && !slices.Contains(profiles, st.Profile) {
				profiles = append(profiles, st.Profile)
			}
		}
	}
	switch {
	case slices.Contains(profiles, built):
		return nil, nil
	case len(profiles) == 0:
		return []string{fmt.Sprintf("the sweep %s records no workload or profile: cannot check that %s built the same workload", sweep.Dir, full.Dir)}, nil
	}
	return []string{fmt.Sprintf("the sweep %s records profile %s and no workload name; %s built workload %s: check that they are the same fixture profile",
		sweep.Dir, strings.Join(profiles, ", "), full.Dir, input.Quote(built))}, nil
}

func instanceOf(im record.Image) string {
	if im.Instance != "" {
		return im.Instance
	}
	return im.ID
}

// Claim verdicts.
const (
	ClaimNone         = "no claim"
	ClaimHolds        = "holds"
	ClaimRefuted      = "refuted"
	ClaimInconclusive = "inconclusive"
)

// Exit codes Prove suggests.
const (
	ExitBetter       = 0
	ExitWorse        = 1
	ExitBadInput     = 2
	ExitInconclusive = 4
)

// Verdict is the evidence for a pull request that changes the build's
// configuration from Base to Head.
type Verdict struct {
	Base   Choice `json:"base"`
	Head   Choice `json:"head"`
	Images int    `json:"images"`
	// Target says which full build was predicted ("433 images", or the
	// instance list the sweep drew its sample from).
	Target string `json:"target,omitempty"`
	// DiffS is base − head in seconds over paired reps (positive: head
	// is faster), with its central interval.
	DiffS Interval `json:"diff_s"`
	// Confidence is the coverage of the intervals.
	Confidence float64 `json:"confidence"`
	// HeadFaster and HeadSlower say the interval excludes 0.
	HeadFaster bool `json:"head_faster"`
	HeadSlower bool `json:"head_slower"`
	// Thin says why the predictions cannot carry a verdict ("": they
	// can): a side that rests on one trial, or whose interval has no
	// width, leaves the machine's between-trial spread out of its
	// interval, so neither the difference nor the claim is tested.
	Thin string `json:"thin,omitempty"`
	// ClaimS is the claimed wall time in seconds (0: none) and Claim the
	// verdict: holds when head's Hi is within it, refuted when head's Lo
	// exceeds it.
	ClaimS float64 `json:"claim_s,omitempty"`
	Claim  string  `json:"claim"`
	// ExitCode: 0 head better or claim holds, 1 head worse or claim
	// refuted, 4 inconclusive (or no prediction), 2 bad input; Error says
	// why there is no verdict.
	ExitCode int      `json:"exit_code"`
	Error    string   `json:"error,omitempty"`
	Markdown string   `json:"markdown"`
	Warnings []string `json:"warnings,omitempty"`
}

// Prove predicts base and head for images images and says whether head is
// significantly faster (the interval of paired rep differences excludes 0)
// and whether the claimed wall time holds. It suggests an exit code and
// writes a Markdown block for a pull-request comment.
func Prove(a *Analysis, base, head Config, claim time.Duration, images int) Verdict {
	return ProveTarget(a, base, head, claim, Target{Images: images})
}

// ProveTarget is Prove for the full build t; a zero t is the run's default
// build (ResolveTarget): the instance list the sweep drew its sample from,
// its repos weighting the per-image costs, else Options.Images images.
func ProveTarget(a *Analysis, base, head Config, claim time.Duration, t Target) Verdict {
	t = a.ResolveTarget(t)
	t.Seed = a.Options.Seed
	v := Verdict{Images: t.Count(), Target: t.Describe(), ClaimS: claim.Seconds(), Claim: ClaimNone}
	bp, err := a.Predict(base, t)
	if err == nil {
		var hp model.Prediction
		hp, err = a.Predict(head, t)
		if err == nil {
			v.prove(bp, hp, base, head)
		}
	}
	if err != nil {
		v.ExitCode = ExitInconclusive
		if errors.Is(err, input.ErrBad) {
			v.ExitCode = ExitBadInput
		}
		v.Error = err.Error()
		v.Markdown = fmt.Sprintf("### buildtune: no verdict\n\n%s\n", err)
		return v
	}
	v.Markdown = v.markdown()
	return v
}

func (v *Verdict) prove(bp, hp model.Prediction, base, head Config) {
	v.Base, v.Head = choiceOf(base, bp), choiceOf(head, hp)
	v.Warnings = append(v.Warnings, prefixed("base", bp.Warnings)...)
	v.Warnings = append(v.Warnings, prefixed("head", hp.Warnings)...)
	d, _ := pairedDiff(bp.Samples, hp.Samples, bp.Confidence)
	v.DiffS = d
	v.Confidence = confOr(bp.Confidence)
	v.HeadFaster = d.Lo > 0
	v.HeadSlower = d.Hi < 0
	v.Thin = thinProof(bp, hp)
	if v.Thin != "" {
		v.HeadFaster, v.HeadSlower = false, false
	}
	if v.ClaimS > 0 {
		switch {
		case v.Thin != "":
			v.Claim = ClaimInconclusive
		case hp.Hi <= v.ClaimS:
			v.Claim = ClaimHolds
		case hp.Lo > v.ClaimS:
			v.Claim = ClaimRefuted
		default:
			v.Claim = ClaimInconclusive
		}
	}
	switch {
	case v.HeadSlower || v.Claim == ClaimRefuted:
		v.ExitCode = ExitWorse
	case v.Claim == ClaimHolds || (v.Claim == ClaimNone && v.HeadFaster):
		v.ExitCode = ExitBetter
	default:
		v.ExitCode = ExitInconclusive
	}
}

// thinProof says why base's and head's predictions cannot test anything
// ("": they can): one trial speed factor behind a side (the machine's
// spread from trial to trial unknown, unless a pooled spread stands in
// for it), or an interval of zero width (every simulated build the same).
// Their paired difference would then exclude 0 from the image draws
// alone, which is not evidence that one setting is faster.
func thinProof(bp, hp model.Prediction) string {
	var why []string
	for _, side := range []struct {
		name string
		p    model.Prediction
	}{{"base", bp}, {"head", hp}} {
		switch p := side.p; {
		case len(p.TrialFactors) < 2 && !p.SpreadPooled:
			why = append(why, fmt.Sprintf("%s rests on %s", side.name, analyze.Plural(len(p.TrialFactors), "trial")))
		case !(p.Hi > p.Lo):
			why = append(why, fmt.Sprintf("%s's interval has zero width (%s-%s)", side.name, analyze.FormatSeconds(p.Lo), analyze.FormatSeconds(p.Hi)))
		}
	}
	if len(why) == 0 {
		return ""
	}
	return strings.Join(why, " and ") + ": the machine's spread from trial to trial is not in the intervals, so they test nothing; run at least 2 reps (3 or more to test a difference)"
}

func prefixed(p string, ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = p + ": " + w
	}
	return out
}

func (v *Verdict) markdown() string {
	var b strings.Builder
	verdict := "inconclusive"
	switch v.ExitCode {
	case ExitBetter:
		verdict = "head is better"
		if v.Claim == ClaimHolds {
			verdict = "the claim holds"
		}
	case ExitWorse:
		verdict = "head is worse"
		if v.Claim == ClaimRefuted {
			verdict = "the claim is refuted"
		}
	}
	fmt.Fprintf(&b, "### buildtune: %s\n\n", verdict)
	target := v.Target
	if target == "" {
		target = analyze.Plural(v.Images, "image")
	}
	fmt.Fprintf(&b, "Predicted wall time of %s (median [%.0f%% interval]):\n\n", target, 100*v.Confidence)
	b.WriteString("| | config | predicted |\n|---|---|---|\n")
	row := func(label string, c Choice) {
		ex := ""
		if c.Extrapolated {
			ex = " (extrapolated)"
		}
		fmt.Fprintf(&b, "| %s | `%s`%s | %s [%s, %s] |\n", label, c.Config, ex, analyze.FormatSeconds(c.PredictedS.Median), analyze.FormatSeconds(c.PredictedS.Lo), analyze.FormatSeconds(c.PredictedS.Hi))
	}
	row("base", v.Base)
	row("head", v.Head)
	fmt.Fprintf(&b, "\nHead saves %s [%s, %s] over paired simulated builds: ", analyze.FormatSeconds(v.DiffS.Median), analyze.FormatSeconds(v.DiffS.Lo), analyze.FormatSeconds(v.DiffS.Hi))
	switch {
	case v.Thin != "":
		fmt.Fprintf(&b, "not tested: %s.\n", v.Thin)
	case v.HeadFaster:
		b.WriteString("significantly faster.\n")
	case v.HeadSlower:
		b.WriteString("significantly slower.\n")
	default:
		b.WriteString("no significant difference.\n")
	}
	if v.ClaimS > 0 {
		why := fmt.Sprintf("head's interval is %s-%s, across the claim", analyze.FormatSeconds(v.Head.PredictedS.Lo), analyze.FormatSeconds(v.Head.PredictedS.Hi))
		switch v.Claim {
		case ClaimRefuted:
			why = fmt.Sprintf("even head's fastest plausible build, %s, is slower", analyze.FormatSeconds(v.Head.PredictedS.Lo))
		case ClaimHolds:
			why = fmt.Sprintf("head's interval ends at %s", analyze.FormatSeconds(v.Head.PredictedS.Hi))
		}
		if v.Thin != "" {
			why = "the predictions test nothing, see above"
		}
		fmt.Fprintf(&b, "\nClaim: %s or less. Verdict: **%s** (%s).\n", analyze.FormatSeconds(v.ClaimS), v.Claim, why)
	}
	if len(v.Warnings) > 0 {
		b.WriteString("\n<details><summary>warnings</summary>\n\n")
		for _, w := range v.Warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

// sameFolder reports whether a and b name one folder (symbolic links
// resolved).
func sameFolder(a, b string) bool {
	ra, err1 := filepath.Abs(a)
	rb, err2 := filepath.Abs(b)
	if err1 != nil || err2 != nil {
		return false
	}
	if ea, err := filepath.EvalSymlinks(ra); err == nil {
		ra = ea
	}
	if eb, err := filepath.EvalSymlinks(rb); err == nil {
		rb = eb
	}
	return ra == rb
}

// ValidationFile is the file 'buildtune validate' writes into the full
// build's folder.
const ValidationFile = "validation.json"

// ReadValidation reads dir/validation.json, as Validate made it. A file
// that is missing, is not JSON, or whose figures are not a validation's
// (a configuration no flag could give, no images, a measured or predicted
// time that is not a positive number, an interval that does not hold its
// median, an error or a hit that its own times contradict: a file edited
// by hand, or another tool's) is bad input naming dir (an error wrapping
// input.ErrBad): taken as it was, a report printed an error of
// "+1000...0.0%" or a "0s" measured build, or failed drawing its chart.
func ReadValidation(dir string) (Validation, error) {
	var v Validation
	want := fmt.Sprintf("want a full build folder with %s (run 'buildtune validate SWEEP %s' first)", ValidationFile, dir)
	data, err := os.ReadFile(filepath.Join(dir, ValidationFile))
	if err != nil {
		return v, input.Errorf(dir, "%s: %v; %s", ValidationFile, err, want)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, input.Errorf(dir, "%s: %v; %s", ValidationFile, err, want)
	}
	bad := func(format string, args ...any) error {
		return input.Errorf(dir, "%s: %s, not as 'buildtune validate' writes it; %s", ValidationFile, fmt.Sprintf(format, args...), want)
	}
	if _, err := ParseConfig(v.Config.String()); err != nil || v.Config.Workers < 1 {
		return v, bad("config %s is no configuration (%v)", v.Config, cmpErr(err, "no workers"))
	}
	if v.Images < 1 {
		return v, bad("images %d, not at least 1", v.Images)
	}
	p := v.PredictedS
	for _, x := range []struct {
		name string
		v    float64
	}{{"measured_s", v.MeasuredS}, {"predicted_s.median", p.Median}, {"predicted_s.lo", p.Lo}, {"predicted_s.hi", p.Hi}} {
		if !(x.v > 0) || math.IsInf(x.v, 0) {
			return v, bad("%s %v, not a positive number of seconds", x.name, x.v)
		}
	}
	if !(p.Lo <= p.Median && p.Median <= p.Hi) {
		return v, bad("predicted_s median %v outside its interval [%v, %v]", p.Median, p.Lo, p.Hi)
	}
	if e := 100 * (p.Median - v.MeasuredS) / v.MeasuredS; math.IsInf(e, 0) || math.Abs(e-v.ErrorPct) > 1e-6*math.Max(1, math.Abs(e)) {
		return v, bad("error_pct %v, while its predicted %v and measured %v seconds give %.6g", v.ErrorPct, p.Median, v.MeasuredS, e)
	}
	if in := !v.TooWide && p.Lo <= v.MeasuredS && v.MeasuredS <= p.Hi; in != v.Inside {
		return v, bad("inside_interval %v, while the measured %v seconds are %s the interval [%v, %v]", v.Inside, v.MeasuredS, map[bool]string{true: "inside", false: "outside (or it is too wide)"}[in], p.Lo, p.Hi)
	}
	return v, nil
}

func cmpErr(err error, otherwise string) string {
	if err != nil {
		return err.Error()
	}
	return otherwise
}
