package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/buildtune/buildtune/internal/input"
)

// healthEvery is how often the pool asks the daemons that left it whether
// they answer again.
var healthEvery = 2 * time.Second

// pingTimeout bounds one health check of a daemon.
const pingTimeout = 5 * time.Second

// errNoDaemon is returned by acquire when every daemon has left the pool.
var errNoDaemon = errors.New("no buildkit daemon left in the pool")

// pool hands daemons to builds: each acquire gets the healthy daemon with
// the fewest builds in flight that is under its limit (ties: the one that
// started fewer builds, then the lower index), waiting while every healthy
// daemon is full. Daemons that stop answering leave the pool and rejoin
// when a later health check finds them answering.
type pool struct {
	daemons []Daemon
	limits  []int
	// onChange is told when daemon i leaves (joined false, with the
	// reason) or rejoins the pool; it runs outside the pool's lock.
	onChange func(i int, joined bool, reason error)

	mu       sync.Mutex
	inflight []int
	started  []int
	down     []bool
	// lastDown is why the last daemon to leave left, so that a build
	// finding the pool empty can say which daemon went and why.
	lastDown error
	// wake is closed and replaced whenever a daemon frees up, leaves or
	// rejoins, so that waiting acquires look again.
	wake chan struct{}
}

// newPool checks limits (nil, or one per daemon, each >= 0; 0 = no limit).
func newPool(daemons []Daemon, limits []int, onChange func(int, bool, error)) (*pool, error) {
	if len(limits) > 0 && len(limits) != len(daemons) {
		return nil, input.Errorf("daemon limits", "%d limits for %d daemons; want one per daemon", len(limits), len(daemons))
	}
	l := make([]int, len(daemons))
	for i, n := range limits {
		if n < 0 {
			return nil, input.Errorf("daemon limits", "daemon %d: limit %d, want 0 (no limit) or more", i, n)
		}
		l[i] = n
	}
	if onChange == nil {
		onChange = func(int, bool, error) {}
	}
	return &pool{daemons: daemons, limits: l, onChange: onChange,
		inflight: make([]int, len(daemons)), started: make([]int, len(daemons)),
		down: make([]bool, len(daemons)), wake: make(chan struct{})}, nil
}

// broadcast wakes every waiting acquire; p.mu must be held.
func (p *pool) broadcast() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// acquire returns the index of the daemon the next build goes to, waiting
// until one is under its limit. It fails with errNoDaemon when no daemon
// is healthy, and with ctx's error when ctx ends first. Every successful
// acquire needs a release.
func (p *pool) acquire(ctx context.Context) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return -1, err
		}
		p.mu.Lock()
		best, healthy := -1, false
		for i := range p.daemons {
			if p.down[i] {
				continue
			}
			healthy = true
			if l := p.limits[i]; l > 0 && p.inflight[i] >= l {
				continue
			}
			if best < 0 || p.inflight[i] < p.inflight[best] ||
				p.inflight[i] == p.inflight[best] && p.started[i] < p.started[best] {
				best = i
			}
		}
		if best >= 0 {
			p.inflight[best]++
			p.started[best]++
			p.mu.Unlock()
			return best, nil
		}
		wake, why := p.wake, p.lastDown
		p.mu.Unlock()
		if !healthy {
			if why != nil {
				return -1, fmt.Errorf("%w (the last to leave: %v)", errNoDaemon, why)
			}
			return -1, errNoDaemon
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-wake:
		}
	}
}

// release ends a build on daemon i.
func (p *pool) release(i int) {
	p.mu.Lock()
	p.inflight[i]--
	p.broadcast()
	p.mu.Unlock()
}

// healthy reports whether daemon i is in the pool.
func (p *pool) healthy(i int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.down[i]
}

// leave takes daemon i out of the pool because of reason; only the first
// of several concurrent calls reports it to onChange.
func (p *pool) leave(i int, reason error) {
	p.mu.Lock()
	first := !p.down[i]
	p.down[i] = true
	if reason != nil {
		p.lastDown = reason
	}
	p.broadcast()
	p.mu.Unlock()
	if first {
		p.onChange(i, false, reason)
	}
}

// rejoin puts daemon i back into the pool.
func (p *pool) rejoin(i int) {
	p.mu.Lock()
	was := p.down[i]
	p.down[i] = false
	p.broadcast()
	p.mu.Unlock()
	if was {
		p.onChange(i, true, nil)
	}
}

// check pings daemon i; a daemon that does not answer leaves the pool and
// the ping's error is returned.
func (p *pool) check(i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout+time.Second)
	defer cancel()
	if err := p.daemons[i].Ping(ctx, pingTimeout); err != nil {
		p.leave(i, err)
		return err
	}
	return nil
}

// watch pings the daemons that left the pool every interval and lets back
// those that answer, until the returned stop is called (stop waits for the
// checker to end).
func (p *pool) watch(interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for i, d := range p.daemons {
				if p.healthy(i) {
					continue
				}
				pctx, pcancel := context.WithTimeout(ctx, pingTimeout+time.Second)
				err := d.Ping(pctx, pingTimeout)
				pcancel()
				if err == nil && ctx.Err() == nil {
					p.rejoin(i)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// daemonDownError is a build failure after which its daemon did not answer
// a health check: the daemon left the pool and the build goes elsewhere.
type daemonDownError struct {
	daemon int
	build  error
	ping   error
}

func (e *daemonDownError) Error() string {
	return fmt.Sprintf("daemon %d does not answer (%v) after: %v", e.daemon, e.ping, e.build)
}

func (e *daemonDownError) Unwrap() error { return e.build }
