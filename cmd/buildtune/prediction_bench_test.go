package main

import (
	"cmp"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/testenv"
)

// predictionSets are scenario 4's fixture sets: none is the default
// profile, and they differ in spread and registry bandwidth
// (validate-wide over a 12 MiB/s link), in sizes (validate-heavy) and in
// ARG position (validate-argearly).
var predictionSets = []struct{ profile, bandwidth string }{
	{"validate-wide", "12MiB/s"},
	{"validate-heavy", ""},
	{"validate-argearly", ""},
}

// BenchmarkPrediction is scenario 4 of the measured proof (issue 9), in
// `make bench`: for each of predictionSets, TestPredictionLong's run (an
// 8-image sweep of a 40-image set, recommend, then the full set built with
// the recommended and with the baseline settings, each validated). It
// reports every error, hit or miss, and fails only on a broken step. With
// BUILDTUNE_BENCH_OUT set (relative to the module root) it writes
// <out>/<date>-prediction.md. About 10 minutes per set.
func BenchmarkPrediction(b *testing.B) {
	if testing.Short() {
		b.Skip("real-stack scenario: not under -short")
	}
	for b.Loop() {
		var runs []predictionRun
		var cases []predictionCase
		for _, set := range predictionSets {
			c := longPrediction(set.profile, set.bandwidth)
			cases = append(cases, c)
			runs = append(runs, runPrediction(b, c))
		}
		md, hits, total := predictionSummary(cases, runs)
		b.ReportMetric(float64(hits), "hits")
		b.ReportMetric(float64(total), "builds")
		testenv.WriteSummary(b, "prediction", md)
	}
}

// predictionSummary is scenario 4's Markdown summary: one row per
// validated build, and how many of them hit the target.
func predictionSummary(cases []predictionCase, runs []predictionRun) (md string, hits, total int) {
	var s strings.Builder
	s.WriteString("# Prediction accuracy: recommended and baseline builds validated\n\n")
	if len(cases) > 0 {
		c := cases[0]
		fmt.Fprintf(&s, "Per fixture set: a sweep of %d images of a %d-image set (workers %s x cache %s, batch stream, %d cold reps), "+
			"`recommend --baseline %s`, then the whole set built with the recommended and with the baseline settings, each checked by `buildtune validate`. "+
			"Target: |error| <= %.0f%% and the measured wall inside the 90%% interval, in every case.\n\n",
			c.sample, c.set, c.workers, c.cache, c.reps, c.baseline, c.maxErrPct)
	}
	s.WriteString("| fixture set | registry | sweep | build | settings | measured (s) | predicted (s) [90% interval] | error | inside | verdict |\n")
	s.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	var peaks []string
	for i, r := range runs {
		c := cases[i]
		for _, b := range r.builds {
			v := b.v
			verdict := "hit"
			if b.miss(c) != "" {
				verdict = "**miss**"
			}
			inside := "yes"
			switch {
			case v.Inside:
			case v.MeasuredS >= v.PredictedS.Lo && v.MeasuredS <= v.PredictedS.Hi:
				inside = "no (interval too wide to test)"
			default:
				inside = "**no**"
			}
			if verdict == "hit" {
				hits++
			}
			total++
			fmt.Fprintf(&s, "| %s | %s | %s | %s | W=%d B=%s cache %s | %.1f | %.1f [%.1f, %.1f] | %+.1f%% | %s | %s |\n",
				c.profile, cmp.Or(c.bandwidth, "unlimited"), r.sweep.Round(time.Second), b.label, v.Config.Workers, b.batch, v.Config.CacheMode,
				v.MeasuredS, v.PredictedS.Median, v.PredictedS.Lo, v.PredictedS.Hi, v.ErrorPct, inside, verdict)
		}
		peaks = append(peaks, fmt.Sprintf("%s %.1f", c.profile, r.peak))
	}
	fmt.Fprintf(&s, "\n**%d of %d hit.** Peak 1-minute load average during each set: %s.\n", hits, total, strings.Join(peaks, ", "))
	return s.String(), hits, total
}
