package engine

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// fuzzStream turns fuzz bytes into a status stream: a few vertices (by
// digest) with names of every kind, cached flags, errors and intervals
// that may repeat, overlap, run backwards or lie far away, and statuses
// (layer pushes among them) on those vertices.
type fuzzStream struct {
	b []byte
}

func (s *fuzzStream) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

// time returns base plus an offset: usually milliseconds, sometimes raw
// nanoseconds of any size (times years apart, before the base).
func (s *fuzzStream) time(base time.Time) *time.Time {
	var t time.Time
	switch k := s.byte(); {
	case k < 16:
		return nil
	case k < 32 && len(s.b) >= 8:
		t = base.Add(time.Duration(int64(binary.LittleEndian.Uint64(s.b))))
		s.b = s.b[8:]
	default:
		ms := int16(uint16(s.byte()) | uint16(s.byte())<<8)
		t = base.Add(time.Duration(ms) * time.Millisecond)
	}
	return &t
}

var fuzzNames = []string{
	"[base 1/4] FROM docker.io/library/busybox", "[stage-1 2/5] RUN sha256sum /x", "[builder 3/3] COPY . /src",
	"exporting to image", "exporting cache to registry", "importing cache manifest from 127.0.0.1:5000/c",
	"[internal] load build definition", "[auth] token", "resolve image config", "[unclosed RUN x", "",
}

var fuzzStatusIDs = []string{"pushing layers", "exporting manifest sha256:1", "pushing manifest", "sha256:abc"}

func FuzzReducer(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 40, 0, 0, 40, 100, 0, 1, 3, 40, 0, 0, 40, 10, 0})
	f.Add([]byte{0, 3, 3, 40, 0, 0, 40, 0, 1, 1, 3, 0, 40, 0, 0, 40, 0, 2})
	f.Add([]byte{0, 2, 1, 40, 100, 0, 40, 0, 0, 0, 2, 0, 40, 0, 0, 0})
	f.Add([]byte{0, 0, 1, 20, 0, 0, 0, 0, 0, 0, 0, 128, 20, 255, 255, 255, 255, 255, 255, 255, 127})
	f.Fuzz(func(t *testing.T, data []byte) {
		base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		s := &fuzzStream{b: data}
		r := NewReducer()
		for len(s.b) > 0 {
			st := &client.SolveStatus{}
			for n := s.byte() % 4; n > 0; n-- {
				op := s.byte()
				d := digest.FromString(string(rune('a' + op%5)))
				if op&0x80 == 0 {
					v := &client.Vertex{Digest: d, Name: fuzzNames[int(s.byte())%len(fuzzNames)], Cached: op&0x40 != 0}
					if op&0x20 != 0 {
						v.Error = "failed"
					}
					v.Started = s.time(base)
					v.Completed = s.time(base)
					st.Vertexes = append(st.Vertexes, v)
				} else {
					vs := &client.VertexStatus{ID: fuzzStatusIDs[int(s.byte())%len(fuzzStatusIDs)], Vertex: d, Total: int64(s.byte())}
					vs.Started = s.time(base)
					vs.Completed = s.time(base)
					st.Statuses = append(st.Statuses, vs)
				}
			}
			r.Add(st)
		}
		res := Result{Start: base, End: base.Add(time.Minute)}
		r.Fill(&res)
		for name, v := range map[string]float64{
			"exec": res.ExecSeconds, "step": res.StepSeconds, "image export": res.ImageExportSeconds,
			"layer push": res.LayerPushSeconds, "cache export": res.CacheExportSeconds,
			"cache import": res.CacheImportSeconds, "queue": res.QueueSeconds,
		} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s seconds = %v, want finite and >= 0", name, v)
			}
		}
		if res.CachedSteps < 0 || res.CachedSteps > res.TotalSteps {
			t.Errorf("cached steps %d of %d", res.CachedSteps, res.TotalSteps)
		}
		if res.ExecSeconds > res.StepSeconds+1e-9 {
			t.Errorf("exec %vs exceeds all steps %vs", res.ExecSeconds, res.StepSeconds)
		}
	})
}
