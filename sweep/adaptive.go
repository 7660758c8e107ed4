package sweep

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// DefaultInitialReps is an adaptive sweep's reps per cell in round 1. With
// analyze's two-sided Mann-Whitney test, 3 vs 3 cannot reach p < 0.05 (at
// best 0.1); after round 1 only the t-tests on logs can drop a cell (a
// plainly slower one: see analyze.HalvingPolicy.TTests), and Mann-Whitney
// joins after round 2 (6 vs 6, p at best 0.0022, enough for Holm's
// correction over a dozen cells).
const DefaultInitialReps = 3

// adaptive runs successive halving within the budget:
//
//  1. Round 1 runs every cell with InitialReps units, planned and
//     interleaved like a fixed sweep.
//  2. After each round, analyze.HalveWith ranks the surviving cells on the
//     images/hour of their finished cold trials (higher is better; warm
//     trials are run when the grid has them but do not decide, as cold
//     and warm are kept apart) and every cell significantly worse than the
//     best at Alpha is dropped, recorded as Event{Type: "drop"} with the
//     evidence (medians, n, p-values): worse by Mann-Whitney, or by both
//     t-tests on the logs (HalvingPolicy.TTests), which is what lets round
//     1's 3 reps drop the cells that are plainly slower.
//  3. The survivors' reps double (3, 6, 12, ...: round k adds as many units
//     as all earlier rounds together), up to MaxReps.
//  4. It stops, recording Event{Type: "stop"} with the reason, when Halve
//     says Done (only the best is left) or the cells left are shown
//     equivalent (equivalentSurvivors) in every registry bandwidth
//     condition (see below); when the cells left have MaxReps reps; or
//     when the next round's estimate (each trial at the longest measured
//     time of its cell and temp) would take the sweep past the budget.
//     Round 1 is checked against the budget with the Estimate model
//     before the sweep starts; a round is never cut short once started.
//
// MaxReps defaults to the grid's Reps, what the fixed sweep of the same
// grid gives every cell. The adaptive sweep is then that fixed sweep less
// the trials it can show are not needed: those of cells plainly behind,
// and those of cells shown equivalent to the best. Two cells the fixed
// sweep's reps cannot tell apart are left as the fixed sweep leaves them
// (the recommendation says it is not confident, or names a lead), instead
// of being measured round after round (12, 24, 48 reps) until the budget
// runs out: on a noisy machine two cells 2% apart need hundreds of trials
// to be told apart or shown within a 3% margin. A larger MaxReps
// (--max-reps) buys that precision with the budget.
//
// The registry bandwidth is a condition the build runs under, not a knob
// (see analyze/evidence: cells of different bandwidths are never ranked
// against each other). A grid of several bandwidths is halved condition by
// condition: each condition's cells are ranked among themselves, each
// condition keeps its own best and drops only cells significantly worse
// than it, and a condition is done when it has one survivor, which then
// gets no more trials. The sweep is done when every condition is. A capped
// cell is slower because its link is, which says nothing about its knobs.
// A grid of one condition is halved exactly as before conditions were
// halved apart (same trials, drops and messages).
//
// Holm's correction, and the variance the pooled t-test pools, are taken
// within each condition's family: HalveWith is called on one condition's
// cells at a time. Each condition answers its own question (which knobs to
// use under that link; recommend and report answer one per condition, and
// analyze/evidence's ranking corrects within each condition too), so the
// error to control is that of a wrong drop within the condition, and the
// sweep drops by the same family the analysis later ranks by. Correcting
// across all conditions would make a condition's drops depend on how many
// other bandwidths the grid happens to hold; the repeated looks are
// allowed for by Alpha, as before. Pooling the variance within the
// condition matters too: a capped link's trials need not spread like an
// unlimited one's.
//
// Halve is consulted after every round on growing samples; each look is a
// new test, so an Alpha smaller than the usual 0.05 guards against dropping
// a cell that is not truly worse (see analyze.HalveWith).
//
// Resuming replays the same decisions from the records: rounds, trial
// indexes and drops follow from the seed and the finished trials, and the
// conditions, their order (conditionsOf) and which are done follow from
// the grid and those decisions.
func (s *session) adaptive(ctx context.Context) error {
	conds := conditionsOf(s.g.Cells())
	p := newPlanner(s.g)
	done, target := 0, s.o.InitialReps
	var stop string
	lastTrial := 0
	for round := 1; ; round++ {
		// The cells still to measure, in the grid's order: the survivors
		// of every condition not yet done.
		cells := survivors(s.g.Cells(), conds, false)
		trials := p.plan(cells, done+1, target, round)
		if round > 1 {
			est := s.estimate(pending(trials, s.last))
			left := s.o.Budget - s.elapsed()
			if est > left {
				stop = fmt.Sprintf("budget: round %d (%d trials, %d cells to %d reps) needs about %v, %v of the %v budget left",
					round, len(trials), len(cells), target, est.Round(time.Second), max(left, 0).Round(time.Second), s.o.Budget)
				break
			}
		}
		s.sum.Rounds = round
		s.sum.Planned = p.trials
		fmt.Fprintf(s.log, "round %d: %d cells to %d reps, %d trials\n", round, len(cells), target, len(trials))
		if err := s.runTrials(ctx, trials, p.trials); err != nil {
			return err
		}
		if len(trials) > 0 {
			lastTrial = trials[len(trials)-1].Index
		}

		tp := s.coldThroughput(cells, p.trials)
		for _, c := range conds {
			if c.done {
				continue
			}
			d := analyze.HalveWith(c.throughput(tp), true, analyze.HalvingPolicy{Alpha: s.o.Alpha, TTests: true})
			c.best = d.Best
			for _, ev := range d.Drop {
				s.sum.Dropped = append(s.sum.Dropped, ev)
				fmt.Fprintf(s.log, "round %d: drop %s\n", round, ev)
				if s.drops[ev.Cell] {
					continue // recorded by the run that was resumed
				}
				s.drops[ev.Cell] = true
				if err := s.w.Write(&record.Event{Run: s.info.ID, Trial: lastTrial, Time: s.o.Now(), Type: record.EventDrop,
					Cell: ev.Cell, Message: fmt.Sprintf("round %d: %s", round, ev)}); err != nil {
					return err
				}
			}
			c.cells = keep(c.cells, d.Keep)
			if d.Done {
				c.done, c.round, c.decisive = true, round, d.Decisive
			} else if eq := equivalentSurvivors(c.throughput(tp), d.Keep, s.o.EquivalenceMargin, s.o.Alpha); eq != "" {
				c.done, c.round, c.equivalent = true, round, eq
			}
		}
		s.sum.Best = bests(conds)
		if allDone(conds) {
			stop = doneMessage(conds)
			break
		}
		if target >= s.o.MaxReps {
			stop = fmt.Sprintf("max reps: the cells left have %d reps each, the most a cell gets (the fixed sweep's reps unless --max-reps says otherwise), without being separated or shown equivalent",
				target)
			break
		}
		done, target = target, min(2*target, s.o.MaxReps)
	}
	s.sum.Kept = names(survivors(s.g.Cells(), conds, true))
	msg := stop
	if len(conds) == 1 {
		if c := conds[0]; len(c.cells) > 1 && !c.done {
			msg += "; still in the running: " + strings.Join(names(c.cells), ", ")
		}
	} else if !allDone(conds) {
		msg += "; " + progressMessage(conds)
	}
	fmt.Fprintln(s.log, "stop: "+msg)
	s.sum.Stop = msg
	return s.w.Write(&record.Event{Run: s.info.ID, Trial: lastTrial, Time: s.o.Now(), Type: record.EventStop, Message: msg})
}

// condition is one registry bandwidth condition of an adaptive sweep: its
// surviving cells, halved apart from every other condition's.
type condition struct {
	// label is the bandwidth ("unlimited" or a cap such as "12MiB/s").
	label string
	// cells are the survivors, in the grid's order.
	cells []Cell
	// best is the best cell at the last look.
	best string
	// done says one survivor is left (after round), decisive that every
	// other cell was dropped on significance.
	done     bool
	round    int
	decisive bool
	// equivalent, when the condition is done with several survivors,
	// says they were shown equivalent to the best (equivalentSurvivors).
	equivalent string
}

// DefaultEquivalenceMargin is the margin within which an adaptive sweep
// takes its surviving cells for equivalent and stops measuring them: the
// evidence stage's default (`--equivalence 3%`), so that the sweep stops
// where the recommendation would call the cells equivalent.
const DefaultEquivalenceMargin = 0.03

// equivalentSurvivors says, when every kept cell but the best (keep[0])
// is shown equivalent to it within margin by the two one-sided
// Mann-Whitney tests at alpha (analyze.Equivalent, on the cells'
// images/hour), what showed it; "" otherwise. Without this stop, two
// cells within a percent of each other were measured round after round
// (3, 6, 12, 24 reps) until the budget ran out, as neither can be dropped:
// the full grid's recommendation calls such cells equivalent and picks
// the cheapest, which the evidence stage does from the adaptive sweep's
// trials as well.
func equivalentSurvivors(tp map[string][]float64, keep []string, margin, alpha float64) string {
	if len(keep) < 2 {
		return ""
	}
	best := tp[keep[0]]
	worst := 0.0
	for _, name := range keep[1:] {
		e := analyze.Equivalent(best, tp[name], margin, alpha)
		if !e.Equivalent {
			return ""
		}
		worst = max(worst, e.P)
	}
	return fmt.Sprintf("%s are equivalent within ±%g%% (two one-sided tests, p=%.3g at alpha=%g)",
		strings.Join(keep, ", "), 100*margin, worst, alpha)
}

// conditionOf is a cell's registry bandwidth condition, one label per
// bandwidth ("unlimited" for a direct registry).
func conditionOf(c Cell) string {
	if c.direct() {
		return Direct
	}
	return normRegistry(c.Registry)
}

// conditionsOf groups cells by registry bandwidth condition: the caps
// ascending, then unlimited, as analyze/evidence orders conditions. The
// order only sets the order of the log lines, the drop events and the
// stop message; it is fixed by the grid, so a resume replays it.
func conditionsOf(cells []Cell) []*condition {
	var out []*condition
	by := map[string]*condition{}
	for _, c := range cells {
		label := conditionOf(c)
		cd := by[label]
		if cd == nil {
			cd = &condition{label: label}
			by[label] = cd
			out = append(out, cd)
		}
		cd.cells = append(cd.cells, c)
	}
	bw := func(label string) int64 {
		n, err := input.Bandwidth(label)
		if err != nil || n <= 0 { // unlimited, or a label no bandwidth (kept apart, last)
			return math.MaxInt64
		}
		return n
	}
	slices.SortStableFunc(out, func(a, b *condition) int {
		return cmp.Or(cmp.Compare(bw(a.label), bw(b.label)), strings.Compare(a.label, b.label))
	})
	return out
}

// throughput returns tp's entries for the condition's cells.
func (c *condition) throughput(tp map[string][]float64) map[string][]float64 {
	out := make(map[string][]float64, len(c.cells))
	for _, cell := range c.cells {
		out[cell.Name()] = tp[cell.Name()]
	}
	return out
}

// survivors returns the cells of grid (in its order) that survive in their
// condition: all of them with done, else those of conditions not done yet
// (the cells the next round measures).
func survivors(grid []Cell, conds []*condition, done bool) []Cell {
	alive := map[string]bool{}
	for _, c := range conds {
		if c.done && !done {
			continue
		}
		for _, cell := range c.cells {
			alive[cell.Name()] = true
		}
	}
	var out []Cell
	for _, c := range grid {
		if alive[c.Name()] {
			out = append(out, c)
		}
	}
	return out
}

func allDone(conds []*condition) bool {
	return !slices.ContainsFunc(conds, func(c *condition) bool { return !c.done })
}

// bests names the best cell of each condition, comma-separated (one name
// for a grid of one condition; a capped cell's name ends in its "-bw"
// bandwidth).
func bests(conds []*condition) string {
	var out []string
	for _, c := range conds {
		if c.best != "" {
			out = append(out, c.best)
		}
	}
	return strings.Join(out, ", ")
}

// doneMessage is the stop reason of a sweep whose every condition is done.
func doneMessage(conds []*condition) string {
	ahead := func(c *condition) string {
		if c.decisive {
			return "significantly ahead"
		}
		return "ahead"
	}
	if len(conds) == 1 {
		c := conds[0]
		if c.equivalent != "" {
			return fmt.Sprintf("done: %s after round %d", c.equivalent, c.round)
		}
		return fmt.Sprintf("done: %s is %s of every other cell after round %d", c.best, ahead(c), c.round)
	}
	var parts []string
	for _, c := range conds {
		if c.equivalent != "" {
			parts = append(parts, fmt.Sprintf("under %s, %s after round %d", c.label, c.equivalent, c.round))
			continue
		}
		parts = append(parts, fmt.Sprintf("under %s, %s is %s of every other cell of that bandwidth after round %d", c.label, c.best, ahead(c), c.round))
	}
	head := "done: one cell per registry bandwidth is left: "
	if slices.ContainsFunc(conds, func(c *condition) bool { return c.equivalent != "" }) {
		head = "done: every registry bandwidth has its best cell or its equivalent ones: "
	}
	return head + strings.Join(parts, "; ")
}

// progressMessage says, per condition, where a sweep of several stopped
// short of done: the condition's survivor, or the cells still in the
// running.
func progressMessage(conds []*condition) string {
	var parts []string
	for _, c := range conds {
		switch {
		case c.done && c.equivalent != "":
			parts = append(parts, fmt.Sprintf("registry bandwidth %s done after round %d (%s)", c.label, c.round, c.equivalent))
		case c.done:
			parts = append(parts, fmt.Sprintf("registry bandwidth %s done after round %d (%s)", c.label, c.round, c.best))
		case len(c.cells) == 1:
			parts = append(parts, fmt.Sprintf("registry bandwidth %s: %s", c.label, c.cells[0].Name()))
		default:
			parts = append(parts, fmt.Sprintf("still in the running under registry bandwidth %s: %s", c.label, strings.Join(names(c.cells), ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

// coldThroughput returns, per cell, the images/hour of its finished cold
// trials (the latest record of each trial index) up to trial index upTo,
// the last one planned so far. A resumed sweep replays its rounds over
// records that can run ahead of the round replayed (the trials of the
// round it was interrupted in): a look after round 1 that saw them
// decided on 3 against 4 values where the sweep itself had looked at 3
// against 3.
func (s *session) coldThroughput(cells []Cell, upTo int) map[string][]float64 {
	out := make(map[string][]float64, len(cells))
	for _, c := range cells {
		out[c.Name()] = nil
	}
	idx := make([]int, 0, len(s.last))
	for i := range s.last {
		if i <= upTo {
			idx = append(idx, i)
		}
	}
	sort.Ints(idx) // values in trial order, whatever the map's order
	for _, i := range idx {
		t := s.last[i]
		if !record.Counts(t) || t.Temp != Cold {
			continue
		}
		if _, ok := out[t.Cell]; ok {
			out[t.Cell] = append(out[t.Cell], t.ImagesPerHour)
		}
	}
	return out
}

// pending returns the trials without a finished record.
func pending(trials []Trial, last map[int]record.Trial) []Trial {
	var out []Trial
	for _, t := range trials {
		if rec, ok := last[t.Index]; !ok || rec.Interrupted {
			out = append(out, t)
		}
	}
	return out
}

// keep returns the cells named in kept, in the grid's order.
func keep(cells []Cell, kept []string) []Cell {
	set := map[string]bool{}
	for _, k := range kept {
		set[k] = true
	}
	var out []Cell
	for _, c := range cells {
		if set[c.Name()] {
			out = append(out, c)
		}
	}
	return out
}

func names(cells []Cell) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = c.Name()
	}
	return out
}
