package fleet

import (
	"errors"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/input"
)

// TestTemplatesCheckedByBuildKitGrammar: a one-Dockerfile workload's
// --tag, --cache-ref and --base-image are checked by the grammar BuildKit
// pushes by, not only by go-containerregistry's characters: an empty
// {{.Org}} path component, or a tag starting with "-", passed and failed
// every build at its push.
func TestTemplatesCheckedByBuildKitGrammar(t *testing.T) {
	for _, tc := range []struct{ flag, tag, cacheRef string }{
		{"--tag", "{{.Registry}}//img:{{.Slug}}", ""},
		{"--tag", "{{.Registry}}/img:-{{.Slug}}", ""},
		{"--cache-ref", "{{.Registry}}/img:{{.Slug}}", "{{.Registry}}/cache-/x:{{.Slug}}"},
	} {
		s := &Source{Context: t.TempDir(), Tag: tc.tag, CacheRef: tc.cacheRef}
		err := s.checkTemplates()
		if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), tc.flag) || !strings.Contains(err.Error(), "not an image reference") {
			t.Errorf("tag %q cache-ref %q: err = %v, want bad input naming %s", tc.tag, tc.cacheRef, err, tc.flag)
		}
	}
	ok := &Source{Context: t.TempDir(), Tag: "{{.Registry}}/org/img:{{.SDKSha7}}-{{.Slug}}"}
	if err := ok.checkTemplates(); err != nil {
		t.Errorf("a valid tag template: %v", err)
	}
}
