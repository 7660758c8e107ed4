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
		return errHelp
	}
	var sf stackFlags
	fs := c.flags("stack " + args[0])
	sf.register(fs)
	if err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	if err := checkFolderFlag(fs, "state", sf.state); err != nil {
		return err
	}
	state, err := filepath.Abs(sf.state)
	if err != nil {
		return fmt.Errorf("--state %s: %w", sf.state, err)
	}
	switch args[0] {
	case "up":
		return c.stackUp(ctx, sf, state)
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
func (c *cli) stackUp(ctx context.Context, sf stackFlags, state string) error {
	if st, err := stack.ReadState(state); err == nil && st.Alive() {
		fmt.Fprintf(c.stdout, "stack: already running\nbuildkit: %s\nregistry: %s\n", joinComma(st.BuildkitAddrs), st.Registry)
		return nil
	}
	// Bad flags and a missing buildkitd are refused before --state is
	// created.
	if _, err := sf.use(); err != nil {
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
	if err := os.MkdirAll(state, 0o755); err != nil {
		return fmt.Errorf("--state %s: %w", state, err)
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
		Pids: []int{pid}, Started: []string{stack.ProcessStart(pid)}}
	if err := stack.WriteState(state, st); err != nil {
		return err
	}
	defer os.Remove(stack.StatePath(state))
	<-ctx.Done()
	return nil
}

// infraError marks an error as an infrastructure failure (exit 3) without
// adding to its text.
type infraError struct{ error }

func (e infraError) Unwrap() error        { return e.error }
func (e infraError) Is(target error) bool { return target == fleet.ErrInfra }
