package workflow

import (
	"strings"
	"testing"
)

// TestProbe11aJobLimitWiderEnv: with --job build, a knob that the job sets only in one step
// (a smoke test's MAX_WORKERS=2) is rewritten there, while its other steps still read the
// workflow env's value, which a job limit leaves alone. The diff must say so: otherwise the
// one change reads as the job's new worker count. A job env that sets the knob itself covers
// every step of the job: no note then.
func TestProbe11aJobLimitWiderEnv(t *testing.T) {
	src := "on: push\nenv:\n  MAX_WORKERS: 16\njobs:\n  build:\n    runs-on: x\n    steps:\n" +
		"      - name: smoke\n        run: MAX_WORKERS=2 ./smoke.sh\n      - name: build\n        run: ./build.sh\n" +
		"  eval:\n    runs-on: x\n    env:\n      MAX_WORKERS: 8\n    steps:\n      - name: smoke\n        run: MAX_WORKERS=2 ./smoke.sh\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4)}, Options{Job: "build"})
	if want := strings.Replace(src, "MAX_WORKERS=2 ./smoke.sh\n      - name: build", "MAX_WORKERS=4 ./smoke.sh\n      - name: build", 1); string(r.Output) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Output, want)
	}
	if w := warningsText(r); !strings.Contains(w, "the workflow's env sets MAX_WORKERS at line 3 (16)") {
		t.Errorf("warnings do not say the job's other steps read the workflow env:\n%s", w)
	}
	r = rewriteOK(t, src, Knobs{Workers: ptr(4)}, Options{Job: "eval"})
	if w := warningsText(r); strings.Contains(w, "line 3") {
		t.Errorf("a job whose env sets the knob is warned about the workflow env:\n%s", w)
	}
}

// TestProbe11aJobLimitCalledWorkflow: a job that calls a reusable workflow does not pass the
// workflow's env to it, so the note about the workflow env does not apply there.
func TestProbe11aJobLimitCalledWorkflow(t *testing.T) {
	src := "on: push\nenv:\n  MAX_WORKERS: 16\njobs:\n  call:\n    uses: ./.github/workflows/b.yml\n    with:\n      max-workers: 8\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4)}, Options{Job: "call"})
	if w := warningsText(r); strings.Contains(w, "line 3") {
		t.Errorf("a called workflow's job is warned about the caller's env:\n%s", w)
	}
}

// TestProbe11aJobLimitEveryStepSets: a job whose every step sets the knob itself reads no
// workflow env value for it: no note.
func TestProbe11aJobLimitEveryStepSets(t *testing.T) {
	src := "on: push\nenv:\n  MAX_WORKERS: 16\njobs:\n  build:\n    runs-on: x\n    steps:\n" +
		"      - env:\n          MAX_WORKERS: 8\n        run: ./build.sh\n      - run: MAX_WORKERS=2 ./smoke.sh\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4)}, Options{Job: "build"})
	if w := warningsText(r); strings.Contains(w, "line 3") {
		t.Errorf("warnings:\n%s", w)
	}
}
