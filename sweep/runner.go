package sweep

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/hostload"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// StackRunner is the real TrialRunner: it builds the sample on running
// BuildKit daemons, pushing to a registry through a registry proxy that
// imposes the cell's registry conditions and counts the bytes pushed.
//
// Each unit pushes under its own namespace of the registry
// (REGISTRY/uN-<nonce>/...), so a cold trial finds no tags and no cache refs,
// while the warm trial after it, with a new SDK sha, finds the cold
// trial's. A cold trial also starts from an empty BuildKit cache
// (prune --all on every daemon). Base images stay at the registry root.
type StackRunner struct {
	// Workload holds the templates; its Registry is the real registry.
	Workload  *workload.Workload
	Instances []workload.Instance
	Daemons   []fleet.Daemon
	// DaemonLimits are the most builds each daemon takes at once, aligned
	// with Daemons (0 = no limit); nil = no limits.
	DaemonLimits []int
	// Registry is host:port of the registry behind the proxy.
	Registry string
	// Proxy are extra proxy settings (latency, faults) applied to every
	// trial; the bandwidth comes from the cell.
	Proxy regproxy.Settings
	// Direct skips the proxy (a registry that is not on loopback, such as
	// a real one reached over TLS): no registry conditions, no byte count.
	Direct   bool
	Attempts int
	Prune    fleet.PrunePolicy
	// Host, BuildKitVersion label records.
	Host            string
	BuildKitVersion string
	TraceDir        string
	// OnImage reports progress within a trial.
	OnImage func(t Trial, done, total int, rec *record.Image)
	// Health checks the registry behind the proxy (nil: not checked): a
	// build that fails as infrastructure on a daemon that still answers
	// then stops the sweep as a registry down (exit 3), instead of
	// failing every image after it.
	Health func(ctx context.Context) error
	// Load, when set, measures the host's CPU during each trial's builds
	// (the trial record's host_cpu and foreign_cpu); nil when the stack's
	// processes are not known.
	Load *hostload.Meter

	mu         sync.Mutex
	namespaces map[int]string // unit -> registry namespace of its cold trial
	proxies    map[int]string // unit -> proxy address of its cold trial
}

// proxyAddr is where t's registry proxy listens: any free port for a cold
// trial, the cold trial's again for the warm one. The registry address is
// part of what a build sees (a per-build builder stage names its base
// image by it), so a warm trial on another port would miss the cold
// trial's cache. remember records a cold trial's address.
func (r *StackRunner) proxyAddr(t Trial) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.proxies[t.Unit]; ok && t.Temp != Cold {
		return a
	}
	return "127.0.0.1:0"
}

func (r *StackRunner) remember(t Trial, addr string) {
	if t.Temp != Cold {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proxies == nil {
		r.proxies = map[int]string{}
	}
	r.proxies[t.Unit] = addr
}

// namespace returns the registry namespace of t: a fresh one for a cold
// trial (also when a resumed sweep runs a unit again, so nothing of the
// interrupted attempt is found), the cold trial's for the warm one.
func (r *StackRunner) namespace(t Trial) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.namespaces == nil {
		r.namespaces = map[int]string{}
	}
	ns, ok := r.namespaces[t.Unit]
	if t.Temp == Cold || !ok {
		ns = fmt.Sprintf("u%d-%x", t.Unit, time.Now().UnixNano())
		r.namespaces[t.Unit] = ns
	}
	return ns
}

// RunTrial runs one trial and returns its record (written by the caller).
func (r *StackRunner) RunTrial(ctx context.Context, t Trial, w *record.Writer) (record.Trial, error) {
	settings := r.Proxy
	settings.Seed += int64(t.Index)
	if t.Cell.Registry != "" {
		bw, err := input.Bandwidth(t.Cell.Registry)
		if err != nil {
			return record.Trial{}, fmt.Errorf("cell %s: %w", t.Cell.Name(), err)
		}
		settings.BandwidthBytesPerSec = bw
	}
	addr := r.Registry
	var px *regproxy.Proxy
	if !r.Direct {
		var err error
		if px, err = regproxy.New(r.Registry, settings); err != nil {
			return record.Trial{}, fmt.Errorf("registry proxy: %w", err)
		}
		want := r.proxyAddr(t)
		if addr, err = px.Start(want); err != nil && want != "127.0.0.1:0" {
			addr, err = px.Start("127.0.0.1:0") // the cold trial's port was taken meanwhile
		}
		if err != nil {
			return record.Trial{}, fmt.Errorf("registry proxy: %w", err)
		}
		r.remember(t, addr)
		defer px.Close()
	} else if t.Cell.Registry != "" && t.Cell.Registry != Direct {
		return record.Trial{}, fmt.Errorf("cell %s: registry conditions need the local registry proxy, and registry %s is not on loopback", t.Cell.Name(), r.Registry)
	}

	cfg := t.Config()
	cfg.Host, cfg.BuildKitVersion, cfg.Daemons = r.Host, r.BuildKitVersion, len(r.Daemons)
	cfg.Registry = settings.Label()
	if r.Direct {
		cfg.Registry = "direct"
	}

	if t.Temp == Cold {
		t0 := time.Now()
		var freed int64
		for _, d := range r.Daemons {
			n, err := d.Prune(ctx, 0, true)
			if err != nil {
				return record.Trial{}, fmt.Errorf("%w: emptying the cache for a cold trial: %v", fleet.ErrInfra, err)
			}
			freed += n
		}
		if w != nil {
			if err := w.Write(&record.Event{Run: t.Run, Trial: t.Index, Time: t0, Type: record.EventReset, Cell: cfg.Cell,
				Seconds: time.Since(t0).Seconds(), Bytes: freed, Message: "cold trial: prune --all"}); err != nil {
				return record.Trial{}, err
			}
		}
	}
	wl := *r.Workload
	wl.Registry = addr + "/" + r.namespace(t)
	wl.BaseRegistry = addr
	wl.SDKSha = t.SDKSha
	var before regproxy.Stats
	if px != nil {
		before = px.Stats()
	}
	load := r.Load.Begin()
	tr, err := fleet.Run(ctx, fleet.Options{
		Workload: &wl, Instances: r.Instances, Strategy: t.Cell.Strategy, Cache: t.Cell.Cache,
		Workers: t.Cell.Workers, Batch: t.Cell.Batch, Daemons: r.Daemons, DaemonLimits: r.DaemonLimits, Attempts: r.Attempts,
		SkipExisting: true, Prune: r.Prune, Config: cfg, Run: t.Run, Trial: t.Index, Out: w,
		TraceDir: r.TraceDir, Health: r.Health,
		OnImage: func(done, total int, rec *record.Image) {
			ReportImages(ctx, done, total)
			if r.OnImage != nil {
				r.OnImage(t, done, total, rec)
			}
		},
	})
	if px != nil {
		after := px.Stats()
		tr.BytesPushed = after.BytesUp - before.BytesUp
		tr.BytesPulled = after.BytesDown - before.BytesDown
	}
	// Unmeasured when a reading fails (the stack went away: the trial's
	// own error says what happened).
	if busy, foreign, ok := load.End(); ok {
		tr.HostCPU, tr.ForeignCPU = busy, foreign
	}
	return tr, err
}
