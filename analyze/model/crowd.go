package model

// Crowding: images that run alone run faster.
//
// Builds that run at once share the daemon's cores, its registry
// connections and the registry link, so an image's seconds depend on how
// many other images were in flight while it ran. A sweep cell measures
// images at its own crowding; a full build at another batch size runs some
// of them less crowded (the last images of every batch wait at the barrier
// alone, the last images of a stream drain alone). Crowding models that
// with a processor-sharing schedule: with n images in flight, every one of
// them progresses at 1/g(n) of its speed alone, g(n) = 1 + Beta·(n−1). An
// observation of d seconds at a time-averaged crowding c (ImageObs.Crowd,
// itself included) stands for d/g(c) seconds alone; the simulation then
// stretches that work by g(n) for the n in flight at each moment.
//
// Beta comes from the sweep itself (FitCrowding): the same images measured
// at several crowdings, in cells of several worker counts and in the
// drains of their trials. Beta 0 is the plain list schedule (Simulate
// without crowding).

import (
	"math"
	"slices"
)

// CrowdObs is one image observation for FitCrowding.
type CrowdObs struct {
	// Image names the image: its observations share one speed alone.
	Image string
	// Seconds is the build time and Crowd the time-averaged number of
	// images in flight while it ran, itself included (at least 1).
	Seconds, Crowd float64
}

// CrowdFit is a fitted crowding coefficient.
type CrowdFit struct {
	// Beta is the slowdown per other image in flight: g(n) = 1 + Beta·(n−1).
	Beta float64
	// Images is the number of images observed at two or more crowdings
	// (those that carry the fit) and Observations their observations.
	Images, Observations int
	// Span is the range of crowding those observations cover (max − min),
	// Lo and Hi its ends (all 0 when there is no fit).
	Span, Lo, Hi float64
}

// Fitted says the fit rests on images seen at two crowdings or more (at
// least 2 of them, over a span of 0.5 or more): a model of how an image
// slows down with the images beside it, whatever Beta it found (0 is a
// finding too: no slowdown over Lo-Hi). Without it Beta is 0 for want of
// data and models nothing.
func (f CrowdFit) Fitted() bool { return f.Images >= 2 && f.Span >= 0.5 }

// MaxCrowdBeta bounds Beta: at 4, two images in flight take five times as
// long as one alone, past any sharing of a resource between two builds.
const MaxCrowdBeta = 4.0

// crowdGrid is the resolution of FitCrowding's search over Beta, and
// crowdCoarse the step of its first pass.
const (
	crowdGrid   = 0.005
	crowdCoarse = 0.05
)

// FitCrowding fits Beta by least squares on the log scale, each image with
// its own speed alone: log d = a_image + log g(c) + noise, a_image profiled
// out (the mean of log d − log g(c) over the image's observations), Beta
// searched on [0, MaxCrowdBeta] in steps of 0.05, then around the best of
// those in steps of 0.005. Only images observed at
// crowdings at least 0.5 apart carry information; with fewer than 2 such
// images, or a crowding span under 0.5, the fit is Beta 0 (no crowding
// model). Observations with non-finite or non-positive seconds or a
// crowding below 1 are ignored.
func FitCrowding(obs []CrowdObs) CrowdFit {
	type pt struct{ logd, c float64 }
	by := map[string][]pt{}
	var order []string
	for _, o := range obs {
		if !(o.Seconds > 0) || !isFinite(o.Seconds) || !(o.Crowd >= 1) || !isFinite(o.Crowd) || o.Image == "" {
			continue
		}
		if _, ok := by[o.Image]; !ok {
			order = append(order, o.Image)
		}
		by[o.Image] = append(by[o.Image], pt{math.Log(o.Seconds), o.Crowd})
	}
	var fit CrowdFit
	var groups [][]pt
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, im := range order {
		ps := by[im]
		cmin, cmax := ps[0].c, ps[0].c
		for _, p := range ps {
			cmin, cmax = math.Min(cmin, p.c), math.Max(cmax, p.c)
		}
		if cmax-cmin < 0.5 {
			continue
		}
		groups = append(groups, ps)
		fit.Images++
		fit.Observations += len(ps)
		lo, hi = math.Min(lo, cmin), math.Max(hi, cmax)
	}
	if fit.Images < 2 || hi-lo < 0.5 {
		return CrowdFit{Images: fit.Images, Observations: fit.Observations}
	}
	fit.Span, fit.Lo, fit.Hi = hi-lo, lo, hi
	sse := func(beta float64) float64 {
		var s float64
		for _, ps := range groups {
			var a float64
			for _, p := range ps {
				a += p.logd - math.Log(crowdG(beta, p.c))
			}
			a /= float64(len(ps))
			for _, p := range ps {
				r := p.logd - math.Log(crowdG(beta, p.c)) - a
				s += r * r
			}
		}
		return s
	}
	// A coarse grid, then the fine grid around its best point: the sum
	// of squares is smooth in beta, and a sweep of thousands of images
	// does not pay for 800 passes over them.
	best, bestSSE := 0.0, sse(0)
	search := func(lo, hi, step float64) {
		for b := lo; b <= hi+1e-9; b += step {
			b := math.Round(b/crowdGrid) / (1 / crowdGrid)
			if b < 0 || b > MaxCrowdBeta {
				continue
			}
			if v := sse(b); v < bestSSE {
				best, bestSSE = b, v
			}
		}
	}
	search(0, MaxCrowdBeta, crowdCoarse)
	search(best-crowdCoarse, best+crowdCoarse, crowdGrid)
	fit.Beta = best
	return fit
}

// crowdG is the slowdown with n images in flight: 1 + beta·(n−1), at
// least 1.
func crowdG(beta, n float64) float64 {
	return math.Max(1, 1+beta*(n-1))
}

// AloneSeconds converts an observation of seconds at crowding crowd into
// seconds alone under beta (seconds unchanged when beta or crowd is not
// usable).
func AloneSeconds(seconds, crowd, beta float64) float64 {
	if !(beta > 0) || !(crowd >= 1) || !isFinite(crowd) {
		return seconds
	}
	return seconds / crowdG(beta, crowd)
}

// pool runs images under processor sharing: every image in flight
// progresses at 1/g(n) of its speed alone. Work is in seconds alone.
type pool struct {
	beta float64
	// rem is the remaining work of each image in flight and took its
	// real seconds so far.
	rem, took []float64
}

func (p *pool) n() int { return len(p.rem) }

// untilNext returns the real seconds until the first image in flight
// finishes (+Inf when none is).
func (p *pool) untilNext() float64 {
	if len(p.rem) == 0 {
		return math.Inf(1)
	}
	return slices.Min(p.rem) * crowdG(p.beta, float64(len(p.rem)))
}

// advance lets dt real seconds pass and returns the real durations of the
// images that finished (those whose work ran out, within rounding).
func (p *pool) advance(dt float64) (done []float64) {
	g := crowdG(p.beta, float64(len(p.rem)))
	work := dt / g
	k := 0
	for i := range p.rem {
		r := p.rem[i] - work
		took := p.took[i] + dt
		if r <= 1e-9*math.Max(1, p.rem[i]) {
			done = append(done, took)
			continue
		}
		p.rem[k], p.took[k] = r, took
		k++
	}
	p.rem, p.took = p.rem[:k], p.took[:k]
	return done
}

func (p *pool) start(work float64) {
	p.rem = append(p.rem, work)
	p.took = append(p.took, 0)
}

// crowdedBatch runs one batch as a pool of slots under processor sharing
// and returns its span and the images' summed real seconds (partial once
// st says to stop).
func crowdedBatch(ds []float64, slots int, beta float64, st *stopper) (span, busy float64) {
	p := pool{beta: beta}
	next := 0
	for (next < len(ds) || p.n() > 0) && !st.event() {
		for p.n() < slots && next < len(ds) {
			p.start(ds[next])
			next++
		}
		dt := p.untilNext()
		span += dt
		for _, d := range p.advance(dt) {
			busy += d
		}
	}
	return span, busy
}

// simulateCrowdedStream is simulateStream under processor sharing, with
// the same prune rule: a prune starts when an image finishes past the
// threshold; images in flight keep running, and none starts until it ends.
func simulateCrowdedStream(r *SimResult, ds []float64, w int, fixed, grow float64, pruning bool, threshold, keep, cost, beta float64, st *stopper) {
	r.Batches = 1
	r.BusySeconds = 0
	if len(ds) == 0 {
		r.Batches = 0
		r.Makespan = fixed
		return
	}
	p := pool{beta: beta}
	t, blockedUntil := fixed, fixed
	next := 0
	for (next < len(ds) || p.n() > 0) && !st.event() {
		for p.n() < w && next < len(ds) && t >= blockedUntil {
			p.start(ds[next])
			next++
		}
		dt := p.untilNext()
		if t < blockedUntil && blockedUntil-t < dt {
			// The prune ends before the next image does: start again then.
			p.advance(blockedUntil - t) // finishes nothing, by the test above
			t = blockedUntil
			continue
		}
		if math.IsInf(dt, 1) {
			// Nothing in flight and starts blocked: wait for the prune.
			t = blockedUntil
			continue
		}
		t += dt
		for _, d := range p.advance(dt) {
			r.BusySeconds += d
			r.Disk += grow
			if next < len(ds) && pruning && t >= blockedUntil && r.Disk >= threshold {
				r.Prunes++
				r.PruneSeconds += cost
				blockedUntil = t + cost
				r.Disk = math.Min(r.Disk, keep)
			}
		}
	}
	r.Makespan = t
}
