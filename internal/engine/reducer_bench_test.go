package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// benchStream returns a status stream of n vertices shaped like BuildKit's:
// each vertex arrives three times (unstarted, started, completed), one in
// ten is restarted (a second interval), one in five is cached, and the
// export vertex carries layer push statuses. Updates come 20 vertices at a
// time, as BuildKit batches them.
func benchStream(n int) []*client.SolveStatus {
	names := []string{"[base-image-minimal 2/6] RUN apt", "[3/4] COPY uv /usr/local/bin/uv", "[builder 1/3] FROM base",
		"exporting to image", "exporting cache to registry", "importing cache manifest from r/x:c", "[internal] load metadata"}
	var out []*client.SolveStatus
	const per = 20
	for lo := 0; lo < n; lo += per {
		var queued, started, done []*client.Vertex
		var sts []*client.VertexStatus
		for i := lo; i < min(lo+per, n); i++ {
			d := digest.Digest(fmt.Sprintf("sha256:%064x", i))
			name := names[i%len(names)]
			s := t0.Add(time.Duration(i) * time.Millisecond)
			e := s.Add(5 * time.Millisecond)
			queued = append(queued, &client.Vertex{Digest: d, Name: name})
			started = append(started, &client.Vertex{Digest: d, Name: name, Started: &s})
			done = append(done, &client.Vertex{Digest: d, Name: name, Started: &s, Completed: &e, Cached: i%5 == 0})
			if i%10 == 0 {
				s2, e2 := e.Add(time.Millisecond), e.Add(3*time.Millisecond)
				done = append(done, &client.Vertex{Digest: d, Name: name, Started: &s2, Completed: &e2})
			}
			if name == "exporting to image" {
				sts = append(sts, &client.VertexStatus{ID: "pushing layers", Vertex: d, Started: &s, Completed: &e, Timestamp: e},
					&client.VertexStatus{ID: fmt.Sprintf("sha256:%064x", i+n), Vertex: d, Total: 4 << 20, Current: 4 << 20, Started: &s, Completed: &e, Timestamp: e})
			}
		}
		out = append(out, &client.SolveStatus{Vertexes: queued}, &client.SolveStatus{Vertexes: started},
			&client.SolveStatus{Vertexes: done, Statuses: sts})
	}
	return out
}

// BenchmarkReducer10k folds a 10k-vertex status stream (a real build has
// about 30 vertices, so this is some 300 builds' worth) and fills a
// Result. Target: under 100 ms and 20 MB allocated per op (a single
// -benchtime 1x op includes the first-use warm-up), i.e. well under 0.5 ms
// per build, which no one notices next to builds of seconds; the reducer
// runs beside the build, never on its critical path. Measured on the
// 2-core VM under load: 59 ms at 1x, 17 ms steady, 9.7 MB, 47k allocs.
func BenchmarkReducer10k(b *testing.B) {
	stream := benchStream(10_000)
	b.ReportAllocs()
	for b.Loop() {
		r := NewReducer()
		for _, st := range stream {
			r.Add(st)
		}
		res := Result{Start: t0, End: t0.Add(time.Minute)}
		r.Fill(&res)
		if res.TotalSteps == 0 {
			b.Fatal("no steps reduced")
		}
	}
}
