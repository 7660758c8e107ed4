package bench

import (
	"fmt"
	"math"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
)

// DefaultTolerance is how far a replayed ratio may lie from the real one
// and still be a hit: ±15%.
const DefaultTolerance = 0.15

// Kinds of replay targets.
const (
	// KindRatio is a hit when the measured value lies within ±tolerance
	// of Want (relative).
	KindRatio = "ratio"
	// KindAtMost is a hit when the measured value is at most
	// Want×(1+tolerance).
	KindAtMost = "at-most"
)

// ReplayTarget is one figure of the real history to replay.
type ReplayTarget struct {
	Name   string  `json:"name"`
	Source string  `json:"source"`
	Kind   string  `json:"kind"`
	Want   float64 `json:"want"`
	// Got is the measured value; Measured false when the sweep lacks the
	// cells it needs (Note says which).
	Got      float64 `json:"got"`
	Measured bool    `json:"measured"`
	Hit      bool    `json:"hit"`
	// Off is Got/Want - 1.
	Off  float64 `json:"off"`
	Note string  `json:"note,omitempty"`
}

// ReplayCells name the sweep cells the ratios are read from.
type ReplayCells struct {
	// Base is the real script's default (W=4, B=15, cache max); its
	// cache off and min variants give the cache ratios and its prune
	// share the prune target.
	Base evidence.Config
	// PR is PR #525's W=16, B=50, cache min; compared with Base at cache
	// min.
	PR evidence.Config
	// ThreePhase is Base at cache off with the three-phase strategy,
	// compared with Base at cache off, single.
	ThreePhase evidence.Config
}

// DefaultReplayCells are the cells of ReplayGrid.
var DefaultReplayCells = ReplayCells{
	Base:       evidence.Config{Workers: 4, Batch: 15, CacheMode: "max", Strategy: workload.Single},
	PR:         evidence.Config{Workers: 16, Batch: 50, CacheMode: "min", Strategy: workload.Single},
	ThreePhase: evidence.Config{Workers: 4, Batch: 15, CacheMode: "off", Strategy: workload.ThreePhase},
}

// ReplayGrid is the replay sweep: the base cell at cache off, min and max,
// PR #525's cell, and three-phase, every cell on the same capped link
// (bandwidth, a label such as "16MiB/s"), cold.
func ReplayGrid(sample, reps int, bandwidth, profile string) sweep.Grid {
	c := DefaultReplayCells
	cell := func(k evidence.Config) sweep.Cell {
		return sweep.Cell{Workers: k.Workers, Batch: k.Batch, Cache: engine.CacheMode(k.CacheMode), Strategy: k.Strategy, Registry: bandwidth}
	}
	with := func(k evidence.Config, mode string) evidence.Config { k.CacheMode = mode; return k }
	return sweep.Grid{
		Configs: []sweep.Cell{cell(with(c.Base, "off")), cell(with(c.Base, "min")), cell(c.Base), cell(c.PR), cell(c.ThreePhase)},
		Temps:   []string{sweep.Cold}, Reps: reps, Sample: sample, Seed: 1, Profile: profile,
	}
}

// RemoteGrid is the three-phase replay: the ThreePhase cell and its
// single-pass twin, on the same capped link, cold, for a profile with a
// fixed per-build overhead.
func RemoteGrid(sample, reps int, bandwidth, profile string) sweep.Grid {
	t := DefaultReplayCells.ThreePhase
	cell := func(strategy string) sweep.Cell {
		return sweep.Cell{Workers: t.Workers, Batch: t.Batch, Cache: engine.CacheMode(t.CacheMode), Strategy: strategy, Registry: bandwidth}
	}
	return sweep.Grid{Configs: []sweep.Cell{cell(workload.Single), cell(workload.ThreePhase)},
		Temps: []string{sweep.Cold}, Reps: reps, Sample: sample, Seed: 1, Profile: profile}
}

// ReplayResult is the replay's scorecard.
type ReplayResult struct {
	Tolerance float64        `json:"tolerance"`
	Targets   []ReplayTarget `json:"targets"`
	Hits      int            `json:"hits"`
	Measured  int            `json:"measured"`
}

// MeasureReplay reads the real history's ratios off a sweep's analysis
// (the cells' median images/hour, median cache export seconds per image,
// and the base cell's prune seconds over its wall) and scores each
// against FACTS.md at ±tol (DefaultTolerance when <= 0). The three-phase
// ratio is read off remote, the sweep of a profile with a fixed per-build
// overhead (RemoteGrid), or off a when remote is nil.
func MeasureReplay(a, remote *evidence.Analysis, cells ReplayCells, tol float64) ReplayResult {
	if tol <= 0 {
		tol = DefaultTolerance
	}
	with := func(k evidence.Config, mode string) evidence.Config { k.CacheMode = mode; return k }
	iph := func(k evidence.Config) (float64, string) {
		c := findCell(a, k)
		if c == nil || c.ImagesPerHour.Median <= 0 {
			return 0, "no cell " + k.Name()
		}
		return c.ImagesPerHour.Median, ""
	}
	ratio := func(num, den evidence.Config) (float64, string) {
		n, nm := iph(num)
		d, dm := iph(den)
		if nm != "" || dm != "" {
			return 0, nm + dm
		}
		return n / d, ""
	}
	r := ReplayResult{Tolerance: tol}
	add := func(t ReplayTarget, got float64, missing string) {
		t.Got, t.Measured = got, missing == "" && !math.IsNaN(got) && !math.IsInf(got, 0)
		if !t.Measured {
			t.Note = join(t.Note, missing)
		} else {
			t.Off = got/t.Want - 1
			switch t.Kind {
			case KindAtMost:
				t.Hit = got <= t.Want*(1+tol)
			default:
				t.Hit = math.Abs(t.Off) <= tol
			}
			r.Measured++
			if t.Hit {
				r.Hits++
			}
		}
		r.Targets = append(r.Targets, t)
	}
	off, mn, mx := with(cells.Base, "off"), with(cells.Base, "min"), cells.Base

	g, m := ratio(off, mx)
	add(ReplayTarget{Name: "img/h cache off / max", Source: "#540: 50.7 / 35.5", Kind: KindRatio, Want: 50.7 / 35.5}, g, m)
	g, m = ratio(off, mn)
	add(ReplayTarget{Name: "img/h cache off / min", Source: "#540: 50.7 / 38.2", Kind: KindRatio, Want: 50.7 / 38.2}, g, m)

	g, m = 0, ""
	cmax, cmin := findCell(a, mx), findCell(a, mn)
	switch {
	case cmax == nil || cmin == nil:
		m = "no cells " + mx.Name() + " and " + mn.Name()
	case cmin.Phases.CacheExport <= 0:
		m = "cell " + mn.Name() + " recorded no cache export"
	default:
		g = cmax.Phases.CacheExport / cmin.Phases.CacheExport
	}
	add(ReplayTarget{Name: "cache export s/image max / min", Source: "#540: 22.4 / 11.7", Kind: KindRatio, Want: 22.4 / 11.7}, g, m)

	g, m = ratio(cells.PR, with(cells.Base, cells.PR.CacheMode))
	add(ReplayTarget{Name: fmt.Sprintf("img/h %s / %s", cells.PR.Name(), with(cells.Base, cells.PR.CacheMode).Name()),
		Source: "PR #525: W=16/B=50 not faster (34.4 img/h, 10 h limit)", Kind: KindAtMost, Want: 1}, g, m)

	g, m = 0, ""
	if cmax == nil {
		m = "no cell " + mx.Name()
	} else {
		var prune, wall float64
		for _, t := range cmax.TrialRecords() {
			prune += t.PruneSeconds
			wall += t.WallSeconds
		}
		if prune == 0 {
			m = "no prune in cell " + mx.Name() + " (lower the prune threshold)"
		}
		g = safe(prune, wall)
	}
	add(ReplayTarget{Name: "prune share of wall, " + mx.Name(), Source: "#551: two prunes ~40 min of 9h04m", Kind: KindRatio, Want: 40.0 / 544}, g, m)

	single := cells.ThreePhase
	single.Strategy = workload.Single
	note := "with a fixed per-build overhead: the builder stage re-run by every single-pass build (profile replay-remote)"
	if remote == nil {
		note = "on the replay profile itself: no fixed per-build overhead (the builder stage is cached locally for single too)"
	} else {
		a = remote
	}
	g, m = ratio(cells.ThreePhase, single)
	add(ReplayTarget{Name: "img/h three-phase / single", Source: "#555: ~6 h -> ~50 min (500 images)", Kind: KindRatio, Want: 360.0 / 50,
		Note: note}, g, m)
	return r
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
