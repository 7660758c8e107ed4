package evidence

import (
	"strings"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// The unit of a build is the instance, not the record.
//
// A single-strategy build writes one image record per instance. The
// three-phase strategy writes one record per build: a "builder" record for
// the shared phases (Instance "", ID "shared/builder"), built once per run
// on one daemon before any instance starts (internal/fleet: Run builds the
// shared phases, then RunBatches the instances, a barrier in between), and
// per instance a "base" and an "assembly" record, built one after the other
// on the same daemon inside one job of the worker pool: the job holds its
// worker slot from the base's start to the assembly's end, and the batch
// barrier waits for the assembly.
//
// jobsOf folds the records of one instance's job in one trial into one
// record: its wall seconds are the span from the first phase's start to the
// last phase's end (the worker slot's occupancy, the few milliseconds
// between phases included; the sum of the phases' wall seconds when a
// record has no timestamps), its costs the sums of the phases' costs, its
// status built only when every phase was built without error. The shared
// phases are returned apart: they are not an image of the build but a cost
// paid once per run before the first job, which the fixed per-run cost
// (trial wall minus the simulated makespan of the trial's jobs,
// model.FixedCost) carries. A single-strategy record is its own job,
// returned unchanged.

// isShared reports whether a record is a build of the shared phases (the
// three-phase builder), built once per run for every instance.
func isShared(im record.Image) bool {
	return im.Instance == "" && (im.Phase == "builder" || strings.HasPrefix(im.ID, "shared/"))
}

// jobsOf splits records into instance jobs (see above), in the order of
// each job's first record, and shared-phase records, in record order.
func jobsOf(ims []record.Image) (jobs, shared []record.Image) {
	type key struct {
		trial int
		id    string
	}
	// open is the job of a key still taking phases; a phase seen twice
	// (an instance built twice in one trial) starts a new job.
	open := map[key]int{}
	phases := map[int][]string{}
	var groups [][]record.Image
	for _, im := range ims {
		if isShared(im) {
			shared = append(shared, im)
			continue
		}
		k := key{im.Trial, instanceOf(im)}
		g, ok := open[k]
		if ok && (im.Phase == "" || contains(phases[g], im.Phase)) {
			ok = false
		}
		if !ok {
			g = len(groups)
			groups = append(groups, nil)
			open[k] = g
		}
		groups[g] = append(groups[g], im)
		phases[g] = append(phases[g], im.Phase)
	}
	jobs = make([]record.Image, 0, len(groups))
	for _, g := range groups {
		jobs = append(jobs, mergeJob(g))
	}
	return jobs, shared
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// mergeJob folds the phase records of one job into one record.
func mergeJob(g []record.Image) record.Image {
	if len(g) == 1 {
		return g[0]
	}
	out := g[0]
	out.ID = instanceOf(g[0])
	var names []string
	var sum float64
	var start, end time.Time
	stamped := true
	out.Cost = record.Cost{ID: out.ID}
	for i, im := range g {
		names = append(names, im.Phase)
		c := im.Cost
		sum += c.WallSeconds
		if c.Start.IsZero() || c.End.IsZero() {
			stamped = false
		} else {
			if start.IsZero() || c.Start.Before(start) {
				start = c.Start
			}
			if end.IsZero() || c.End.After(end) {
				end = c.End
			}
		}
		o := &out.Cost
		o.QueueSeconds += c.QueueSeconds
		o.ExecSeconds += c.ExecSeconds
		o.StepSeconds += c.StepSeconds
		o.ImageExportSeconds += c.ImageExportSeconds
		o.LayerPushSeconds += c.LayerPushSeconds
		o.ManifestExportSeconds += c.ManifestExportSeconds
		o.CacheImportSeconds += c.CacheImportSeconds
		o.CacheImportMisses += c.CacheImportMisses
		o.CacheExportSeconds += c.CacheExportSeconds
		o.CachedSteps += c.CachedSteps
		o.TotalSteps += c.TotalSteps
		o.ImageBytes += c.ImageBytes
		o.Digest = c.Digest
		if o.ErrClass == record.ErrNone && c.ErrClass != record.ErrNone {
			o.ErrClass, o.Error = c.ErrClass, c.Error
		}
		if i > 0 {
			out.Attempts = max(out.Attempts, im.Attempts)
			out.PoolWaitSeconds += im.PoolWaitSeconds
			out.BatchIndex = min(out.BatchIndex, im.BatchIndex)
			out.Tag = im.Tag
			if out.Status == record.StatusBuilt && im.Status != record.StatusBuilt {
				out.Status = im.Status
			}
		}
	}
	out.Phase = strings.Join(names, "+")
	out.WallSeconds = sum
	out.Start, out.End = g[0].Start, time.Time{}
	if stamped {
		out.Start, out.End = start, end
		if span := end.Sub(start).Seconds(); span > 0 {
			out.WallSeconds = span
		}
	}
	return out
}
