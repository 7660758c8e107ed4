package model

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/buildtune/buildtune/analyze"
)

// DefaultMargin is the relative equivalence margin used when Constraints
// gives none: throughputs within ±3% count as the same.
const DefaultMargin = 0.03

// Constraint names used in Exclusion.Constraint and in ErrInfeasible
// errors.
const (
	ConstraintDeadline      = "deadline"
	ConstraintMaxWorkers    = "max workers"
	ConstraintRegistryBytes = "max registry bytes"
)

// Config is one configuration of the build.
type Config struct {
	Name      string
	Workers   int
	Batch     int
	CacheMode string
	Strategy  string
}

// Candidate is a configuration with its prediction and measurements.
type Candidate struct {
	Config     Config
	Prediction Prediction
	// Throughput is the measured images/hour of each trial.
	Throughput []float64
	// RegistryBytesPerImage is the bytes each image sends to the registry.
	RegistryBytesPerImage float64
	// CacheExportSeconds is the cache export seconds per image and
	// CachedStepsFrac the fraction of build steps that were cache hits.
	CacheExportSeconds float64
	CachedStepsFrac    float64
	// Extrapolated says the candidate was not measured directly.
	Extrapolated bool
}

// Constraints limit the candidates.
type Constraints struct {
	// Deadline in seconds must be met by the prediction's Hi (0: none).
	Deadline float64
	// MaxWorkers caps Config.Workers (0: none).
	MaxWorkers int
	// MaxRegistryBytes caps RegistryBytesPerImage × Prediction.Images
	// (0: none).
	MaxRegistryBytes float64
	// EquivalenceMargin is the relative margin within which throughputs
	// are equivalent (DefaultMargin if <= 0), and Alpha the significance
	// level (analyze.DefaultAlpha if not in (0, 0.5)).
	EquivalenceMargin float64
	Alpha             float64
	// Baseline names the candidate to compute the saving against ("":
	// none).
	Baseline string
}

// Exclusion is a candidate a constraint ruled out.
type Exclusion struct {
	Name       string
	Constraint string
	Detail     string
}

// Saving is the predicted wall time saved against a baseline.
type Saving struct {
	Baseline string
	// Median, Lo and Hi are in seconds (baseline minus recommended);
	// [Lo, Hi] is the central Confidence interval of the paired rep
	// differences, Pairs of them.
	Median, Lo, Hi float64
	Confidence     float64
	Pairs          int
}

// Recommendation is the chosen configuration and the evidence for it.
type Recommendation struct {
	// Best is the recommended candidate; Fastest names the feasible
	// candidate with the lowest predicted median and RunnerUp the next
	// ("" when alone).
	Best     Candidate
	Fastest  string
	RunnerUp string
	// Gap compares the runner-up's throughput (B) with the fastest's (A);
	// Significant is its Mann-Whitney verdict, and IntervalsOverlap says
	// whether their predicted [Lo, Hi] intervals overlap.
	// With fewer trials than Mann-Whitney needs (Gap.MinN a side), the
	// gap is tested as an adaptive sweep drops cells: by both t-tests on
	// the logs of throughput (analyze.LogTTests), whose two-sided
	// p-values are GapWelchP and GapPooledP (0 when not used, or when
	// the tests cannot be made: analyze.LogTTestsNotMade), and
	// Significant is both below alpha.
	Gap                   analyze.Comparison
	GapWelchP, GapPooledP float64
	Significant           bool
	IntervalsOverlap      bool
	// Equivalent names the feasible candidates whose throughput is
	// equivalent to the fastest's by TOST (the fastest included, first);
	// PickedCheapest says Best is the cheapest of them rather than the
	// fastest.
	Equivalent     []string
	PickedCheapest bool
	// Saving is against Constraints.Baseline (nil when none).
	Saving *Saving
	// Excluded lists the candidates the constraints ruled out.
	Excluded []Exclusion
	// Confident is false when the data cannot support the choice (too few
	// trials for significance, an extrapolated prediction, an unresolved
	// gap, a pick that rests on one trial or whose predicted interval has
	// zero width); Warnings say why.
	Confident bool
	// Reasons are plain sentences built from the numbers.
	Reasons  []string
	Warnings []string
}

// Recommend picks the feasible candidate with the lowest predicted median
// wall time, unless candidates are equivalent to it in throughput by TOST
// (analyze.Equivalent within EquivalenceMargin) or in predicted full-build
// time (the interval of the relative difference over paired simulated
// builds inside the margin, predictedWithin: overlapping intervals are no
// evidence; and not when the candidate's measured throughput is
// significantly lower and its prediction agrees): then it picks the
// cheapest of the equivalent set,
// fewest registry bytes per image first, then fewest workers. The gap to the runner-up is tested with
// analyze.Compare on per-trial throughput.
//
// The saving against the baseline pairs rep i of the baseline's
// Prediction.Samples with rep i of the recommended one: the reps of two
// predictions are independent draws, so the paired differences are draws
// of the difference itself. Sorting each sample and differencing the
// percentiles would couple the two predictions' extremes and understate
// the interval.
//
// A candidate is feasible when its prediction's Hi meets the deadline, its
// workers are within MaxWorkers and its registry bytes within
// MaxRegistryBytes. With no feasible candidate, the error wraps
// ErrInfeasible and names the constraints that ruled candidates out; the
// returned Recommendation still lists the exclusions.
func Recommend(cands []Candidate, c Constraints) (Recommendation, error) {
	var rec Recommendation
	if len(cands) == 0 {
		return rec, fmt.Errorf("recommending: no candidates: %w", ErrInfeasible)
	}
	margin := c.EquivalenceMargin
	if !(margin > 0 && margin < 1) {
		margin = DefaultMargin
	}
	alpha := c.Alpha
	if !(alpha > 0 && alpha < 0.5) {
		alpha = analyze.DefaultAlpha
	}
	seen := map[string]bool{}
	for _, cd := range cands {
		if seen[cd.Config.Name] {
			rec.Warnings = append(rec.Warnings, fmt.Sprintf("candidate name %q appears more than once", cd.Config.Name))
		}
		seen[cd.Config.Name] = true
	}

	var feasible []Candidate
	for _, cd := range cands {
		if ex, ok := excluded(cd, c); ok {
			rec.Excluded = append(rec.Excluded, ex)
			continue
		}
		feasible = append(feasible, cd)
	}
	if len(feasible) == 0 {
		counts := map[string]int{}
		var order []string
		for _, ex := range rec.Excluded {
			if counts[ex.Constraint] == 0 {
				order = append(order, ex.Constraint)
			}
			counts[ex.Constraint]++
		}
		var parts []string
		for _, k := range order {
			parts = append(parts, fmt.Sprintf("%s ruled out %d", k, counts[k]))
		}
		// Name the fastest candidate and what ruled it out: "infeasible"
		// alone tells the user nothing to act on (how far the deadline is
		// from the best that can be had).
		best := rec.Excluded[0]
		bestS := math.Inf(1)
		for _, cd := range cands {
			if cd.Prediction.Median < bestS {
				for _, ex := range rec.Excluded {
					if ex.Name == cd.Config.Name {
						best, bestS = ex, cd.Prediction.Median
					}
				}
			}
		}
		fastest := ""
		if !math.IsInf(bestS, 1) {
			fastest = fmt.Sprintf("; the fastest, %s, predicted at %s, was ruled out by the %s (%s)", best.Name, analyze.FormatSeconds(bestS), best.Constraint, best.Detail)
		}
		return rec, fmt.Errorf("recommending among %d candidates: %s%s: %w", len(cands), strings.Join(parts, ", "), fastest, ErrInfeasible)
	}
	// Fastest first; ties keep input order.
	slices.SortStableFunc(feasible, func(a, b Candidate) int {
		return cmp.Compare(a.Prediction.Median, b.Prediction.Median)
	})
	fastest := feasible[0]
	rec.Fastest = fastest.Config.Name
	rec.Best = fastest
	rec.Confident = true
	among := fmt.Sprintf("the lowest median of %d feasible candidates", len(feasible))
	if len(feasible) == 1 {
		among = "the only feasible candidate"
	}
	rec.Reasons = append(rec.Reasons, fmt.Sprintf(
		"%s is predicted to build %s in %s [%s, %s], %s.",
		fastest.Config.Name, analyze.Plural(fastest.Prediction.Images, "image"), analyze.FormatSeconds(fastest.Prediction.Median),
		analyze.FormatSeconds(fastest.Prediction.Lo), analyze.FormatSeconds(fastest.Prediction.Hi), among))
	for _, ex := range rec.Excluded {
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("%s was ruled out by the %s: %s.", ex.Name, ex.Constraint, ex.Detail))
	}

	if len(feasible) > 1 {
		ru := feasible[1]
		rec.RunnerUp = ru.Config.Name
		rec.Gap = analyze.Compare(fastest.Throughput, ru.Throughput, alpha)
		rec.Significant = rec.Gap.Significant
		rec.IntervalsOverlap = fastest.Prediction.Lo <= ru.Prediction.Hi && ru.Prediction.Lo <= fastest.Prediction.Hi
		overlap := "do not overlap"
		if rec.IntervalsOverlap {
			overlap = "overlap"
		}
		if !rec.IntervalsOverlap && min(len(fastest.Throughput), len(ru.Throughput)) < 2 {
			// One trial gives no spread between trials: intervals that do
			// not overlap would read as a separation it cannot show.
			overlap += ", though from one trial they leave out the spread between trials and separate nothing"
		}
		test := fmt.Sprintf("Mann-Whitney p=%.3g", rec.Gap.P)
		notMade := false // no test could be made: the verdict says so
		if n := min(len(fastest.Throughput), len(ru.Throughput)); n < rec.Gap.MinN {
			// Too few for Mann-Whitney: the t-tests an adaptive sweep
			// drops cells by, with the variance of every candidate.
			all := make([][]float64, len(feasible))
			for i, cd := range feasible {
				all[i] = cd.Throughput
			}
			// Tests that cannot be made (LogTTests' p = 1 by convention)
			// are named as not made, not printed as p = 1: that would read
			// as "no difference at all".
			why := analyze.LogTTestsNotMade(fastest.Throughput, ru.Throughput)
			ttests := "the t-tests on logs do not separate them"
			if why != "" {
				rec.Significant = false
				test = fmt.Sprintf("%s, which cannot reach alpha with %d and %d trials; t-tests on logs not made (%s)",
					test, len(fastest.Throughput), len(ru.Throughput), why)
				notMade = true
				ttests = "the t-tests on logs cannot be made (" + why + ")"
			} else {
				rec.GapWelchP, rec.GapPooledP = analyze.LogTTests(fastest.Throughput, ru.Throughput, all)
				rec.Significant = rec.GapWelchP < alpha && rec.GapPooledP < alpha && rec.Gap.Ratio < 1
				test = fmt.Sprintf("%s, which cannot reach alpha with %d and %d trials; t-tests on logs: Welch p=%.3g, pooled-variance p=%.3g",
					test, len(fastest.Throughput), len(ru.Throughput), rec.GapWelchP, rec.GapPooledP)
			}
			if !rec.Significant {
				rec.Confident = false
				rec.Warnings = append(rec.Warnings, fmt.Sprintf(
					"too few trials: %d and %d throughput values, need at least %d per candidate for Mann-Whitney at alpha=%v, and %s",
					len(fastest.Throughput), len(ru.Throughput), rec.Gap.MinN, alpha, ttests))
			}
		}
		verdict := "significant"
		switch {
		case notMade:
			verdict = "not separable"
		case !rec.Significant:
			verdict = "not significant"
		}
		rec.Reasons = append(rec.Reasons, fmt.Sprintf(
			"The second fastest, %s, is predicted at %s; its measured throughput is %.3fx the fastest's (%s: %s at alpha=%v) and the predicted intervals %s.",
			ru.Config.Name, analyze.FormatSeconds(ru.Prediction.Median), rec.Gap.Ratio, test, verdict, alpha, overlap))

		// The equivalent set and its cheapest member.
		rec.Equivalent = []string{fastest.Config.Name}
		set := []Candidate{fastest}
		var how []string // per equivalent cell, what showed it
		for _, cd := range feasible[1:] {
			e := analyze.Equivalent(fastest.Throughput, cd.Throughput, margin, alpha)
			diff, byTime := predictedWithin(fastest.Prediction, cd.Prediction, margin)
			if !byTime && !e.Equivalent && math.Abs(diff.Median) <= margin {
				// Medians within the margin (and intervals that overlap)
				// are no evidence of equivalence: the difference's own
				// interval must lie inside the margin. Said, with what
				// widened it when an interval is too wide to test
				// anything (Prediction.TooWide).
				var wide []string
				for _, p := range []Candidate{fastest, cd} {
					if p.Prediction.TooWide {
						wide = append(wide, fmt.Sprintf("%s's %s-%s spans %s", p.Config.Name,
							analyze.FormatSeconds(p.Prediction.Lo), analyze.FormatSeconds(p.Prediction.Hi), ratioText(p.Prediction.Lo, p.Prediction.Hi)))
					}
				}
				why := ""
				if len(wide) > 0 {
					why = fmt.Sprintf("; the predicted intervals are too wide to test (%s, more than %.0fx)", strings.Join(wide, "; "), MaxTestableRatio)
				}
				g := analyze.Compare(fastest.Throughput, cd.Throughput, alpha)
				verdict := fmt.Sprintf("its measured throughput is %.3fx the fastest's: not separated, and not shown equivalent", g.Ratio)
				if g.Significant && g.Ratio < 1 {
					verdict = fmt.Sprintf("its measured throughput is significantly lower (%.3fx, Mann-Whitney p=%.3g): not taken as equivalent", g.Ratio, g.P)
				}
				rec.Reasons = append(rec.Reasons, fmt.Sprintf(
					"%s is predicted within ±%.0f%% of the fastest (%s, %s), but the %.0f%% interval of the difference, %s to %s, is not inside ±%.0f%%%s, and %s.",
					cd.Config.Name, 100*margin, analyze.FormatSeconds(cd.Prediction.Median), signedPercent(diff.Median),
					100*diff.Confidence, signedPercent(diff.Lo), signedPercent(diff.Hi), 100*margin, why, verdict))
			}
			if byTime && !e.Equivalent {
				// Predicted medians within the margin with overlapping
				// intervals are no evidence of equivalence when the
				// measured throughput says the candidate is slower and
				// the prediction agrees: that is evidence of a difference.
				if g := analyze.Compare(fastest.Throughput, cd.Throughput, alpha); g.Significant && g.Ratio < 1 && cd.Prediction.Median > fastest.Prediction.Median {
					byTime = false
					rec.Reasons = append(rec.Reasons, fmt.Sprintf(
						"%s is predicted within ±%.0f%% of the fastest (%s), but its measured throughput is significantly lower (%.3fx, Mann-Whitney p=%.3g): not taken as equivalent.",
						cd.Config.Name, 100*margin, analyze.FormatSeconds(cd.Prediction.Median), g.Ratio, g.P))
				}
			}
			if e.Equivalent || byTime {
				rec.Equivalent = append(rec.Equivalent, cd.Config.Name)
				set = append(set, cd)
				switch {
				case e.Equivalent && byTime:
					how = append(how, cd.Config.Name+" in throughput (TOST) and in predicted time")
				case e.Equivalent:
					how = append(how, cd.Config.Name+" in throughput (TOST)")
				default:
					how = append(how, fmt.Sprintf("%s in predicted full-build time (the difference %s to %s, %.0f%% interval of paired simulated builds)",
						cd.Config.Name, signedPercent(diff.Lo), signedPercent(diff.Hi), 100*diff.Confidence))
				}
			}
		}
		if len(set) > 1 {
			cheapest := slices.MinFunc(set, cheaper)
			if cheapest.Config.Name != fastest.Config.Name {
				rec.Best = cheapest
				rec.PickedCheapest = true
				// The alternative to the pick is now the fastest.
				rec.RunnerUp = fastest.Config.Name
			}
			rec.Reasons = append(rec.Reasons, fmt.Sprintf(
				"Equivalent to the fastest, %s, within ±%.0f%% (alpha=%v): %s. Of these the cheapest is picked: %s (%s to the registry per image, %s).",
				fastest.Config.Name, 100*margin, alpha, strings.Join(how, "; "), rec.Best.Config.Name,
				analyze.FormatBytes(rec.Best.RegistryBytesPerImage), analyze.Plural(rec.Best.Config.Workers, "worker")))
		} else if !rec.Significant {
			rec.Confident = false
			rec.Warnings = append(rec.Warnings, fmt.Sprintf(
				"%s and %s differ neither significantly nor within ±%.0f%%: more trials are needed to separate them",
				fastest.Config.Name, ru.Config.Name, 100*margin))
		}
	}
	if thin := thinEvidence(rec.Best); len(thin) > 0 {
		rec.Confident = false
		rec.Warnings = append(rec.Warnings, thin...)
	}
	if rec.Best.Extrapolated || rec.Best.Prediction.Extrapolated {
		rec.Confident = false
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("%s was not measured directly: its prediction is extrapolated", rec.Best.Config.Name))
	}
	rec.Reasons = append(rec.Reasons, cacheReasons(rec.Best)...)

	if c.Baseline != "" {
		saving(&rec, cands, c.Baseline)
	}
	return rec, nil
}

// thinEvidence says why the pick's own evidence cannot carry a confident
// choice, whatever the other candidates: one trial (or none) behind its
// throughput, so the machine's between-trial spread is unknown and its
// prediction's interval holds image resampling at most; or a predicted
// interval of zero width, every simulated build the same, which shows no
// uncertainty at all rather than a certain time. Either makes the
// recommendation a lead (not Confident), as too few reps to separate the
// candidates do.
func thinEvidence(cd Candidate) []string {
	var out []string
	if n := len(cd.Throughput); n < 2 {
		out = append(out, fmt.Sprintf(
			"%s rests on %s: the machine's between-trial spread is unknown, so its prediction cannot carry it; run at least 2 reps (3 or more to test a difference) before trusting this choice",
			cd.Config.Name, analyze.Plural(n, "trial")))
	}
	if p := cd.Prediction; p.TooWide && p.Hi > p.Lo {
		out = append(out, fmt.Sprintf(
			"the predicted interval of %s spans a factor of %s (more than %.0fx): too wide to test, so the prediction the choice rests on is a plausible range, not evidence; run more reps before trusting this choice",
			cd.Config.Name, ratioText(p.Lo, p.Hi), MaxTestableRatio))
	}
	if p := cd.Prediction; !(p.Hi > p.Lo) {
		out = append(out, fmt.Sprintf(
			"the predicted interval of %s has zero width (%s-%s): every simulated build came out the same, so it shows no uncertainty, not a certain time; run more reps (and a larger sample) before trusting this choice",
			cd.Config.Name, analyze.FormatSeconds(p.Lo), analyze.FormatSeconds(p.Hi)))
	}
	return out
}

// excluded says whether a constraint rules cd out, and which.
func excluded(cd Candidate, c Constraints) (Exclusion, bool) {
	name := cd.Config.Name
	if c.Deadline > 0 && !(cd.Prediction.Hi <= c.Deadline) {
		return Exclusion{name, ConstraintDeadline, fmt.Sprintf(
			"predicted up to %s against a deadline of %s", analyze.FormatSeconds(cd.Prediction.Hi), analyze.FormatSeconds(c.Deadline))}, true
	}
	if c.MaxWorkers > 0 && cd.Config.Workers > c.MaxWorkers {
		return Exclusion{name, ConstraintMaxWorkers, fmt.Sprintf(
			"%d workers against at most %d", cd.Config.Workers, c.MaxWorkers)}, true
	}
	if c.MaxRegistryBytes > 0 {
		total := cd.RegistryBytesPerImage * float64(cd.Prediction.Images)
		if total > c.MaxRegistryBytes {
			return Exclusion{name, ConstraintRegistryBytes, fmt.Sprintf(
				"%s to the registry against at most %s", analyze.FormatBytes(total), analyze.FormatBytes(c.MaxRegistryBytes))}, true
		}
	}
	return Exclusion{}, false
}

// bytesTolerance is the relative difference in registry bytes per image
// under which two candidates count as sending the same: the proxy's byte
// counts vary from trial to trial by a few percent.
const bytesTolerance = 0.05

// cheaper orders by registry bytes per image (equal within
// bytesTolerance), then the cache export mode (off sends nothing extra,
// min less than max), then workers, then the predicted median.
func cheaper(a, b Candidate) int {
	byBytes := cmp.Compare(a.RegistryBytesPerImage, b.RegistryBytesPerImage)
	if hi := math.Max(a.RegistryBytesPerImage, b.RegistryBytesPerImage); math.Abs(a.RegistryBytesPerImage-b.RegistryBytesPerImage) <= bytesTolerance*hi {
		byBytes = 0
	}
	return cmp.Or(
		byBytes,
		cmp.Compare(cacheRank(a.Config.CacheMode), cacheRank(b.Config.CacheMode)),
		cmp.Compare(a.Config.Workers, b.Config.Workers),
		cmp.Compare(a.Prediction.Median, b.Prediction.Median),
	)
}

// cacheRank orders cache export modes by what they cost: off, min, max.
func cacheRank(mode string) int {
	switch mode {
	case "", "off":
		return 0
	case "min":
		return 1
	}
	return 2
}

// cacheReasons describes what the candidate's cache mode cost and brought.
func cacheReasons(cd Candidate) []string {
	mode := cd.Config.CacheMode
	if mode == "" || mode == "off" {
		return nil
	}
	p := cd.Prediction
	// Worker-seconds of wall time per image, over the builds that run at
	// once (workers capped by the batch and the images), not the workers
	// named: 16 workers at batch 3 keep 3 busy.
	perImage := safeDiv(p.Median*float64(Concurrency(cd.Config.Workers, cd.Config.Batch, p.Images)), float64(p.Images))
	share := ""
	if perImage > 0 {
		share = fmt.Sprintf(" (%.0f%% of the %.0f worker-seconds per image)", 100*cd.CacheExportSeconds/perImage, perImage)
	}
	return []string{fmt.Sprintf("Cache %s costs %.2f s/image of export%s and brought %.0f%% cached steps.",
		mode, cd.CacheExportSeconds, share, 100*cd.CachedStepsFrac)}
}

// saving fills rec.Saving against the named baseline.
func saving(rec *Recommendation, cands []Candidate, name string) {
	i := slices.IndexFunc(cands, func(cd Candidate) bool { return cd.Config.Name == name })
	if i < 0 {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("baseline %q is not a candidate: no saving", name))
		return
	}
	base, best := cands[i].Prediction, rec.Best.Prediction
	n := min(len(base.Samples), len(best.Samples))
	if n == 0 {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("baseline %q or the recommendation has no rep samples: no saving interval", name))
		return
	}
	if len(base.Samples) != len(best.Samples) {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("rep counts differ (%d and %d): paired the first %d", len(base.Samples), len(best.Samples), n))
	}
	diffs := make([]float64, n)
	for k := range diffs {
		diffs[k] = base.Samples[k] - best.Samples[k]
	}
	conf := best.Confidence
	if !(conf > 0 && conf < 1) {
		conf = DefaultConfidence
	}
	s := &Saving{Baseline: name, Confidence: conf, Pairs: n}
	s.Median, _, s.Lo, s.Hi = summarize(diffs, conf)
	rec.Saving = s
	if name == rec.Best.Config.Name {
		// The pick is the baseline: "it saves 0s [0s, 0s]" says nothing.
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("It is the baseline, %s: keep it.", name))
		return
	}
	verb, m, lo, hi := "saves", s.Median, s.Lo, s.Hi
	if m < 0 {
		verb, m, lo, hi = "takes longer by", -m, -hi, -lo
	}
	rec.Reasons = append(rec.Reasons, fmt.Sprintf("Against %s it %s %s [%s, %s] (%.0f%% interval of %d paired simulated builds).",
		name, verb, analyze.FormatSeconds(m), analyze.FormatSeconds(lo), analyze.FormatSeconds(hi), 100*conf, n))
}

// Difference is the relative difference (b-a)/a of two predicted
// full-build times: its median and central Confidence interval.
type Difference struct {
	Median, Lo, Hi, Confidence float64
}

// predictedWithin reports whether b's predicted full-build time is shown
// equivalent to a's within ±margin, and the relative difference (b-a)/a it
// judged by. Equivalent means the difference's central interval (at a's
// Confidence) lies inside ±margin: with a 90% interval that is the two
// one-sided tests at 5%, applied to the predictions. Medians within the
// margin with overlapping intervals are no evidence: two builds predicted
// 2.6% apart with intervals of ±3% overlap without being shown the same.
// The interval comes from the paired simulated builds (rep k of each,
// independent draws, so their differences are draws of the difference);
// without samples (a prediction made by hand, or one bounded by the
// registry link) it is the widest the two intervals allow, (b.Lo-a.Hi)/a
// to (b.Hi-a.Lo)/a over a's median. A sample's throughput can differ
// where the full build does not (a first wave that pays a cache export
// once), and the full build is what the recommendation is for.
func predictedWithin(a, b Prediction, margin float64) (Difference, bool) {
	conf := a.Confidence
	if !(conf > 0 && conf < 1) {
		conf = DefaultConfidence
	}
	d := Difference{Confidence: conf}
	if !(a.Median > 0) {
		return d, false
	}
	var rel []float64
	if n := min(len(a.Samples), len(b.Samples)); n >= minPairedReps {
		for k := range n {
			if a.Samples[k] > 0 {
				rel = append(rel, (b.Samples[k]-a.Samples[k])/a.Samples[k])
			}
		}
	}
	// The median is the medians' own difference, the figure a reader
	// compares the two predictions by.
	d.Median = (b.Median - a.Median) / a.Median
	if len(rel) >= minPairedReps {
		_, _, d.Lo, d.Hi = summarize(rel, conf)
	} else {
		d.Lo = (b.Lo - a.Hi) / a.Median
		d.Hi = (b.Hi - a.Lo) / a.Median
	}
	return d, d.Lo >= -margin && d.Hi <= margin
}

// minPairedReps is the fewest paired simulated builds the difference's
// interval is taken from; fewer fall back to the two intervals' extremes.
const minPairedReps = 20

// signedPercent formats a fraction as a signed percentage: "+2.6%".
func signedPercent(f float64) string {
	return fmt.Sprintf("%+.1f%%", 100*f)
}
