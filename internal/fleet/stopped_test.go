package fleet

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestRunOnStopped: when the last daemon dies mid-run (or the registry is
// found down), the instance whose build that cut goes to OnStopped, not to
// OnImage: it neither built nor failed on its own, and a production build
// must not record it as a failed image. The instances built before reach
// OnImage; the run stops with an infrastructure error.
func TestRunOnStopped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		health func(context.Context) error
		// kill makes the builds fail as infrastructure from the third on.
		killDaemon bool
	}{
		{name: "no daemon left", killDaemon: true},
		{name: "registry down", health: func(context.Context) error { return errors.New("registry does not answer") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, _ := fakes(1)
			var mu sync.Mutex
			var images, stopped []string
			failing := &failAfter{fakeDaemon: fs[0], after: 2, killDaemon: tc.killDaemon}
			w, insts := fakeWorkload(4)
			_, err := Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
				Cache: engine.CacheOff, Workers: 1, Daemons: []Daemon{failing}, Attempts: 1, Health: tc.health,
				OnImage: func(_, _ int, rec *record.Image) {
					mu.Lock()
					defer mu.Unlock()
					if rec == nil {
						images = append(images, "<nil>")
						return
					}
					images = append(images, rec.Instance+":"+rec.Status)
				},
				OnStopped: func(_, _ int, rec *record.Image) {
					mu.Lock()
					defer mu.Unlock()
					if rec == nil {
						stopped = append(stopped, "<nil>")
						return
					}
					stopped = append(stopped, rec.Instance)
				},
			})
			if !IsInfra(err) {
				t.Fatalf("run: %v; want an infrastructure failure", err)
			}
			if len(images) != 2 || images[0] != "org__repo-0:built" || images[1] != "org__repo-1:built" {
				t.Errorf("OnImage got %q; want the two images built before the failure, and no failed one", images)
			}
			if len(stopped) != 1 || stopped[0] != "org__repo-2" {
				t.Errorf("OnStopped got %q; want the image the failure cut, org__repo-2", stopped)
			}
		})
	}
}

// failAfter builds like its fakeDaemon, then fails every build as
// infrastructure after the first `after`; with killDaemon the daemon also
// stops answering (it leaves the pool), else it still answers (the
// registry is to blame).
type failAfter struct {
	*fakeDaemon
	after      int
	killDaemon bool
	n          int
}

func (f *failAfter) Build(ctx context.Context, req engine.Request) (engine.Result, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	if n > f.after {
		if f.killDaemon {
			f.dead.Store(true)
		}
		res := engine.Result{ID: req.ID}
		err := &engine.BuildError{ID: req.ID, Class: engine.ErrInfra, Err: errors.New("push: connection refused")}
		res.ErrClass, res.Error = engine.ErrInfra, err.Error()
		return res, err
	}
	return f.fakeDaemon.Build(ctx, req)
}

// TestRunOnStoppedInFlight: the last daemon dies with two builds in
// flight; neither is a failed image: the one that finds the pool empty
// goes to OnStopped and stops the run, the other to OnStopped or, stopped
// first, nowhere (no record, as an interrupted build).
func TestRunOnStoppedInFlight(t *testing.T) {
	for range 20 {
		fs, ds := fakes(1)
		fs[0].hold = make(chan struct{})
		w, insts := fakeWorkload(2)
		go func() {
			// Both builds in flight, then the daemon dies under them.
			for {
				fs[0].mu.Lock()
				n := fs[0].inflight
				fs[0].mu.Unlock()
				if n == 2 {
					break
				}
				time.Sleep(time.Millisecond)
			}
			fs[0].dead.Store(true)
			close(fs[0].hold)
		}()
		var mu sync.Mutex
		var images, stopped []string
		_, err := Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
			Cache: engine.CacheOff, Workers: 2, Daemons: ds, Attempts: 1,
			OnImage: func(_, _ int, rec *record.Image) {
				mu.Lock()
				defer mu.Unlock()
				images = append(images, rec.Instance+":"+rec.Status)
			},
			OnStopped: func(_, _ int, rec *record.Image) {
				mu.Lock()
				defer mu.Unlock()
				if rec != nil {
					stopped = append(stopped, rec.Instance)
				}
			},
		})
		if !IsInfra(err) {
			t.Fatalf("run: %v; want an infrastructure failure", err)
		}
		// The build that finds the pool empty is stopped; the other is
		// stopped too, or, when the run's stop reaches it first, left
		// with no record at all (an interrupted build). Neither is ever
		// an image that failed on its own.
		if len(images) != 0 || len(stopped) < 1 || len(stopped) > 2 {
			t.Fatalf("OnImage got %q, OnStopped %q; want no image, and one or both stopped", images, stopped)
		}
	}
}
