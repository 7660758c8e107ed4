package engine

import (
	"math"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(s float64) *time.Time {
	t := t0.Add(time.Duration(s * float64(time.Second)))
	return &t
}

func TestUnion(t *testing.T) {
	iv := func(a, b float64) Interval { return Interval{*at(a), *at(b)} }
	tests := []struct {
		name string
		in   []Interval
		want float64
	}{
		{"empty", nil, 0},
		{"one", []Interval{iv(1, 3)}, 2},
		{"disjoint", []Interval{iv(0, 1), iv(2, 4)}, 3},
		{"overlap", []Interval{iv(0, 2), iv(1, 3)}, 3},
		{"nested", []Interval{iv(0, 10), iv(2, 3)}, 10},
		{"touching", []Interval{iv(0, 1), iv(1, 2)}, 2},
		{"unsorted", []Interval{iv(5, 6), iv(0, 1), iv(0.5, 2)}, 3},
	}
	for _, tt := range tests {
		if got := Union(tt.in).Seconds(); got != tt.want {
			t.Errorf("%s: Union = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		isRun bool
	}{
		{"[base-image-minimal 2/6] RUN apt-get install", KindStep, true},
		{"[3/4] COPY Dockerfile /df", KindStep, false},
		{"[builder 1/3] FROM 127.0.0.1:5000/b@sha256:00", KindStep, false},
		{"[internal] load build definition from Dockerfile", KindOther, false},
		{"[auth] sharing credentials for 127.0.0.1:5000", KindOther, false},
		{"exporting to image", KindImageExport, false},
		{"exporting cache to registry", KindCacheExport, false},
		{"importing cache manifest from 127.0.0.1:5000/x:cache", KindCacheImport, false},
		{"resolve image config", KindOther, false},
	}
	for _, tt := range tests {
		k, r := Classify(tt.name)
		if k != tt.kind || r != tt.isRun {
			t.Errorf("Classify(%q) = %v,%v want %v,%v", tt.name, k, r, tt.kind, tt.isRun)
		}
	}
}

func vtx(d, name string, start, end *time.Time, cached bool) *client.Vertex {
	return &client.Vertex{Digest: digest.Digest(d), Name: name, Started: start, Completed: end, Cached: cached}
}

// TestReducer feeds a stream shaped like the one BuildKit sends: every
// vertex first unstarted, then started, then completed; one step restarted
// (two intervals), one answered from cache, exports and a cache import.
func TestReducer(t *testing.T) {
	r := NewReducer()
	run1 := "[2/4] RUN work"
	run2 := "[3/4] RUN more"
	from := "[1/4] FROM base"
	cp := "[4/4] COPY a /a"
	r.Add(&client.SolveStatus{Vertexes: []*client.Vertex{
		vtx("sha256:a", run1, nil, nil, false),
		vtx("sha256:f", from, nil, nil, false),
		vtx("sha256:i", "importing cache manifest from r/x:c", at(0.5), nil, false),
	}})
	r.Add(&client.SolveStatus{Vertexes: []*client.Vertex{
		vtx("sha256:i", "importing cache manifest from r/x:c", at(0.5), at(1), false),
		vtx("sha256:f", from, at(1), at(1.5), false),
		vtx("sha256:f", from, at(1.5), at(2), false), // the same vertex again, a second interval
		vtx("sha256:a", run1, at(2), nil, false),
	}})
	r.Add(&client.SolveStatus{Vertexes: []*client.Vertex{
		vtx("sha256:a", run1, at(2), at(5), false),
		vtx("sha256:b", run2, at(4), at(6), false), // overlaps run1 by one second
		vtx("sha256:c", cp, at(6), at(6), true),
		vtx("sha256:e", "exporting to image", at(6), at(8), false),
		vtx("sha256:x", "exporting cache to registry", at(8), at(9), false),
	}, Statuses: []*client.VertexStatus{
		{ID: "pushing layers", Vertex: "sha256:e", Started: at(6.5), Timestamp: *at(6.5)},
	}})
	r.Add(&client.SolveStatus{Statuses: []*client.VertexStatus{
		{ID: "pushing layers", Vertex: "sha256:e", Started: at(6.5), Completed: at(7.5), Timestamp: *at(7.5)},
	}})
	res := Result{Start: *at(0), End: *at(9.5)}
	r.Fill(&res)
	check := func(name string, got, want float64) {
		t.Helper()
		if got < want-1e-9 || got > want+1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("exec", res.ExecSeconds, 4)  // [2,5] u [4,6]
	check("steps", res.StepSeconds, 5) // [1,2] u [2,6] u [6,6]
	check("image export", res.ImageExportSeconds, 2)
	check("layer push", res.LayerPushSeconds, 1)
	check("cache export", res.CacheExportSeconds, 1)
	check("cache import", res.CacheImportSeconds, 0.5)
	check("queue", res.QueueSeconds, 0.5)
	if res.TotalSteps != 4 || res.CachedSteps != 1 {
		t.Errorf("steps %d cached %d, want 4 and 1", res.TotalSteps, res.CachedSteps)
	}
}

// TestReducerOpenInterval closes a step still running at the end of the
// stream (a cancelled build) at the result's end.
func TestReducerOpenInterval(t *testing.T) {
	r := NewReducer()
	r.Add(&client.SolveStatus{Vertexes: []*client.Vertex{vtx("sha256:a", "[1/1] RUN x", at(1), nil, false)}})
	res := Result{Start: *at(0), End: *at(4)}
	r.Fill(&res)
	if res.ExecSeconds != 3 {
		t.Errorf("exec = %v, want 3", res.ExecSeconds)
	}
}

func TestParseCacheMode(t *testing.T) {
	for _, s := range []string{"off", "min", "MAX", " min "} {
		if _, err := ParseCacheMode(s); err != nil {
			t.Errorf("ParseCacheMode(%q): %v", s, err)
		}
	}
	if _, err := ParseCacheMode("maximal"); err == nil {
		t.Error("ParseCacheMode(maximal) succeeded")
	}
}

// TestReducerSharedStep feeds the stream of a build that joined steps of
// another build running on the same daemon, as BuildKit sends it (seen in
// a W=2 sweep's traces): the other build's builder stage, run and ended
// before this build started, and a step still running when it joined, both
// with the times they had in the other build and not cached. Only this
// build's part counts: the first is a cache hit for it, the second counts
// from this build's start.
func TestReducerSharedStep(t *testing.T) {
	r := NewReducer()
	r.Add(&client.SolveStatus{Vertexes: []*client.Vertex{
		vtx("sha256:d", "[internal] load build definition from Dockerfile", at(10), at(10.1), false),
		vtx("sha256:s", "[builder 2/2] RUN shared", at(2), at(4), false),  // ran for the other build
		vtx("sha256:p", "[builder 1/1] RUN partly", at(8), at(12), false), // joined while running
		vtx("sha256:o", "[final 1/2] RUN own", at(12), at(15), false),
		vtx("sha256:c", "[final 2/2] COPY x /x", at(15), at(15.5), false),
	}})
	res := Result{Start: *at(9.9), End: *at(16)}
	r.Fill(&res)
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	near("exec", res.ExecSeconds, 5)    // [10,12] u [12,15]; not [2,4] nor [8,10]
	near("steps", res.StepSeconds, 5.5) // [10,15.5]
	near("queue", res.QueueSeconds, 0.1)
	if res.TotalSteps != 4 || res.CachedSteps != 1 {
		t.Errorf("steps %d cached %d, want 4 and 1 (the step ended before this build started)", res.TotalSteps, res.CachedSteps)
	}

	// Without its own definition step (not a Dockerfile frontend), nothing
	// is cut: the stream's times are taken as they are.
	r = NewReducer()
	r.Add(&client.SolveStatus{Vertexes: []*client.Vertex{vtx("sha256:s", "[1/1] RUN x", at(2), at(4), false)}})
	res = Result{Start: *at(9.9), End: *at(16)}
	r.Fill(&res)
	near("exec without a definition step", res.ExecSeconds, 2)
}
