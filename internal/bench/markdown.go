package bench

import (
	"fmt"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/input"
)

func f2(x float64) string { return fmt.Sprintf("%.2f", x) }
func f3(x float64) string { return fmt.Sprintf("%.3f", x) }

func floats(xs []float64, f func(float64) string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = f(x)
	}
	return strings.Join(s, ", ")
}

// Markdown summarises the overhead scenario.
func (r *OverheadResult) Markdown() string {
	var b strings.Builder
	c := r.Compare
	fmt.Fprintf(&b, "# Harness overhead: fleet vs buildctl\n\n%d images, W=%d, cache %s, %d interleaved pairs, each arm cold.\n\n",
		r.Images, r.Workers, r.Cache, len(r.PairRatios))
	fmt.Fprintf(&b, "| arm | median wall (s) | 95%% CI | walls |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| buildctl | %s | %s-%s | %s |\n", f2(c.A.Median), f2(c.A.Lo), f2(c.A.Hi), floats(r.BuildctlSeconds, f2))
	fmt.Fprintf(&b, "| fleet | %s | %s-%s | %s |\n\n", f2(c.B.Median), f2(c.B.Lo), f2(c.B.Hi), floats(r.FleetSeconds, f2))
	fmt.Fprintf(&b, "fleet/buildctl: ratio of medians %s, Hodges-Lehmann %s, %.0f%% CI %s-%s (Mann-Whitney p %.3g); per-pair median %s.\n\n",
		f3(c.Ratio), f3(c.RatioHL), 100*c.RatioConfidence, f3(c.RatioLo), f3(c.RatioHi), c.P, f3(Median(r.PairRatios)))
	fmt.Fprintf(&b, "Paired (each pair back to back): median fleet/buildctl %s, %.0f%% CI %s-%s over %d pairs.\n\n",
		f3(r.Paired.Median), 100*analyze.DefaultConfidence, f3(r.Paired.Lo), f3(r.Paired.Hi), len(r.PairRatios))
	fmt.Fprintf(&b, "One-time work (not in the walls): base preparation %ss the first time, %ss with the bases already pushed; daemon connection %ss; tag checks of %d tags %ss. A run whose bases exist pays %ss.\n",
		f2(r.OneTime.PrepareSeconds), f3(r.OneTime.PrepareExistingSeconds), f3(r.OneTime.DialSeconds), r.Images, f3(r.OneTime.TagCheckSeconds), f3(r.OneTime.Repeat()))
	for _, w := range c.Warnings {
		fmt.Fprintf(&b, "\n- warning: %s", w)
	}
	return b.String()
}

// Markdown summarises the schemes scenario.
func (r *SchemesResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Old scheme vs production build\n\n%d images, registry %s, each run cold.\n\n", r.Images, r.Registry)
	b.WriteString("| scheme | W | B | cache | strategy | median wall (s) | img/h | vs first | CPU busy: run / steady | link busy: run / steady | registry bytes | prune (s) | idle worker-s | of it barrier | bottleneck | bound (s) | wall/bound |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Schemes {
		link := "no cap"
		if s.Bandwidth > 0 {
			var whole []float64
			for _, run := range s.Runs {
				whole = append(whole, run.whole().LinkBusy(s.Bandwidth))
			}
			link = fmt.Sprintf("%.0f%% / %.0f%%", 100*Median(whole), 100*s.SteadyLinkBusy)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %.1f | %s | %.0f%% / %.0f%% | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			s.Scheme.Name, s.Scheme.Workers, input.BatchLabel(s.Scheme.Batch), s.Scheme.Cache, s.Scheme.strategy(), f2(s.WallSeconds), s.ImagesPerHour,
			f3(s.VsBaseline), 100*s.CPUBusy, 100*s.SteadyCPUBusy, link, fmt.Sprintf("%.1f MiB", s.RegistryBytes/(1<<20)), f2(s.PruneSeconds),
			f2(s.IdleSeconds), f2(s.BarrierIdleSeconds), s.Bottleneck, f2(s.Bound), f2(s.WallOverBound))
	}
	b.WriteString("\n| scheme | walls per rep (s) | vs first per rep (interleaved: rep k of each ran back to back) | range |\n|---|---|---|---|\n")
	for _, s := range r.Schemes {
		var walls []float64
		for _, run := range s.Runs {
			walls = append(walls, run.WallSeconds)
		}
		lo, hi := minMax(s.RepRatios)
		fmt.Fprintf(&b, "| %s | %s | %s | %s-%s |\n", s.Scheme.Name, floats(walls, f2), floats(s.RepRatios, f3), f3(lo), f3(hi))
	}
	b.WriteString("\nBusy: run = over the whole run; steady = from the start until the last image started (while the scheme still had images to hand out, before the drain of its last builds), medians over the reps. Link busy = the busier direction's bytes / (cap x time). ")
	b.WriteString("Bounds: CPU = busy CPU-seconds of the host / cores; registry = bytes of the busier direction / the cap. wall/bound near 1: that resource was the limit. ")
	b.WriteString("Idle worker-s = workers x wall - the images' summed walls (the barrier part: worker-seconds each batch held while its slowest images finished).\n")
	var phased bool
	for _, s := range r.Schemes {
		for _, run := range s.Runs {
			phased = phased || run.Phases != nil
		}
	}
	if phased {
		b.WriteString("\nPer-phase sums of the fleet runs (seconds over all images, from BuildKit's status stream; one line per rep):\n\n")
		b.WriteString("| scheme | rep | wall | exec | image export | layer push | cache import | cache export | prunes (s) |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, s := range r.Schemes {
			for i, run := range s.Runs {
				if p := run.Phases; p != nil {
					fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %d (%s) |\n", s.Scheme.Name, i+1, f2(run.WallSeconds), f2(p.Exec),
						f2(p.ImageExport), f2(p.LayerPush), f2(p.CacheImport), f2(p.CacheExport), run.Prunes, f2(run.PruneSeconds))
				}
			}
		}
	}
	return b.String()
}

// Markdown summarises the replay scorecard.
func (r ReplayResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Replay of the real history\n\n%d of %d measured targets hit (±%.0f%%).\n\n", r.Hits, r.Measured, 100*r.Tolerance)
	b.WriteString("| target | real (source) | want | got | off | verdict |\n|---|---|---|---|---|---|\n")
	for _, t := range r.Targets {
		want := f3(t.Want)
		if t.Kind == KindAtMost {
			want = "<= " + want
		}
		verdict, got, off := "miss", f3(t.Got), fmt.Sprintf("%+.0f%%", 100*t.Off)
		switch {
		case !t.Measured:
			verdict, got, off = "not measured", "-", "-"
		case t.Hit:
			verdict = "hit"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", t.Name, t.Source, want, got, off, verdict)
	}
	for _, t := range r.Targets {
		if t.Note != "" {
			fmt.Fprintf(&b, "\n- %s: %s", t.Name, t.Note)
		}
	}
	return b.String()
}

// Markdown summarises the sweep cost scenario.
func (r *SweepCostResult) Markdown() string {
	var b strings.Builder
	b.WriteString("# Sweep cost: adaptive vs full grid\n\n")
	b.WriteString("| sweep | trials | time (s) | recommendation |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| full | %d | %s | %s |\n| adaptive | %d | %s | %s |\n\n", r.FullTrials, f2(r.FullSeconds), r.FullPick,
		r.AdaptiveTrials, f2(r.AdaptiveSeconds), r.AdaptivePick)
	fmt.Fprintf(&b, "adaptive/full time %s; same recommendation: %v (equivalent in the full sweep: %v).\n\nAdaptive stop: %s\n",
		f3(r.Ratio), r.Same, r.EquivalentPick, r.Stop)
	if len(r.Drops) > 0 {
		b.WriteString("\nDropped (after how many cold trials, by which test):\n\n")
		for _, d := range r.Drops {
			fmt.Fprintf(&b, "- %s\n", d)
		}
	} else if len(r.Dropped) > 0 {
		fmt.Fprintf(&b, "\nDropped: %s\n", strings.Join(r.Dropped, ", "))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "\n- warning: %s", w)
	}
	return b.String()
}

func minMax(xs []float64) (lo, hi float64) {
	for i, x := range xs {
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	return lo, hi
}

// Markdown is the sweep's recommendation as the tool gave it: confident or
// not, with its reasons and warnings, so a reader sees what the production
// build's settings rest on.
func (f *FromSweep) Markdown() string {
	var b strings.Builder
	verdict := "confident"
	if !f.Confident {
		verdict = "not confident (see the warnings)"
	}
	fmt.Fprintf(&b, "\nThe sweep's recommendation, %s: %s.\n\n", verdict, f.Name)
	for _, r := range f.Reasons {
		fmt.Fprintf(&b, "- %s\n", r)
	}
	for _, w := range f.Warnings {
		fmt.Fprintf(&b, "- warning: %s\n", w)
	}
	return b.String()
}
