package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

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
			return fmt.Errorf("stack exited before it was ready (%v); see %s", err, logf.Name())
		case <-deadline:
			_ = cmd.Process.Kill()
			return fmt.Errorf("stack not ready after 90s; see %s", logf.Name())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// stackServe runs the stack in the foreground until signalled; `stack up`
// starts it detached.
func stackServe(ctx context.Context, sf stackFlags, state string) error {
	u, err := sf.use()
	if err != nil {
		return err
	}
	u.Start.Dir = state
	s, err := stack.Start(ctx, u.Start)
	if err != nil {
		return err
	}
	defer s.Stop()
	st := stack.State{BuildkitAddrs: s.Addrs(), Registry: s.Registry.Addr, RegistryKind: s.Registry.Kind, Pids: []int{os.Getpid()}}
	if err := stack.WriteState(state, st); err != nil {
		return err
	}
	defer os.Remove(stack.StatePath(state))
	<-ctx.Done()
	return nil
}
