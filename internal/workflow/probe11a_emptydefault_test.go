package workflow

import (
	"strings"
	"testing"
)

// TestProbe11aEmptyInputDefault: an empty default (two quotes) is the usual "leave empty for the fallback"
// input. It holds no value to rewrite, like an input without a default; the note said
// `value "" is not a literal workers; left as is`, as if a value had been missed.
func TestProbe11aEmptyInputDefault(t *testing.T) {
	for _, def := range []string{"''", `""`, ""} {
		src := "on:\n  workflow_dispatch:\n    inputs:\n      max_workers:\n        default: " + def + "\n" +
			"jobs:\n  b:\n    runs-on: x\n    env:\n      MAX_WORKERS: ${{ inputs.max_workers || '16' }}\n    steps:\n      - run: ./build.sh\n"
		r := rewriteOK(t, src, Knobs{Workers: ptr(4)}, Options{})
		w := warningsText(r)
		if strings.Contains(w, "not a literal") || !strings.Contains(w, "line 5: on.workflow_dispatch.inputs.max_workers.default is empty; nothing to rewrite there") {
			t.Errorf("default %s: warnings:\n%s", def, w)
		}
		if !strings.Contains(string(r.Output), "|| '4' }}") {
			t.Errorf("default %s: the fallback is not rewritten:\n%s", def, r.Output)
		}
	}
}
