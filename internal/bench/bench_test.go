package bench_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/bench"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
)

// The benchmarks read these (and only the tests read the environment):
//
//	BUILDTUNE_BENCH_OUT    folder for <date>-<scenario>.md summaries
//	                       (relative to the module root), e.g. reports/bench
//	BUILDTUNE_BENCH_SMOKE  any value: tiny sizes, to check the plumbing
//	BUILDTUNE_BENCH_SWEEP  a sweep folder whose recommendation
//	                       BenchmarkSchemes builds with
func smoke() bool { return os.Getenv("BUILDTUNE_BENCH_SMOKE") != "" }

func pick(full, tiny int) int {
	if smoke() {
		return tiny
	}
	return full
}

// summary logs md and, with BUILDTUNE_BENCH_OUT set, writes it to
// <out>/<date>-<scenario>.md.
func summary(b *testing.B, scenario, md string) {
	b.Helper()
	if smoke() {
		md += "\n\n(smoke sizes: BUILDTUNE_BENCH_SMOKE was set; not a measurement)\n"
	}
	b.Log("\n" + md)
	out := os.Getenv("BUILDTUNE_BENCH_OUT")
	if out == "" {
		return
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(testenv.Root(b), out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(out, time.Now().Format("2006-01-02")+"-"+scenario+".md")
	if err := os.WriteFile(path, []byte(md+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("summary written to %s", path)
}

func skipShort(b *testing.B) {
	if testing.Short() {
		b.Skip("real-stack scenario: not under -short")
	}
}

// benchEnv starts a private stack, samples n instances and prepares the
// fixtures of prof (nil: default) on it, timing the preparation.
func benchEnv(b *testing.B, n int, prof *fixtures.Profile) (*bench.Env, *testenv.FleetEnv, float64) {
	b.Helper()
	fe := testenv.Fleet(b, n, prof, stack.Config{})
	bin := bench.BuildctlPath(testenv.Root(b))
	if _, err := os.Stat(bin); err != nil {
		b.Skipf("needs bin/buildctl (make setup): %v", err)
	}
	t0 := time.Now()
	w := fe.Workload(b, "bench", fixtures.SDKSha(11, 0))
	prep := time.Since(t0).Seconds()
	return &bench.Env{Daemon: fe.BK, Buildctl: bench.Buildctl{Bin: bin, Addr: fe.BK.Addr()}, Registry: fe.Reg,
		Workload: w, Instances: fe.Insts}, fe, prep
}

// BenchmarkOverhead: the fleet against plain buildctl processes, same 8
// images, W=4, cache max, 10 interleaved cold pairs. Reported: the median
// fleet/buildctl ratio and its 95% interval; buildtune's one-time work
// apart.
func BenchmarkOverhead(b *testing.B) {
	skipShort(b)
	for b.Loop() {
		e, _, prep := benchEnv(b, pick(8, 2), nil)
		r, err := bench.Overhead(context.Background(), e, bench.OverheadOptions{Workers: 4, Cache: engine.CacheMax, Pairs: pick(bench.DefaultPairs, 6)})
		if err != nil {
			b.Fatal(err)
		}
		r.OneTime.PrepareSeconds = prep
		b.ReportMetric(r.Compare.Ratio, "fleet/buildctl")
		b.ReportMetric(r.Compare.RatioLo, "ratio-lo")
		b.ReportMetric(r.Compare.RatioHi, "ratio-hi")
		summary(b, "overhead", r.Markdown())
	}
}

// recommended returns the scheme `buildtune build` runs: the workers and
// cache mode recommended from the sweep in BUILDTUNE_BENCH_SWEEP, in a
// stream; without it, the default sweep's best (reports/2026-11-26: W=4,
// cache off).
func recommended(b *testing.B) (bench.Scheme, string) {
	s := bench.Scheme{Buildtune: true, Workers: 4, Cache: engine.CacheOff}
	from := "fallback: the default sweep's best in reports/2026-11-26-default-sweep.md (BUILDTUNE_BENCH_SWEEP not set)"
	if dir := os.Getenv("BUILDTUNE_BENCH_SWEEP"); dir != "" {
		run, err := evidence.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		a, err := evidence.Analyze(run, evidence.Options{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		rec, err := a.Recommend(evidence.Constraints{})
		if err != nil {
			b.Fatal(err)
		}
		s.Workers, s.Cache = rec.Recommended.Config.Workers, engine.CacheMode(rec.Recommended.Config.CacheMode)
		from = "recommended from " + dir + ": " + rec.Recommended.Name
	}
	s.Name = "buildtune-w" + strconv.Itoa(s.Workers) + "-stream-" + string(s.Cache)
	return s, from
}

// BenchmarkSchemes: the old batch-barrier script at its real defaults
// (W=4, B=15, cache max) and at PR #525's (W=16, B=50, cache min) against
// `buildtune build`'s fleet stream with recommended settings; 60 images,
// 3 interleaved cold reps, a 32 MiB/s registry link, the real script's
// prune scaled to 256 MiB / keep 128 MiB. Reported: each scheme's median
// wall, ratio to the script's defaults, CPU busy share and the bound.
func BenchmarkSchemes(b *testing.B) {
	skipShort(b)
	rec, from := recommended(b)
	schemes := append(append([]bench.Scheme{}, bench.OldSchemes...), rec)
	if smoke() {
		schemes[0].Batch, schemes[1].Batch = 2, 3
	}
	for b.Loop() {
		e, _, _ := benchEnv(b, pick(60, 4), nil)
		r, err := bench.Schemes(context.Background(), e, bench.SchemesOptions{Schemes: schemes, Reps: pick(3, 1),
			Prune:    fleet.PrunePolicy{ThresholdBytes: 256 << 20, KeepBytes: 128 << 20},
			Registry: regproxy.Settings{BandwidthBytesPerSec: 32 << 20}})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range r.Schemes {
			b.ReportMetric(s.WallSeconds, s.Scheme.Name+"-s")
			b.ReportMetric(s.VsBaseline, s.Scheme.Name+"/first")
		}
		summary(b, "schemes", r.Markdown()+"\nbuildtune's settings: "+from+"\n")
	}
}

// Replay settings, calibrated roughly (one small run; see
// reports/bench/README.md).
const (
	replayBandwidth = "32MiB/s"
	replayLatency   = 50 * time.Millisecond
)

// BenchmarkReplay: the replay sweep (ReplayGrid: base W=4/B=15 at cache
// off/min/max, PR #525's W=16/B=50 min, three-phase) on the replay
// profile over a capped, delayed registry link with prunes, then the real
// history's ratios scored at ±15%.
func BenchmarkReplay(b *testing.B) {
	skipShort(b)
	prof, err := fixtures.LoadProfile(filepath.Join(testenv.Root(b), "fixtures", "profiles", "replay.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n := pick(20, 6)
		e, fe, _ := benchEnv(b, n, prof)
		g := bench.ReplayGrid(n, pick(3, 1), replayBandwidth, prof.Name)
		runner := &sweep.StackRunner{Workload: e.Workload, Instances: e.Instances, Daemons: fe.Daemons, Registry: e.Registry,
			Proxy: regproxy.Settings{Latency: replayLatency}, Attempts: 1,
			Prune: fleet.PrunePolicy{ThresholdBytes: 400 << 20, KeepBytes: 200 << 20}}
		sr, err := bench.RunSweep(context.Background(), sweep.Options{Grid: g, OutDir: filepath.Join(b.TempDir(), "replay"),
			Info: sweep.RunInfo{Workload: "fixtures:" + prof.Name}}, runner)
		if err != nil {
			b.Fatal(err)
		}
		r := bench.MeasureReplay(sr.Analysis, bench.DefaultReplayCells, 0)
		b.ReportMetric(float64(r.Hits), "hits")
		b.ReportMetric(float64(r.Measured), "measured")
		md := r.Markdown() + "\n\nCells (median images/hour, cache export s/image, prunes):\n\n"
		for _, c := range sr.Analysis.Cells {
			var prunes int
			for _, t := range c.TrialRecords() {
				prunes += t.Prunes
			}
			md += "- " + c.Name + ": " + strconv.FormatFloat(c.ImagesPerHour.Median, 'f', 1, 64) + " img/h, export " +
				strconv.FormatFloat(c.Phases.CacheExport, 'f', 3, 64) + " s, " + strconv.Itoa(prunes) + " prunes over " + strconv.Itoa(c.N) + " trials\n"
		}
		md += "\nRegistry: " + replayBandwidth + ", latency " + replayLatency.String() + "; sweep time " + sr.Elapsed.Round(time.Second).String() + "\n"
		summary(b, "replay", md)
	}
}

// BenchmarkSweepCost: the default-shaped grid (workers 1, 2, 4 x cache
// off, max, batch 3, 6 images) swept fully at 6 reps, then adaptively
// within a 15 min budget. Reported: each one's time, their ratio, and
// whether they recommend the same configuration.
func BenchmarkSweepCost(b *testing.B) {
	skipShort(b)
	for b.Loop() {
		n := pick(6, 2)
		e, fe, _ := benchEnv(b, n, nil)
		g := sweep.Grid{Workers: []int{1, 2, 4}, Batches: []int{3}, Cache: []engine.CacheMode{engine.CacheOff, engine.CacheMax},
			Strategies: []string{workload.Single}, Registry: []string{sweep.Direct}, Temps: []string{sweep.Cold},
			Reps: pick(6, 2), Sample: n, Seed: 1, Profile: "default"}
		if smoke() {
			g.Workers, g.Batches = []int{1, 2}, []int{0}
			g.Cache = []engine.CacheMode{engine.CacheOff}
		}
		runner := &sweep.StackRunner{Workload: e.Workload, Instances: e.Instances, Daemons: fe.Daemons, Registry: e.Registry, Attempts: 1}
		r, err := bench.SweepCost(context.Background(), bench.SweepCostOptions{Grid: g, Budget: time.Duration(pick(15, 5)) * time.Minute,
			Dir: b.TempDir(), Info: sweep.RunInfo{Workload: "fixtures:default"}}, runner)
		if err != nil {
			b.Fatal(err)
		}
		same := 0.0
		if r.Same {
			same = 1
		}
		b.ReportMetric(r.FullSeconds, "full-s")
		b.ReportMetric(r.AdaptiveSeconds, "adaptive-s")
		b.ReportMetric(r.Ratio, "adaptive/full")
		b.ReportMetric(same, "same-pick")
		summary(b, "sweep-cost", r.Markdown())
	}
}
