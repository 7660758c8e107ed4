//go:build tools

// Package tools pins the BuildKit daemon and CLI so that `go build` builds
// them from the version required in go.mod, and the modules later stages
// build on (gonum/plot for the report's charts).
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
	// The charts of the report stage; pinned now so that every stage
	// builds against the versions chosen with the spine.
	_ "gonum.org/v1/plot"
)
