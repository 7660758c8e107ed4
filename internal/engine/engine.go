// Package engine is the BuildKit boundary of buildtune: one small Builder
// interface, the real implementation driving buildkitd through BuildKit's Go
// client, and the reducer that turns BuildKit's own status stream into the
// per-image cost breakdown every later stage (sweep, build, analyze) records.
package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/buildtune/buildtune/sweep/record"
)

// CacheMode is the registry cache export mode of one build.
type CacheMode string

// The cache export modes, as `--cache-to type=registry,mode=...` knows them.
const (
	CacheOff CacheMode = "off"
	CacheMin CacheMode = "min"
	CacheMax CacheMode = "max"
)

// CacheModes lists the valid cache modes in their canonical order.
var CacheModes = []CacheMode{CacheOff, CacheMin, CacheMax}

// ParseCacheMode parses "off", "min" or "max".
func ParseCacheMode(s string) (CacheMode, error) {
	for _, m := range CacheModes {
		if strings.EqualFold(strings.TrimSpace(s), string(m)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("cache mode %q: want one of off, min, max", s)
}

// Request is one image build: a Dockerfile build of a local context, pushed
// to one or more tags, with registry cache import and export.
type Request struct {
	// ID names the build in records (the instance id, or a phase name).
	ID string
	// ContextDir is the build context folder.
	ContextDir string
	// DockerfileDir is the folder holding the Dockerfile (often ContextDir).
	DockerfileDir string
	// DockerfileName is the Dockerfile's file name; "Dockerfile" if empty.
	DockerfileName string
	// Target is the stage to build; the last stage if empty.
	Target string
	// BuildArgs are passed as --build-arg KEY=VALUE.
	BuildArgs map[string]string
	// Tags are the full references pushed (registry/repo:tag).
	Tags []string
	// Push pushes Tags to their registry; otherwise the image stays in BuildKit.
	Push bool
	// CacheFrom are registry cache refs to import (like --cache-from type=registry,ref=...).
	CacheFrom []string
	// CacheTo is the registry cache ref exported to unless CacheMode is off.
	CacheTo string
	// CacheMode selects the cache export: off (none), min or max.
	CacheMode CacheMode
	// NoCache disables BuildKit's local cache for this build.
	NoCache bool
	// TracePath, when set, receives the raw status stream as JSON lines.
	TracePath string
}

// ErrorClass tells a failed build apart from failing infrastructure; the
// records format defines it.
type ErrorClass = record.ErrorClass

// Error classes, as the records format names them.
const (
	ErrNone     = record.ErrNone
	ErrBuild    = record.ErrBuild
	ErrInfra    = record.ErrInfra
	ErrCanceled = record.ErrCanceled
)

// Result is what one build cost: the records format's Cost, which the
// engine fills from BuildKit's status stream.
type Result = record.Cost

// Builder builds one image. Implementations must be safe for concurrent use.
// Build returns a Result for every build that was attempted, failed or not;
// the error is non-nil exactly when the build failed and is a *BuildError.
type Builder interface {
	Build(ctx context.Context, req Request) (Result, error)
}

// BuildError is the error of a failed build, carrying its class.
type BuildError struct {
	ID    string
	Class ErrorClass
	Err   error
}

func (e *BuildError) Error() string {
	if e.ID == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("building %s (%s error): %v", e.ID, e.Class, e.Err)
}

func (e *BuildError) Unwrap() error { return e.Err }

// ClassOf returns the class of err: ErrNone for nil, the class of a
// *BuildError, ErrCanceled for context errors, else ErrBuild.
func ClassOf(err error) ErrorClass {
	if err == nil {
		return ErrNone
	}
	var be *BuildError
	if errors.As(err, &be) {
		return be.Class
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ErrCanceled
	}
	return ErrBuild
}
