package workflow

import (
	"errors"
	"strings"
	"testing"
)

// TestProbe11aConfigVariables: a knob value that reads a configuration variable
// (${{ vars.BATCH || '15' }}) takes the literal only when that variable is unset in the
// repository, environment or organization settings. The fallback is rewritten, and the diff
// says the variable wins where it is set; a value that is only the variable names it as the
// place to change.
func TestProbe11aConfigVariables(t *testing.T) {
	src := "on: push\njobs:\n  build:\n    runs-on: x\n    environment: ci\n    env:\n" +
		"      MAX_WORKERS: ${{ vars.MAX_WORKERS }}\n" +
		"      BUILD_BATCH_SIZE: ${{ vars.BATCH || '15' }}\n" +
		"    steps:\n      - run: |\n          OPENHANDS_BUILDKIT_CACHE_MODE=\"${{ inputs.cache || vars['CACHE_MODE'] || 'max' }}\"\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Batch: ptr(3), Cache: ptr("off")}, Options{})
	want := strings.NewReplacer("'15'", "'3'", "'max'", "'off'").Replace(src)
	if string(r.Output) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Output, want)
	}
	w := warningsText(r)
	for _, s := range []string{
		"line 7: jobs.build.env.MAX_WORKERS: ${{ vars.MAX_WORKERS }} has no literal fallback; left as is (its value is the configuration variable vars.MAX_WORKERS",
		"vars.BATCH (jobs.build.env.BUILD_BATCH_SIZE), vars.CACHE_MODE (jobs.build.steps[0].run): a configuration variable read before a rewritten fallback wins over it",
	} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}
	// A value that only reads the variable is the variable's place: the file is refused as
	// having no knob to rewrite, and the message says where the knob is set.
	_, err := Rewrite([]byte("on: push\njobs:\n  b:\n    runs-on: x\n    env:\n      MAX_WORKERS: ${{ vars.MAX_WORKERS }}\n    steps:\n      - run: make\n"),
		Knobs{Workers: ptr(4)}, Options{})
	if !errors.Is(err, ErrNoKnobs) || !strings.Contains(err.Error(), "configuration variable vars.MAX_WORKERS") {
		t.Errorf("err = %v", err)
	}
	// A fallback already equal to the new value changes nothing: no warning about it.
	r = rewriteOK(t, "on: push\nenv:\n  MAX_WORKERS: ${{ vars.W || 4 }}\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: make\n", Knobs{Workers: ptr(4)}, Options{})
	if w := warningsText(r); w != "" {
		t.Errorf("warnings for an unchanged fallback: %s", w)
	}
}
