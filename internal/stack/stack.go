// Package stack starts and stops the local build stack buildtune measures
// on: private buildkitd daemons (own root, socket and config under a state
// folder) and a registry on loopback, either go-containerregistry's embedded
// registry (the default), Debian's docker-registry, or an external one by
// address. It waits for readiness by asking each service, never by sleeping.
package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/buildtune/buildtune/internal/input"
)

// Registry choices for Config.Registry besides a host:port.
const (
	RegistryEmbedded     = "embedded"
	RegistryDistribution = "distribution"
)

// Config says what to start.
type Config struct {
	// Dir is the state folder (daemon roots, registry storage, logs).
	Dir string
	// Buildkitd is the daemon binary.
	Buildkitd string
	// MaxParallelism is buildkitd's max-parallelism; 0 = default.
	MaxParallelism int
	// RegistryConcurrency is buildkitd's maxRegistryConcurrency; 0 = default.
	RegistryConcurrency int
	// Daemons is how many buildkitd to start (each its own root); 0 = 1.
	Daemons int
	// Registry is "" or "embedded", "distribution", or host:port of a
	// registry already running.
	Registry string
}

// Stack is a running stack.
type Stack struct {
	Registry *Registry
	Daemons  []*Daemon
	cfg      Config
}

// Start starts the registry, then the daemons (which trust it over plain HTTP).
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Dir == "" {
		return nil, errors.New("stack state folder is empty")
	}
	if err := CheckSetup(cfg.Buildkitd); err != nil {
		return nil, err
	}
	n := cfg.Daemons
	if n <= 0 {
		n = 1
	}
	s := &Stack{cfg: cfg}
	var err error
	switch cfg.Registry {
	case "", RegistryEmbedded:
		s.Registry, err = StartEmbedded(filepath.Join(cfg.Dir, "registry"), "")
	case RegistryDistribution:
		s.Registry, err = StartDistribution(ctx, filepath.Join(cfg.Dir, "distribution"), "")
	default:
		// A registry of its own (ghcr.io, host:port), as --registry
		// documents it: a malformed one is bad input.
		if cerr := CheckRegistry(cfg.Registry); cerr != nil {
			return nil, input.Bad("--registry", cerr)
		}
		s.Registry = External(cfg.Registry)
		err = s.Registry.Ping(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("starting registry: %w", err)
	}
	// Plain HTTP only for a registry on this machine: a remote one (ghcr.io)
	// speaks HTTPS.
	var plain []string
	if Loopback(s.Registry.Addr) {
		plain = []string{s.Registry.Addr}
	}
	for i := 0; i < n; i++ {
		d, err := StartDaemon(ctx, DaemonConfig{
			Dir:                 filepath.Join(cfg.Dir, fmt.Sprintf("buildkitd-%d", i)),
			Binary:              cfg.Buildkitd,
			MaxParallelism:      cfg.MaxParallelism,
			RegistryConcurrency: cfg.RegistryConcurrency,
			Registries:          plain,
		})
		if err != nil {
			s.Stop()
			return nil, err
		}
		s.Daemons = append(s.Daemons, d)
	}
	return s, nil
}

// Addrs returns the daemons' addresses.
func (s *Stack) Addrs() []string {
	var out []string
	for _, d := range s.Daemons {
		out = append(out, d.Addr)
	}
	return out
}

// Stop stops the daemons, then the registry.
func (s *Stack) Stop() error {
	var errs []error
	for _, d := range s.Daemons {
		errs = append(errs, d.Stop())
	}
	if s.Registry != nil {
		errs = append(errs, s.Registry.Close())
	}
	return errors.Join(errs...)
}

// State is what `stack up` leaves behind for later commands.
type State struct {
	BuildkitAddrs []string `json:"buildkit_addrs"`
	Registry      string   `json:"registry"`
	RegistryKind  string   `json:"registry_kind"`
	Pids          []int    `json:"pids"`
}

// StatePath is the state file in dir.
func StatePath(dir string) string { return filepath.Join(dir, "stack.json") }

// WriteState records a detached stack.
func WriteState(dir string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding stack state: %w", err)
	}
	if err := os.WriteFile(StatePath(dir), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing stack state: %w", err)
	}
	return nil
}

// ReadState reads the state of a detached stack; os.ErrNotExist if none.
func ReadState(dir string) (*State, error) {
	b, err := os.ReadFile(StatePath(dir))
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("stack state %s: %w", StatePath(dir), err)
	}
	return &st, nil
}

// Alive reports whether every process of st still runs.
func (st *State) Alive() bool {
	for _, p := range st.Pids {
		if syscall.Kill(p, 0) != nil {
			return false
		}
	}
	return len(st.Pids) > 0
}

// anyAlive reports whether any process of st still runs.
func (st *State) anyAlive() bool {
	for _, p := range st.Pids {
		if syscall.Kill(p, 0) == nil {
			return true
		}
	}
	return false
}

// Down ends the processes of a detached stack, waits for them to exit
// (at most 30 s) and removes its state file.
func Down(dir string) error {
	st, err := ReadState(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, p := range st.Pids {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for st.anyAlive() {
		select {
		case <-deadline:
			return fmt.Errorf("stack (pid %v) still running 30s after SIGTERM", st.Pids)
		case <-tick.C:
		}
	}
	if err := os.Remove(StatePath(dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing stack state: %w", err)
	}
	return nil
}
