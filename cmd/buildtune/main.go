// Command buildtune measures and tunes fleets of container image builds:
// sweep (the evidence generator); analyze, report, recommend, plan, prove
// and validate (the evidence stage); build and merge (the production full
// build, sharded); stack (a local BuildKit + registry kept between
// subcommands). It only parses flags and calls the library packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/stack"
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

// topUsage lists every subcommand with its one-line summary.
func topUsage() string {
	var b strings.Builder
	b.WriteString("buildtune: measure and tune fleets of BuildKit image builds\n\nUsage:\n")
	for _, cmd := range subcommands {
		fmt.Fprintf(&b, "  %-50s %s\n", cmd.synopsis, cmd.short)
	}
	b.WriteString("\nRun 'buildtune COMMAND --help' for the flags of a command.\n")
	return b.String()
}

// cli is one invocation: where it writes, and the subcommands it knows.
type cli struct {
	stdout, stderr io.Writer
}

// subcommand is a subcommand: its usage line, an example, its synopsis and
// one-line summary for the top-level help, and its body.
type subcommand struct {
	name, usage, example string
	synopsis, short      string
	run                  func(c *cli, ctx context.Context, args []string) error
}

var subcommands []subcommand

func init() {
	subcommands = []subcommand{
		{"sweep", "buildtune sweep [flags]", "buildtune sweep --workers 1,2,4 --cache off,max --reps 3 --sample 6", "buildtune sweep [flags]", "build a sample over a grid of settings, repeated and interleaved", (*cli).sweep},
		{"build", "buildtune build [flags]", "buildtune build --all --workers 4 --shard 1/4 --durations-from runs/prev --out runs/full-1", "buildtune build [flags]", "build a sample or all images with fixed settings (skip, retry, resume, shards)", (*cli).build},
		{"merge", "buildtune merge [--out DIR] [--instances FILE] DIR...", "buildtune merge --out runs/full runs/full-1 runs/full-2", "buildtune merge [--out DIR] DIR...", "merge the shards of a build into one", (*cli).merge},
		{"stack", "buildtune stack up|down|status [flags]", "buildtune stack up && buildtune sweep && buildtune stack down", "buildtune stack up|down|status", "keep a local buildkitd + registry running between subcommands", (*cli).stack},
		{"analyze", "buildtune analyze RUN [flags]", "buildtune analyze runs/demo --baseline workers=4,batch=15,cache=max", "buildtune analyze RUN", "statistics and models of a sweep: RUN/analysis.json", (*cli).analyze},
		{"report", "buildtune report RUN [flags]", "buildtune report runs/demo --images 433", "buildtune report RUN", "report.md, report.html and plots/ of a sweep", (*cli).report},
		{"recommend", "buildtune recommend RUN [flags]", "buildtune recommend runs/demo --images 433 --deadline 3h --workflow .github/workflows/build-swtbench-images.yml", "buildtune recommend RUN", "the best settings for the full build; --workflow rewrites CI defaults", (*cli).recommend},
		{"plan", "buildtune plan RUN (--deadline D | --runners R) [--images N | --instances FILE] [flags]", "buildtune plan runs/demo --images 2000 --deadline 3h", "buildtune plan RUN --deadline D | --runners R", "capacity: runners and workers for a deadline, or time for runners", (*cli).plan},
		{"prove", "buildtune prove --base CONFIG --head CONFIG [--claim D] [--images N] [flags]", "buildtune prove --base workers=4,batch=15,cache=max --head workers=16,batch=50,cache=min --claim 3h --budget 15m", "buildtune prove --base C --head C [--claim D]", "test a claimed speed-up on a sample before any full build", (*cli).prove},
		{"validate", "buildtune validate RUN FULLRUN [flags]", "buildtune validate runs/sweep runs/full", "buildtune validate RUN FULLRUN", "predicted against measured full-build times", (*cli).validate},
		{"version", "buildtune version", "buildtune version", "buildtune version", "print the version", (*cli).version},
	}
}

func main() {
	msg := "stopping (Ctrl-C again to exit now)"
	if len(os.Args) > 1 && (os.Args[1] == "sweep" || os.Args[1] == "build" || os.Args[1] == "prove") {
		msg = "stopping: the builds in flight are cancelled and recorded, the run stays resumable (Ctrl-C again to exit now)"
	}
	ctx, stop := interruptContext(msg)
	code := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs one buildtune command line in-process and returns its exit
// status; main only adds the signals.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	c := &cli{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(stderr, topUsage())
			return exitUsage
		}
		fmt.Fprint(stdout, topUsage())
		return exitOK
	}
	for _, cmd := range subcommands {
		if cmd.name == args[0] {
			return c.exit(cmd.run(c, ctx, args[1:]))
		}
	}
	names := make([]string, len(subcommands))
	for i, cmd := range subcommands {
		names[i] = cmd.name
	}
	return c.exit(usagef("unknown command %q: want %s", args[0], strings.Join(names, ", ")))
}

func (c *cli) version(_ context.Context, args []string) error {
	fs := c.flags("version")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, version())
	return nil
}

// report prints err as one line and maps it to an exit status.
func (c *cli) exit(err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var fe *failedError
	var xe *exitError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "buildtune: %s\n", oneLine(err))
		return exitUsage
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &xe):
		fmt.Fprintf(c.stderr, "buildtune: %v\n", err)
		return xe.code
	case errors.As(err, &fe):
		fmt.Fprintf(c.stderr, "buildtune: %v\n", err)
		return exitFailed
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(c.stderr, "buildtune: %v\n", err)
		return exitInterrupted
	case errors.Is(err, stack.ErrSetup):
		fmt.Fprintf(c.stderr, "buildtune: %s\n", oneLine(err))
		return exitUsage
	case errors.Is(err, input.ErrBad):
		fmt.Fprintf(c.stderr, "buildtune: %s\n", oneLine(err))
		return exitUsage
	case fleet.IsInfra(err):
		fmt.Fprintf(c.stderr, "buildtune: infrastructure failure: %v\n", err)
		return exitInfra
	default:
		fmt.Fprintf(c.stderr, "buildtune: %v\n", err)
		return exitFailed
	}
}

// oneLine writes a bad-input error on one line, as the exit status 2
// promises: a parser's multi-line message (YAML's "unmarshal errors:" and
// its indented lines) is joined with "; ".
func oneLine(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	msg := strings.ReplaceAll(strings.Join(out, "; "), ":; ", ": ")
	// A message that quotes a whole input (a file read as one value) is
	// cut in the middle: its head names the input, its tail what was
	// expected.
	if r := []rune(msg); len(r) > 400 {
		msg = string(r[:280]) + " … " + string(r[len(r)-100:])
	}
	return msg
}

// interruptContext is cancelled by the first SIGINT/SIGTERM, so that work
// in flight finishes its record and stops; a second one exits at once.
func interruptContext(msg string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
		fmt.Fprintln(os.Stderr, "\nbuildtune: "+msg)
		cancel()
		<-ch
		os.Exit(exitInterrupted)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
