package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/stack"
)

const stackUsage = `Usage: buildtune stack up|down|status [flags]

  up      start buildkitd and a registry in the background (state in --state)
          and print their addresses; build and sweep then use them (warm cache)
  down    stop them
  status  say whether they run

Example:
  buildtune stack up && buildtune sweep && buildtune stack down
`

func (c *cli) stack(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, stackUsage)
		return usagef("stack: want up, down or status")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stdout, stackUsage)
		fs := c.flags("stack up")
		new(stackFlags).registerPrivate(fs, true)
		fmt.Fprintf(c.stdout, "\nFlags of up (down and status take --state only):\n%s", fs.FlagUsages())
		return errHelp
	}
	var sf stackFlags
	fs := c.flags("stack " + args[0])
	// Only the flags the subcommand uses: a daemon address or TLS file
	// given to 'stack up' would otherwise be accepted and ignored.
	sf.registerPrivate(fs, args[0] == "up" || args[0] == "serve")
	if err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	// up (and serve) write the stack's state in --state; down and status
	// only read it.
	check := checkFolderShape
	if args[0] == "up" || args[0] == "serve" {
		check = checkFolderFlag
	}
	if err := check(fs, "state", sf.state); err != nil {
		return err
	}
	state, err := filepath.Abs(sf.state)
	if err != nil {
		return fmt.Errorf("--state %s: %w", sf.state, err)
	}
	switch args[0] {
	case "up":
		return c.stackUp(ctx, sf, state, fs.Changed)
	case "down":
		st, err := stack.ReadState(state)
		running := err == nil && st.Alive()
		if err := stack.Down(state); err != nil {
			return err
		}
		if !running {
			fmt.Fprintf(c.stdout, "stack: not running (no live stack in %s)\n", state)
			return nil
		}
		fmt.Fprintln(c.stdout, "stack stopped")
		return nil
	case "status":
		st, err := stack.ReadState(state)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !st.Alive()) {
			fmt.Fprintln(c.stdout, "stack: not running")
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "stack: running (pid %v)\nbuildkit: %s\nregistry: %s (%s)\n", st.Pids, joinComma(st.BuildkitAddrs), st.Registry, st.RegistryKind)
		return nil
	case "serve":
		return stackServe(ctx, sf, state)
	}
	return usagef("stack %q: want up, down or status", args[0])
}

// stackUp starts `buildtune stack serve` detached and waits for its state file.
func (c *cli) stackUp(ctx context.Context, sf stackFlags, state string, changed func(string) bool) error {
	running := func() (bool, error) {
		st, err := stack.ReadState(state)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			// A state file that cannot be read may name a stack that
			// runs: starting another removed the file, the stack it
			// named ran on with nothing to stop it, and the new one
			// failed on its daemons' lock (exit 3).
			return true, err
		}
		if err != nil || !st.Alive() {
			return false, nil
		}
		if diff := stackDiffers(st, sf, changed); diff != "" {
			return true, input.Errorf("stack up "+diff, "a stack with %d daemon(s), the %s registry %s, max-parallelism %d and registry-concurrency %d already runs in %s; stop it first: buildtune stack down --state %s",
				len(st.BuildkitAddrs), st.RegistryKind, st.Registry, st.MaxParallelism, st.RegistryConcurrency, sf.state, sf.state)
		}
		fmt.Fprintf(c.stdout, "stack: already running\nbuildkit: %s\nregistry: %s\n", joinComma(st.BuildkitAddrs), st.Registry)
		return true, nil
	}
	// Bad flags are refused as such, also over a running stack (whose
	// shape they were compared with: --max-parallelism -1 was "differs
	// from the running stack"); they and a missing buildkitd are refused
	// before --state is created.
	if _, err := sf.use(); err != nil {
		return err
	}
	if up, err := running(); up {
		return err
	}
	if err := stack.CheckDaemons(sf.daemons); err != nil {
		return err
	}
	bin := sf.buildkitd
	if bin == "" {
		bin = defaultBuildkitd()
	}
	if err := stack.CheckSetup(bin); err != nil {
		return err
	}
	if err := stack.CheckDir(state, sf.daemons); err != nil {
		return input.Bad("--state "+sf.state, err)
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return fmt.Errorf("--state %s: %w", state, err)
	}
	// Two `stack up` on one --state at once both started a stack there:
	// the second removed the first's daemon socket and truncated its log,
	// and one of them failed with buildkitd's own lock error (exit 3), or
	// left a stack running that no state file named. The second now
	// waits for the first, then finds its stack running.
	unlock, err := lockState(ctx, state)
	if err != nil {
		return err
	}
	defer unlock()
	if up, err := running(); up {
		return err
	}
	_ = os.Remove(stack.StatePath(state))
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding buildtune's own path: %w", err)
	}
	logf, err := os.Create(filepath.Join(state, "serve.log"))
	if err != nil {
		return fmt.Errorf("stack log: %w", err)
	}
	defer logf.Close()
	args := []string{"stack", "serve", "--state", state, "--buildkitd", bin,
		"--max-parallelism", fmt.Sprint(sf.maxParallelism), "--registry-concurrency", fmt.Sprint(sf.regConcurrency),
		"--daemons", fmt.Sprint(sf.daemons)}
	if sf.registry != "" {
		args = append(args, "--registry", sf.registry)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the stack: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(90 * time.Second)
	for {
		if st, err := stack.ReadState(state); err == nil {
			fmt.Fprintf(c.stdout, "stack: up (pid %d)\nbuildkit: %s\nregistry: %s (%s)\nstop it with: buildtune stack down --state %s\n",
				cmd.Process.Pid, joinComma(st.BuildkitAddrs), st.Registry, st.RegistryKind, sf.state)
			return nil
		}
		select {
		case err := <-exited:
			return serveExited(err, logf.Name())
		case <-deadline:
			stopServe(cmd, exited)
			return fmt.Errorf("stack not ready after 90s, stopped; see %s", logf.Name())
		case <-ctx.Done():
			stopServe(cmd, exited)
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// lockState takes the lock of `stack up` in state (a file lock, released
// by the kernel when the process ends), waiting at most 2 minutes for
// another `stack up` that holds it.
func lockState(ctx context.Context, state string) (func(), error) {
	path := filepath.Join(state, ".stack-up.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--state %s: %w", state, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another 'buildtune stack up' has been starting a stack in %s for 2 minutes (%s is locked)", state, path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stackDiffers names the flags given to `stack up` that the running stack
// st does not have ("" when none): `stack up --daemons 2 --registry
// distribution` over a stack of one daemon and the embedded registry said
// "already running" with exit 0, and the commands after it measured
// another stack than the one asked for.
func stackDiffers(st *stack.State, sf stackFlags, changed func(string) bool) string {
	var d []string
	if changed("daemons") && sf.daemons != len(st.BuildkitAddrs) {
		d = append(d, fmt.Sprintf("--daemons %d", sf.daemons))
	}
	if changed("registry") {
		want := sf.registry
		same := false
		switch want {
		case "", stack.RegistryEmbedded:
			same = st.RegistryKind == stack.RegistryEmbedded
		case stack.RegistryDistribution:
			same = st.RegistryKind == stack.RegistryDistribution
		default:
			same = st.Registry == want
		}
		if !same {
			d = append(d, "--registry "+want)
		}
	}
	if changed("max-parallelism") && sf.maxParallelism != st.MaxParallelism {
		d = append(d, fmt.Sprintf("--max-parallelism %d", sf.maxParallelism))
	}
	if changed("registry-concurrency") && sf.regConcurrency != st.RegistryConcurrency {
		d = append(d, fmt.Sprintf("--registry-concurrency %d", sf.regConcurrency))
	}
	return strings.Join(d, " ")
}

// stopServe stops a `stack serve` that is not ready: SIGTERM, so that it
// stops the daemons and the registry it started, and SIGKILL only when it
// has not exited 10 s later.
func stopServe(cmd *exec.Cmd, exited <-chan error) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// serveExited is the error of a `stack serve` that exited before it was
// ready: its own last line (what went wrong), with its exit status (2 bad
// input, 3 infrastructure), so that `stack up` tells them apart.
func serveExited(err error, logPath string) error {
	last := ""
	if b, rerr := os.ReadFile(logPath); rerr == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				last = strings.TrimPrefix(l, "buildtune: ")
			}
		}
	}
	code := exitFailed
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		code = ee.ExitCode()
	}
	if last == "" {
		last = fmt.Sprint(err)
	}
	return &exitError{code: code, msg: fmt.Sprintf("stack exited before it was ready: %s (see %s)", last, logPath)}
}

// stackServe runs the stack in the foreground until signalled; `stack up`
// starts it detached.
func stackServe(ctx context.Context, sf stackFlags, state string) error {
	u, err := sf.use()
	if err != nil {
		return err
	}
	cfg := u.Start
	cfg.Dir = state
	// --registry (embedded, distribution or host:port) is the stack's
	// registry: use() keeps it in u.Registry, beside u.Start.
	cfg.Registry = u.Registry
	s, err := stack.Start(ctx, cfg)
	if err != nil {
		if errors.Is(err, input.ErrBad) || errors.Is(err, stack.ErrSetup) || errors.Is(err, context.Canceled) {
			return err
		}
		// A registry that does not answer, a daemon that does not start:
		// infrastructure (exit 3), as in build and sweep.
		return infraError{err}
	}
	defer s.Stop()
	pid := os.Getpid()
	st := stack.State{BuildkitAddrs: s.Addrs(), Registry: s.Registry.Addr, RegistryKind: s.Registry.Kind,
		Pids: []int{pid}, Started: []string{stack.ProcessStart(pid)},
		MaxParallelism: cfg.MaxParallelism, RegistryConcurrency: cfg.RegistryConcurrency}
	if err := stack.WriteState(state, st); err != nil {
		return err
	}
	defer os.Remove(stack.StatePath(state))
	// A daemon or the registry process ending on its own ends the stack
	// (the state file goes with it): status then says not running, and
	// the next `stack up` starts a whole one, instead of "already
	// running" over an address that answers no one.
	if err := s.Watch(ctx); err != nil {
		return infraError{fmt.Errorf("stack stopped: %w", err)}
	}
	return nil
}

// infraError marks an error as an infrastructure failure (exit 3) without
// adding to its text.
type infraError struct{ error }

func (e infraError) Unwrap() error        { return e.error }
func (e infraError) Is(target error) bool { return target == fleet.ErrInfra }
