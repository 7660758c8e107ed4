package workflow

import (
	"errors"
	"strings"
	"testing"
)

// rewriteOK rewrites src and fails the test on an error.
func rewriteOK(t *testing.T, src string, k Knobs, o Options) Result {
	t.Helper()
	r, err := Rewrite([]byte(src), k, o)
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	return r
}

func warningsText(r Result) string { return strings.Join(r.Warnings, "\n") }

// Bug 2: ${KNOB:-N} defaults outside an assignment.
func TestRewriteShellDefaults(t *testing.T) {
	src := "jobs:\n  a:\n    steps:\n      - run: |\n" +
		"          : \"${MAX_WORKERS:=16}\"\n" +
		"          ./build.sh --max-workers \"${MAX_WORKERS:-16}\" --batch-size \"${BUILD_BATCH_SIZE:-50}\"\n" +
		"          BUILD_BATCH_SIZE=${BUILD_BATCH_SIZE:-50}\n" +
		"          export OPENHANDS_BUILDKIT_CACHE_MODE=${OPENHANDS_BUILDKIT_CACHE_MODE:-max}\n" +
		"          echo ${MAX_WORKERS-16} ${MAX_WORKERS} ${MAX_WORKERS:+x} # ${MAX_WORKERS:-99} in a comment\n" +
		"          echo ${BUILD_BATCH_SIZE:-${{ inputs.b || '50' }}}\n"
	want := "jobs:\n  a:\n    steps:\n      - run: |\n" +
		"          : \"${MAX_WORKERS:=4}\"\n" +
		"          ./build.sh --max-workers \"${MAX_WORKERS:-4}\" --batch-size \"${BUILD_BATCH_SIZE:-15}\"\n" +
		"          BUILD_BATCH_SIZE=${BUILD_BATCH_SIZE:-15}\n" +
		"          export OPENHANDS_BUILDKIT_CACHE_MODE=${OPENHANDS_BUILDKIT_CACHE_MODE:-min}\n" +
		"          echo ${MAX_WORKERS-4} ${MAX_WORKERS} ${MAX_WORKERS:+x} # ${MAX_WORKERS:-99} in a comment\n" +
		"          echo ${BUILD_BATCH_SIZE:-${{ inputs.b || '15' }}}\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Batch: ptr(15), Cache: ptr("min")}, Options{})
	if string(r.Output) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Output, want)
	}
	if w := warningsText(r); strings.Contains(w, "not set") {
		t.Errorf("a knob set in the script is reported as not set: %s", w)
	}
	if n := len(r.Changes); n != 7 {
		t.Errorf("%d places, want 7 (each once):\n%s", n, strings.Join(Summary(r.Changes), "\n"))
	}
	// A default that is not a literal is warned about, and the knob counts as set.
	r = rewriteOK(t, "env:\n  BUILD_BATCH_SIZE: 1\njobs:\n  a:\n    steps:\n      - run: echo \"${MAX_WORKERS:-$(nproc)}\"\n", Knobs{Workers: ptr(4), Batch: ptr(2)}, Options{})
	if w := warningsText(r); strings.Contains(w, "not set") || !strings.Contains(w, "${MAX_WORKERS:-$(nproc)}") {
		t.Errorf("warnings: %s", w)
	}
}

// Bug 3: YAML anchors and aliases.
func TestRewriteAnchors(t *testing.T) {
	src := "x-defaults: &defaults {MAX_WORKERS: 8, BUILD_BATCH_SIZE: &bs 15}\n" +
		"jobs:\n  a:\n    env: *defaults\n    steps:\n      - run: make\n" +
		"  b:\n    env: *defaults\n    steps:\n      - run: make\n" +
		"  c:\n    env:\n      BUILD_BATCH_SIZE: *bs\n      MAX_WORKERS: 2\n    steps:\n      - run: make\n"
	k := Knobs{Workers: ptr(4), Batch: ptr(20)}
	r := rewriteOK(t, src, k, Options{})
	want := strings.Replace(src, "{MAX_WORKERS: 8, BUILD_BATCH_SIZE: &bs 15}", "{MAX_WORKERS: 4, BUILD_BATCH_SIZE: &bs 20}", 1)
	want = strings.Replace(want, "MAX_WORKERS: 2\n", "MAX_WORKERS: 4\n", 1)
	if string(r.Output) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Output, want)
	}
	sum := strings.Join(Summary(r.Changes), "\n")
	for _, s := range []string{
		"line 1: x-defaults.MAX_WORKERS: 8 -> 4 (workers; a YAML anchor, shared via alias by jobs.a.env (*defaults), jobs.b.env (*defaults))",
		"line 1: x-defaults.BUILD_BATCH_SIZE: 15 -> 20 (batch; a YAML anchor, shared via alias by jobs.a.env (*defaults), jobs.b.env (*defaults), jobs.c.env.BUILD_BATCH_SIZE (*bs))",
	} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks %q:\n%s", s, sum)
		}
	}
	if len(r.Changes) != 3 {
		t.Errorf("%d places, want 3:\n%s", len(r.Changes), sum)
	}
	if w := warningsText(r); strings.Contains(w, "not set") {
		t.Errorf("warnings: %s", w)
	}

	// Limited to job a, whose values are shared with other jobs: refused.
	_, err := Rewrite([]byte(src), k, Options{Job: "a"})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "jobs.b.env (*defaults)") || !strings.Contains(err.Error(), `outside job "a"`) {
		t.Errorf("--job a: %v, want ErrConflict naming jobs.b.env", err)
	}
	// ...unless the value already holds: nothing outside changes.
	if _, err := Rewrite([]byte(src), Knobs{Workers: ptr(8)}, Options{Job: "a"}); err != nil {
		t.Errorf("--job a with the present value: %v", err)
	}
	// Job c's own MAX_WORKERS is fine to change alone.
	if r := rewriteOK(t, src, Knobs{Workers: ptr(3)}, Options{Job: "c"}); !strings.Contains(string(r.Output), "MAX_WORKERS: 3\n") {
		t.Errorf("--job c:\n%s", r.Output)
	}
	// An anchor read only within the limit is fine.
	own := "jobs:\n  a:\n    env: &e {MAX_WORKERS: 8}\n    steps:\n      - env: *e\n        run: make\n  b:\n    env: {MAX_WORKERS: 1}\n"
	if r := rewriteOK(t, own, Knobs{Workers: ptr(3)}, Options{Job: "a"}); !strings.Contains(string(r.Output), "{MAX_WORKERS: 3}\n    steps") {
		t.Errorf("--job a, anchor within a:\n%s", r.Output)
	}
	// Merge keys and aliased steps.
	merge := "x: &base {MAX_WORKERS: 8}\njobs:\n  a:\n    env:\n      <<: *base\n      OTHER: 1\n    steps:\n      - &s {run: MAX_WORKERS=5}\n      - *s\n"
	r = rewriteOK(t, merge, Knobs{Workers: ptr(3)}, Options{})
	if string(r.Output) != strings.Replace(strings.Replace(merge, "8}", "3}", 1), "=5", "=3", 1) || len(r.Changes) != 2 {
		t.Errorf("merge key / aliased step:\n%s\n%s", r.Output, strings.Join(Summary(r.Changes), "\n"))
	}
	// An alias bomb is refused, not expanded.
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\nenv: {MAX_WORKERS: 1}\n"
	if _, err := Rewrite([]byte(bomb), Knobs{Workers: ptr(3)}, Options{}); !errors.Is(err, ErrSyntax) {
		t.Errorf("alias bomb: %v", err)
	}
}

// Bug 4: block scalars with an indentation indicator.
func TestRewriteBlockIndicator(t *testing.T) {
	for _, ind := range []string{"|2", "|+2", ">-2", "|2-", "|-2", ">2"} {
		src := "jobs:\n  a:\n    steps:\n      - run: " + ind + "\n            echo indented\n          MAX_WORKERS=4\n\n          BUILD_BATCH_SIZE=15\n      - run: |\n          BUILD_BATCH_SIZE=15\n"
		want := strings.Replace(strings.Replace(src, "MAX_WORKERS=4", "MAX_WORKERS=7", 1), "BUILD_BATCH_SIZE=15", "BUILD_BATCH_SIZE=9", 2)
		r := rewriteOK(t, src, Knobs{Workers: ptr(7), Batch: ptr(9)}, Options{})
		if string(r.Output) != want {
			t.Errorf("%s: got\n%s\nwant\n%s\n%s", ind, r.Output, want, warningsText(r))
		}
	}
	// The indicator counts from the mapping holding the key, also for a sequence item.
	src := "jobs:\n  a:\n    steps:\n      - name: x\n        run: |2\n            echo\n          MAX_WORKERS=4\n"
	if r := rewriteOK(t, src, Knobs{Workers: ptr(7)}, Options{}); !strings.Contains(string(r.Output), "MAX_WORKERS=7") {
		t.Errorf("got\n%s\n%s", r.Output, warningsText(r))
	}
}

// Bug 5: container env, service env, inputs of a called workflow.
func TestRewriteJobPlaces(t *testing.T) {
	src := "jobs:\n" +
		"  a:\n    container:\n      image: x\n      env:\n        MAX_WORKERS: 8\n" +
		"    services:\n      bk:\n        image: moby/buildkit\n        env:\n          BUILD_BATCH_SIZE: 15\n" +
		"    steps:\n      - run: make\n" +
		"  call:\n    uses: ./.github/workflows/build.yml\n    with: {max-workers: 8, build-batch-size: 15, cache-mode: max}\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Batch: ptr(20), Cache: ptr("min")}, Options{})
	want := strings.Replace(src, "MAX_WORKERS: 8", "MAX_WORKERS: 4", 1)
	want = strings.Replace(want, "{max-workers: 8, build-batch-size: 15,", "{max-workers: 4, build-batch-size: 20,", 1)
	if string(r.Output) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Output, want)
	}
	w := warningsText(r)
	for _, s := range []string{
		`line 11: jobs.a.services.bk.env.BUILD_BATCH_SIZE: "15" is the environment of service container "bk"`,
		`line 16: jobs.call.with.cache-mode: "max" is passed to the called workflow ./.github/workflows/build.yml, where it probably sets the cache mode`,
	} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}
	if strings.Contains(w, "not set") {
		t.Errorf("warnings: %s", w)
	}
	sum := strings.Join(Summary(r.Changes), "\n")
	for _, s := range []string{"line 6: jobs.a.container.env.MAX_WORKERS: 8 -> 4", "line 16: jobs.call.with.build-batch-size: 15 -> 20"} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks %q:\n%s", s, sum)
		}
	}
	// Only a service sets the knob: no knobs found, and the message says where it is.
	_, err := Rewrite([]byte(src), Knobs{Batch: ptr(20)}, Options{Job: "a"})
	if !errors.Is(err, ErrNoKnobs) || !strings.Contains(err.Error(), "service container") || strings.Contains(err.Error(), "not set") {
		t.Errorf("service only: %v", err)
	}
}

// Bug 6: a literal a condition picks on some runs is warned about.
func TestRewriteConditionalLiteral(t *testing.T) {
	src := "on:\n  workflow_dispatch:\n    inputs:\n      workers: {default: '4'}\n" +
		"env:\n  MAX_WORKERS: ${{ github.event_name == 'schedule' && '8' || inputs.workers }}\n" +
		"  BUILD_BATCH_SIZE: ${{ github.ref == 'refs/heads/main' && 30 || fromJSON('15') || 15 }}\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(6), Batch: ptr(20)}, Options{})
	w := warningsText(r)
	for _, s := range []string{"line 6: env.MAX_WORKERS: literal '8' in ${{ github.event_name == 'schedule' && '8' || inputs.workers }}", "line 7: env.BUILD_BATCH_SIZE: literal 30 in"} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}
	for _, s := range []string{"'schedule'", "'15' in", "'refs/heads/main' in"} {
		if strings.Contains(w, "literal "+s) {
			t.Errorf("warned about %s:\n%s", s, w)
		}
	}
	if !strings.Contains(string(r.Output), "default: '6'") || !strings.Contains(string(r.Output), "fromJSON('15') || 20 }}") {
		t.Errorf("got\n%s", r.Output)
	}
	// Single-quoted YAML scalar: quotes are doubled.
	r = rewriteOK(t, "env:\n  MAX_WORKERS: '${{ github.event_name == ''schedule'' && ''8'' || ''4'' }}'\n", Knobs{Workers: ptr(6)}, Options{})
	if !strings.Contains(warningsText(r), "literal '8' in ${{ github.event_name == 'schedule' && '8' || '4' }}") {
		t.Errorf("warnings: %s", warningsText(r))
	}
	// No warning when the literal already is the new value.
	if r := rewriteOK(t, src, Knobs{Workers: ptr(8)}, Options{}); strings.Contains(warningsText(r), "literal") {
		t.Errorf("warnings: %s", warningsText(r))
	}
}

// Bug 7: one input feeding two knobs is ErrConflict.
func TestRewriteInputTwoKnobs(t *testing.T) {
	src := "on:\n  workflow_dispatch:\n    inputs:\n      n: {default: '4'}\nenv:\n  MAX_WORKERS: ${{ inputs.n || '4' }}\n  BUILD_BATCH_SIZE: ${{ inputs.n || '15' }}\n"
	_, err := Rewrite([]byte(src), Knobs{Workers: ptr(4), Batch: ptr(15)}, Options{})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), `input "n" feeds both workers (line 6) and batch`) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v", err)
	}
}

// Bug 8: files GitHub rejects, and literal flags.
func TestRewriteRejectsAndFlags(t *testing.T) {
	for name, src := range map[string]string{
		"duplicate key":         "env:\n  MAX_WORKERS: 4\njobs: {}\nenv:\n  MAX_WORKERS: 5\n",
		"duplicate env entry":   "env:\n  MAX_WORKERS: 4\n  MAX_WORKERS: 5\n",
		"second document":       "env:\n  MAX_WORKERS: 4\n---\nenv:\n  MAX_WORKERS: 5\n",
		"empty second document": "env:\n  MAX_WORKERS: 4\n---\n",
	} {
		_, err := Rewrite([]byte(src), Knobs{Workers: ptr(3)}, Options{})
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: %v, want ErrSyntax naming a line", name, err)
		}
	}
	if _, err := Rewrite([]byte("---\nenv:\n  MAX_WORKERS: 4\n"), Knobs{Workers: ptr(3)}, Options{}); err != nil {
		t.Errorf("a leading --- is one document: %v", err)
	}
	src := "env: {MAX_WORKERS: 4}\njobs:\n  a:\n    steps:\n      - run: |\n          ./b --max-workers 16 --batch-size=15 --cache-mode 'max' \\\n            --workers \"$MAX_WORKERS\" # --batch-size 99\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(3), Batch: ptr(20), Cache: ptr("min")}, Options{})
	w := warningsText(r)
	for _, s := range []string{"line 6: jobs.a.steps[0].run: --max-workers 16 passes a literal worker count", "--batch-size 15 passes a literal batch size", "--cache-mode max passes"} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}
	if strings.Contains(w, "99") || strings.Contains(w, "--workers") {
		t.Errorf("warned about a comment or a variable:\n%s", w)
	}
	if r := rewriteOK(t, src, Knobs{Workers: ptr(16)}, Options{}); strings.Contains(warningsText(r), "--max-workers") {
		t.Errorf("warned about a flag holding the new value: %s", warningsText(r))
	}
}
