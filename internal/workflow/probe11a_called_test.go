package workflow

import (
	"errors"
	"strings"
	"testing"
)

// TestProbe11aKnobInCalledFile: a workflow whose build runs in a called reusable workflow or
// a local action sets no knob itself, but "not set anywhere" would send the user looking in
// the wrong place: the message names the called files, the place to rewrite instead.
// Marketplace actions (actions/checkout@v4) are not named.
func TestProbe11aKnobInCalledFile(t *testing.T) {
	src := "on: push\njobs:\n  build:\n    uses: ./.github/workflows/build-images.yml\n    with:\n      dataset: swtbench\n    secrets: inherit\n" +
		"  remote:\n    uses: org/ci/.github/workflows/b.yml@v1\n" +
		"  local:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - name: build\n        uses: ./.github/actions/build\n        with:\n          dataset: x\n"
	_, err := Rewrite([]byte(src), Knobs{Workers: ptr(4), Batch: ptr(3)}, Options{})
	if !errors.Is(err, ErrNoKnobs) {
		t.Fatalf("err = %v, want ErrNoKnobs", err)
	}
	msg := err.Error()
	for _, s := range []string{
		"line 4: jobs.build calls ./.github/workflows/build-images.yml",
		"line 9: jobs.remote calls org/ci/.github/workflows/b.yml@v1",
		"line 15: jobs.local.steps[1] (step \"build\") uses ./.github/actions/build",
	} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
	if strings.Contains(msg, "actions/checkout") {
		t.Errorf("a marketplace action is named: %s", msg)
	}
	// Limited to a job, only that job's call is named.
	_, err = Rewrite([]byte(src), Knobs{Workers: ptr(4)}, Options{Job: "local"})
	if !errors.Is(err, ErrNoKnobs) || !strings.Contains(err.Error(), "./.github/actions/build") || strings.Contains(err.Error(), "build-images.yml") {
		t.Errorf("--job local: %v", err)
	}
	// Knobs all found: no note about the calls.
	r := rewriteOK(t, "on: push\nenv:\n  MAX_WORKERS: 16\njobs:\n  build:\n    uses: ./.github/workflows/b.yml\n", Knobs{Workers: ptr(4)}, Options{})
	if w := warningsText(r); strings.Contains(w, "b.yml") {
		t.Errorf("warnings name the call although every knob was found: %s", w)
	}
}
