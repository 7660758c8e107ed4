package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/session"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DialTimeout bounds how long Dial waits for the daemon to answer.
const DialTimeout = 10 * time.Second

// BuildKit is the real Builder: it drives one buildkitd through BuildKit's
// Go client.
type BuildKit struct {
	addr   string
	c      *client.Client
	attach []session.Attachable
}

// Attach adds session attachables to every later build, e.g. registry
// credentials: authprovider.NewDockerAuthProvider(...). Call it before
// building.
func (b *BuildKit) Attach(a ...session.Attachable) { b.attach = append(b.attach, a...) }

var _ Builder = (*BuildKit)(nil)

// Dial connects to the buildkitd at addr (unix:///path/buildkitd.sock,
// tcp://host:port, or one of the connection helpers' schemes) without TLS:
// DialWith(ctx, addr, DialOptions{}).
func Dial(ctx context.Context, addr string) (*BuildKit, error) {
	return DialWith(ctx, addr, DialOptions{})
}

// Addr returns the daemon address.
func (b *BuildKit) Addr() string { return b.addr }

// Client returns the underlying BuildKit client.
func (b *BuildKit) Client() *client.Client { return b.c }

// Ping asks the daemon for its workers, waiting at most timeout.
func (b *BuildKit) Ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ws, err := b.c.ListWorkers(ctx)
	if err != nil {
		return &BuildError{Class: ErrInfra, Err: fmt.Errorf("buildkitd at %s does not answer: %w", b.addr, err)}
	}
	if len(ws) == 0 {
		return &BuildError{Class: ErrInfra, Err: fmt.Errorf("buildkitd at %s has no workers", b.addr)}
	}
	return nil
}

// Version returns the daemon's BuildKit version.
func (b *BuildKit) Version(ctx context.Context) (string, error) {
	info, err := b.c.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("asking buildkitd at %s for its version: %w", b.addr, err)
	}
	return info.BuildkitVersion.Version, nil
}

// DiskUsage returns the bytes BuildKit's cache holds.
func (b *BuildKit) DiskUsage(ctx context.Context) (int64, error) {
	du, err := b.c.DiskUsage(ctx)
	if err != nil {
		return 0, fmt.Errorf("disk usage of buildkitd at %s: %w", b.addr, err)
	}
	var total int64
	for _, u := range du {
		total += u.Size
	}
	return total, nil
}

// Prune removes cache records; all=true removes everything (like
// `buildctl prune --all`), otherwise it keeps at most keepBytes. It returns
// the bytes freed.
func (b *BuildKit) Prune(ctx context.Context, keepBytes int64, all bool) (int64, error) {
	ch := make(chan client.UsageInfo)
	var freed int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range ch {
			freed += u.Size
		}
	}()
	var opts []client.PruneOption
	if all {
		opts = append(opts, client.PruneAll)
	} else {
		opts = append(opts, client.WithKeepOpt(0, keepBytes, 0, 0))
	}
	err := b.c.Prune(ctx, ch, opts...)
	close(ch)
	<-done
	if err != nil {
		return freed, fmt.Errorf("pruning buildkitd at %s: %w", b.addr, err)
	}
	return freed, nil
}

// Close closes the client connection.
func (b *BuildKit) Close() error { return b.c.Close() }

// SolveOpt turns a Request into BuildKit's solve options.
func SolveOpt(req Request) (client.SolveOpt, error) {
	ctxFS, err := fsutil.NewFS(req.ContextDir)
	if err != nil {
		return client.SolveOpt{}, fmt.Errorf("build context %s: %w", req.ContextDir, err)
	}
	dfDir := req.DockerfileDir
	if dfDir == "" {
		dfDir = req.ContextDir
	}
	dfFS, err := fsutil.NewFS(dfDir)
	if err != nil {
		return client.SolveOpt{}, fmt.Errorf("dockerfile folder %s: %w", dfDir, err)
	}
	name := req.DockerfileName
	if name == "" {
		name = "Dockerfile"
	}
	if _, err := os.Stat(filepath.Join(dfDir, name)); err != nil {
		return client.SolveOpt{}, fmt.Errorf("dockerfile: %w", err)
	}
	attrs := map[string]string{"filename": name}
	if req.Target != "" {
		attrs["target"] = req.Target
	}
	for k, v := range req.BuildArgs {
		attrs["build-arg:"+k] = v
	}
	if req.NoCache {
		attrs["no-cache"] = ""
	}
	opt := client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
	}
	if len(req.Tags) > 0 {
		exp := client.ExportEntry{Type: client.ExporterImage, Attrs: map[string]string{
			"name": strings.Join(req.Tags, ","),
		}}
		if req.Push {
			exp.Attrs["push"] = "true"
			exp.Attrs["registry.insecure"] = "true"
		}
		opt.Exports = []client.ExportEntry{exp}
	}
	for _, ref := range req.CacheFrom {
		if ref == "" {
			continue
		}
		opt.CacheImports = append(opt.CacheImports, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref, "registry.insecure": "true"}})
	}
	switch req.CacheMode {
	case CacheOff, "":
	case CacheMin, CacheMax:
		if req.CacheTo == "" {
			return client.SolveOpt{}, fmt.Errorf("cache mode %s needs a cache ref to export to", req.CacheMode)
		}
		opt.CacheExports = []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{
			"ref": req.CacheTo, "mode": string(req.CacheMode), "registry.insecure": "true",
		}}}
	default:
		return client.SolveOpt{}, fmt.Errorf("cache mode %q: want one of off, min, max", req.CacheMode)
	}
	return opt, nil
}

// Build runs one solve and reduces its status stream into a Result.
func (b *BuildKit) Build(ctx context.Context, req Request) (Result, error) {
	res := Result{ID: req.ID}
	opt, err := SolveOpt(req)
	opt.Session = b.attach
	if err != nil {
		res.Start = time.Now()
		res.End = res.Start
		res.ErrClass, res.Error = ErrBuild, err.Error()
		return res, &BuildError{ID: req.ID, Class: ErrBuild, Err: err}
	}
	var trace *json.Encoder
	if req.TracePath != "" {
		f, err := os.Create(req.TracePath)
		if err != nil {
			return res, &BuildError{ID: req.ID, Class: ErrInfra, Err: fmt.Errorf("creating trace %s: %w", req.TracePath, err)}
		}
		defer f.Close()
		trace = json.NewEncoder(f)
	}
	red := NewReducer()
	ch := make(chan *client.SolveStatus)
	var resp *client.SolveResponse
	var mu sync.Mutex
	eg, egctx := errgroup.WithContext(ctx)
	res.Start = time.Now()
	eg.Go(func() error {
		r, err := b.c.Solve(egctx, nil, opt, ch)
		mu.Lock()
		resp = r
		mu.Unlock()
		return err
	})
	eg.Go(func() error {
		for st := range ch {
			red.Add(st)
			if trace != nil {
				_ = trace.Encode(st) // a trace is best effort; the build goes on
			}
		}
		return nil
	})
	err = eg.Wait()
	res.End = time.Now()
	res.WallSeconds = res.End.Sub(res.Start).Seconds()
	red.Fill(&res)
	if err == nil && resp != nil {
		res.Digest = resp.ExporterResponse["containerimage.digest"]
		if req.Push && res.Digest != "" && len(req.Tags) > 0 {
			res.ImageBytes = imageBytes(ctx, req.Tags[0], res.Digest)
		}
	}
	if err != nil {
		class := classify(ctx, err, b)
		res.ErrClass, res.Error = class, FirstLine(err.Error())
		return res, &BuildError{ID: req.ID, Class: class, Err: err}
	}
	return res, nil
}

// classify tells a failed build from failing infrastructure.
func classify(ctx context.Context, err error, b *BuildKit) ErrorClass {
	if ctx.Err() != nil {
		return ErrCanceled
	}
	// A step whose process ran and exited non-zero failed on its own,
	// whatever its command text says (the markers below would match a
	// "geoffrey" or an echoed "connection refused" in it).
	var exit *gatewaypb.ExitError
	if errors.As(err, &exit) && exit.ExitCode != gatewaypb.UnknownExitStatus {
		return ErrBuild
	}
	if s, ok := status.FromError(unwrapGRPC(err)); ok {
		switch s.Code() {
		case codes.Unavailable, codes.Aborted, codes.ResourceExhausted:
			return ErrInfra
		}
	}
	msg := strings.ToLower(err.Error())
	for _, m := range infraMarkers {
		if strings.Contains(msg, m) {
			return ErrInfra
		}
	}
	if eofWord.MatchString(msg) {
		return ErrInfra
	}
	// A daemon that no longer answers is an infrastructure failure whatever
	// the build said.
	pctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, perr := b.c.ListWorkers(pctx); perr != nil {
		return ErrInfra
	}
	return ErrBuild
}

// infraMarkers are error texts of a registry or daemon in trouble, as
// opposed to a build step that failed.
var infraMarkers = []string{
	"connection refused",
	"connection reset",
	"broken pipe",
	"no such host",
	"i/o timeout",
	"503 service unavailable",
	"429 too many requests",
	"toomanyrequests",
	"unexpected status: 5",
	"unexpected status from",
	"transport is closing",
	"error reading from server",
}

// eofWord is a connection cut short ("EOF", "unexpected EOF"), as a word:
// not the "eof" inside a file name or a command ("geoffrey").
var eofWord = regexp.MustCompile(`\beof\b`)

func unwrapGRPC(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := status.FromError(e); ok {
			return e
		}
	}
	return err
}

// imageBytes sums the config and layer sizes of the pushed manifest; 0 if
// it cannot be read (the build itself succeeded, so that is no error).
func imageBytes(ctx context.Context, tag, dgst string) int64 {
	ref, err := name.ParseReference(tag, name.Insecure)
	if err != nil {
		return 0
	}
	d, err := name.NewDigest(ref.Context().Name()+"@"+dgst, name.Insecure)
	if err != nil {
		return 0
	}
	img, err := remote.Image(d, remote.WithContext(ctx))
	if err != nil {
		return 0
	}
	m, err := img.Manifest()
	if err != nil {
		return 0
	}
	total := m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total
}

// FirstLine is s up to its first newline (an error message for one line of output).
func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
