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
type Reducer struct {
	mu       sync.Mutex
	first    time.Time
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
			if r.first.IsZero() || v.Started.Before(r.first) {
				r.first = *v.Started
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

func (vs *vertexState) list(now time.Time) []Interval {
	var out []Interval
	for s, e := range vs.intervals {
		if e.IsZero() {
			e = now
		}
		out = append(out, Interval{s, e})
	}
	return out
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
	for _, d := range r.order {
		vs := r.vertices[d]
		kind, isRun := Classify(vs.name)
		ivs := vs.list(now)
		switch kind {
		case KindStep:
			res.TotalSteps++
			if vs.cached {
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
	if !r.first.IsZero() && !res.Start.IsZero() && r.first.After(res.Start) {
		res.QueueSeconds = r.first.Sub(res.Start).Seconds()
	}
}
