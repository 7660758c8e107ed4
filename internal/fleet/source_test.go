package fleet

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workload"
)

// TestCheckCache: a custom workload without --cache-ref cannot export the
// registry cache (bad input); with one, or with cache off, or for the
// fixtures, it can.
func TestCheckCache(t *testing.T) {
	custom := Source{Context: "/ctx", Tag: "r/x:{{.Slug}}"}
	if err := custom.CheckCache(engine.CacheMin, ""); !errors.Is(err, input.ErrBad) {
		t.Errorf("custom, cache min, no --cache-ref: %v, want bad input", err)
	}
	if err := custom.CheckCache(engine.CacheOff, ""); err != nil {
		t.Errorf("custom, cache off: %v", err)
	}
	withRef := custom
	withRef.CacheRef = "r/x:cache-{{.Slug}}"
	if err := withRef.CheckCache(engine.CacheMax, ""); err != nil {
		t.Errorf("custom with --cache-ref, cache max: %v", err)
	}
	if err := (&Source{}).CheckCache(engine.CacheMax, ""); err != nil {
		t.Errorf("fixtures, cache max: %v", err)
	}
}

// TestCheckStrategy: a strategy the workload has no plan for is bad input
// naming --strategy before anything starts: a one-Dockerfile workload has
// only single, a workload file its own plans, the fixtures every strategy.
func TestCheckStrategy(t *testing.T) {
	custom := Source{Context: "/ctx", Tag: "r/x:{{.Slug}}"}
	if err := custom.CheckStrategy(workload.ThreePhase); !errors.Is(err, input.ErrBad) || !strings.HasPrefix(err.Error(), "--strategy") {
		t.Errorf("custom, three-phase: %v, want bad input naming --strategy", err)
	}
	if err := custom.CheckStrategy(workload.Single); err != nil {
		t.Errorf("custom, single: %v", err)
	}
	file := Source{Workload: filepath.Join("..", "..", "testdata", "workload.yaml")}
	if err := file.CheckStrategy(workload.ThreePhase); !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "want single") {
		t.Errorf("workload file with a single plan, three-phase: %v, want bad input naming its plan", err)
	}
	if err := file.CheckStrategy(workload.Single); err != nil {
		t.Errorf("workload file, single: %v", err)
	}
	for _, s := range []string{workload.Single, workload.ThreePhase} {
		if err := (&Source{}).CheckStrategy(s); err != nil {
			t.Errorf("fixtures, %s: %v", s, err)
		}
	}
}
