package sweep

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"

	"github.com/buildtune/buildtune/sweep/record"
)

// Trial is one cell building the whole sample once.
type Trial struct {
	// Index numbers the trials from 1 in the order they run; it is the
	// "trial" key of every record the trial writes.
	Index int
	// Unit numbers the units from 1: a unit is one cold trial and, when
	// the grid has warm trials, the warm trial right after it.
	Unit int
	Cell Cell
	// Rep is the unit's repetition of its cell, from 1.
	Rep int
	// Temp is Cold or Warm.
	Temp string
	// SDKSha is the SDK sha the trial builds with: derived from the seed
	// and the unit, different for the cold and the warm trial, so a warm
	// trial sees an SDK bump.
	SDKSha string
	// Round is the round of an adaptive sweep (1 for a fixed sweep).
	Round int
	// Profile is the grid's profile, for records.
	Profile string
	// Run is the run's id (RunInfo.ID), set by Run, for records.
	Run string
}

// Config returns the record keys of the trial: the cell's, plus temp, rep
// and profile. BuildKitVersion, Host and Daemons are the runner's to fill.
func (t Trial) Config() record.Config {
	cfg := t.Cell.Config()
	cfg.Temp = t.Temp
	cfg.Rep = t.Rep
	cfg.Profile = t.Profile
	return cfg
}

// String names the trial in logs: "trial 3 w4-b8-min-single cold rep 2".
func (t Trial) String() string {
	return fmt.Sprintf("trial %d %s %s rep %d", t.Index, t.Cell.Name(), t.Temp, t.Rep)
}

// Plan returns the trials of a fixed sweep of g: Reps units per cell, each
// a cold trial followed (when g has warm) by a warm trial of the same cell.
// Units run round-robin over the reps (every cell's rep 1, then every
// cell's rep 2, ...), shuffled within each round from the seed, and when a
// round would start with the cell that ended the previous one, its first
// two units are swapped: two units of the same cell never follow each
// other unless the grid has a single cell. Plan is deterministic for a
// grid; it does not validate it.
func Plan(g Grid) []Trial {
	p := newPlanner(g)
	return p.plan(g.Cells(), 1, g.Reps, 1)
}

// planner hands out trial and unit numbers across the rounds of a sweep.
type planner struct {
	seed    int64
	warm    bool
	profile string
	trials  int    // trials planned so far
	units   int    // units planned so far
	last    string // cell name of the last unit planned
}

func newPlanner(g Grid) *planner {
	return &planner{seed: g.Seed, warm: g.HasWarm(), profile: g.Profile}
}

// plan plans reps fromRep..toRep (inclusive) of cells, continuing the
// numbering of earlier calls.
func (p *planner) plan(cells []Cell, fromRep, toRep, round int) []Trial {
	var out []Trial
	for rep := fromRep; rep <= toRep; rep++ {
		order := shuffled(len(cells), p.seed, rep)
		if len(order) > 1 && cells[order[0]].Name() == p.last {
			order[0], order[1] = order[1], order[0]
		}
		for _, ci := range order {
			c := cells[ci]
			p.units++
			p.trials++
			out = append(out, Trial{Index: p.trials, Unit: p.units, Cell: c, Rep: rep, Temp: Cold,
				SDKSha: sdkSha(p.seed, p.units, Cold), Round: round, Profile: p.profile})
			if p.warm {
				p.trials++
				out = append(out, Trial{Index: p.trials, Unit: p.units, Cell: c, Rep: rep, Temp: Warm,
					SDKSha: sdkSha(p.seed, p.units, Warm), Round: round, Profile: p.profile})
			}
			p.last = c.Name()
		}
	}
	return out
}

// shuffled returns a permutation of 0..n-1 drawn from (seed, rep). It is
// written out (Fisher-Yates over PCG, whose output is specified) rather than
// rand.Shuffle so that the order cannot change with the Go version: a resumed
// sweep must plan the same trials.
func shuffled(n int, seed int64, rep int) []int {
	rng := rand.NewPCG(uint64(seed), uint64(rep)^0x6275696c6474756e) // "buildtun"
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(rng.Uint64() % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// sdkSha derives a 40-hex-digit SDK sha from the seed, the unit and the temp.
func sdkSha(seed int64, unit int, temp string) string {
	sum := sha1.Sum(fmt.Appendf(nil, "buildtune-sdk/%d/%d/%s", seed, unit, temp))
	return hex.EncodeToString(sum[:])
}
