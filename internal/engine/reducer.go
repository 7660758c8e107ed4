package engine

import (
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// Interval is a closed time interval.
type Interval struct{ Start, End time.Time }

// Union returns the total length covered by the intervals, counting
// overlapping stretches once. An interval that ends before it starts (a
// daemon clock step, a garbled update) covers nothing; the total saturates
// rather than overflow.
func Union(ivs []Interval) time.Duration {
	if len(ivs) == 0 {
		return 0
	}
	s := make([]Interval, len(ivs))
	for i, iv := range ivs {
		if iv.End.Before(iv.Start) {
			iv.End = iv.Start
		}
		s[i] = iv
	}
	sort.Slice(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	var total time.Duration
	add := func(iv Interval) {
		d := iv.End.Sub(iv.Start) // >= 0, saturated by Sub
		if total > math.MaxInt64-d {
			total = math.MaxInt64
			return
		}
		total += d
	}
	cur := s[0]
	for _, iv := range s[1:] {
		if !iv.Start.After(cur.End) {
			if iv.End.After(cur.End) {
				cur.End = iv.End
			}
			continue
		}
		add(cur)
		cur = iv
	}
	add(cur)
	return total
}

type vertexState struct {
	name      string
	cached    bool
	errored   bool
	intervals map[time.Time]time.Time // started -> completed (zero while running)
}

type statusState struct {
	vertex    digest.Digest
	name      string
	total     int64
	started   *time.Time
	completed *time.Time
}

// Reducer folds a BuildKit SolveStatus stream into per-step durations and
// cache hits. A vertex can appear many times in the stream (updates, and
// restarts of the same step): its intervals are merged by start time, and
// it counts once. It is safe for concurrent use.
//
// Builds running at once on one daemon share the steps they have in common
// (BuildKit's solver merges equal vertices of active jobs), and a build that
// joins a shared step gets that step's whole history in its own stream,
// with the times it had in the build that ran it: a step that ran and ended
// before this build started, reported as run and not cached. The reducer
// counts only this build's part: the time after its own start (the start of
// its "[internal] load build definition" step, on the daemon's clock, so no
// clock skew between client and daemon matters), and a shared step that
// ended before that as a cache hit, which is what it was for this build.
type Reducer struct {
	mu       sync.Mutex
	own      time.Time // start of this build's definition load, zero until seen
	vertices map[digest.Digest]*vertexState
	order    []digest.Digest
	statuses map[string]*statusState
}

// NewReducer returns an empty reducer.
func NewReducer() *Reducer {
	return &Reducer{vertices: map[digest.Digest]*vertexState{}, statuses: map[string]*statusState{}}
}

// Add folds one status update in.
func (r *Reducer) Add(st *client.SolveStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range st.Vertexes {
		vs, ok := r.vertices[v.Digest]
		if !ok {
			vs = &vertexState{intervals: map[time.Time]time.Time{}}
			r.vertices[v.Digest] = vs
			r.order = append(r.order, v.Digest)
		}
		if v.Name != "" {
			vs.name = v.Name
		}
		vs.cached = vs.cached || v.Cached
		vs.errored = vs.errored || v.Error != ""
		if v.Started != nil {
			if strings.HasPrefix(vs.name, ownStepPrefix) && (r.own.IsZero() || v.Started.Before(r.own)) {
				r.own = *v.Started
			}
			end := vs.intervals[*v.Started]
			if v.Completed != nil {
				end = *v.Completed
			}
			vs.intervals[*v.Started] = end
		}
	}
	for _, s := range st.Statuses {
		ss, ok := r.statuses[s.ID]
		if !ok {
			ss = &statusState{}
			r.statuses[s.ID] = ss
		}
		ss.vertex = s.Vertex
		if s.Name != "" {
			ss.name = s.Name
		}
		if s.Total > ss.total {
			ss.total = s.Total
		}
		if s.Started != nil && ss.started == nil {
			t := *s.Started
			ss.started = &t
		}
		if s.Completed != nil {
			t := *s.Completed
			ss.completed = &t
		}
	}
}

// ownStepPrefix names the first step of every Dockerfile frontend solve, one
// of the build's own (its digest is unique to the solve).
const ownStepPrefix = "[internal] load build definition"

// Kind classifies a vertex by its name.
type Kind int

// Vertex kinds.
const (
	KindOther Kind = iota
	KindStep       // a Dockerfile instruction: "[stage 2/5] RUN ..."
	KindImageExport
	KindCacheExport
	KindCacheImport
)

// Classify returns the kind of a vertex name and whether it is a RUN step.
func Classify(name string) (Kind, bool) {
	switch {
	case strings.HasPrefix(name, "exporting to image"), strings.HasPrefix(name, "exporting to oci image"):
		return KindImageExport, false
	case strings.HasPrefix(name, "exporting cache"):
		return KindCacheExport, false
	case strings.HasPrefix(name, "importing cache manifest"):
		return KindCacheImport, false
	case strings.HasPrefix(name, "[internal]"), strings.HasPrefix(name, "[auth]"):
		return KindOther, false
	case strings.HasPrefix(name, "["):
		i := strings.IndexByte(name, ']')
		if i < 0 {
			return KindOther, false
		}
		rest := strings.TrimSpace(name[i+1:])
		return KindStep, strings.HasPrefix(rest, "RUN ")
	}
	return KindOther, false
}

// list returns the vertex's intervals, open ones closed at now, cut to start
// no earlier than from (when set): the part of a shared step before this
// build joined it belongs to the build that ran it. shared reports a vertex
// that had intervals, all of them ended by from.
func (vs *vertexState) list(now, from time.Time) (out []Interval, shared bool) {
	for s, e := range vs.intervals {
		if e.IsZero() {
			e = now
		}
		if !from.IsZero() && s.Before(from) {
			if !e.After(from) {
				continue
			}
			s = from
		}
		out = append(out, Interval{s, e})
	}
	return out, len(out) == 0 && len(vs.intervals) > 0
}

// Fill writes the reduced durations and counts into res. Open intervals are
// closed at res.End.
func (r *Reducer) Fill(res *Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := res.End
	if now.IsZero() {
		now = time.Now()
	}
	var exec, steps, imgExp, cacheExp, cacheImp []Interval
	var first time.Time
	for _, d := range r.order {
		vs := r.vertices[d]
		kind, isRun := Classify(vs.name)
		ivs, shared := vs.list(now, r.own)
		for _, iv := range ivs {
			if first.IsZero() || iv.Start.Before(first) {
				first = iv.Start
			}
		}
		switch kind {
		case KindStep:
			res.TotalSteps++
			if vs.cached || shared {
				res.CachedSteps++
			}
			steps = append(steps, ivs...)
			if isRun {
				exec = append(exec, ivs...)
			}
		case KindImageExport:
			imgExp = append(imgExp, ivs...)
		case KindCacheExport:
			cacheExp = append(cacheExp, ivs...)
		case KindCacheImport:
			cacheImp = append(cacheImp, ivs...)
		}
	}
	var push []Interval
	for id, ss := range r.statuses {
		vs := r.vertices[ss.vertex]
		if vs == nil {
			continue
		}
		kind, _ := Classify(vs.name)
		if kind != KindImageExport {
			continue
		}
		if id == "pushing layers" && ss.started != nil {
			end := now
			if ss.completed != nil {
				end = *ss.completed
			}
			push = append(push, Interval{*ss.started, end})
		}
	}
	res.ExecSeconds = Union(exec).Seconds()
	res.StepSeconds = Union(steps).Seconds()
	res.ImageExportSeconds = Union(imgExp).Seconds()
	res.CacheExportSeconds = Union(cacheExp).Seconds()
	res.CacheImportSeconds = Union(cacheImp).Seconds()
	res.LayerPushSeconds = Union(push).Seconds()
	if !first.IsZero() && !res.Start.IsZero() && first.After(res.Start) {
		res.QueueSeconds = first.Sub(res.Start).Seconds()
	}
}
