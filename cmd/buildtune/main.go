// Command buildtune measures and tunes fleets of container image builds:
// sweep (the evidence generator), build (a fleet build with fixed settings)
// and stack (a local BuildKit + registry kept between commands). It only
// parses flags and calls the library packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/sweep"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1 // some builds failed
	exitUsage       = 2 // bad input
	exitInfra       = 3 // daemon gone, registry down
	exitInterrupted = 130
)

// usageError is bad input: a one-line message, exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// failedError says some builds failed (exit 1) after everything was recorded.
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }

const topUsage = `buildtune: measure and tune fleets of BuildKit image builds

Usage:
  buildtune sweep [flags]            build a sample over a grid of settings, repeated and interleaved
  buildtune build [flags]            build a sample (or all 433) with fixed settings
  buildtune stack up|down|status     keep a local buildkitd + registry running between commands
  buildtune version                  print the version

Run 'buildtune COMMAND --help' for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, topUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	ctx, stop := interruptContext()
	defer stop()
	var err error
	switch args[0] {
	case "build":
		err = cmdBuild(ctx, args[1:])
	case "sweep":
		err = cmdSweep(ctx, args[1:])
	case "stack":
		err = cmdStack(ctx, args[1:])
	case "version":
		fmt.Println(version())
	default:
		err = usagef("unknown command %q: want sweep, build, stack or version", args[0])
	}
	return report(err)
}

// report prints err as one line and maps it to an exit status.
func report(err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var fe *failedError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "buildtune: %v\n", err)
		return exitUsage
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &fe):
		fmt.Fprintf(os.Stderr, "buildtune: %v\n", err)
		return exitFailed
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(os.Stderr, "buildtune: %v\n", err)
		return exitInterrupted
	case errors.Is(err, stack.ErrSetup):
		fmt.Fprintf(os.Stderr, "buildtune: %v\n", err)
		return exitUsage
	case sweep.IsInfra(err):
		fmt.Fprintf(os.Stderr, "buildtune: infrastructure failure: %v\n", err)
		return exitInfra
	default:
		fmt.Fprintf(os.Stderr, "buildtune: %v\n", err)
		return exitFailed
	}
}

// interruptContext is cancelled by the first SIGINT/SIGTERM, so that work
// in flight finishes its record and stops; a second one exits at once.
func interruptContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
		fmt.Fprintln(os.Stderr, "\nbuildtune: stopping: the builds in flight are cancelled and recorded, the run stays resumable (Ctrl-C again to exit now)")
		cancel()
		<-ch
		os.Exit(exitInterrupted)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
