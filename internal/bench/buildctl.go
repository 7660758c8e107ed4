package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/buildtune/buildtune/internal/engine"
)

// BuildctlArgs returns the `buildctl build` command line that asks the
// daemon at addr for the same solve as engine.SolveOpt(req): the
// dockerfile.v0 frontend on the local context and Dockerfile folders, the
// target and build args as frontend options, an image output pushed to
// the tags (registry.insecure, as the engine sets it), registry cache
// imports and, unless the cache mode is off, the registry cache export.
func BuildctlArgs(addr string, req engine.Request) ([]string, error) {
	dfDir := req.DockerfileDir
	if dfDir == "" {
		dfDir = req.ContextDir
	}
	name := req.DockerfileName
	if name == "" {
		name = "Dockerfile"
	}
	args := []string{"--addr", addr, "build", "--frontend", "dockerfile.v0", "--progress", "plain",
		"--local", "context=" + req.ContextDir, "--local", "dockerfile=" + dfDir, "--opt", "filename=" + name}
	if req.Target != "" {
		args = append(args, "--opt", "target="+req.Target)
	}
	keys := make([]string, 0, len(req.BuildArgs))
	for k := range req.BuildArgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--opt", "build-arg:"+k+"="+req.BuildArgs[k])
	}
	if req.NoCache {
		args = append(args, "--no-cache")
	}
	if len(req.Tags) > 0 {
		// buildctl reads --output as CSV: several tags need quoting.
		out := "type=image," + strconv.Quote("name="+strings.Join(req.Tags, ","))
		if len(req.Tags) == 1 {
			out = "type=image,name=" + req.Tags[0]
		}
		if req.Push {
			out += ",push=true,registry.insecure=true"
		}
		args = append(args, "--output", out)
	}
	for _, ref := range req.CacheFrom {
		if ref != "" {
			args = append(args, "--import-cache", "type=registry,ref="+ref+",registry.insecure=true")
		}
	}
	switch req.CacheMode {
	case engine.CacheOff, "":
	case engine.CacheMin, engine.CacheMax:
		if req.CacheTo == "" {
			return nil, fmt.Errorf("cache mode %s needs a cache ref to export to", req.CacheMode)
		}
		args = append(args, "--export-cache", "type=registry,ref="+req.CacheTo+",mode="+string(req.CacheMode)+",registry.insecure=true")
	default:
		return nil, fmt.Errorf("cache mode %q: want one of off, min, max", req.CacheMode)
	}
	return args, nil
}

// Buildctl runs the buildctl binary against one daemon.
type Buildctl struct {
	// Bin is the buildctl binary (bin/buildctl, built by `make setup`).
	Bin string
	// Addr is the daemon address (unix:///.../buildkitd.sock).
	Addr string
}

// run runs buildctl with args; a failure carries the last lines of its
// output.
func (b Buildctl) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, b.Bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("buildctl %s: %w: %s", args[2], err, tail(stderr.String(), 3))
	}
	return stdout.Bytes(), nil
}

// Build runs one `buildctl build` process for req.
func (b Buildctl) Build(ctx context.Context, req engine.Request) error {
	args, err := BuildctlArgs(b.Addr, req)
	if err != nil {
		return err
	}
	if _, err := b.run(ctx, args...); err != nil {
		return fmt.Errorf("building %s: %w", req.ID, err)
	}
	return nil
}

// DiskUsage returns the bytes of the daemon's cache records
// (`buildctl du`).
func (b Buildctl) DiskUsage(ctx context.Context) (int64, error) {
	out, err := b.run(ctx, "--addr", b.Addr, "du", "--format", "{{range .}}{{.Size}} {{end}}")
	if err != nil {
		return 0, err
	}
	var total int64
	for _, f := range strings.Fields(string(out)) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("buildctl du: size %q: %w", f, err)
		}
		total += n
	}
	return total, nil
}

// Prune runs `buildctl prune --keep-storage MB`.
func (b Buildctl) Prune(ctx context.Context, keepBytes int64) error {
	mb := strconv.FormatFloat(float64(keepBytes)/1e6, 'f', 3, 64)
	_, err := b.run(ctx, "--addr", b.Addr, "prune", "--keep-storage", mb)
	return err
}

// BuildctlPath returns root/bin/buildctl.
func BuildctlPath(root string) string { return filepath.Join(root, "bin", "buildctl") }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
