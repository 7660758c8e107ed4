package fleet

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// failingDaemon fails the first fails builds of each image (a build
// error) and builds the rest at once.
type failingDaemon struct {
	fakeDaemon
	fails int

	mu   sync.Mutex
	seen map[string]int
}

func (f *failingDaemon) Build(ctx context.Context, req engine.Request) (engine.Result, error) {
	f.mu.Lock()
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	f.seen[req.ID]++
	n := f.seen[req.ID]
	f.mu.Unlock()
	if n > f.fails {
		return f.fakeDaemon.Build(ctx, req)
	}
	now := time.Now()
	err := &engine.BuildError{ID: req.ID, Class: engine.ErrBuild, Err: errors.New("step failed")}
	return engine.Result{ID: req.ID, Start: now, End: now, ErrClass: engine.ErrBuild, Error: err.Error()}, err
}

// fakeTimers replaces newTimer for one test: every wait asked for is
// recorded and sent to asked; a wait fires at once unless hold is set,
// then never (only ctx ends it). It reports whether every timer started
// was stopped.
type fakeTimers struct {
	mu      sync.Mutex
	waits   []time.Duration
	stopped int
	asked   chan time.Duration
}

func useFakeTimers(t *testing.T, hold bool) *fakeTimers {
	t.Helper()
	ft := &fakeTimers{asked: make(chan time.Duration, 100)}
	orig := newTimer
	t.Cleanup(func() { newTimer = orig })
	newTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
		ft.mu.Lock()
		ft.waits = append(ft.waits, d)
		ft.mu.Unlock()
		ft.asked <- d
		c := make(chan time.Time, 1)
		if !hold {
			c <- time.Now()
		}
		return c, func() bool {
			ft.mu.Lock()
			ft.stopped++
			ft.mu.Unlock()
			return true
		}
	}
	return ft
}

func (ft *fakeTimers) got() ([]time.Duration, int) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return slices.Clone(ft.waits), ft.stopped
}

func TestRetryDelay(t *testing.T) {
	for _, tc := range []struct {
		base time.Duration
		a    int
		want time.Duration
	}{
		{0, 1, 0},
		{-time.Second, 3, 0},
		{2 * time.Second, 0, 0},
		{2 * time.Second, 1, 2 * time.Second}, // the real script: 2+2*attempt s
		{2 * time.Second, 2, 4 * time.Second},
		{2 * time.Second, 3, 6 * time.Second},
		{2 * time.Second, 30, time.Minute},
		{2 * time.Second, 31, time.Minute},
		{2 * time.Second, 1 << 62, time.Minute},             // no overflow
		{90 * time.Second, 1, 90 * time.Second},             // a base above the cap is the cap
		{90 * time.Second, 5, 90 * time.Second},             //
		{time.Duration(1 << 62), 4, time.Duration(1 << 62)}, // no overflow
	} {
		if got := retryDelay(tc.base, tc.a); got != tc.want {
			t.Errorf("retryDelay(%s, %d) = %s, want %s", tc.base, tc.a, got, tc.want)
		}
	}
}

// TestRunRetryBackoff: a build that fails N times waits RetryDelay*a
// after failed attempt a, and not after the last attempt; with no
// RetryDelay it asks for no wait at all.
func TestRunRetryBackoff(t *testing.T) {
	const base = 2 * time.Second
	for _, tc := range []struct {
		name      string
		fails     int
		attempts  int
		delay     time.Duration
		want      []time.Duration
		status    string
		attemptsN int
	}{
		{"built at the 4th attempt", 3, 5, base, []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second}, record.StatusBuilt, 4},
		{"every attempt fails", 9, 3, base, []time.Duration{2 * time.Second, 4 * time.Second}, record.StatusFailed, 3},
		{"first attempt builds", 0, 3, base, nil, record.StatusBuilt, 1},
		{"one attempt", 9, 1, base, nil, record.StatusFailed, 1},
		{"no delay", 2, 3, 0, nil, record.StatusBuilt, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := useFakeTimers(t, false)
			d := &failingDaemon{fakeDaemon: fakeDaemon{addr: "fake://failing"}, fails: tc.fails}
			w, insts := fakeWorkload(1)
			var got *record.Image
			var events []*record.Event
			_, err := Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
				Cache: engine.CacheOff, Workers: 1, Daemons: []Daemon{d}, Attempts: tc.attempts, RetryDelay: tc.delay,
				OnImage: func(_, _ int, rec *record.Image) { got = rec }, OnEvent: func(ev *record.Event) { events = append(events, ev) }})
			if err != nil {
				t.Fatal(err)
			}
			waits, stopped := ft.got()
			if !slices.Equal(waits, tc.want) {
				t.Errorf("waits %v, want %v", waits, tc.want)
			}
			// Every retry is told, with its wait, before the wait.
			if retries := tc.attemptsN - 1; len(events) != retries {
				t.Errorf("%d events, want %d retry events", len(events), retries)
			}
			for i, ev := range events {
				want := 0.0
				if i < len(tc.want) {
					want = tc.want[i].Seconds()
				}
				if ev.Type != record.EventRetry || ev.Seconds != want || !strings.Contains(ev.Message, "step failed") ||
					!strings.Contains(ev.Message, fmt.Sprintf("attempt %d of %d failed", i+1, tc.attempts)) {
					t.Errorf("event %d: %+v, want a retry after attempt %d waiting %vs", i, ev, i+1, want)
				}
			}
			if stopped != len(waits) {
				t.Errorf("%d timers started, %d stopped", len(waits), stopped)
			}
			if got == nil || got.Status != tc.status || got.Attempts != tc.attemptsN {
				t.Fatalf("record %+v, want %s after %d attempts", got, tc.status, tc.attemptsN)
			}
		})
	}
}

// TestRunRetryBackoffCancel: Ctrl-C during the wait before a retry ends
// the wait at once; the image is recorded as interrupted (not failed,
// not retried) with the attempt it made, and the trial as interrupted.
func TestRunRetryBackoffCancel(t *testing.T) {
	ft := useFakeTimers(t, true)
	d := &failingDaemon{fakeDaemon: fakeDaemon{addr: "fake://failing"}, fails: 9}
	w, insts := fakeWorkload(1)
	path := filepath.Join(t.TempDir(), "records.jsonl")
	out, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		tr  record.Trial
		err error
	}
	done := make(chan result, 1)
	go func() {
		tr, err := Run(ctx, Options{Workload: w, Instances: insts, Strategy: workload.Single,
			Cache: engine.CacheOff, Workers: 1, Daemons: []Daemon{d}, Attempts: 3, RetryDelay: time.Hour, Out: out})
		done <- result{tr, err}
	}()
	select {
	case wait := <-ft.asked:
		if wait != time.Hour {
			t.Errorf("first wait %s, want 1h", wait)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no wait started after the failed first attempt")
	}
	cancel()
	var res result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of the cancel during a 1h wait")
	}
	out.Close()
	if !errors.Is(res.err, context.Canceled) || !res.tr.Interrupted || res.tr.Failed != 0 || res.tr.Built != 0 {
		t.Errorf("trial: err %v, interrupted %v, failed %d, built %d; want cancelled, interrupted, nothing failed or built",
			res.err, res.tr.Interrupted, res.tr.Failed, res.tr.Built)
	}
	if waits, stopped := ft.got(); len(waits) != 1 || stopped != 1 {
		t.Errorf("waits %v (%d stopped), want the one wait, stopped", waits, stopped)
	}
	set, err := record.ReadFile(path)
	if err != nil || len(set.Images) != 1 {
		t.Fatalf("%d image records: %v", len(set.Images), err)
	}
	im := set.Images[0]
	if im.ErrClass != record.ErrCanceled || im.Attempts != 1 || im.Status != record.StatusFailed ||
		!strings.Contains(im.Error, "before attempt 2") || !strings.Contains(im.Error, "step failed") {
		t.Errorf("record: class %q attempts %d status %s error %q; want canceled after 1 attempt, naming the wait and the failure",
			im.ErrClass, im.Attempts, im.Status, im.Error)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := d.seen[insts[0].ID]; n != 1 {
		t.Errorf("%d builds, want 1 (no attempt after the cancel)", n)
	}
}

// TestRunRetryBackoffWall: with the real timer, in a bubble of virtual
// time, the waits between attempts are in the image's wall time (it runs
// from its first attempt) and in no phase of it.
func TestRunRetryBackoffWall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &failingDaemon{fakeDaemon: fakeDaemon{addr: "fake://failing"}, fails: 2}
		w, insts := fakeWorkload(1)
		var got *record.Image
		t0 := time.Now()
		_, err := Run(t.Context(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
			Cache: engine.CacheOff, Workers: 1, Daemons: []Daemon{d}, Attempts: 3, RetryDelay: 2 * time.Second,
			OnImage: func(_, _ int, rec *record.Image) { got = rec }})
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || got.Status != record.StatusBuilt || got.Attempts != 3 {
			t.Fatalf("record %+v, want built at attempt 3", got)
		}
		if got.WallSeconds != 6 || !got.Start.Equal(t0) || got.ExecSeconds != 0 || got.PoolWaitSeconds != 0 {
			t.Errorf("wall %vs from %s (run began %s), exec %vs, pool wait %vs; want the 2s+4s waits in the wall only",
				got.WallSeconds, got.Start, t0, got.ExecSeconds, got.PoolWaitSeconds)
		}
	})
}
