package workflow

import (
	"strings"
	"testing"
)

// TestProbe11aKnobNamedInActionInput: a knob given to an action as data (build-args of
// docker/build-push-action) is not a place the rewrite changes, but the diff said
// "MAX_WORKERS is not set anywhere" while the file sets it on line 11. The note names the
// place instead. A knob that a script only reads ($MAX_WORKERS) or a step's name mentions is
// still not set.
func TestProbe11aKnobNamedInActionInput(t *testing.T) {
	src := "on: push\nenv:\n  BUILD_BATCH_SIZE: 15\njobs:\n  b:\n    runs-on: x\n    steps:\n" +
		"      - name: build with OPENHANDS_BUILDKIT_CACHE_MODE\n        uses: docker/build-push-action@v6\n        with:\n          build-args: |\n            MAX_WORKERS=16\n" +
		"      - run: echo \"$OPENHANDS_BUILDKIT_CACHE_MODE\"\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Batch: ptr(3), Cache: ptr("off")}, Options{})
	w := warningsText(r)
	if strings.Contains(w, "MAX_WORKERS is not set anywhere") || !strings.Contains(w, "jobs.b.steps[0].with.build-args names MAX_WORKERS") || !strings.Contains(w, "line 12") {
		t.Errorf("warnings:\n%s", w)
	}
	if !strings.Contains(w, "cache: OPENHANDS_BUILDKIT_CACHE_MODE is not set anywhere") {
		t.Errorf("a knob only read or named in a step name is not reported as not set:\n%s", w)
	}
	if strings.Contains(string(r.Output), "MAX_WORKERS=4") {
		t.Errorf("an action's input data was rewritten:\n%s", r.Output)
	}
}
