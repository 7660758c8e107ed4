package workflow

import (
	"errors"
	"strings"
	"testing"
)

// A one-line single-quoted run: script is shell text as it stands when YAML doubles no quote in
// it, so its knobs are rewritten like those of any other script.
func TestRewriteSingleQuotedScript(t *testing.T) {
	src := "jobs:\n  a:\n    steps:\n      - {run: 'export BUILD_BATCH_SIZE=${BUILD_BATCH_SIZE:-50}'}\n" +
		"      - run: 'MAX_WORKERS=16 ./build.sh'\n" +
		"      - run: 'echo ''MAX_WORKERS=16'''\n"
	want := "jobs:\n  a:\n    steps:\n      - {run: 'export BUILD_BATCH_SIZE=${BUILD_BATCH_SIZE:-3}'}\n" +
		"      - run: 'MAX_WORKERS=4 ./build.sh'\n" +
		"      - run: 'echo ''MAX_WORKERS=16'''\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Batch: ptr(3)}, Options{})
	if string(r.Output) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Output, want)
	}
	if w := warningsText(r); !strings.Contains(w, "line 6: jobs.a.steps[2].run: a knob appears in a multi-line flow or escaped script") {
		t.Errorf("the script with a doubled quote is not warned about: %s", w)
	}
}

// A knob flag given a ${{ }} expression with a literal fallback passes that literal on the runs
// where the expression falls back: warned about like a literal flag, even in a script that names
// no knob variable.
func TestRewriteFlagExpression(t *testing.T) {
	src := "env:\n  BUILD_BATCH_SIZE: 50\njobs:\n  a:\n    steps:\n      - run: |\n" +
		"          ./build.py --max-workers ${{ inputs.workers || 16 }} --batch-size=\"${{ inputs.batch || '50' }}\"\n" +
		"          ./build.py --max-workers ${{ inputs.workers || 4 }} # --batch-size ${{ inputs.b || 7 }}\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Batch: ptr(3)}, Options{})
	w := warningsText(r)
	for _, s := range []string{
		"line 7: jobs.a.steps[0].run: --max-workers ${{ inputs.workers || 16 }} passes the literal worker count 16",
		"line 7: jobs.a.steps[0].run: --batch-size ${{ inputs.batch || '50' }} passes the literal batch size 50",
	} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}
	if strings.Contains(w, "line 8") {
		t.Errorf("warned about a flag holding the new value, or in a comment:\n%s", w)
	}
}

// An action's inputs (jobs.<id>.steps[i].with) are treated like a called workflow's: an input
// named like a knob variable is rewritten, one whose name only suggests a knob is warned about.
func TestRewriteStepWith(t *testing.T) {
	src := "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n        with: {fetch-depth: 0}\n" +
		"      - name: build\n        uses: ./.github/actions/build-images\n        with:\n          max-workers: 16\n          batch-size: 50\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Batch: ptr(3)}, Options{})
	if !strings.Contains(string(r.Output), "max-workers: 4\n          batch-size: 50\n") {
		t.Errorf("output:\n%s", r.Output)
	}
	s := strings.Join(Summary(r.Changes), "\n")
	if !strings.Contains(s, `line 9: jobs.a.steps[1].with.max-workers (step "build"): 16 -> 4 (workers)`) {
		t.Errorf("summary:\n%s", s)
	}
	w := warningsText(r)
	if !strings.Contains(w, `line 10: jobs.a.steps[1].with.batch-size: "50" is passed to the action ./.github/actions/build-images`) || strings.Contains(w, "not set") {
		t.Errorf("warnings:\n%s", w)
	}
}

// A file whose top level is not a mapping (a shell script, a list) is not a workflow: ErrSyntax
// saying what was found and what is wanted; an empty file says it is empty.
func TestRewriteNotAWorkflow(t *testing.T) {
	for name, c := range map[string]struct {
		src  string
		is   error
		want string
	}{
		"script":  {"#!/bin/bash\nMAX_WORKERS=16 ./build\n", ErrSyntax, "line 2: the top level is plain text, not a mapping; want a GitHub Actions workflow"},
		"list":    {"- a\n- b\n", ErrSyntax, "line 1: the top level is a list, not a mapping"},
		"empty":   {"", ErrNoKnobs, "the file is empty or only comments; want a GitHub Actions workflow"},
		"comment": {"# nothing\n", ErrNoKnobs, "the file is empty or only comments"},
	} {
		_, err := Rewrite([]byte(c.src), Knobs{Workers: ptr(4)}, Options{})
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %v with %q", name, err, c.is, c.want)
		}
	}
}
