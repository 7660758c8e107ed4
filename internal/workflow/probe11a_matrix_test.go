package workflow

import (
	"strings"
	"testing"
)

// TestProbe11aMatrixBeforeFallback: ${{ matrix.workers || 16 }} takes the literal only on the
// jobs of the matrix that do not set matrix.workers. Where the matrix gives it (here on every
// job), the rewritten fallback is not the value the build reads, and the diff must say so,
// naming the matrix's values; a matrix without that key leaves the fallback as the value, with
// no note.
func TestProbe11aMatrixBeforeFallback(t *testing.T) {
	src := "on: push\njobs:\n  run:\n    runs-on: x\n    strategy:\n      matrix:\n        workers: [8, 16]\n    env:\n" +
		"      MAX_WORKERS: ${{ matrix.workers || 16 }}\n    steps:\n      - run: ./build.sh\n" +
		"  other:\n    runs-on: x\n    strategy:\n      matrix:\n        shard: [0, 1]\n    steps:\n      - run: MAX_WORKERS=${{ matrix.workers || '16' }} ./build.sh\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4)}, Options{})
	want := strings.NewReplacer("|| 16 }}", "|| 4 }}", "|| '16' }}", "|| '4' }}").Replace(src)
	if string(r.Output) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Output, want)
	}
	w := warningsText(r)
	if !strings.Contains(w, "line 9: jobs.run.env.MAX_WORKERS: the matrix gives matrix.workers 8 (line 7), 16 (line 7)") {
		t.Errorf("warnings do not name the matrix that wins over the fallback:\n%s", w)
	}
	if strings.Contains(w, "line 18") {
		t.Errorf("a matrix without the key is warned about:\n%s", w)
	}
}
