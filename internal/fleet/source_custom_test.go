package fleet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workload"
)

func customContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	df := "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS base\nFROM base AS source-minimal\nRUN true\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCustomMissingTarget: --target naming no stage of the Dockerfile is bad
// input naming --target, before anything starts.
func TestCustomMissingTarget(t *testing.T) {
	s := Source{Context: customContext(t), Target: "source-minmal", Tag: "r/x:{{.Slug}}"}
	err := s.Check()
	if !errors.Is(err, input.ErrBad) || !strings.HasPrefix(err.Error(), "--target") {
		t.Fatalf("Check: %v, want bad input naming --target", err)
	}
	s = Source{Context: customContext(t), Target: "source-minimal", Tag: "r/x:{{.Slug}}"}
	if err := s.Check(); err != nil {
		t.Fatalf("Check with an existing target: %v", err)
	}
}

// TestCustomTemplateSameTag: a --tag template that names no instance gives
// every image one tag: bad input naming --tag, found by Check, before the
// instances are known.
func TestCustomTemplateSameTag(t *testing.T) {
	s := Source{Context: customContext(t), Tag: "{{.Registry}}/x:{{.SDKSha7}}-source-minimal"}
	err := s.Check()
	if !errors.Is(err, input.ErrBad) || !strings.HasPrefix(err.Error(), "--tag") || !strings.Contains(err.Error(), "{{.Slug}}") {
		t.Fatalf("Check: %v, want bad input naming --tag and {{.Slug}}", err)
	}
}

// TestCustomTemplateInstances: CheckInstances expands the templates for
// every instance: one that is no image reference for a real instance, or
// two instances with one tag, is bad input naming the flag and instance.
func TestCustomTemplateInstances(t *testing.T) {
	parse := func(ids ...string) []workload.Instance {
		var out []workload.Instance
		for _, id := range ids {
			in, err := workload.ParseInstance(id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, in)
		}
		return out
	}
	ctx := customContext(t)
	for _, c := range []struct {
		src  Source
		ids  []string
		flag string
	}{
		{Source{Context: ctx, Tag: "{{.Registry}}/x/{{.ID}}:latest"}, []string{"django__django-1", "Sympy__sympy-2"}, "--tag"},
		{Source{Context: ctx, Tag: "{{.Registry}}/x:{{.Slug}}", BaseImage: "docker.io/{{.ID}}"}, []string{"Sympy__sympy-2"}, "--base-image"},
		{Source{Context: ctx, Tag: "{{.Registry}}/x:{{.Slug}}", CacheRef: "{{.Registry}}/x:{{.SDKSha}}-{{.Slug}}-buildcache-source-minimal-longer-x"},
			[]string{"scikit-learn__scikit-learn-14983"}, "--cache-ref"},
		// {{.Name}} differs between the probes but not between these two.
		{Source{Context: ctx, Tag: "{{.Registry}}/x:{{.Name}}"}, []string{"a__lib-1", "b__lib-1"}, "--tag"},
	} {
		err := c.src.CheckInstances(parse(c.ids...))
		if !errors.Is(err, input.ErrBad) || !strings.HasPrefix(err.Error(), c.flag) {
			t.Errorf("%+v over %v: %v, want bad input naming %s", c.src, c.ids, err, c.flag)
		}
	}
	ok := Source{Context: ctx, Tag: "{{.Registry}}/x:{{.SDKSha7}}-{{.Slug}}-source-minimal", BaseImage: "docker.io/swebench/{{.Slug}}:latest",
		CacheRef: "{{.Registry}}/x:buildcache-source-minimal-{{.Slug}}"}
	if err := ok.CheckInstances(parse("Sympy__sympy-2", "django__django-1")); err != nil {
		t.Errorf("the real templates: %v", err)
	}
}
