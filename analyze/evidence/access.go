package evidence

import "github.com/buildtune/buildtune/sweep/record"

// TrialThroughputs returns the images/hour of each trial of the cell, in
// record order (for plots of per-trial points).
func (c *Cell) TrialThroughputs() []float64 { return c.throughput() }

// ImageWallSeconds returns the wall time of each built image of the cell.
func (c *Cell) ImageWallSeconds() []float64 {
	var out []float64
	for _, im := range builtImages(c.images) {
		out = append(out, im.WallSeconds)
	}
	return out
}

// Trials returns the cell's trial records.
func (c *Cell) TrialRecords() []record.Trial { return c.trials }

// Concurrency is how many builds of the cell ran at once: its workers,
// capped by its batch size and by the images of a trial (see Concurrency).
func (c *Cell) Concurrency() int {
	n := 0
	for _, t := range c.trials {
		n = max(n, t.Images)
	}
	return Concurrency(c.Config, n)
}

// timed reports whether some built image of the cell recorded a build
// time: a cell whose images all say 0 s has no per-image seconds, and a
// prediction from it would put the trials' whole wall time into the fixed
// cost of a run, whatever the number of images.
func (c *Cell) timed() bool {
	for _, im := range c.images {
		if im.WallSeconds > 0 {
			return true
		}
	}
	return false
}

// sampleImages is the most images a trial of the cell built or tried (0
// when no trial says).
func (c *Cell) sampleImages() int {
	n := 0
	for _, t := range c.trials {
		n = max(n, t.Images)
	}
	return n
}
