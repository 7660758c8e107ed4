package bench

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/workload"
)

// Env is the stack a scenario measures on: one BuildKit daemon reached
// both through the Go client and through buildctl, a registry, and a
// fixture workload already prepared (base images pushed at the registry's
// root).
type Env struct {
	Daemon    *engine.BuildKit
	Buildctl  Buildctl
	Registry  string
	Workload  *workload.Workload
	Instances []workload.Instance
	// StartDaemons starts n fresh daemons, like Daemon but with
	// buildkitd's maxRegistryConcurrency at registryConcurrency (0 =
	// default), for a scheme with its own (Scheme.Daemons); stop ends
	// them. Nil: such a scheme fails.
	StartDaemons func(ctx context.Context, n, registryConcurrency int) (ds []fleet.Daemon, stop func(), err error)
}

var nsCounter atomic.Int64

// cold empties the daemon's cache (prune --all) and returns the workload
// pushing under a fresh namespace of registry (the registry itself, or a
// proxy in front of it), so that no tag or cache ref of an earlier run is
// found.
func (e *Env) cold(ctx context.Context, registry, prefix, sha string) (*workload.Workload, error) {
	if _, err := e.Daemon.Prune(ctx, 0, true); err != nil {
		return nil, fmt.Errorf("cold reset: %w", err)
	}
	w := *e.Workload
	w.Registry = fmt.Sprintf("%s/%s-%d-%x", registry, prefix, nsCounter.Add(1), time.Now().UnixNano())
	w.BaseRegistry = registry
	if sha != "" {
		w.SDKSha = sha
	}
	return &w, nil
}

// proxy starts a registry proxy in front of e.Registry with s.
func (e *Env) proxy(s regproxy.Settings) (*regproxy.Proxy, string, error) {
	px, err := regproxy.New(e.Registry, s)
	if err != nil {
		return nil, "", fmt.Errorf("registry proxy: %w", err)
	}
	addr, err := px.Start("127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("registry proxy: %w", err)
	}
	return px, addr, nil
}

// Median returns the median of xs (0 for none).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return analyze.Summary(s, analyze.DefaultConfidence).Median
}
