package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const stagesDockerfile = `ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS base
RUN true
FROM base AS Builder
FROM base AS source-minimal
COPY --from=builder / /
`

// TestWorkloadCheckTarget: a target that names no stage of the Dockerfile is
// refused (every build of it would fail after the stack started); stage
// names compare as BuildKit compares them, and templates and "" pass.
func TestWorkloadCheckTarget(t *testing.T) {
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(df, []byte(stagesDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{"", "source-minimal", "BUILDER", "base", "{{.Repo}}"} {
		if err := CheckTarget(df, ok); err != nil {
			t.Errorf("target %q: %v", ok, err)
		}
	}
	err := CheckTarget(df, "nosuch")
	if err == nil || !strings.Contains(err.Error(), `"nosuch"`) || !strings.Contains(err.Error(), "source-minimal") {
		t.Errorf("target nosuch: %v, want an error naming it and the stages", err)
	}
}

// TestWorkloadLoadMissingTarget: a workload file whose phase's target is no
// stage of its Dockerfile is refused by Load.
func TestWorkloadLoadMissingTarget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(stagesDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	wl := `plans:
  single:
    per_instance:
      - name: image
        context_dir: .
        target: source-minmal
        tags: ["r/x:{{.Slug}}"]
`
	p := filepath.Join(dir, "wl.yaml")
	if err := os.WriteFile(p, []byte(wl), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "source-minmal") {
		t.Fatalf("Load: %v, want the missing target refused", err)
	}
}

// TestWorkloadTemplateRefsPerInstance: a template that expands to an image
// reference for Validate's probe instance but not for a real one (an
// upper-case id in a repository path, a tag over 128 characters for a long
// slug) is refused for that instance, not left to fail its push.
func TestWorkloadTemplateRefsPerInstance(t *testing.T) {
	upper, err := ParseInstance("Sympy__sympy-13647")
	if err != nil {
		t.Fatal(err)
	}
	long, err := ParseInstance("scikit-learn__scikit-learn-14983")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tag  string
		inst Instance
	}{
		{"{{.Registry}}/x/{{.ID}}:latest", upper},
		{"{{.Registry}}/x:{{.SDKSha}}-{{.Slug}}-source-minimal-and-a-longer-suffix", long},
	} {
		_, err := Simple(SimpleOptions{Registry: "127.0.0.1:5000", SDKSha: strings.Repeat("a", 40), ContextDir: "/ctx",
			Tag: c.tag, Instances: []Instance{c.inst}})
		if err == nil || !strings.Contains(err.Error(), c.inst.ID) {
			t.Errorf("tag %s for %s: %v, want refused naming the instance", c.tag, c.inst.ID, err)
		}
	}
	_, err = Simple(SimpleOptions{Registry: "127.0.0.1:5000", SDKSha: strings.Repeat("a", 40), ContextDir: "/ctx",
		Tag: "{{.Registry}}/x:{{.Slug}}", BaseImage: "docker.io/swebench/{{.ID}}:latest", Instances: []Instance{upper}})
	if err == nil || !strings.Contains(err.Error(), "base image") {
		t.Errorf("base image with an upper-case id: %v, want refused", err)
	}
}
