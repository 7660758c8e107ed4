package workflow

import (
	"strings"
	"testing"
)

// TestProbe11aChoiceSpelling: a choice input's options are the values its workflow accepts, in
// their spelling. Options [OFF, MIN, MAX] were refused with `cache "off" is not an option`
// though OFF is one; options ['04', '8'] took the default "4", which is not among them. The
// default becomes the option that holds the new value, as the option is written.
func TestProbe11aChoiceSpelling(t *testing.T) {
	src := "on:\n  workflow_dispatch:\n    inputs:\n" +
		"      cache_mode:\n        type: choice\n        options: [OFF, MIN, MAX]\n        default: MAX\n" +
		"      max_workers:\n        type: choice\n        options: ['04', '8']\n        default: '8'\n" +
		"jobs:\n  b:\n    runs-on: x\n    env:\n      OPENHANDS_BUILDKIT_CACHE_MODE: ${{ inputs.cache_mode }}\n      MAX_WORKERS: ${{ inputs.max_workers || '8' }}\n    steps:\n      - run: ./build.sh\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Cache: ptr("off")}, Options{})
	want := strings.NewReplacer("default: MAX", "default: OFF", "default: '8'", "default: '04'", "|| '8' }}", "|| '4' }}").Replace(src)
	if string(r.Output) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Output, want)
	}
	sum := strings.Join(Summary(r.Changes), "\n")
	if !strings.Contains(sum, "on.workflow_dispatch.inputs.cache_mode.default: MAX -> OFF (cache)") {
		t.Errorf("summary:\n%s", sum)
	}
	// Already that option: nothing changes.
	r = rewriteOK(t, string(r.Output), Knobs{Workers: ptr(4), Cache: ptr("off")}, Options{})
	for _, c := range r.Changes {
		if c.Old != c.New {
			t.Errorf("second rewrite changes %s: %s -> %s", c.Path, c.Old, c.New)
		}
	}
}
