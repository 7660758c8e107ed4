package main

import (
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/fleet"
)

// TestCustomDiffers: build --from-recommendation of a custom sweep takes
// its settings only for the images the sweep measured: another Dockerfile
// (relative to the context), base image template or build args is named
// (the prober's build with another --build-arg took the sweep's settings,
// exit 0); a checkout elsewhere (same Dockerfile relative to its context)
// and other tag or cache-ref templates (where images go) are the same
// workload.
func TestCustomDiffers(t *testing.T) {
	swept := fleet.Source{Context: "/ci/a/sdk", Dockerfile: "/ci/a/sdk/docker/Dockerfile", Target: "source-minimal",
		BaseImage: "{{.BaseRegistry}}/swebench/{{.Slug}}:latest", Tag: "{{.Registry}}/x:{{.Slug}}",
		BuildArgs: map[string]string{"PYTHON": "3.12"}}
	same := swept
	same.Context, same.Dockerfile = "/home/runner/sdk", "/home/runner/sdk/docker/Dockerfile"
	same.Tag, same.CacheRef = "{{.Registry}}/y:{{.SDKSha7}}-{{.Slug}}", "{{.Registry}}/cache:{{.Slug}}"
	same.BuildArgs = map[string]string{"PYTHON": "3.12"}
	if d := customDiffers(swept, same); len(d) != 0 {
		t.Errorf("same workload elsewhere: %q", d)
	}
	for _, tc := range []struct {
		name string
		edit func(*fleet.Source)
		want string
	}{
		{"dockerfile", func(s *fleet.Source) { s.Dockerfile = "/home/runner/sdk/Dockerfile.dev" }, "--dockerfile docker/Dockerfile (this build: Dockerfile.dev)"},
		{"base image", func(s *fleet.Source) { s.BaseImage = "{{.BaseRegistry}}/other/{{.Slug}}" }, `--base-image`},
		{"build arg value", func(s *fleet.Source) { s.BuildArgs = map[string]string{"PYTHON": "3.11"} }, "--build-arg PYTHON=3.12 (this build: PYTHON=3.11)"},
		{"build arg dropped", func(s *fleet.Source) { s.BuildArgs = nil }, "--build-arg PYTHON=3.12 (this build: none)"},
	} {
		now := same
		now.BuildArgs = map[string]string{"PYTHON": "3.12"}
		tc.edit(&now)
		d := customDiffers(swept, now)
		if len(d) != 1 || !strings.Contains(d[0], tc.want) {
			t.Errorf("%s: %q, want one difference naming %q", tc.name, d, tc.want)
		}
	}
}
