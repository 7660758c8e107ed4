package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/sweep/record"
)

// fakeClock is a clock that only moves when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// fakeRunner "builds" the sample: one image record per instance, a trial
// taking wall seconds on the fake clock. behave, if set, can change the
// outcome of a trial.
type fakeRunner struct {
	clock  *fakeClock
	sample int
	// wall returns the trial's wall seconds (10 if nil).
	wall   func(t Trial) float64
	behave func(ctx context.Context, t Trial) error

	mu   sync.Mutex
	runs []Trial
}

func (f *fakeRunner) RunTrial(ctx context.Context, t Trial, w *record.Writer) (record.Trial, error) {
	f.mu.Lock()
	f.runs = append(f.runs, t)
	f.mu.Unlock()
	wall := 10.0
	if f.wall != nil {
		wall = f.wall(t)
	}
	start := f.clock.Now()
	cfg := t.Config()
	cfg.BuildKitVersion, cfg.Host, cfg.Daemons = "v0.fake", "fakehost", 1
	for i := range f.sample {
		img := &record.Image{Run: t.Run, Trial: t.Index, Config: cfg, Instance: fmt.Sprintf("org__repo-%d", i), Phase: "single",
			Status: record.StatusBuilt, Attempts: 1}
		img.Start = f.clock.Now()
		f.clock.Set(start.Add(time.Duration(float64(i+1) * wall / float64(f.sample) * float64(time.Second))))
		img.End = f.clock.Now()
		if err := w.Write(img); err != nil {
			return record.Trial{}, err
		}
		ReportImages(ctx, i+1, f.sample)
	}
	rec := record.Trial{Config: cfg, Start: start, End: f.clock.Now(), WallSeconds: wall, Images: f.sample, Built: f.sample}
	rec.ImagesPerHour = float64(rec.Built) / wall * 3600
	if f.behave != nil {
		if err := f.behave(ctx, t); err != nil {
			if errors.Is(err, context.Canceled) {
				rec.Interrupted = true
			}
			return rec, err
		}
	}
	return rec, nil
}

func (f *fakeRunner) indexes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, t := range f.runs {
		out = append(out, t.Index)
	}
	return out
}

func smallGrid(temps ...string) Grid {
	return Grid{Workers: []int{1, 2}, Batches: []int{2}, Cache: []engine.CacheMode{"off", "max"}, Strategies: []string{"single"},
		Registry: []string{Direct}, Temps: temps, Reps: 2, Sample: 3, Seed: 5, Profile: "test"}
}

func testOptions(t *testing.T, g Grid, clock *fakeClock) Options {
	return Options{Grid: g, OutDir: filepath.Join(t.TempDir(), "out"), Now: clock.Now, PerImageSeconds: 1,
		Info: RunInfo{BuildKitVersion: "v0.test", CommandLine: []string{"buildtune", "sweep"}, Workload: "fixtures", Machine: Machine{Cores: 2, Hostname: "h"}}}
}

func readRecords(t *testing.T, dir string) *record.Set {
	t.Helper()
	set, err := record.ReadFile(filepath.Join(dir, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestRunFixed(t *testing.T) {
	clock := newFakeClock()
	g := smallGrid(Cold, Warm)
	opts := testOptions(t, g, clock)
	var logBuf bytes.Buffer
	opts.Log = &logBuf
	prog := &fakeProgress{}
	opts.Progress = prog
	runner := &fakeRunner{clock: clock, sample: 3}
	sum, err := Run(context.Background(), opts, runner)
	if err != nil {
		t.Fatal(err)
	}
	plan := Plan(g)
	if sum.Planned != len(plan) || sum.Ran != len(plan) || sum.Resumed != 0 || sum.FailedTrials != 0 {
		t.Errorf("summary %+v, want all %d trials run", sum, len(plan))
	}
	if sum.Elapsed != time.Duration(len(plan))*10*time.Second {
		t.Errorf("elapsed %v, want %v on the fake clock", sum.Elapsed, time.Duration(len(plan))*10*time.Second)
	}
	set := readRecords(t, opts.OutDir)
	if len(set.Trials) != len(plan) || len(set.Images) != len(plan)*3 {
		t.Fatalf("%d trial and %d image records, want %d and %d", len(set.Trials), len(set.Images), len(plan), len(plan)*3)
	}
	for i, rec := range set.Trials {
		p := plan[i]
		if rec.Trial != p.Index || rec.Cell != p.Cell.Name() || rec.Temp != p.Temp || rec.Rep != p.Rep || rec.Profile != "test" ||
			rec.Workers != p.Cell.Workers || rec.Batch != p.Cell.Batch || rec.CacheMode != string(p.Cell.Cache) || rec.Strategy != "single" {
			t.Errorf("record %d = %+v, want trial %+v", i, rec.Config, p)
		}
		if rec.Run != sum.RunID || rec.BuildKitVersion != "v0.fake" || rec.Host != "fakehost" || rec.Daemons != 1 {
			t.Errorf("record %d: run %q buildkit %q host %q daemons %d", i, rec.Run, rec.BuildKitVersion, rec.Host, rec.Daemons)
		}
		if rec.WallSeconds != 10 || rec.ImagesPerHour != 1080 || rec.Interrupted || rec.Error != "" {
			t.Errorf("record %d: wall %v, %v img/h, interrupted %v, error %q", i, rec.WallSeconds, rec.ImagesPerHour, rec.Interrupted, rec.Error)
		}
	}
	info, err := ReadRunInfo(opts.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(info.Grid, g) || info.Seed != 5 || info.ID != sum.RunID || info.BuildKitVersion != "v0.test" ||
		info.Workload != "fixtures" || len(info.CommandLine) != 2 || !info.Start.Equal(clock.Now().Add(-sum.Elapsed)) || info.Version == "" || info.GoVersion == "" {
		t.Errorf("run.json = %+v", info)
	}
	if !strings.Contains(logBuf.String(), "trial 1/16 ") {
		t.Errorf("log %q lacks per-trial lines", logBuf.String())
	}
	// Progress: a start and an end event per trial, image events from the runner.
	prog.mu.Lock()
	defer prog.mu.Unlock()
	if len(prog.trials) != 2*len(plan) || prog.images != 3*len(plan) {
		t.Errorf("progress: %d trial events, %d image events; want %d and %d", len(prog.trials), prog.images, 2*len(plan), 3*len(plan))
	}
	first, last := prog.trials[0], prog.trials[len(prog.trials)-1]
	if first.Record != nil || first.N != 1 || first.Of != len(plan) || first.ETA <= 0 {
		t.Errorf("first progress event %+v", first)
	}
	if last.Record == nil || last.N != len(plan) || last.ETA != 0 {
		t.Errorf("last progress event %+v", last)
	}
	if ev := prog.trials[1]; ev.Record == nil || ev.ETA <= 0 || ev.Elapsed != 10*time.Second {
		t.Errorf("second progress event %+v", ev)
	}
	// Once every cell was measured, the ETA is the measured 10s per trial left.
	if ev := prog.trials[len(prog.trials)-4]; ev.Record != nil || ev.ETA != 20*time.Second {
		t.Errorf("start of the second-to-last trial: %+v, want ETA 20s", ev)
	}
}

type fakeProgress struct {
	mu     sync.Mutex
	trials []TrialEvent
	images int
}

func (p *fakeProgress) Trial(ev TrialEvent) {
	p.mu.Lock()
	p.trials = append(p.trials, ev)
	p.mu.Unlock()
}

func (p *fakeProgress) Images(t Trial, done, total int) {
	p.mu.Lock()
	p.images++
	p.mu.Unlock()
}

func TestRunRefusesUsedFolder(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(t, smallGrid(Cold), clock)
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock, sample: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), opts, &fakeRunner{clock: clock, sample: 1})
	if err == nil || !strings.Contains(err.Error(), "already holds a sweep") {
		t.Errorf("second Run = %v, want a refusal", err)
	}
}

func TestRunRefusesBadGridAndBudget(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(t, smallGrid(Cold), clock)
	opts.Grid.Reps = 0
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock}); err == nil || !strings.Contains(err.Error(), "reps 0") {
		t.Errorf("Run(reps 0) = %v", err)
	}
	opts = testOptions(t, smallGrid(Cold), clock)
	est := EstimateOn(opts.Grid, 1, 2)
	opts.Budget = est / 2
	_, err := Run(context.Background(), opts, &fakeRunner{clock: clock})
	if err == nil || !strings.Contains(err.Error(), "budget "+opts.Budget.String()) || !strings.Contains(err.Error(), est.Round(time.Second).String()) {
		t.Errorf("Run over budget = %v, want an error stating %v and the budget", err, est)
	}
	if _, serr := os.Stat(opts.OutDir); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("a refused sweep created %s", opts.OutDir)
	}
}

// interruptAt returns a behaviour that cancels the sweep during trial n.
func interruptAt(n int, cancel context.CancelFunc) func(ctx context.Context, t Trial) error {
	return func(ctx context.Context, t Trial) error {
		if t.Index == n {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
}

func TestRunCancelThenResume(t *testing.T) {
	clock := newFakeClock()
	g := smallGrid(Cold)
	opts := testOptions(t, g, clock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &fakeRunner{clock: clock, sample: 2}
	first.behave = interruptAt(3, cancel)
	sum, err := Run(ctx, opts, first)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if sum == nil || sum.Ran != 3 {
		t.Fatalf("summary %+v, want 3 trials run", sum)
	}
	if got := first.indexes(); !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Errorf("first run ran %v, want [1 2 3]", got)
	}
	set := readRecords(t, opts.OutDir)
	if len(set.Trials) != 3 || !set.Trials[2].Interrupted || set.Trials[2].Error == "" || set.Trials[1].Interrupted {
		t.Fatalf("records after cancel: %+v", set.Trials)
	}

	// Resume: a zero grid means run.json's.
	opts.Grid = Grid{}
	opts.Resume = true
	second := &fakeRunner{clock: clock, sample: 2}
	sum, err = Run(context.Background(), opts, second)
	if err != nil {
		t.Fatal(err)
	}
	plan := Plan(g)
	if got := second.indexes(); !reflect.DeepEqual(got, seq(3, len(plan))) {
		t.Errorf("resume ran %v, want %v", got, seq(3, len(plan)))
	}
	if sum.Resumed != 2 || sum.Ran != len(plan)-2 || sum.RunID != first.runs[0].Run {
		t.Errorf("resume summary %+v", sum)
	}
	if want := time.Duration(len(plan))*10*time.Second + 10*time.Second; sum.Elapsed != want {
		t.Errorf("elapsed %v, want %v (earlier trials included, the interrupted one too)", sum.Elapsed, want)
	}
	set = readRecords(t, opts.OutDir)
	latest := record.Latest(set)
	if len(latest.Trials) != len(plan) {
		t.Fatalf("Latest: %d trials, want %d", len(latest.Trials), len(plan))
	}
	for i, rec := range latest.Trials {
		if rec.Trial != i+1 || rec.Interrupted {
			t.Errorf("Latest trial %d = %d interrupted=%v", i+1, rec.Trial, rec.Interrupted)
		}
	}
	if len(latest.Images) != 2*len(plan) {
		t.Errorf("Latest: %d images, want %d (the interrupted attempt's dropped)", len(latest.Images), 2*len(plan))
	}

	// A third resume has nothing to do.
	third := &fakeRunner{clock: clock, sample: 2}
	sum, err = Run(context.Background(), opts, third)
	if err != nil || len(third.runs) != 0 || sum.Resumed != len(plan) {
		t.Errorf("third run: %v, ran %v, summary %+v", err, third.indexes(), sum)
	}
}

func TestResumeRerunsUnitWithUnfinishedWarm(t *testing.T) {
	clock := newFakeClock()
	g := smallGrid(Cold, Warm)
	opts := testOptions(t, g, clock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &fakeRunner{clock: clock, sample: 1}
	first.behave = interruptAt(6, cancel) // trial 6 is the warm trial of unit 3
	if _, err := Run(ctx, opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	opts.Resume = true
	second := &fakeRunner{clock: clock, sample: 1}
	if _, err := Run(context.Background(), opts, second); err != nil {
		t.Fatal(err)
	}
	plan := Plan(g)
	if got := second.indexes(); !reflect.DeepEqual(got, seq(5, len(plan))) {
		t.Errorf("resume ran %v, want %v: unit 3's finished cold trial 5 runs again with its warm trial", got, seq(5, len(plan)))
	}
	set := readRecords(t, opts.OutDir)
	var reruns []record.Event
	for _, e := range set.Events {
		if e.Type == record.EventRerun {
			reruns = append(reruns, e)
		}
	}
	if len(reruns) != 1 || reruns[0].Trial != 5 || reruns[0].Cell != plan[4].Cell.Name() {
		t.Errorf("rerun events %+v, want one for trial 5", reruns)
	}
	latest := record.Latest(set)
	if len(latest.Trials) != len(plan) {
		t.Errorf("Latest: %d trials, want %d", len(latest.Trials), len(plan))
	}
	if len(latest.Images) != len(plan) {
		t.Errorf("Latest: %d images, want %d: trial 5's first attempt is superseded", len(latest.Images), len(plan))
	}
}

func TestResumeTornLastLine(t *testing.T) {
	clock := newFakeClock()
	g := smallGrid(Cold)
	opts := testOptions(t, g, clock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &fakeRunner{clock: clock, sample: 1}
	first.behave = interruptAt(4, cancel)
	if _, err := Run(ctx, opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	// A crash mid-write: half a record, no newline.
	path := filepath.Join(opts.OutDir, RecordsFile)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"v":1,"kind":"trial","trial":5,"cell":"w1-b2-`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	opts.Resume = true
	var logBuf bytes.Buffer
	opts.Log = &logBuf
	second := &fakeRunner{clock: clock, sample: 1}
	if _, err := Run(context.Background(), opts, second); err != nil {
		t.Fatal(err)
	}
	if got := second.indexes(); !reflect.DeepEqual(got, seq(4, len(Plan(g)))) {
		t.Errorf("resume ran %v", got)
	}
	if !strings.Contains(logBuf.String(), "torn") {
		t.Errorf("log %q does not mention the torn line", logBuf.String())
	}
	set := readRecords(t, opts.OutDir)
	if set.Torn || len(record.Latest(set).Trials) != len(Plan(g)) {
		t.Errorf("records after resume: torn %v, %d trials", set.Torn, len(record.Latest(set).Trials))
	}
}

func TestResumeChecks(t *testing.T) {
	clock := newFakeClock()
	g := smallGrid(Cold)
	opts := testOptions(t, g, clock)
	opts.Resume = true
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock}); err == nil || !strings.Contains(err.Error(), "resuming") {
		t.Errorf("resuming an empty folder = %v", err)
	}
	opts.Resume = false
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock, sample: 1}); err != nil {
		t.Fatal(err)
	}
	opts.Resume = true
	opts.Grid.Workers = []int{1, 2, 4}
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock}); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("resuming with another grid = %v", err)
	}
	// The same grid given again is fine.
	opts.Grid = g
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock}); err != nil {
		t.Errorf("resuming with the same grid = %v", err)
	}
	// Records that do not match the plan (a changed seed in run.json).
	info, err := ReadRunInfo(opts.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	info.Grid.Seed = 99
	if err := WriteRunInfo(opts.OutDir, info); err != nil {
		t.Fatal(err)
	}
	opts.Grid = Grid{}
	if _, err := Run(context.Background(), opts, &fakeRunner{clock: clock}); err == nil || !strings.Contains(err.Error(), "do not match the plan") {
		t.Errorf("resuming mismatched records = %v", err)
	}
}

func TestRunInfraStops(t *testing.T) {
	for name, infra := range map[string]error{
		"sentinel":     fmt.Errorf("%w: buildkitd exited", fleet.ErrInfra),
		"engine class": &engine.BuildError{ID: "x", Class: engine.ErrInfra, Err: errors.New("registry refused")},
	} {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			opts := testOptions(t, smallGrid(Cold), clock)
			runner := &fakeRunner{clock: clock, sample: 1}
			runner.behave = func(ctx context.Context, t Trial) error {
				if t.Index == 2 {
					return infra
				}
				return nil
			}
			sum, err := Run(context.Background(), opts, runner)
			if !errors.Is(err, fleet.ErrInfra) || !fleet.IsInfra(err) || !strings.Contains(err.Error(), "trial 2") {
				t.Fatalf("Run = %v, want an infrastructure error naming trial 2", err)
			}
			if sum.Ran != 2 {
				t.Errorf("ran %d trials, want 2", sum.Ran)
			}
			set := readRecords(t, opts.OutDir)
			if len(set.Trials) != 2 || !set.Trials[1].Interrupted {
				t.Errorf("records %+v, want trial 2 recorded as interrupted", set.Trials)
			}
			// Fixed, it resumes at trial 2.
			opts.Resume = true
			again := &fakeRunner{clock: clock, sample: 1}
			if _, err := Run(context.Background(), opts, again); err != nil {
				t.Fatal(err)
			}
			if got := again.indexes(); got[0] != 2 {
				t.Errorf("resume ran %v, want trial 2 first", got)
			}
		})
	}
}

func TestRunTrialErrorGoesOn(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(t, smallGrid(Cold), clock)
	runner := &fakeRunner{clock: clock, sample: 1}
	runner.behave = func(ctx context.Context, t Trial) error {
		if t.Index == 2 {
			return errors.New("shared phase builder failed: exit code 1")
		}
		return nil
	}
	sum, err := Run(context.Background(), opts, runner)
	if err != nil {
		t.Fatal(err)
	}
	n := len(Plan(opts.Grid))
	if sum.FailedTrials != 1 || sum.Ran != n {
		t.Errorf("summary %+v, want 1 failed trial of %d", sum, n)
	}
	set := readRecords(t, opts.OutDir)
	if rec := set.Trials[1]; rec.Error == "" || rec.Interrupted {
		t.Errorf("trial 2 record %+v, want Error set, not interrupted", rec)
	}
	// A failed trial is finished: resume does not run it again.
	opts.Resume = true
	again := &fakeRunner{clock: clock, sample: 1}
	if _, err := Run(context.Background(), opts, again); err != nil || len(again.runs) != 0 {
		t.Errorf("resume: %v, ran %v", err, again.indexes())
	}
}

// TestResumeWarmsUpAgain: a resumed sweep runs on a daemon that is
// usually fresh, so it runs the warm-up trial again before its first
// measured trial; a resume with nothing left to run does not.
func TestResumeWarmsUpAgain(t *testing.T) {
	clock := newFakeClock()
	g := smallGrid(Cold)
	opts := testOptions(t, g, clock)
	opts.Warmup = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &fakeRunner{clock: clock, sample: 2}
	first.behave = interruptAt(3, cancel)
	if _, err := Run(ctx, opts, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if got := first.indexes(); !reflect.DeepEqual(got, []int{0, 1, 2, 3}) {
		t.Fatalf("first run ran %v, want the warm-up then [1 2 3]", got)
	}
	opts.Grid, opts.Resume = Grid{}, true
	second := &fakeRunner{clock: clock, sample: 2}
	if _, err := Run(context.Background(), opts, second); err != nil {
		t.Fatal(err)
	}
	if got, want := second.indexes(), append([]int{0}, seq(3, len(Plan(g)))...); !reflect.DeepEqual(got, want) {
		t.Errorf("resume ran %v, want %v (a warm-up first)", got, want)
	}
	third := &fakeRunner{clock: clock, sample: 2}
	if _, err := Run(context.Background(), opts, third); err != nil || len(third.runs) != 0 {
		t.Errorf("a finished sweep resumed: %v, ran %v", err, third.indexes())
	}
	// The warm-up records never count.
	for _, tr := range record.Select(readRecords(t, opts.OutDir)).Trials {
		if tr.Trial == 0 {
			t.Errorf("a warm-up trial counts: %+v", tr)
		}
	}
}

// TestWarmTrialReusesProxyPort: a warm trial's registry proxy listens on
// its cold trial's address (a per-build builder stage names the registry,
// so another port would miss the cold trial's cache); cold trials take
// any free port.
func TestWarmTrialReusesProxyPort(t *testing.T) {
	var r StackRunner
	cold, warm := Trial{Unit: 3, Temp: Cold}, Trial{Unit: 3, Temp: Warm}
	if got := r.proxyAddr(warm); got != "127.0.0.1:0" {
		t.Errorf("warm before its cold trial: %q", got)
	}
	r.remember(cold, "127.0.0.1:45937")
	r.remember(warm, "127.0.0.1:1111") // only a cold trial's address is kept
	if got := r.proxyAddr(warm); got != "127.0.0.1:45937" {
		t.Errorf("warm trial: %q, want the cold trial's 127.0.0.1:45937", got)
	}
	if got := r.proxyAddr(cold); got != "127.0.0.1:0" {
		t.Errorf("cold trial: %q, want any free port", got)
	}
	if got := r.proxyAddr(Trial{Unit: 4, Temp: Warm}); got != "127.0.0.1:0" {
		t.Errorf("another unit's warm trial: %q", got)
	}
}
