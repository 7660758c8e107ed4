package fleet

import (
	"errors"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
)

// TestCheckCache: a custom workload without --cache-ref cannot export the
// registry cache (bad input); with one, or with cache off, or for the
// fixtures, it can.
func TestCheckCache(t *testing.T) {
	custom := Source{Context: "/ctx", Tag: "r/x:{{.Slug}}"}
	if err := custom.CheckCache(engine.CacheMin); !errors.Is(err, input.ErrBad) {
		t.Errorf("custom, cache min, no --cache-ref: %v, want bad input", err)
	}
	if err := custom.CheckCache(engine.CacheOff); err != nil {
		t.Errorf("custom, cache off: %v", err)
	}
	withRef := custom
	withRef.CacheRef = "r/x:cache-{{.Slug}}"
	if err := withRef.CheckCache(engine.CacheMax); err != nil {
		t.Errorf("custom with --cache-ref, cache max: %v", err)
	}
	if err := (&Source{}).CheckCache(engine.CacheMax); err != nil {
		t.Errorf("fixtures, cache max: %v", err)
	}
}
