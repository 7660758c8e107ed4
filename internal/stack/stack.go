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
	"strings"
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

// MaxDaemons bounds Config.Daemons: every daemon is a buildkitd process
// with its own root on this machine, and far fewer than this already share
// its cores.
const MaxDaemons = 64

// CheckDaemons refuses a number of daemons for a private stack outside
// 0 (one) to MaxDaemons: bad input naming --daemons.
func CheckDaemons(n int) error {
	if n < 0 || n > MaxDaemons {
		return input.Errorf("--daemons", "%d: want 1 to %d daemons on this machine", n, MaxDaemons)
	}
	return nil
}

// maxSocketPath is the longest unix socket path startDaemon accepts (the
// kernel's sun_path holds 108 bytes with its terminating NUL).
const maxSocketPath = 100

// CheckDir refuses a state folder whose daemons' sockets (the longest is
// the last daemon's) would be too long for a unix socket, before anything
// is created there: it failed only when the daemon started.
func CheckDir(dir string, daemons int) error {
	if daemons < 1 {
		daemons = 1
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if sock := SocketPath(filepath.Join(abs, fmt.Sprintf("buildkitd-%d", daemons-1))); len(sock) > maxSocketPath {
		return fmt.Errorf("the daemons' socket %s would be %d bytes, longer than a unix socket allows (%d); want a shorter folder", sock, len(sock), maxSocketPath)
	}
	return nil
}

// Start starts the registry, then the daemons (which trust it over plain HTTP).
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Dir == "" {
		return nil, errors.New("stack state folder is empty")
	}
	if err := CheckDaemons(cfg.Daemons); err != nil {
		return nil, err
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
		if err := s.Registry.Ping(ctx); err != nil {
			// Down (no answer, 5xx) is infrastructure; anything else
			// answered, and is not a registry: bad input, as Connect
			// says it for given daemons.
			if errors.Is(err, ErrUnreachable) {
				return nil, fmt.Errorf("--registry: %w", err)
			}
			return nil, input.Bad("--registry", err)
		}
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

// Watch waits until ctx is done (nil) or a process of the stack ends on
// its own: a daemon, or a registry it started (an error naming it). A
// stack kept by `stack serve` ends with it, so that a daemon killed or
// crashed is not left behind as a "running" stack whose address answers
// no one.
func (s *Stack) Watch(ctx context.Context) error {
	cases := make(chan error, len(s.Daemons)+1)
	for _, d := range s.Daemons {
		go func(d *Daemon) {
			select {
			case <-d.exited:
				cases <- fmt.Errorf("buildkitd %s (pid %d) exited: %v (log %s)", d.Addr, d.Pid, d.waitErr, filepath.Join(d.Dir, "buildkitd.log"))
			case <-ctx.Done():
			}
		}(d)
	}
	if r := s.Registry; r != nil && r.exited != nil {
		go func() {
			select {
			case <-r.exited:
				cases <- fmt.Errorf("%s registry %s exited: %v", r.Kind, r.Addr, r.waitErr)
			case <-ctx.Done():
			}
		}()
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-cases:
		return err
	}
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
	// Started are the processes' start times (field 22 of
	// /proc/PID/stat), aligned with Pids: a pid the kernel has since
	// given to another process is not the stack's, so it is neither
	// taken for a running stack nor signalled. Empty in a state written
	// without them (then only the pids are checked).
	Started []string `json:"started,omitempty"`
	// MaxParallelism and RegistryConcurrency are the daemons' settings
	// (0 = BuildKit's default), so that a later `stack up` asking for
	// other ones is told the running stack is not what it asked for.
	MaxParallelism      int `json:"max_parallelism,omitempty"`
	RegistryConcurrency int `json:"registry_concurrency,omitempty"`
}

// ProcessStart is the start time of process pid (clock ticks since boot,
// field 22 of /proc/PID/stat), which tells it from a later process given
// the same pid; "" when it cannot be read.
func ProcessStart(pid int) string {
	_, start := procStat(pid)
	return start
}

// procStat reads the state (field 3: R, S, Z, ...) and the start time
// (field 22) of process pid from /proc/PID/stat; "" when unreadable.
func procStat(pid int) (state, start string) {
	if pid < 1 {
		return "", ""
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", ""
	}
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses itself: the fields after it start after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", ""
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		if len(f) > 0 {
			return f[0], ""
		}
		return "", ""
	}
	return f[0], f[19]
}

// StatePath is the state file in dir.
func StatePath(dir string) string { return filepath.Join(dir, "stack.json") }

// WriteState records a detached stack.
// It is written whole or not at all (a temporary file renamed), so that a
// reader never takes a half-written state for a corrupt one.
func WriteState(dir string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding stack state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".stack-*.json")
	if err != nil {
		return fmt.Errorf("writing stack state: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), StatePath(dir))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing stack state: %w", err)
	}
	return nil
}

// ReadState reads the state of a detached stack; os.ErrNotExist if none.
func ReadState(dir string) (*State, error) {
	b, err := os.ReadFile(StatePath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		// A state path that is a folder, or cannot be read: bad input
		// naming it, as a file that does not parse.
		return nil, input.Errorf(StatePath(dir), "cannot read it (%v): want the file 'buildtune stack up' writes; remove it if no stack runs there", input.PathCause(err))
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, input.Errorf(StatePath(dir), "not a stack state (%v): want the file 'buildtune stack up' writes; remove it if no stack runs there", err)
	}
	// Pid 0, -1 and 1 are not a stack's: signalling them would reach the
	// caller's process group, every process, or init.
	for _, p := range st.Pids {
		if p < 2 {
			return nil, input.Errorf(StatePath(dir), "pid %d: not a stack's process; want the file 'buildtune stack up' writes; remove it if no stack runs there", p)
		}
	}
	if len(st.Started) > 0 && len(st.Started) != len(st.Pids) {
		return nil, input.Errorf(StatePath(dir), "%d start times for %d pids: want the file 'buildtune stack up' writes; remove it if no stack runs there", len(st.Started), len(st.Pids))
	}
	return &st, nil
}

// alive reports whether process i of st still runs: its pid answers and,
// when st records start times, the process with that pid started when the
// stack's did (not a later process that was given the pid).
func (st *State) alive(i int) bool {
	p := st.Pids[i]
	if p < 2 || syscall.Kill(p, 0) != nil {
		return false
	}
	// A process that has exited but is not reaped yet (a zombie) still
	// answers kill(pid, 0): `stack serve` killed, and re-parented to an
	// init that reaps late or never (PID 1 of a container), was taken
	// for a running stack, and down waited 30 s for it to go.
	state, start := procStat(p)
	if state == "Z" || state == "X" {
		return false
	}
	if len(st.Started) == len(st.Pids) && st.Started[i] != "" {
		return start == st.Started[i]
	}
	return true
}

// Alive reports whether every process of st still runs.
func (st *State) Alive() bool {
	for i := range st.Pids {
		if !st.alive(i) {
			return false
		}
	}
	return len(st.Pids) > 0
}

// anyAlive reports whether any process of st still runs.
func (st *State) anyAlive() bool {
	for i := range st.Pids {
		if st.alive(i) {
			return true
		}
	}
	return false
}

// downGrace is how long Down waits after SIGTERM before SIGKILL.
var downGrace = 30 * time.Second

// Down ends the processes of a detached stack, waits for them to exit
// (SIGTERM, then SIGKILL after downGrace) and removes its state file.
func Down(dir string) error {
	st, err := ReadState(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// Only the stack's own processes: a pid that is gone, or now another
	// process's, is left alone.
	var signalled []int
	for i, p := range st.Pids {
		if st.alive(i) {
			_ = syscall.Kill(p, syscall.SIGTERM)
			signalled = append(signalled, p)
		}
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(downGrace)
	killed := false
	for st.anyAlive() {
		select {
		case <-deadline:
			if killed {
				return fmt.Errorf("stack (pid %v) still running %s after SIGTERM and 5s after SIGKILL", st.Pids, downGrace)
			}
			// A serve that does not end on SIGTERM (stopped, hung) left
			// `stack down` failing for good: it is killed (its daemons
			// follow it, by their parent-death signal).
			for i, p := range st.Pids {
				if st.alive(i) {
					_ = syscall.Kill(p, syscall.SIGKILL)
				}
			}
			killed = true
			deadline = time.After(5 * time.Second)
		case <-tick.C:
		}
	}
	// A process that ended is a zombie until its parent (init, for a
	// detached serve) reaps it: give that a moment, so that its pid is
	// gone when Down returns, but do not wait on an init that never reaps.
	reapBy := time.Now().Add(3 * time.Second)
	for _, p := range signalled {
		for time.Now().Before(reapBy) && syscall.Kill(p, 0) == nil {
			if state, _ := procStat(p); state != "Z" && state != "X" {
				break // the pid was given to another process
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := os.Remove(StatePath(dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing stack state: %w", err)
	}
	return nil
}
