package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/buildtune/buildtune/internal/progress"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

var errHelp = errors.New("help shown")

// stackFlags are the flags every command that builds shares.
type stackFlags struct {
	buildkitAddrs  []string
	registry       string
	state          string
	buildkitd      string
	maxParallelism int
	daemons        int
}

func (s *stackFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&s.buildkitAddrs, "buildkit-addr", nil, "buildkitd address(es) to use (default $BUILDKIT_HOST; else a running 'buildtune stack up'; else a private stack)")
	fs.StringVar(&s.registry, "registry", "", "registry: host:port of a running one, 'embedded' (default) or 'distribution' (Debian's docker-registry)")
	fs.StringVar(&s.state, "state", "runs/stack", "folder of the stack kept by 'buildtune stack up'")
	fs.StringVar(&s.buildkitd, "buildkitd", "", "buildkitd binary for a private stack (default: bin/buildkitd beside buildtune)")
	fs.IntVar(&s.maxParallelism, "max-parallelism", 0, "buildkitd max-parallelism for a private stack (0 = BuildKit's default)")
	fs.IntVar(&s.daemons, "daemons", 1, "BuildKit daemons in a private stack; images are spread across them")
}

// use turns the flags into stack.Use; privateDir holds a private stack.
func (s *stackFlags) use(privateDir string) (stack.Use, error) {
	addrs := s.buildkitAddrs
	if len(addrs) == 0 {
		if h := os.Getenv("BUILDKIT_HOST"); h != "" {
			addrs = []string{h}
		}
	}
	if s.daemons < 1 {
		return stack.Use{}, usagef("--daemons %d: want 1 or more", s.daemons)
	}
	if s.maxParallelism < 0 {
		return stack.Use{}, usagef("--max-parallelism %d: want 0 (default) or more", s.maxParallelism)
	}
	bin := s.buildkitd
	if bin == "" {
		bin = defaultBuildkitd()
	}
	return stack.Use{
		BuildkitAddrs: addrs,
		Registry:      s.registry,
		StateDir:      s.state,
		Start: stack.Config{
			Dir:            privateDir,
			Buildkitd:      bin,
			MaxParallelism: s.maxParallelism,
			Daemons:        s.daemons,
		},
	}, nil
}

// connect resolves the stack flags into a connected stack (a private one
// in a temporary folder when nothing running is named) and says which on
// disp. The returned func closes it and removes the folder.
func (s *stackFlags) connect(ctx context.Context, disp *progress.Display) (*stack.Env, func(), error) {
	priv, err := stateDir()
	if err != nil {
		return nil, nil, err
	}
	u, err := s.use(priv)
	if err != nil {
		os.RemoveAll(priv)
		return nil, nil, err
	}
	env, err := stack.Connect(ctx, u)
	if err != nil {
		os.RemoveAll(priv)
		if len(u.BuildkitAddrs) > 0 {
			return nil, nil, usagef("--buildkit-addr %s: %v", joinComma(u.BuildkitAddrs), err)
		}
		return nil, nil, err
	}
	disp.Log("stack: %s; registry %s (%s)", env.Source, env.Registry.Addr, env.Registry.Kind)
	return env, func() { env.Close(); os.RemoveAll(priv) }, nil
}

// defaultBuildkitd looks beside the buildtune binary, then in ./bin, then PATH.
func defaultBuildkitd() string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "buildkitd")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if _, err := os.Stat("bin/buildkitd"); err == nil {
		abs, _ := filepath.Abs("bin/buildkitd")
		return abs
	}
	return "bin/buildkitd"
}

// stateDir is a short private folder for daemon state (unix socket paths
// are limited to about 100 bytes, so it does not live under --out).
func stateDir() (string, error) {
	d, err := os.MkdirTemp("", "buildtune-")
	if err != nil {
		return "", fmt.Errorf("creating state folder: %w", err)
	}
	return d, nil
}

func defaultOut() string {
	return filepath.Join("runs", time.Now().Format("20060102-150405"))
}

// parse parses args, mapping flag errors to usage errors.
func parse(fs *pflag.FlagSet, args []string) error {
	fs.SortFlags = false
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return errHelp
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func newDisplay() *progress.Display {
	return progress.New(os.Stderr, term.IsTerminal(int(os.Stderr.Fd())) && os.Getenv("CI") == "")
}

func version() string {
	v, commit := "devel", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				commit = s.Value[:12]
			}
			if s.Key == "vcs.modified" && s.Value == "true" {
				commit += "-dirty"
			}
		}
	}
	if commit != "" {
		return v + " (" + commit + ")"
	}
	return v
}

func joinComma(xs []string) string { return strings.Join(xs, ",") }
