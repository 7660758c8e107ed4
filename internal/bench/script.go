package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Script is the old build_images.py, honestly re-implemented as the
// baseline: the image list cut into batches of Batch, each batch a fresh
// pool of Workers processes ending with a barrier; per image a registry
// HEAD check of the final tag (skip if it exists), then one `buildctl
// build` process per build with the cache export mode; up to Attempts
// attempts sleeping 2 + 2*attempt s between them; between batches only,
// the prune of Prune (`buildctl du`, then `buildctl prune
// --keep-storage`). The real script's prunes after a failed attempt are
// left out: a benchmark whose builds fail is void anyway.
type Script struct {
	Buildctl Buildctl
	Workers  int
	// Batch is the batch size; 0 or more than the images is one batch.
	Batch    int
	Cache    engine.CacheMode
	Strategy string
	Attempts int
	Prune    fleet.PrunePolicy
	// Head checks tags before building (the real script's HEAD check).
	Head bool
}

// ScriptResult is what one script run did.
type ScriptResult struct {
	WallSeconds  float64
	Built        int
	Skipped      int
	Failed       int
	Prunes       int
	PruneSeconds float64
	// ImageSeconds sums the images' walls (HEAD check and builds);
	// BarrierIdleSeconds sums, over the batches, the worker-seconds the
	// pool held idle while the batch's slowest images finished
	// (slots x batch wall - the batch's image seconds).
	ImageSeconds       float64
	BarrierIdleSeconds float64
	// LastStart is when the last image was handed to a worker: until
	// then the script always had work to give (steady state).
	LastStart time.Time
	Errors    []string
}

// Run builds insts of w as the script would.
func (s Script) Run(ctx context.Context, w *workload.Workload, insts []workload.Instance) (ScriptResult, error) {
	var res ScriptResult
	t0 := time.Now()
	workers := max(s.Workers, 1)
	batch := s.Batch
	if batch <= 0 || batch > len(insts) {
		batch = len(insts)
	}
	// The shared phases (three-phase's builder image) run once first.
	shared, err := w.SharedBuilds(s.Strategy, s.Cache)
	if err != nil {
		return res, err
	}
	for _, b := range shared {
		if err := s.Buildctl.Build(ctx, b.Request); err != nil {
			return res, fmt.Errorf("shared phase %s: %w", b.Phase, err)
		}
	}
	var mu sync.Mutex
	for lo := 0; lo < len(insts); lo += batch {
		items := insts[lo:min(lo+batch, len(insts))]
		next := make(chan workload.Instance)
		var wg sync.WaitGroup
		b0 := time.Now()
		var busy float64
		slots := min(workers, len(items))
		for range slots {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for inst := range next {
					i0 := time.Now()
					mu.Lock()
					if i0.After(res.LastStart) {
						res.LastStart = i0
					}
					mu.Unlock()
					st, err := s.image(ctx, w, inst)
					mu.Lock()
					busy += time.Since(i0).Seconds()
					switch {
					case err != nil:
						res.Failed++
						res.Errors = append(res.Errors, err.Error())
					case st == "skipped":
						res.Skipped++
					default:
						res.Built++
					}
					mu.Unlock()
				}
			}()
		}
		for _, inst := range items {
			select {
			case next <- inst:
			case <-ctx.Done():
			}
		}
		close(next)
		wg.Wait() // the barrier
		res.ImageSeconds += busy
		res.BarrierIdleSeconds += max(float64(slots)*time.Since(b0).Seconds()-busy, 0)
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if lo+batch < len(insts) && s.Prune.ThresholdBytes > 0 {
			u, err := s.Buildctl.DiskUsage(ctx)
			if err != nil {
				return res, err
			}
			if u >= s.Prune.ThresholdBytes {
				p0 := time.Now()
				if err := s.Buildctl.Prune(ctx, s.Prune.KeepBytes); err != nil {
					return res, err
				}
				res.Prunes++
				res.PruneSeconds += time.Since(p0).Seconds()
			}
		}
	}
	res.WallSeconds = time.Since(t0).Seconds()
	return res, nil
}

// image is one task of the pool: HEAD check, then the instance's builds.
func (s Script) image(ctx context.Context, w *workload.Workload, inst workload.Instance) (string, error) {
	builds, err := w.InstanceBuilds(s.Strategy, inst, s.Cache)
	if err != nil {
		return "", err
	}
	if n := len(builds); s.Head && n > 0 && len(builds[n-1].Tags) > 0 && tagExists(ctx, builds[n-1].Tags[0]) {
		return "skipped", nil
	}
	for _, b := range builds {
		var err error
		for a := 1; a <= max(s.Attempts, 1); a++ {
			if err = s.Buildctl.Build(ctx, b.Request); err == nil || ctx.Err() != nil {
				break
			}
			if a < s.Attempts {
				time.Sleep(time.Duration(2+2*a) * time.Second)
			}
		}
		if err != nil {
			return "", err
		}
	}
	return "built", nil
}

func tagExists(ctx context.Context, tag string) bool {
	ref, err := name.ParseReference(tag, name.Insecure)
	if err != nil {
		return false
	}
	_, err = remote.Head(ref, remote.WithContext(ctx))
	return err == nil
}
