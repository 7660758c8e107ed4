package sweep

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/buildtune/buildtune/analyze"
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
//     as all earlier rounds together).
//  4. It stops, recording Event{Type: "stop"} with the reason, when Halve
//     says Done (only the best is left), or when the next round's estimate
//     (each trial at the longest measured time of its cell and temp) would
//     take the sweep past the budget. Round 1 is checked against the budget
//     with the Estimate model before the sweep starts; a round is never cut
//     short once started.
//
// Halve is consulted after every round on growing samples; each look is a
// new test, so an Alpha smaller than the usual 0.05 guards against dropping
// a cell that is not truly worse (see analyze.HalveWith).
//
// Resuming replays the same decisions from the records: rounds, trial
// indexes and drops follow from the seed and the finished trials.
func (s *session) adaptive(ctx context.Context) error {
	cells := s.g.Cells()
	p := newPlanner(s.g)
	done, target := 0, s.o.InitialReps
	var stop string
	lastTrial := 0
	for round := 1; ; round++ {
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

		d := analyze.HalveWith(s.coldThroughput(cells), true, analyze.HalvingPolicy{Alpha: s.o.Alpha, TTests: true})
		s.sum.Best = d.Best
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
		cells = keep(cells, d.Keep)
		if d.Done {
			stop = fmt.Sprintf("done: %s is ahead of every other cell after round %d", d.Best, round)
			if d.Decisive {
				stop = fmt.Sprintf("done: %s is significantly ahead of every other cell after round %d", d.Best, round)
			}
			break
		}
		done, target = target, 2*target
	}
	s.sum.Kept = names(cells)
	msg := stop
	if len(cells) > 1 {
		msg += "; still in the running: " + strings.Join(s.sum.Kept, ", ")
	}
	fmt.Fprintln(s.log, "stop: "+msg)
	s.sum.Stop = msg
	return s.w.Write(&record.Event{Run: s.info.ID, Trial: lastTrial, Time: s.o.Now(), Type: record.EventStop, Message: msg})
}

// coldThroughput returns, per cell, the images/hour of its finished cold
// trials (the latest record of each trial index).
func (s *session) coldThroughput(cells []Cell) map[string][]float64 {
	out := make(map[string][]float64, len(cells))
	for _, c := range cells {
		out[c.Name()] = nil
	}
	idx := make([]int, 0, len(s.last))
	for i := range s.last {
		idx = append(idx, i)
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
