//go:build tools

// Package tools pins the BuildKit daemon and CLI so that `go build` builds
// them from the version required in go.mod.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
