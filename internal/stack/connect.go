package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
)

// Use says where the daemons and the registry come from: given addresses,
// a stack left running by `stack up`, or a private stack started now.
type Use struct {
	// BuildkitAddrs are daemons already running; empty = none given.
	BuildkitAddrs []string
	// DaemonLimits are the most builds each given daemon takes at once,
	// aligned with BuildkitAddrs (0 = no limit); nil = no limits.
	DaemonLimits []int
	// TLS are the TLS options used for every address in BuildkitAddrs
	// (not for a running `stack up` or a private stack, which listen on
	// unix sockets).
	TLS engine.DialOptions
	// Registry is host:port of a running registry, "embedded",
	// "distribution", or "" (embedded unless a running stack has one).
	Registry string
	// StateDir is where `stack up` leaves its state; "" = don't look.
	StateDir string
	// Start configures a private stack when one is needed (its Registry
	// field is overridden by Registry).
	Start Config
}

// Env is a connected stack: clients for every daemon and the registry.
type Env struct {
	Daemons []*engine.BuildKit
	// DaemonLimits are the most builds each daemon takes at once, aligned
	// with Daemons (0 = no limit); nil = no limits.
	DaemonLimits []int
	Registry     *Registry
	// Private is the stack started for this command, nil when reusing one.
	Private *Stack
	// Source says where the stack came from, for messages.
	Source string
	// kept are the processes of a reused `stack up` (nil otherwise).
	kept []int
}

// OwnProcesses returns the roots of the process trees that are this
// command's and its stack's: this process (a private stack's daemons and
// registry are its children) and a reused `stack up`'s processes. ok is
// false when the daemons were given (their processes, if on this host,
// are not known).
func (e *Env) OwnProcesses() (roots []int, ok bool) {
	if e.Private == nil && len(e.kept) == 0 {
		return nil, false
	}
	return append([]int{os.Getpid()}, e.kept...), true
}

// Connect resolves u into a connected Env. Given daemon addresses are
// checked first (a malformed one, or bad TLS options, is an
// *engine.AddrError before anything starts), then dialled with u.TLS (an
// unreachable one is an error naming it); a running `stack up` is reused;
// otherwise a private stack is started.
func Connect(ctx context.Context, u Use) (*Env, error) {
	env := &Env{}
	addrs := u.BuildkitAddrs
	registry := u.Registry
	tlsOpts := u.TLS
	if len(u.DaemonLimits) > 0 && len(u.DaemonLimits) != len(addrs) {
		return nil, fmt.Errorf("stack: %d daemon limits for %d addresses", len(u.DaemonLimits), len(addrs))
	}
	// Every given address is checked before anything starts or connects.
	for _, a := range addrs {
		if err := engine.ValidateAddr(a, tlsOpts); err != nil {
			return nil, err
		}
	}
	if len(addrs) > 0 {
		env.DaemonLimits = u.DaemonLimits
	}
	if len(addrs) == 0 && u.StateDir != "" {
		st, err := ReadState(u.StateDir)
		switch {
		case err == nil && st.Alive():
			addrs = st.BuildkitAddrs
			tlsOpts = engine.DialOptions{}
			// --registry embedded (the default, spelled out) or
			// distribution names the stack's own registry when it is
			// of that kind: it started another, empty one beside it.
			if registry == "" || registry == st.Registry || (registry != "external" && registry == st.RegistryKind) {
				registry = ""
				env.Registry = &Registry{Addr: st.Registry, Kind: st.RegistryKind}
			}
			env.Source = "stack in " + u.StateDir
			env.kept = slices.Clone(st.Pids)
		case err != nil && !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
	}
	if len(addrs) == 0 {
		cfg := u.Start
		cfg.Registry = registry
		s, err := Start(ctx, cfg)
		if err != nil {
			return nil, err
		}
		env.Private, env.Registry = s, s.Registry
		addrs = s.Addrs()
		tlsOpts = engine.DialOptions{}
		env.Source = "private stack in " + cfg.Dir
	} else {
		if env.Source == "" {
			env.Source = "given daemons"
		}
		if u.Start.Dir == "" && (registry == "" || registry == RegistryEmbedded || registry == RegistryDistribution) && env.Registry == nil {
			return nil, errors.New("stack: a folder for the registry is needed (Use.Start.Dir is empty)")
		}
		switch {
		case env.Registry != nil:
			// the running stack's own registry
		case registry == "" || registry == RegistryEmbedded:
			r, err := StartEmbedded(filepath.Join(u.Start.Dir, "registry"), "")
			if err != nil {
				return nil, err
			}
			env.Registry = r
		case registry == RegistryDistribution:
			r, err := StartDistribution(ctx, filepath.Join(u.Start.Dir, "distribution"), "")
			if err != nil {
				return nil, err
			}
			env.Registry = r
		default:
			env.Registry = External(registry)
			if err := env.Registry.Ping(ctx); err != nil {
				if errors.Is(err, ErrUnreachable) {
					return nil, fmt.Errorf("--registry: %w", err)
				}
				return nil, input.Bad("--registry", err)
			}
		}
	}
	for _, a := range addrs {
		b, err := engine.DialWith(ctx, a, tlsOpts)
		if err != nil {
			env.Close()
			return nil, err
		}
		env.Daemons = append(env.Daemons, b)
	}
	return env, nil
}

// Close closes the clients and stops what Connect started.
func (e *Env) Close() error {
	var errs []error
	for _, d := range e.Daemons {
		errs = append(errs, d.Close())
	}
	if e.Private != nil {
		errs = append(errs, e.Private.Stop())
	} else if e.Registry != nil {
		errs = append(errs, e.Registry.Close())
	}
	return errors.Join(errs...)
}

// ParseAddr splits a --buildkit-addr value of the form ADDR or ADDR@N into
// the address and its worker limit N (0 = no limit). Only a suffix that
// reads as an integer is a limit, so ssh://user@host stays an address.
// A negative or unreadable limit is bad input.
func ParseAddr(s string) (string, int, error) {
	s = strings.TrimSpace(s)
	i := strings.LastIndex(s, "@")
	if i < 0 {
		return s, 0, nil
	}
	tail := s[i+1:]
	if tail == "" {
		return "", 0, input.Errorf("--buildkit-addr "+s, "empty worker limit after @ (want ADDR@N, N >= 0)")
	}
	if strings.TrimLeft(tail, "+-0123456789") != "" {
		return s, 0, nil // user@host of an ssh:// address
	}
	n, err := strconv.Atoi(tail)
	if err != nil || n < 0 {
		return "", 0, input.Errorf("--buildkit-addr "+s, "worker limit %q: want a whole number >= 0 (0 = no limit)", tail)
	}
	return s[:i], n, nil
}
