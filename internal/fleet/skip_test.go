package fleet

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestRunSkipCheckNotPoolWait: the skip-existing check (a HEAD request, slow
// here) is no wait for a daemon: an image that the check did not find
// records it as its remote check, not as pool wait, and a skipped image
// records the check's time as its own (remote check, start, end, wall),
// with no pool wait either.
func TestRunSkipCheckNotPoolWait(t *testing.T) {
	const headDelay = 300 * time.Millisecond
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
			time.Sleep(headDelay) // the registry's latency, not a wait for another goroutine
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	w, insts := fakeWorkload(2)
	w.Registry = host
	// Instance 0's final tag is pushed already; instance 1's is not.
	builds, err := w.InstanceBuilds(workload.Single, insts[0], engine.CacheOff)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(builds[len(builds)-1].Tags[0], name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}

	_, ds := fakes(1)
	var mu sync.Mutex
	got := map[string]*record.Image{}
	tr, err := Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 2, Daemons: ds, Attempts: 1, SkipExisting: true,
		OnRecord: func(rec *record.Image) { mu.Lock(); got[rec.Instance] = rec; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Skipped != 1 || tr.Built != 1 {
		t.Fatalf("skipped %d built %d, want 1 and 1", tr.Skipped, tr.Built)
	}
	skipped, built := got[insts[0].ID], got[insts[1].ID]
	if skipped == nil || skipped.Status != record.StatusSkipped || built == nil || built.Status != record.StatusBuilt {
		t.Fatalf("records %+v and %+v, want instance 0 skipped and 1 built", skipped, built)
	}
	limit := headDelay.Seconds() / 2
	if built.PoolWaitSeconds > limit {
		t.Errorf("built image: pool wait %.3fs, want under %.3fs: its %s registry check is no wait for a daemon", built.PoolWaitSeconds, limit, headDelay)
	}
	if c := built.RemoteCheckSeconds; c < headDelay.Seconds() || c > 10 {
		t.Errorf("built image: remote check %.3fs, want its %s registry check", c, headDelay)
	}
	if c := skipped.RemoteCheckSeconds; c != skipped.WallSeconds {
		t.Errorf("skipped image: remote check %.3fs, want its wall %.3fs", c, skipped.WallSeconds)
	}
	if skipped.PoolWaitSeconds != 0 {
		t.Errorf("skipped image: pool wait %.3fs, want 0", skipped.PoolWaitSeconds)
	}
	if s := skipped.WallSeconds; s < headDelay.Seconds() || skipped.Start.IsZero() || skipped.End.Sub(skipped.Start).Seconds() != s {
		t.Errorf("skipped image: wall %.3fs from %s to %s, want its registry check (at least %s)", s, skipped.Start, skipped.End, headDelay)
	}
}
