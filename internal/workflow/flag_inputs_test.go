package workflow

import (
	"errors"
	"strings"
	"testing"
)

// TestRewriteFlagReadsInput: a reusable workflow that passes its inputs to the build as flags
// (--max-workers ${{ inputs.max-workers }}) sets the knobs through the inputs' defaults. The
// refusal said "MAX_WORKERS is not set anywhere", which is false; it now names the flag and
// the input it reads, as for a flag given a literal (left as is: a flag is the script's
// business).
func TestRewriteFlagReadsInput(t *testing.T) {
	src := `on:
  workflow_call:
    inputs:
      max-workers:
        type: number
        default: 16
      batch-size:
        type: number
        default: 50
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: python build.py --max-workers ${{ inputs.max-workers }} --batch-size "${{ inputs.batch-size }}"
`
	_, err := Rewrite([]byte(src), Knobs{Workers: ptr(4), Batch: ptr(3)}, Options{})
	if !errors.Is(err, ErrNoKnobs) {
		t.Fatalf("err = %v, want ErrNoKnobs", err)
	}
	msg := err.Error()
	for _, want := range []string{"line 14: jobs.build.steps[0].run: --max-workers ${{ inputs.max-workers }} passes inputs.max-workers",
		"--batch-size ${{ inputs.batch-size }} passes inputs.batch-size"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "not set anywhere") {
		t.Errorf("error %q says a knob the flags set is not set", msg)
	}
	// Beside a place that is rewritten, it is a warning.
	res, err := Rewrite([]byte(strings.Replace(src, "jobs:\n", "env:\n  BUILD_BATCH_SIZE: 50\njobs:\n", 1)), Knobs{Workers: ptr(4), Batch: ptr(3)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, "--max-workers ${{ inputs.max-workers }} passes inputs.max-workers") || strings.Contains(w, "not set anywhere") {
		t.Errorf("warnings:\n%s", w)
	}
}

// TestRewriteActionInputByName: a JavaScript action's metadata declares the knob as an input
// (max-workers, default '16') that its code reads. The refusal said "MAX_WORKERS is not set
// anywhere"; it now names the input and its default.
func TestRewriteActionInputByName(t *testing.T) {
	src := "name: build\ninputs:\n  max-workers:\n    default: '16'\n  cache:\n    default: max\nruns:\n  using: node20\n  main: index.js\n"
	_, err := Rewrite([]byte(src), Knobs{Workers: ptr(4), Batch: ptr(3)}, Options{})
	if !errors.Is(err, ErrNoKnobs) {
		t.Fatalf("err = %v, want ErrNoKnobs", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, `line 3: inputs.max-workers (default "16") is named like MAX_WORKERS`) || strings.Contains(msg, "workers: MAX_WORKERS is not set anywhere") {
		t.Errorf("error %q: want the input named, not the knob said to be set nowhere", msg)
	}
	if !strings.Contains(msg, "batch: BUILD_BATCH_SIZE is not set anywhere") {
		t.Errorf("error %q: the batch size is set nowhere and should say so", msg)
	}
}
