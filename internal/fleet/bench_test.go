package fleet_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// benchCell is one configuration measured by a benchmark.
type benchCell struct {
	name     string
	workers  int
	batch    int
	cache    engine.CacheMode
	strategy string
}

// measure runs every cell reps times, interleaved (rep-major, so no cell
// runs twice in a row), each trial cold (prune --all, its own registry
// namespace), and returns the trial records per cell.
func measure(b *testing.B, n, reps int, cells []benchCell) map[string][]record.Trial {
	b.Helper()
	e := testenv.Fleet(b, n, nil, stack.Config{})
	out := map[string][]record.Trial{}
	for rep := 0; rep < reps; rep++ {
		for _, c := range cells {
			if _, err := e.BK.Prune(context.Background(), 0, true); err != nil {
				b.Fatal(err)
			}
			w := e.Workload(b, fmt.Sprintf("bench-%s-%d", c.name, rep), fixtures.SDKSha(9, rep))
			tr, err := fleet.Run(context.Background(), fleet.Options{Workload: w, Instances: e.Insts,
				Strategy: c.strategy, Cache: c.cache, Workers: c.workers, Batch: c.batch, Daemons: e.Daemons, Attempts: 1})
			if err != nil || tr.Built != n {
				b.Fatalf("%s: built %d of %d: %v", c.name, tr.Built, n, err)
			}
			out[c.name] = append(out[c.name], tr)
		}
	}
	return out
}

func medianOf(trs []record.Trial, f func(record.Trial) float64) float64 {
	xs := make([]float64, len(trs))
	for i, t := range trs {
		xs[i] = f(t)
	}
	sort.Float64s(xs)
	return analyze.Summary(xs, 0.95).Median
}

func wall(t record.Trial) float64 { return t.WallSeconds }

// BenchmarkBarrierVsStream: the real script's batch barrier (W=2, B=4)
// against one continuous pool (W=2, stream) on 8 images. Reported:
// median wall seconds of each and their ratio (barrier/stream).
func BenchmarkBarrierVsStream(b *testing.B) {
	cells := []benchCell{
		{"barrier", 2, 4, engine.CacheOff, workload.Single},
		{"stream", 2, 0, engine.CacheOff, workload.Single},
	}
	for i := 0; i < b.N; i++ {
		m := measure(b, 8, 3, cells)
		bar, str := medianOf(m["barrier"], wall), medianOf(m["stream"], wall)
		b.ReportMetric(bar, "barrier-s")
		b.ReportMetric(str, "stream-s")
		b.ReportMetric(bar/str, "barrier/stream")
	}
}

// BenchmarkCacheModes: W=2 stream over 6 images with each cache export
// mode. Reported: median wall seconds, median cache export seconds per
// image, and each mode's wall time as a ratio of mode off.
func BenchmarkCacheModes(b *testing.B) {
	var cells []benchCell
	for _, m := range engine.CacheModes {
		cells = append(cells, benchCell{string(m), 2, 0, m, workload.Single})
	}
	for i := 0; i < b.N; i++ {
		res := measure(b, 6, 3, cells)
		off := medianOf(res["off"], wall)
		for _, c := range cells {
			w := medianOf(res[c.name], wall)
			b.ReportMetric(w, c.name+"-s")
			b.ReportMetric(medianOf(res[c.name], func(t record.Trial) float64 { return t.CacheExportSeconds / float64(t.Built) }), c.name+"-export-s/img")
			b.ReportMetric(w/off, c.name+"/off")
		}
	}
}

// BenchmarkStrategies: single against three-phase, W=2 stream, 6 images.
func BenchmarkStrategies(b *testing.B) {
	cells := []benchCell{
		{"single", 2, 0, engine.CacheOff, workload.Single},
		{"three-phase", 2, 0, engine.CacheOff, workload.ThreePhase},
	}
	for i := 0; i < b.N; i++ {
		m := measure(b, 6, 3, cells)
		s, tp := medianOf(m["single"], wall), medianOf(m["three-phase"], wall)
		b.ReportMetric(s, "single-s")
		b.ReportMetric(tp, "three-phase-s")
		b.ReportMetric(tp/s, "three-phase/single")
	}
}
