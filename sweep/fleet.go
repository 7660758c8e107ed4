package sweep

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/record"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Daemon is what the fleet needs of one BuildKit daemon beyond building:
// disk use for the prune policy, pruning, and a health check.
type Daemon interface {
	engine.Builder
	DiskUsage(ctx context.Context) (int64, error)
	Prune(ctx context.Context, keepBytes int64, all bool) (int64, error)
	Ping(ctx context.Context, timeout time.Duration) error
}

// PrunePolicy is the real script's between-batch prune: when a daemon's
// disk use reaches ThresholdBytes, prune it to keep KeepBytes.
// ThresholdBytes 0 disables it.
type PrunePolicy struct {
	ThresholdBytes int64 `json:"threshold_bytes"`
	KeepBytes      int64 `json:"keep_bytes"`
}

// FleetOptions is one configuration building a list of instances once.
type FleetOptions struct {
	Workload  *workload.Workload
	Instances []workload.Instance
	Strategy  string
	Cache     engine.CacheMode
	Workers   int
	// Batch is the batch size; 0 = stream.
	Batch int
	// Daemons build the images; instance i goes to daemon i mod len.
	Daemons []Daemon
	// Attempts per build (1 = no retry).
	Attempts int
	// SkipExisting checks the final tag in the registry first and skips the
	// instance if it is there (the real script's HEAD check).
	SkipExisting bool
	Prune        PrunePolicy
	// Config labels every record.
	Config record.Config
	Run    string
	Trial  int
	Out    *record.Writer
	// TraceDir, if set, receives one raw status stream per build.
	TraceDir string
	// OnImage is called after each instance finishes (progress).
	OnImage func(done, total int, rec *record.Image)
	// Health checks the registry; nil skips that check.
	Health func(ctx context.Context) error
}

// RunFleet builds the shared phases, then every instance with the batch
// semantics of the real script, writing an image record per build and
// returning the trial's totals (not yet written). A build that fails is
// recorded and the others go on; failing infrastructure stops the run
// with an error wrapping ErrInfra.
func RunFleet(ctx context.Context, o FleetOptions) (record.Trial, error) {
	tr := record.Trial{Run: o.Run, Trial: o.Trial, Config: o.Config, Start: time.Now(), Images: len(o.Instances)}
	if len(o.Daemons) == 0 {
		return tr, errors.New("fleet: no buildkit daemon")
	}
	attempts := max(o.Attempts, 1)
	var mu sync.Mutex

	for _, d := range o.Daemons {
		if u, err := d.DiskUsage(ctx); err == nil {
			tr.DiskBefore += u
		}
	}
	add := func(rec *record.Image) error {
		mu.Lock()
		tr.ExecSeconds += rec.ExecSeconds
		tr.ImageExportSeconds += rec.ImageExportSeconds
		tr.LayerPushSeconds += rec.LayerPushSeconds
		tr.CacheImportSeconds += rec.CacheImportSeconds
		tr.CacheExportSeconds += rec.CacheExportSeconds
		tr.CachedSteps += rec.CachedSteps
		tr.TotalSteps += rec.TotalSteps
		mu.Unlock()
		if o.Out != nil {
			return o.Out.Write(rec)
		}
		return nil
	}
	// build runs one request with retries and records it.
	build := func(ctx context.Context, d Daemon, b workload.Build, inst string, batchIdx int, wait float64) (*record.Image, error) {
		rec := &record.Image{Run: o.Run, Trial: o.Trial, Config: o.Config, Instance: inst, Phase: b.Phase,
			BatchIndex: batchIdx, PoolWaitSeconds: wait}
		if len(b.Tags) > 0 {
			rec.Tag = b.Tags[0]
		}
		req := b.Request
		var res engine.Result
		var err error
		for a := 1; a <= attempts; a++ {
			rec.Attempts = a
			if o.TraceDir != "" {
				req.TracePath = fmt.Sprintf("%s/t%d-%s-%d.jsonl", o.TraceDir, o.Trial, safeName(req.ID), a)
			}
			res, err = d.Build(ctx, req)
			if err == nil || engine.ClassOf(err) == engine.ErrCanceled || ctx.Err() != nil {
				break
			}
		}
		rec.Result = res
		rec.Status = record.StatusBuilt
		if err != nil {
			rec.Status = record.StatusFailed
		}
		if werr := add(rec); werr != nil {
			return rec, werr
		}
		return rec, err
	}
	// checkInfra decides whether a failure means the machinery is down.
	checkInfra := func(d Daemon, err error) error {
		if engine.ClassOf(err) != engine.ErrInfra {
			return nil
		}
		hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer hcancel()
		if perr := d.Ping(hctx, 5*time.Second); perr != nil {
			return fmt.Errorf("%w: %v", ErrInfra, perr)
		}
		if o.Health != nil {
			if herr := o.Health(hctx); herr != nil {
				return fmt.Errorf("%w: %v", ErrInfra, herr)
			}
		}
		return nil
	}
	// Shared phases: once, before any instance.
	shared, err := o.Workload.SharedBuilds(o.Strategy, o.Cache)
	if err != nil {
		return tr, err
	}
	for _, b := range shared {
		rec, err := build(ctx, o.Daemons[0], b, "", 0, 0)
		if err != nil {
			if ie := checkInfra(o.Daemons[0], err); ie != nil {
				return finish(tr, o, ie)
			}
			if ctx.Err() != nil {
				return finish(tr, o, ctx.Err())
			}
			tr.Failed = len(o.Instances)
			return finish(tr, o, fmt.Errorf("shared phase %s failed: %s", rec.Phase, rec.Error))
		}
	}

	done := 0
	job := func(ctx context.Context, i, batchIdx int, queued time.Time) error {
		inst := o.Instances[i]
		d := o.Daemons[i%len(o.Daemons)]
		wait := time.Since(queued).Seconds()
		builds, err := o.Workload.InstanceBuilds(o.Strategy, inst, o.Cache)
		if err != nil {
			return err
		}
		var last *record.Image
		var infraErr error
		status := record.StatusBuilt
		if n := len(builds); o.SkipExisting && n > 0 && len(builds[n-1].Tags) > 0 && exists(ctx, builds[n-1].Tags[0]) {
			status = record.StatusSkipped
			last = &record.Image{Run: o.Run, Trial: o.Trial, Config: o.Config, Instance: inst.ID,
				Phase: builds[n-1].Phase, Tag: builds[n-1].Tags[0], Status: status, BatchIndex: batchIdx}
			last.ID = inst.ID
			if err := add(last); err != nil {
				return err
			}
			builds = nil
		}
		for _, b := range builds {
			rec, err := build(ctx, d, b, inst.ID, batchIdx, wait)
			last = rec
			wait = 0
			if err != nil {
				status = record.StatusFailed
				if rec.ErrClass == engine.ErrInfra {
					infraErr = checkInfra(d, err)
				}
				break
			}
		}
		mu.Lock()
		switch {
		case status == record.StatusBuilt:
			tr.Built++
		case status == record.StatusSkipped:
			tr.Skipped++
		case last != nil && last.ErrClass == engine.ErrCanceled:
			tr.Interrupted = true
		default:
			tr.Failed++
			if last != nil && last.ErrClass == engine.ErrInfra {
				tr.InfraFailed++
			}
		}
		done++
		n := done
		mu.Unlock()
		if o.OnImage != nil {
			o.OnImage(n, len(o.Instances), last)
		}
		return infraErr
	}
	between := func(ctx context.Context, batchIdx int) error {
		if o.Prune.ThresholdBytes <= 0 {
			return nil
		}
		for _, d := range o.Daemons {
			u, err := d.DiskUsage(ctx)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrInfra, err)
			}
			if u < o.Prune.ThresholdBytes {
				continue
			}
			t0 := time.Now()
			freed, err := d.Prune(ctx, o.Prune.KeepBytes, false)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrInfra, err)
			}
			secs := time.Since(t0).Seconds()
			mu.Lock()
			tr.Prunes++
			tr.PruneSeconds += secs
			mu.Unlock()
			if o.Out != nil {
				if err := o.Out.Write(&record.Event{Run: o.Run, Trial: o.Trial, Time: t0, Type: "prune", Cell: o.Config.Cell,
					Seconds: secs, Bytes: freed, Message: fmt.Sprintf("disk %d >= threshold %d after batch %d; kept %d", u, o.Prune.ThresholdBytes, batchIdx, o.Prune.KeepBytes)}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err = RunBatches(ctx, len(o.Instances), o.Workers, o.Batch, job, between)
	return finish(tr, o, err)
}

func finish(tr record.Trial, o FleetOptions, err error) (record.Trial, error) {
	tr.End = time.Now()
	tr.WallSeconds = tr.End.Sub(tr.Start).Seconds()
	if tr.WallSeconds > 0 {
		tr.ImagesPerHour = float64(tr.Built) / (tr.WallSeconds / 3600)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, d := range o.Daemons {
		if u, derr := d.DiskUsage(ctx); derr == nil {
			tr.DiskAfter += u
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			tr.Interrupted = true
		}
		tr.Error = err.Error()
	}
	return tr, err
}

// exists reports whether tag is in its registry (a HEAD request).
func exists(ctx context.Context, tag string) bool {
	ref, err := name.ParseReference(tag, name.Insecure)
	if err != nil {
		return false
	}
	_, err = remote.Head(ref, remote.WithContext(ctx))
	return err == nil
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
