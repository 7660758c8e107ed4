package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/workload"
)

// Setup is what a command needs connected before its first build: the
// stack, the workload prepared for a list of instances, and the output
// folder.
type Setup struct {
	// Stack says which daemons and registry to use; a private stack, when
	// one is needed, lives in a temporary folder that Close removes.
	Stack     stack.Use
	Source    Source
	Profile   *fixtures.Profile
	Instances []workload.Instance
	SDKSha    string
	// Out is the run folder; with Trace, raw status streams go to Out/traces.
	Out   string
	Trace bool
	// Warn receives warnings (Docker config loading); nil discards them.
	Warn io.Writer
}

// Env is a connected fleet: the stack, the prepared workload and the
// facts every record carries.
type Env struct {
	Stack    *stack.Env
	Workload *workload.Workload
	Daemons  []Daemon
	// DaemonLimits are the most builds each daemon takes at once, aligned
	// with Daemons (0 = no limit); nil = no limits.
	DaemonLimits    []int
	BuildKitVersion string
	Host            string
	TraceDir        string
	private         string
}

// Open connects the stack, prepares the workload and the output folder.
// Close releases what it started.
func Open(ctx context.Context, s Setup) (*Env, error) {
	e := &Env{}
	u := s.Stack
	if u.Start.Dir == "" {
		// Unix socket paths are limited to about 100 bytes, so a private
		// stack's state does not live under Out.
		d, err := newPrivateDir(os.TempDir())
		if err != nil {
			return nil, fmt.Errorf("creating state folder: %w", err)
		}
		u.Start.Dir, e.private = d, d
	}
	if err := os.MkdirAll(s.Out, 0o755); err != nil {
		e.Close()
		return nil, input.Errorf("--out "+s.Out, "%v", err)
	}
	env, err := stack.Connect(ctx, u)
	if err != nil {
		e.Close()
		switch {
		case errors.Is(err, stack.ErrUnreachable) || IsInfra(err):
			return nil, infraError{err} // a registry or daemon down: exit 3
		case len(u.BuildkitAddrs) > 0 && !errors.Is(err, input.ErrBad):
			return nil, input.Bad("--buildkit-addr", err)
		}
		return nil, err
	}
	e.Stack = env
	warn := s.Warn
	if warn == nil {
		warn = io.Discard
	}
	s.Source.attachAuth(env.Daemons, warn)
	if e.Workload, err = s.Source.Prepare(ctx, env.Registry.Addr, s.Out, s.Profile, s.Instances, s.SDKSha); err != nil {
		e.Close()
		if ferr := outputError(s.Out, err); ferr != nil {
			return nil, ferr
		}
		if registryDown(err) {
			return nil, infraError{err} // the base images could not be pushed: exit 3
		}
		if registryRefused(err) {
			// Credentials are input: the registry wants some, or other ones.
			hint := "give --docker-auth to send the credentials in ~/.docker/config.json"
			if s.Source.DockerAuth {
				hint = "the credentials in ~/.docker/config.json (--docker-auth) are not accepted for it"
			}
			return nil, input.Errorf("--registry "+env.Registry.Addr, "refused the base image pushes (%v); %s", err, hint)
		}
		return nil, err
	}
	if s.Trace {
		e.TraceDir = filepath.Join(s.Out, "traces")
		if err := os.MkdirAll(e.TraceDir, 0o755); err != nil {
			e.Close()
			return nil, fmt.Errorf("trace folder: %w", err)
		}
	}
	e.BuildKitVersion, _ = env.Daemons[0].Version(ctx)
	e.Host, _ = os.Hostname()
	for _, d := range env.Daemons {
		e.Daemons = append(e.Daemons, d)
	}
	e.DaemonLimits = env.DaemonLimits
	return e, nil
}

// Close closes the stack (stopping a private one) and removes its folder.
func (e *Env) Close() {
	if e.Stack != nil {
		e.Stack.Close()
	}
	if e.private != "" {
		os.RemoveAll(e.private)
	}
}

// registryRefused says err is the registry refusing the client's
// credentials (401 or 403): the registry is up, the input is wrong.
func registryRefused(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden)
}

// registryDown says err is the registry failing (a server error, too many
// requests, no connection), not the input: preparing the base images then
// failed for the infrastructure, and the command's exit status says so.
func registryDown(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode >= 500 || te.StatusCode == http.StatusTooManyRequests
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)
}

// outputError classes a failure to write a file under out while preparing
// the workload (the fixtures' build context and its bases' digests): a
// full disk is the host's (exit 3, as a daemon's), any other (a "context"
// that is a file, no permission) is the folder given as --out (bad input,
// exit 2), not a failed build nor a registry down (a syscall.Errno has
// net.Error's methods, which registryDown would take for a network
// error). It returns nil for any other error.
func outputError(out string, err error) error {
	var pe *fs.PathError
	if out == "" || errors.Is(err, input.ErrBad) || !errors.As(err, &pe) || !within(out, pe.Path) {
		return nil
	}
	if diskFull(err) {
		return infraError{err}
	}
	return input.Errorf("--out "+out, "%v: want a folder this user can write", err)
}

// diskFull says err is a write that found no space left (ENOSPC, or a
// quota reached): an infrastructure failure of the host, not of the build
// nor of the input.
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// within says path is dir or inside it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
