package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// fakeDaemon builds instantly (or after hold is closed), and can be
// switched off: then builds fail as infrastructure and pings fail.
type fakeDaemon struct {
	addr string
	dead atomic.Bool
	// hold, if not nil, makes every build wait until it is closed.
	hold chan struct{}

	mu       sync.Mutex
	inflight int
	maxIn    int
	builds   int
	pings    int
}

func (f *fakeDaemon) Addr() string { return f.addr }

func (f *fakeDaemon) Build(ctx context.Context, req engine.Request) (engine.Result, error) {
	f.mu.Lock()
	f.inflight++
	f.maxIn = max(f.maxIn, f.inflight)
	f.builds++
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inflight--; f.mu.Unlock() }()
	if f.hold != nil {
		select {
		case <-f.hold:
		case <-ctx.Done():
		}
	}
	res := engine.Result{ID: req.ID, Start: time.Now(), End: time.Now()}
	if f.dead.Load() {
		err := &engine.BuildError{ID: req.ID, Class: engine.ErrInfra, Err: fmt.Errorf("connection to %s refused", f.addr)}
		res.ErrClass, res.Error = engine.ErrInfra, err.Error()
		return res, err
	}
	return res, nil
}

func (f *fakeDaemon) DiskUsage(context.Context) (int64, error) {
	if f.dead.Load() {
		return 0, errors.New("gone")
	}
	return 1, nil
}

func (f *fakeDaemon) Prune(context.Context, int64, bool) (int64, error) { return 0, nil }

func (f *fakeDaemon) Ping(context.Context, time.Duration) error {
	f.mu.Lock()
	f.pings++
	f.mu.Unlock()
	if f.dead.Load() {
		return fmt.Errorf("%s does not answer", f.addr)
	}
	return nil
}

func fakes(n int) ([]*fakeDaemon, []Daemon) {
	var fs []*fakeDaemon
	var ds []Daemon
	for i := range n {
		f := &fakeDaemon{addr: fmt.Sprintf("fake://%d", i)}
		fs = append(fs, f)
		ds = append(ds, f)
	}
	return fs, ds
}

func mustPool(t *testing.T, ds []Daemon, limits []int, onChange func(int, bool, error)) *pool {
	t.Helper()
	p, err := newPool(ds, limits, onChange)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func acquireNow(t *testing.T, p *pool) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	i, err := p.acquire(ctx)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	return i
}

// blocked reports whether an acquire is still waiting after the pool had
// every chance to answer (it answers at once when it can).
func acquireBlocks(t *testing.T, p *pool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if i, err := p.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire = %d, %v; want it to wait until ctx ends", i, err)
	}
}

func TestPoolLeastInFlight(t *testing.T) {
	_, ds := fakes(3)
	p := mustPool(t, ds, nil, nil)
	// Empty pool: spread one each, in index order.
	for want := range 3 {
		if got := acquireNow(t, p); got != want {
			t.Fatalf("acquire %d went to daemon %d", want, got)
		}
	}
	// All at 1: daemon 1 frees up, so it gets the next.
	p.release(1)
	if got := acquireNow(t, p); got != 1 {
		t.Fatalf("after daemon 1 freed up, acquire went to %d", got)
	}
	// Fairness: with nothing in flight, sequential builds rotate over the
	// daemons instead of all going to daemon 0.
	p = mustPool(t, ds, nil, nil)
	count := make([]int, 3)
	for range 9 {
		i := acquireNow(t, p)
		count[i]++
		p.release(i)
	}
	for i, c := range count {
		if c != 3 {
			t.Errorf("sequential builds per daemon %v; daemon %d got %d, want 3", count, i, c)
		}
	}
}

func TestPoolLimits(t *testing.T) {
	_, ds := fakes(2)
	p := mustPool(t, ds, []int{1, 2}, nil)
	got := []int{acquireNow(t, p), acquireNow(t, p), acquireNow(t, p)}
	if got[0] != 0 || got[1] != 1 || got[2] != 1 {
		t.Fatalf("acquires went to %v, want [0 1 1] (limits 1 and 2)", got)
	}
	acquireBlocks(t, p)
	// A waiting acquire gets the daemon that frees up.
	res := make(chan int)
	go func() {
		i, err := p.acquire(context.Background())
		if err != nil {
			i = -1
		}
		res <- i
	}()
	p.release(0)
	select {
	case i := <-res:
		if i != 0 {
			t.Fatalf("waiting acquire got daemon %d, want 0 (the one that freed up)", i)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting acquire did not wake up when daemon 0 freed up")
	}
	// A cancelled context ends the wait.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire with a cancelled context: %v", err)
	}
}

func TestPoolBadLimits(t *testing.T) {
	_, ds := fakes(2)
	for _, l := range [][]int{{1}, {1, -1}} {
		if _, err := newPool(ds, l, nil); err == nil {
			t.Errorf("limits %v accepted for 2 daemons", l)
		}
	}
}

func TestPoolUnhealthySkipAndRejoin(t *testing.T) {
	fs, ds := fakes(2)
	var mu sync.Mutex
	var events []string
	p := mustPool(t, ds, []int{1, 1}, func(i int, joined bool, reason error) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, fmt.Sprintf("%d %v %v", i, joined, reason))
	})
	fs[0].dead.Store(true)
	if err := p.check(0); err == nil {
		t.Fatal("check of a dead daemon passed")
	}
	p.leave(0, errors.New("again")) // a second report is not a second event
	if got := acquireNow(t, p); got != 1 {
		t.Fatalf("acquire went to daemon %d, which left the pool", got)
	}
	// Daemon 1 is full and daemon 0 is out: wait; when daemon 1 leaves
	// too, the waiting acquire fails at once with errNoDaemon.
	res := make(chan error)
	go func() { _, err := p.acquire(context.Background()); res <- err }()
	fs[1].dead.Store(true)
	p.check(1)
	select {
	case err := <-res:
		if !errors.Is(err, errNoDaemon) {
			t.Fatalf("acquire with no daemon left: %v", err)
		}
		// It says why the last daemon left (its failed health check), so a
		// build that finds the pool empty still names the daemon.
		if !strings.Contains(err.Error(), "the last to leave:") {
			t.Errorf("acquire with no daemon left does not say why: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting acquire did not fail when the last daemon left")
	}
	p.release(1)

	// The checker lets back a daemon that answers again.
	stop := p.watch(10 * time.Millisecond)
	defer stop()
	fs[0].dead.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for !p.healthy(0) {
		if time.Now().After(deadline) {
			t.Fatal("daemon 0 answers again but did not rejoin within 5s")
		}
		time.Sleep(5 * time.Millisecond) // polling the pool's state, bounded by deadline
	}
	if got := acquireNow(t, p); got != 0 {
		t.Fatalf("after rejoining, acquire went to %d", got)
	}
	if p.healthy(1) {
		t.Fatal("daemon 1, still dead, rejoined")
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	want := []string{"0 false fake://0 does not answer", "1 false fake://1 does not answer", "0 true <nil>"}
	if strings.Join(events, "|") != strings.Join(want, "|") {
		t.Fatalf("events %q, want %q", events, want)
	}
}

// fakeWorkload is a one-phase workload over n instances; the fake daemons
// never read the context folder.
func fakeWorkload(n int) (*workload.Workload, []workload.Instance) {
	w := &workload.Workload{Name: "fake", Registry: "127.0.0.1:1", Plans: map[string]workload.Plan{
		workload.Single: {PerInstance: []workload.Phase{{Name: "image", ContextDir: "/nonexistent",
			Tags: []string{"{{.Registry}}/x:{{.Name}}"}}}},
	}}
	var insts []workload.Instance
	for i := range n {
		insts = append(insts, workload.Instance{ID: fmt.Sprintf("org__repo-%d", i), Org: "org", Repo: "repo", Name: fmt.Sprintf("repo-%d", i)})
	}
	w.Instances = insts
	return w, insts
}

// TestRunDaemonLeaves: a daemon that is down from the start loses its
// builds to the other one, leaves the pool once (one event), and every
// image is built on the survivor with one attempt and no failure.
func TestRunDaemonLeaves(t *testing.T) {
	fs, ds := fakes(2)
	fs[0].dead.Store(true)
	w, insts := fakeWorkload(6)
	path := filepath.Join(t.TempDir(), "records.jsonl")
	out, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 3, Daemons: ds, Attempts: 2, Out: out})
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	if tr.Built != 6 || tr.Failed != 0 || tr.InfraFailed != 0 {
		t.Fatalf("built %d failed %d infra %d, want 6, 0, 0", tr.Built, tr.Failed, tr.InfraFailed)
	}
	set, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Images) != 6 {
		t.Fatalf("%d image records, want 6 (lost builds are not recorded)", len(set.Images))
	}
	for _, im := range set.Images {
		if im.Daemon != "fake://1" || im.Attempts != 1 || im.Status != record.StatusBuilt {
			t.Errorf("image %s: daemon %q attempts %d status %s; want fake://1, 1, built", im.Instance, im.Daemon, im.Attempts, im.Status)
		}
	}
	var evs []string
	for _, ev := range set.Events {
		if ev.Type == record.EventDaemon {
			evs = append(evs, ev.Message)
		}
	}
	if len(evs) != 1 || !strings.HasPrefix(evs[0], "daemon 0 (fake://0) left the pool: ") {
		t.Fatalf("daemon events %q, want one: daemon 0 left", evs)
	}
}

// TestRunNoDaemonLeft: when every daemon is down, the run stops with an
// infrastructure error.
func TestRunNoDaemonLeft(t *testing.T) {
	fs, ds := fakes(2)
	fs[0].dead.Store(true)
	fs[1].dead.Store(true)
	w, insts := fakeWorkload(4)
	tr, err := Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 2, Daemons: ds, Attempts: 1})
	if !IsInfra(err) || !strings.Contains(err.Error(), errNoDaemon.Error()) {
		t.Fatalf("run with every daemon down: %v; want an infrastructure failure, no daemon left", err)
	}
	if tr.Built != 0 || tr.InfraFailed == 0 {
		t.Fatalf("built %d infra failed %d", tr.Built, tr.InfraFailed)
	}
}

// TestRunDaemonLimits: with limits 1 and 2 and 6 workers, no daemon ever
// has more builds in flight than its limit, and both get work.
func TestRunDaemonLimits(t *testing.T) {
	fs, ds := fakes(2)
	hold := make(chan struct{})
	for _, f := range fs {
		f.hold = hold
	}
	w, insts := fakeWorkload(9)
	done := make(chan error, 1)
	var tr record.Trial
	go func() {
		var err error
		tr, err = Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
			Cache: engine.CacheOff, Workers: 6, Daemons: ds, DaemonLimits: []int{1, 2}, Attempts: 1})
		done <- err
	}()
	// Wait until both daemons are full, then let the builds go.
	deadline := time.Now().Add(5 * time.Second)
	for {
		fs[0].mu.Lock()
		a := fs[0].inflight
		fs[0].mu.Unlock()
		fs[1].mu.Lock()
		b := fs[1].inflight
		fs[1].mu.Unlock()
		if a == 1 && b == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("in flight %d and %d, want 1 and 2", a, b)
		}
		time.Sleep(5 * time.Millisecond) // polling, bounded by deadline
	}
	close(hold)
	if err := <-done; err != nil || tr.Built != 9 {
		t.Fatalf("built %d: %v", tr.Built, err)
	}
	if fs[0].maxIn != 1 || fs[1].maxIn != 2 {
		t.Fatalf("most builds in flight %d and %d, limits 1 and 2", fs[0].maxIn, fs[1].maxIn)
	}
}

// flakyDaemon fails the first build of each image (a build error, after
// 60 ms) and builds the second at once.
type flakyDaemon struct {
	fakeDaemon
	seen sync.Map
}

func (f *flakyDaemon) Build(ctx context.Context, req engine.Request) (engine.Result, error) {
	if _, again := f.seen.LoadOrStore(req.ID, true); again {
		return f.fakeDaemon.Build(ctx, req)
	}
	start := time.Now()
	time.Sleep(60 * time.Millisecond)
	err := &engine.BuildError{ID: req.ID, Class: engine.ErrBuild, Err: errors.New("step failed")}
	return engine.Result{ID: req.ID, Start: start, End: time.Now(), WallSeconds: time.Since(start).Seconds(),
		ErrClass: engine.ErrBuild, Error: err.Error()}, err
}

// TestRunRetryTimeCounts: an image built at its second attempt records
// the time of both attempts (from the first start), not only the last.
func TestRunRetryTimeCounts(t *testing.T) {
	d := &flakyDaemon{fakeDaemon: fakeDaemon{addr: "fake://flaky"}}
	w, insts := fakeWorkload(1)
	path := filepath.Join(t.TempDir(), "records.jsonl")
	out, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 1, Daemons: []Daemon{d}, Attempts: 3, Out: out})
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	set, err := record.ReadFile(path)
	if err != nil || len(set.Images) != 1 {
		t.Fatalf("%d image records: %v", len(set.Images), err)
	}
	im := set.Images[0]
	if im.Status != record.StatusBuilt || im.Attempts != 2 {
		t.Fatalf("status %s attempts %d, want built at attempt 2", im.Status, im.Attempts)
	}
	if im.WallSeconds < 0.06 || im.Start.Sub(t0) > 30*time.Millisecond || math.Abs(im.End.Sub(im.Start).Seconds()-im.WallSeconds) > 0.001 {
		t.Fatalf("wall %.3fs from %s (run began %s): want both attempts, at least 0.06s from the first start", im.WallSeconds, im.Start, t0)
	}
}

// TestRunOnEvent: a daemon leaving the pool is told to OnEvent as it
// happens (a command prints it), not only written to the records.
func TestRunOnEvent(t *testing.T) {
	fs, ds := fakes(2)
	fs[0].dead.Store(true)
	w, insts := fakeWorkload(4)
	var mu sync.Mutex
	var got []string
	_, err := Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 2, Daemons: ds, Attempts: 1,
		OnEvent: func(ev *record.Event) {
			mu.Lock()
			got = append(got, string(ev.Type)+": "+ev.Message)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.HasPrefix(got[0], string(record.EventDaemon)+": daemon 0 (fake://0) left the pool") {
		t.Fatalf("events %q, want daemon 0 leaving", got)
	}
}
