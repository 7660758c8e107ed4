// Package fleet is the engine room of both the sweep and the production
// build: it builds a list of instances with fixed settings on one or more
// BuildKit daemons, with the real script's batch-and-barrier semantics (or
// a stream), retries, the prune policy, skip-existing checks and a pool of
// daemons (least builds in flight first, per-daemon limits, daemons that
// stop answering leave and rejoin), and writes one image record per build
// as it finishes.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Daemon is what the fleet needs of one BuildKit daemon beyond building:
// disk use for the prune policy, pruning, and a health check.
type Daemon interface {
	engine.Builder
	DiskUsage(ctx context.Context) (int64, error)
	Prune(ctx context.Context, keepBytes int64, all bool) (int64, error)
	Ping(ctx context.Context, timeout time.Duration) error
}

// PrunePolicy is the real script's prune: when a daemon's disk use reaches
// ThresholdBytes, prune it to keep KeepBytes. Batched runs check between
// batches (as the real script does); a stream checks a daemon after each of
// its builds and prunes it without stopping the other daemons.
// ThresholdBytes 0 disables it.
type PrunePolicy struct {
	ThresholdBytes int64 `json:"threshold_bytes"`
	KeepBytes      int64 `json:"keep_bytes"`
}

// Options is one configuration building a list of instances once.
type Options struct {
	Workload  *workload.Workload
	Instances []workload.Instance
	Strategy  string
	Cache     engine.CacheMode
	Workers   int
	// Batch is the batch size; 0 = stream.
	Batch int
	// Daemons build the images: each instance goes to the healthy daemon
	// with the fewest builds in flight that is under its limit, waiting
	// while all are full. A daemon that stops answering leaves the pool
	// (an EventDaemon), its builds go to the others, and it rejoins when it
	// answers again; only when none is left does the run stop (ErrInfra).
	Daemons []Daemon
	// DaemonLimits are the most builds each daemon takes at once, aligned
	// with Daemons; 0 or a nil slice = no limit (Workers bounds the total).
	DaemonLimits []int
	// Attempts per build (1 = no retry).
	Attempts int
	// RetryDelay is the wait before a failed build's next attempt: after
	// attempt a fails, RetryDelay*a, at most a minute or RetryDelay if
	// longer (the real script sleeps 2+2*attempt s: RetryDelay 2s). No
	// wait follows the last attempt, and 0 means none at all. The wait ends
	// at once when ctx ends; the image is then recorded as interrupted
	// (ErrCanceled), not failed, so that a resume builds it again. The
	// build keeps its worker and daemon slot while it waits, as the real
	// script keeps its worker. The wait is in no phase of the record
	// (exec, push and the rest are the last attempt's), but it is in its
	// wall time: an image retried runs from its first attempt's start.
	RetryDelay time.Duration
	// SkipExisting checks the final tag in the registry first (the real
	// script's HEAD check) and skips the instance if it is there. The
	// check's time is the record's RemoteCheckSeconds (of a skip, whose
	// start, end and wall time are the check's; else of the instance's
	// first phase), never part of its PoolWaitSeconds, which is only the
	// wait for a free worker and a daemon slot. Only "not found" (HTTP
	// 404 on the manifest, or MANIFEST_UNKNOWN, NAME_UNKNOWN, NOT_FOUND)
	// means not there. A check that cannot tell (401, 403, a 5xx, no
	// connection, TLS, RemoteCheckTimeout) builds the image anyway, as the
	// real script does (the push will tell), but is no longer silent: it
	// is counted in the trial's RemoteCheckErrors, and said in an
	// EventRemoteCheck once per distinct error in the run. A check that
	// the run's ctx ends leaves the instance interrupted (no record).
	SkipExisting bool
	// RemoteCheckTimeout bounds each skip-existing check, retries of
	// go-containerregistry included; 0 = DefaultRemoteCheckTimeout. A
	// check that runs out of time is a failed check (above).
	RemoteCheckTimeout time.Duration
	// RemoteOptions are given to each skip-existing check's HEAD request:
	// credentials (remote.WithAuthFromKeychain(authn.DefaultKeychain),
	// remote.WithAuth), a transport (remote.WithTransport, e.g. for a
	// private CA), retry settings. None = anonymous over
	// remote.DefaultTransport. The fleet reads no environment or
	// credentials itself; the caller decides. A remote.WithContext among
	// them is overridden by the check's own context.
	RemoteOptions []remote.Option
	Prune         PrunePolicy
	// Config labels every record.
	Config record.Config
	Run    string
	Trial  int
	Out    *record.Writer
	// TraceDir, if set, receives one raw status stream per build.
	TraceDir string
	// OnImage is called after each instance finishes (progress), with the
	// record of its last phase.
	OnImage func(done, total int, rec *record.Image)
	// OnStopped, if set, is called instead of OnImage for an instance
	// whose build was cut by the infrastructure failure that stops the
	// run (no daemon left in the pool, the registry down; or a build
	// failed as infrastructure while the run was stopping), with the
	// record of its last phase (nil if none). Such an instance neither
	// built nor failed on its own: a production build leaves it for the
	// resume, as an interrupted one, rather than count it as failed. Its
	// records are written and counted in the trial as with OnImage.
	OnStopped func(done, total int, rec *record.Image)
	// OnRecord, if set, is called with every image record once it is
	// written: each phase of each instance (and the shared phases, with
	// an empty Instance), before OnImage for that instance.
	OnRecord func(rec *record.Image)
	// OnEvent, if set, is called with every event of the run (a daemon
	// leaving or rejoining the pool, a prune, a retry, a failed registry
	// check) as it happens, recorded or not, so that a command can say so
	// as it runs.
	OnEvent func(ev *record.Event)
	// Health checks the registry; nil skips that check.
	Health func(ctx context.Context) error
}

// fleetRun is the state of one Run.
type fleetRun struct {
	o        Options
	attempts int

	mu   sync.Mutex
	tr   record.Trial
	done int
	// pruning serialises stream prunes per daemon.
	pruning []sync.Mutex
	pool    *pool
	// eventErr is the first failure writing a daemon event.
	eventErr error
	// checkErrs are the failed skip-existing checks said so far, by
	// checkKey.
	checkErrs map[string]bool
}

// Run builds the shared phases, then every instance with the batch
// semantics of the real script, writing an image record per build and
// returning the trial's totals (not yet written). A build that fails is
// recorded and the others go on; failing infrastructure stops the run
// with an error wrapping ErrInfra.
func Run(ctx context.Context, o Options) (record.Trial, error) {
	r := &fleetRun{o: o, attempts: max(o.Attempts, 1), pruning: make([]sync.Mutex, len(o.Daemons))}
	r.tr = record.Trial{Run: o.Run, Trial: o.Trial, Config: o.Config, Start: time.Now(), Images: len(o.Instances)}
	if len(o.Daemons) == 0 {
		return r.tr, errors.New("fleet: no buildkit daemon")
	}
	p, err := newPool(o.Daemons, o.DaemonLimits, r.daemonEvent)
	if err != nil {
		return r.tr, err
	}
	r.pool = p
	defer p.watch(healthEvery)()
	for _, d := range o.Daemons {
		if u, err := d.DiskUsage(ctx); err == nil {
			r.tr.DiskBefore += u
		}
	}
	// Shared phases: once, before any instance.
	shared, err := o.Workload.SharedBuilds(o.Strategy, o.Cache)
	if err != nil {
		return r.tr, err
	}
	if len(shared) > 0 {
		rec, _, infraErr := r.phases(ctx, shared, "", 0, time.Now(), 0)
		if infraErr != nil {
			return r.finish(infraErr)
		}
		if ctx.Err() != nil {
			return r.finish(ctx.Err())
		}
		if rec != nil && rec.Status == record.StatusFailed {
			r.tr.Failed = len(o.Instances)
			return r.finish(fmt.Errorf("shared phase %s failed: %s", rec.Phase, rec.Error))
		}
	}
	var between Hook
	if o.Batch > 0 {
		between = r.between
	}
	err = RunBatches(ctx, len(o.Instances), o.Workers, o.Batch, r.job, between)
	return r.finish(err)
}

// add folds an image record into the trial's sums and writes it.
func (r *fleetRun) add(rec *record.Image) error {
	r.mu.Lock()
	r.tr.ExecSeconds += rec.ExecSeconds
	r.tr.ImageExportSeconds += rec.ImageExportSeconds
	r.tr.LayerPushSeconds += rec.LayerPushSeconds
	r.tr.CacheImportSeconds += rec.CacheImportSeconds
	r.tr.CacheExportSeconds += rec.CacheExportSeconds
	r.tr.CachedSteps += rec.CachedSteps
	r.tr.TotalSteps += rec.TotalSteps
	r.mu.Unlock()
	if r.o.Out != nil {
		if err := r.o.Out.Write(rec); err != nil {
			// The records' file, not the build, failed (a full disk):
			// the run stops as for a daemon gone, and the image, its
			// record lost, is left for the resume.
			return infraError{fmt.Errorf("recording %s: %w", labelOf(rec.Instance), err)}
		}
	}
	if r.o.OnRecord != nil {
		r.o.OnRecord(rec)
	}
	return nil
}

// build runs one request on daemon di with retries and returns its
// record, not yet written. When an attempt fails as infrastructure and
// the daemon then does not answer, it stops there with a
// *daemonDownError (the daemon has left the pool).
func (r *fleetRun) build(ctx context.Context, di int, b workload.Build, inst string, batchIdx int, wait float64) (*record.Image, error) {
	o := r.o
	d := o.Daemons[di]
	rec := &record.Image{Run: o.Run, Trial: o.Trial, Config: o.Config, Instance: inst, Phase: b.Phase,
		BatchIndex: batchIdx, PoolWaitSeconds: wait, Daemon: daemonName(d, di)}
	if len(b.Tags) > 0 {
		rec.Tag = b.Tags[0]
	}
	req := b.Request
	var res engine.Result
	var err error
	var first time.Time // the first attempt's start
	for a := 1; a <= r.attempts; a++ {
		if a > 1 {
			delay := retryDelay(o.RetryDelay, a-1)
			// Said before the wait, which can last a minute: the display
			// would otherwise look stuck.
			r.event(&record.Event{Run: o.Run, Trial: o.Trial, Time: time.Now(), Type: record.EventRetry,
				Cell: o.Config.Cell, Seconds: delay.Seconds(),
				Message: fmt.Sprintf("%s: attempt %d of %d failed (%s): %s; attempt %d in %s",
					req.ID, a-1, r.attempts, res.ErrClass, engine.FirstLine(res.Error), a, delay)})
			if werr := sleep(ctx, delay); werr != nil {
				// Stopped before the attempts were used up: interrupted,
				// not failed (no manifest line; a resume builds it).
				err = &engine.BuildError{ID: req.ID, Class: engine.ErrCanceled,
					Err: fmt.Errorf("stopped during the %s wait before attempt %d (attempt %d failed: %s): %w", delay, a, a-1, res.Error, werr)}
				res.ErrClass, res.Error = engine.ErrCanceled, err.Error()
				break
			}
		}
		rec.Attempts = a
		if o.TraceDir != "" {
			req.TracePath = fmt.Sprintf("%s/t%d-%s-%d.jsonl", o.TraceDir, o.Trial, safeName(req.ID), a)
		}
		res, err = d.Build(ctx, req)
		if first.IsZero() {
			first = res.Start
		}
		if err == nil || engine.ClassOf(err) == engine.ErrCanceled || ctx.Err() != nil {
			break
		}
		if engine.ClassOf(err) == engine.ErrInfra {
			if perr := r.pool.check(di); perr != nil {
				err = &daemonDownError{daemon: di, build: err, ping: perr}
				break
			}
		}
	}
	if rec.Attempts > 1 && !first.IsZero() && first.Before(res.Start) && !res.End.IsZero() {
		// The image took every attempt and the waits between them: its
		// time runs from the first start (the breakdown is the last
		// attempt's).
		res.Start = first
		res.WallSeconds = res.End.Sub(first).Seconds()
	}
	rec.Cost = res
	rec.Status = record.StatusBuilt
	if err != nil {
		rec.Status = record.StatusFailed
	}
	return rec, err
}

// phases builds the phases of one instance (inst "" = the shared phases),
// all on one daemon of the pool. A phase lost to a daemon that left the
// pool is built again on another daemon, unrecorded and not counted as an
// attempt; every other build is recorded. It returns the last record (nil
// when interrupted before any), the daemon used last (-1 if none), and an
// error wrapping ErrInfra when the run must stop: no daemon left, or the
// registry down; or the error writing a record. check is the seconds of
// the instance's skip-existing check, for its first record.
func (r *fleetRun) phases(ctx context.Context, builds []workload.Build, inst string, batchIdx int, queued time.Time, check float64) (*record.Image, int, error) {
	took := time.Now() // a worker took the instance (after its check)
	di, err := r.pool.acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, -1, nil // interrupted before it started: no record
		}
		return nil, -1, infraError{fmt.Errorf("%s: %v", labelOf(inst), err)}
	}
	wait := time.Since(queued).Seconds()
	daemonWait := time.Since(took).Seconds()
	var last *record.Image
	moves := 0
	for k := 0; k < len(builds); {
		rec, err := r.build(ctx, di, builds[k], inst, batchIdx, wait)
		var down *daemonDownError
		isDown := errors.As(err, &down)
		if isDown && moves < len(r.o.Daemons) && ctx.Err() == nil {
			// The daemon left the pool: build this phase again elsewhere.
			r.pool.release(di)
			moves++
			t0 := time.Now()
			if di, err = r.pool.acquire(ctx); err != nil {
				if ctx.Err() != nil {
					return last, -1, nil
				}
				rec.RemoteCheckSeconds = check
				rec.DaemonWaitSeconds = min(daemonWait, rec.PoolWaitSeconds)
				if werr := r.add(rec); werr != nil {
					return rec, -1, werr
				}
				return rec, -1, infraError{fmt.Errorf("%s: %v; the last: %v", labelOf(inst), errNoDaemon, down)}
			}
			moved := time.Since(t0).Seconds()
			wait += moved
			daemonWait += moved
			continue
		}
		rec.RemoteCheckSeconds = check
		rec.DaemonWaitSeconds = min(daemonWait, rec.PoolWaitSeconds)
		if werr := r.add(rec); werr != nil {
			r.pool.release(di)
			return rec, di, werr
		}
		last = rec
		wait, check, daemonWait = 0, 0, 0
		if err != nil {
			if rec.ErrClass == engine.ErrInfra && !isDown {
				if ie := r.checkRegistry(); ie != nil {
					r.pool.release(di)
					return rec, di, ie
				}
			}
			break
		}
		k++
	}
	r.pool.release(di)
	return last, di, nil
}

// checkRegistry decides whether an infrastructure failure on a daemon
// that still answers means the registry is down.
func (r *fleetRun) checkRegistry() error {
	if r.o.Health == nil {
		return nil
	}
	hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer hcancel()
	if herr := r.o.Health(hctx); herr != nil {
		return infraError{herr}
	}
	return nil
}

// daemonEvent records a daemon leaving (joined false) or rejoining the pool.
func (r *fleetRun) daemonEvent(di int, joined bool, reason error) {
	name := daemonName(r.o.Daemons[di], di)
	msg := fmt.Sprintf("daemon %d (%s) rejoined the pool", di, name)
	if !joined {
		msg = fmt.Sprintf("daemon %d (%s) left the pool: %v", di, name, reason)
	}
	r.event(&record.Event{Run: r.o.Run, Trial: r.o.Trial, Time: time.Now(), Type: record.EventDaemon,
		Cell: r.o.Config.Cell, Message: msg})
}

// event shows ev and records it; the first failure to record one is the
// run's error at its end (the build goes on).
func (r *fleetRun) event(ev *record.Event) {
	if r.o.OnEvent != nil {
		r.o.OnEvent(ev)
	}
	if r.o.Out == nil {
		return
	}
	if err := r.o.Out.Write(ev); err != nil {
		r.mu.Lock()
		if r.eventErr == nil {
			r.eventErr = infraError{fmt.Errorf("recording %q: %w", ev.Message, err)}
		}
		r.mu.Unlock()
	}
}

// daemonName is the daemon's address, or "daemon N" when it has none.
func daemonName(d Daemon, i int) string {
	if a, ok := d.(interface{ Addr() string }); ok && a.Addr() != "" {
		return a.Addr()
	}
	return fmt.Sprintf("daemon %d", i)
}

func labelOf(inst string) string {
	if inst == "" {
		return "shared phases"
	}
	return inst
}

// job builds instance i: a skip if its final tag exists, else its phases
// on a daemon of the pool.
func (r *fleetRun) job(ctx context.Context, i, batchIdx int, queued time.Time) error {
	o := r.o
	inst := o.Instances[i]
	builds, err := o.Workload.InstanceBuilds(o.Strategy, inst, o.Cache)
	if err != nil {
		return err
	}
	var last *record.Image
	var infraErr error
	di := -1
	status := record.StatusBuilt
	check := 0.0 // seconds of the skip-existing check
	if n := len(builds); o.SkipExisting && n > 0 && len(builds[n-1].Tags) > 0 {
		tag := builds[n-1].Tags[0]
		t0 := time.Now()
		res, cerr := remoteCheck(ctx, tag, o.RemoteCheckTimeout, o.RemoteOptions)
		t1 := time.Now()
		if res == checkInterrupted {
			return nil // interrupted before it started: no record
		}
		found := res == checkFound
		if res == checkFailed {
			r.checkFailed(inst.ID, tag, cerr, t1.Sub(t0))
		}
		// The check is no wait for a worker or a daemon: the pool wait
		// starts that much later.
		queued = queued.Add(t1.Sub(t0))
		check = t1.Sub(t0).Seconds()
		if found {
			status = record.StatusSkipped
			last = &record.Image{Run: o.Run, Trial: o.Trial, Config: o.Config, Instance: inst.ID,
				Phase: builds[n-1].Phase, Tag: builds[n-1].Tags[0], Status: status, BatchIndex: batchIdx,
				RemoteCheckSeconds: check, Cost: record.Cost{ID: inst.ID, Start: t0, End: t1, WallSeconds: check}}
			if err := r.add(last); err != nil {
				return err
			}
			builds = nil
		}
	}
	if len(builds) > 0 {
		last, di, infraErr = r.phases(ctx, builds, inst.ID, batchIdx, queued, check)
		if last == nil && infraErr == nil {
			return nil // interrupted while waiting for a daemon: no record
		}
		if last == nil || last.Status == record.StatusFailed {
			status = record.StatusFailed
		}
	}
	r.mu.Lock()
	switch {
	case status == record.StatusBuilt:
		r.tr.Built++
	case status == record.StatusSkipped:
		r.tr.Skipped++
	case last != nil && last.ErrClass == engine.ErrCanceled:
		r.tr.Interrupted = true
	default:
		r.tr.Failed++
		if last == nil || last.ErrClass == engine.ErrInfra {
			r.tr.InfraFailed++
		}
	}
	r.done++
	n := r.done
	r.mu.Unlock()
	// Cut by the failure that stops the run: this build found it (no
	// daemon left, the registry down), or it failed as infrastructure
	// while the run was already stopping (its daemon died with the others).
	cut := errors.Is(infraErr, ErrInfra) ||
		infraErr == nil && ctx.Err() != nil && last != nil && last.Status == record.StatusFailed && last.ErrClass == engine.ErrInfra
	switch {
	case cut && o.OnStopped != nil:
		o.OnStopped(n, len(o.Instances), last)
	case o.OnImage != nil:
		o.OnImage(n, len(o.Instances), last)
	}
	if infraErr != nil {
		return infraErr
	}
	if o.Batch == 0 && status == record.StatusBuilt && di >= 0 && ctx.Err() == nil {
		// Stream: prune this daemon now if it crossed the threshold; the
		// other daemons' builds go on.
		return r.prune(ctx, di, fmt.Sprintf("after %s", inst.ID))
	}
	return nil
}

// between is the real script's prune between two batches.
func (r *fleetRun) between(ctx context.Context, batchIdx int) error {
	for di := range r.o.Daemons {
		if !r.pool.healthy(di) {
			continue
		}
		if err := r.prune(ctx, di, fmt.Sprintf("after batch %d", batchIdx)); err != nil {
			return err
		}
	}
	return nil
}

// prune prunes daemon di to the policy's keep size if its disk use has
// reached the threshold, and records the prune.
func (r *fleetRun) prune(ctx context.Context, di int, when string) error {
	p := r.o.Prune
	if p.ThresholdBytes <= 0 {
		return nil
	}
	if !r.pruning[di].TryLock() {
		return nil // a prune of this daemon is already running
	}
	defer r.pruning[di].Unlock()
	d := r.o.Daemons[di]
	u, err := d.DiskUsage(ctx)
	if err != nil {
		if ctx.Err() == nil && r.pool.check(di) != nil {
			return nil // it left the pool; its builds go to the others
		}
		return infraError{fmt.Errorf("disk use of daemon %d: %v", di, err)}
	}
	if u < p.ThresholdBytes {
		return nil
	}
	t0 := time.Now()
	freed, err := d.Prune(ctx, p.KeepBytes, false)
	if err != nil {
		return infraError{fmt.Errorf("pruning daemon %d: %v", di, err)}
	}
	secs := time.Since(t0).Seconds()
	r.mu.Lock()
	r.tr.Prunes++
	r.tr.PruneSeconds += secs
	r.mu.Unlock()
	ev := &record.Event{Run: r.o.Run, Trial: r.o.Trial, Time: t0, Type: record.EventPrune, Cell: r.o.Config.Cell,
		Seconds: secs, Bytes: freed, Message: fmt.Sprintf("daemon %d: disk %d >= threshold %d %s; kept %d", di, u, p.ThresholdBytes, when, p.KeepBytes)}
	if r.o.OnEvent != nil {
		r.o.OnEvent(ev)
	}
	if r.o.Out == nil {
		return nil
	}
	return r.o.Out.Write(ev)
}

// finish closes the trial's totals.
func (r *fleetRun) finish(err error) (record.Trial, error) {
	tr := r.tr
	tr.End = time.Now()
	tr.WallSeconds = tr.End.Sub(tr.Start).Seconds()
	tr.ImagesPerHour = record.ImagesPerHour(tr.Built, tr.WallSeconds)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for di, d := range r.o.Daemons {
		if r.pool != nil && !r.pool.healthy(di) {
			continue // gone: its disk use cannot be asked
		}
		if u, derr := d.DiskUsage(ctx); derr == nil {
			tr.DiskAfter += u
		}
	}
	r.mu.Lock()
	if err == nil {
		err = r.eventErr
	}
	r.mu.Unlock()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			tr.Interrupted = true
		}
		tr.Error = err.Error()
	}
	return tr, err
}

// maxRetryDelay caps the growing wait between attempts (unless
// Options.RetryDelay alone is longer).
const maxRetryDelay = time.Minute

// retryDelay is the wait after failed attempt a (1-based) of a build:
// base*a, at most max(base, maxRetryDelay); 0 when base is not positive.
func retryDelay(base time.Duration, a int) time.Duration {
	if base <= 0 || a < 1 {
		return 0
	}
	limit := max(base, maxRetryDelay)
	if time.Duration(a) > limit/base {
		return limit // base*a would pass the cap (or overflow)
	}
	return base * time.Duration(a)
}

// newTimer starts the timer of a wait between attempts and returns its
// channel and its stop; tests replace it to see the waits asked for
// without waiting.
var newTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// sleep waits d, or until ctx ends (then it returns ctx's error at once).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	c, stop := newTimer(d)
	defer stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c:
		return nil
	}
}

// DefaultRemoteCheckTimeout bounds a skip-existing check when
// Options.RemoteCheckTimeout is 0.
const DefaultRemoteCheckTimeout = 30 * time.Second

// checkResult is what a skip-existing check found.
type checkResult int

const (
	// checkAbsent: the registry says the tag is not there (build it).
	checkAbsent checkResult = iota
	// checkFound: the tag is there (skip it).
	checkFound
	// checkFailed: the check could not tell (build it, and say so).
	checkFailed
	// checkInterrupted: ctx ended during the check.
	checkInterrupted
)

// remoteCheck asks tag's registry whether tag is there (a HEAD of its
// manifest, with opts), within timeout (0 = DefaultRemoteCheckTimeout).
// The error says why a check failed or was interrupted; it is nil for
// checkFound and checkAbsent.
func remoteCheck(ctx context.Context, tag string, timeout time.Duration, opts []remote.Option) (checkResult, error) {
	if err := ctx.Err(); err != nil {
		return checkInterrupted, fmt.Errorf("checking %s in the registry: %w", tag, err)
	}
	ref, err := name.ParseReference(tag, name.Insecure)
	if err != nil {
		return checkFailed, fmt.Errorf("checking %s in the registry: %w", tag, err)
	}
	if timeout <= 0 {
		timeout = DefaultRemoteCheckTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The context comes last: it overrides a remote.WithContext in opts.
	opts = append(slices.Clip(opts), remote.WithContext(cctx))
	done := make(chan error, 1)
	go func() {
		_, err := remote.Head(ref, opts...)
		done <- err
	}()
	select {
	case err = <-done:
	case <-cctx.Done():
		// go-containerregistry's retries wait without watching the
		// context (seconds): do not wait for them. The request ends
		// with cctx, canceled on return.
		err = cctx.Err()
	}
	switch {
	case ctx.Err() != nil:
		return checkInterrupted, fmt.Errorf("checking %s in the registry: %w", tag, ctx.Err())
	case err == nil:
		return checkFound, nil
	case notFound(err):
		return checkAbsent, nil
	case cctx.Err() != nil:
		return checkFailed, fmt.Errorf("checking %s in the registry: no answer within %s: %w", tag, timeout, context.DeadlineExceeded)
	}
	return checkFailed, fmt.Errorf("checking %s in the registry: %w", tag, err)
}

// notFound reports whether err is the registry saying that a manifest is
// not there: HTTP 404, or the registry error codes MANIFEST_UNKNOWN,
// NAME_UNKNOWN or NOT_FOUND, in answer to the manifest request itself (a
// 404 on /v2/ or from a token server says that something else is wrong).
func notFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	if terr.Request != nil && terr.Request.URL != nil && !strings.Contains(terr.Request.URL.Path, "/manifests/") {
		return false
	}
	if terr.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range terr.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, "NOT_FOUND":
			return true
		}
	}
	return false
}

// checkKey is err's first line as it would read for any tag: tag, its
// repository and its identifier, as they appear in the error (the
// request's URL, a token's scope), are replaced, so that one error of
// every check (a 401 for each of 433 tags) is one key.
func checkKey(tag string, err error) string {
	msg := strings.ReplaceAll(engine.FirstLine(err.Error()), tag, "<tag>")
	if ref, perr := name.ParseReference(tag, name.Insecure); perr == nil {
		repo := ref.Context().RepositoryStr()
		msg = strings.ReplaceAll(msg, "/manifests/"+ref.Identifier(), "/manifests/<id>")
		msg = strings.ReplaceAll(msg, "/v2/"+repo+"/", "/v2/<repo>/")
		msg = strings.ReplaceAll(msg, "repository:"+repo+":", "repository:<repo>:")
	}
	return msg
}

// checkFailed counts a failed skip-existing check of inst's tag and says
// it in an EventRemoteCheck, unless an earlier check of this run failed
// the same way (checkKey).
func (r *fleetRun) checkFailed(inst, tag string, err error, took time.Duration) {
	key := checkKey(tag, err)
	r.mu.Lock()
	r.tr.RemoteCheckErrors++
	said := r.checkErrs[key]
	if !said {
		if r.checkErrs == nil {
			r.checkErrs = map[string]bool{}
		}
		r.checkErrs[key] = true
	}
	r.mu.Unlock()
	if said {
		return
	}
	hint := ""
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) && len(r.o.RemoteOptions) == 0 {
		hint = " (the check was anonymous)"
	}
	r.event(&record.Event{Run: r.o.Run, Trial: r.o.Trial, Time: time.Now(), Type: record.EventRemoteCheck,
		Cell: r.o.Config.Cell, Seconds: took.Seconds(),
		Message: fmt.Sprintf("%s: %s%s; building it anyway (further checks failing the same way are only counted)",
			inst, engine.FirstLine(err.Error()), hint)})
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
