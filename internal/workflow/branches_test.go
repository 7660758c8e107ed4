package workflow

import (
	"strings"
	"testing"
)

// TestRewriteScriptBranches: a script that gives one knob different literals, one per branch
// (a bigger runner, a scheduled run), had every branch set to the one new value, silently: the
// choice the script makes was gone. As for a literal that a ${{ }} condition picks on some
// runs, those places are left as they are, with a warning naming the values and their lines;
// the same value given twice is still rewritten.
func TestRewriteScriptBranches(t *testing.T) {
	src := `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          MAX_WORKERS=16
          if [ "$RUNNER_NAME" = big ]; then MAX_WORKERS=32; fi
          case "$X" in
            small) BUILD_BATCH_SIZE=50 ;;
            *) BUILD_BATCH_SIZE=50 ;;
          esac
          [ -n "$FAST" ] && OPENHANDS_BUILDKIT_CACHE_MODE=off || OPENHANDS_BUILDKIT_CACHE_MODE=max
          ./build.sh
      - run: MAX_WORKERS=8 ./other.sh
`
	res, err := Rewrite([]byte(src), Knobs{Workers: ptr(4), Batch: ptr(3), Cache: ptr("min")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Output)
	for _, want := range []string{"MAX_WORKERS=16\n", "then MAX_WORKERS=32; fi", "OPENHANDS_BUILDKIT_CACHE_MODE=off || OPENHANDS_BUILDKIT_CACHE_MODE=max",
		"small) BUILD_BATCH_SIZE=3 ;;", "*) BUILD_BATCH_SIZE=3 ;;", "run: MAX_WORKERS=4 ./other.sh"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	warns := strings.Join(res.Warnings, "\n")
	for _, want := range []string{"line 7: jobs.build.steps[0].run: MAX_WORKERS is given 16 (line 7) and 32 (line 8)",
		"line 13: jobs.build.steps[0].run: OPENHANDS_BUILDKIT_CACHE_MODE is given off (line 13) and max (line 13)"} {
		if !strings.Contains(warns, want) {
			t.Errorf("warnings lack %q:\n%s", want, warns)
		}
	}
	for _, c := range res.Changes {
		if c.Path == "jobs.build.steps[0].run" && c.Knob != KnobBatch {
			t.Errorf("change listed for a place left as is: %+v", c)
		}
	}
}
