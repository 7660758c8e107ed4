package workflow

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// FuzzRewriteRoundTrip: for any input, Rewrite must not panic; where it finds a knob whose
// places all hold one value, writing that value must return the input byte for byte, and so
// must writing a new value and then the old one back.
func FuzzRewriteRoundTrip(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yml"))
	unseen, _ := filepath.Glob(filepath.Join("testdata", "unseen", "*.yml"))
	files = append(files, unseen...)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("env:\n  MAX_WORKERS: '${{ inputs.w || ''4'' }}'\n"))
	f.Add([]byte("jobs:\n  a:\n    steps:\n      - run: MAX_WORKERS=${MAX_WORKERS:-${{ inputs.w || 3 }}}\n"))
	f.Add([]byte("x: &d {MAX_WORKERS: 8, BUILD_BATCH_SIZE: &b 15}\njobs:\n  a:\n    env: *d\n  b:\n    env: {BUILD_BATCH_SIZE: *b}\n"))
	f.Add([]byte("jobs:\n  a:\n    steps:\n      - run: |2\n            x\n          echo \"${MAX_WORKERS:=4}\" --batch-size 15\n"))
	f.Add([]byte("jobs:\n  c:\n    uses: ./w.yml\n    with: {max-workers: 8}\n    container: {env: {OPENHANDS_BUILDKIT_CACHE_MODE: max}}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		probes := []Knobs{
			{Workers: ptr(97)},
			{Batch: ptr(89)},
			{Cache: ptr("min")},
			{Cache: ptr("off")},
		}
		for _, probe := range probes {
			there, err := Rewrite(src, probe, Options{})
			if err != nil {
				continue
			}
			var olds []string
			for _, c := range there.Changes {
				if !slices.Contains(olds, c.Old) {
					olds = append(olds, c.Old)
				}
			}
			if len(olds) != 1 {
				continue
			}
			present, ok := knobsFor(probe, olds[0])
			if !ok {
				continue
			}
			same, err := Rewrite(src, present, Options{})
			if err != nil {
				continue // e.g. the file's own default is not among its options
			}
			if !bytes.Equal(same.Output, src) {
				t.Fatalf("rewriting with the present value %q changed the input:\n%s", olds[0], Diff("in", src, same.Output, nil))
			}
			back, err := Rewrite(there.Output, present, Options{})
			if err != nil {
				t.Fatalf("rewriting back: %v", err)
			}
			if !bytes.Equal(back.Output, src) {
				t.Fatalf("rewrite and back differ:\n%s", Diff("in", src, back.Output, nil))
			}
		}
	})
}

// knobsFor returns the knobs of the probe's kind set to old, if old is written canonically.
func knobsFor(probe Knobs, old string) (Knobs, bool) {
	if probe.Cache != nil {
		return Knobs{Cache: ptr(old)}, slices.Contains(CacheModes, old)
	}
	n, err := strconv.Atoi(old)
	if err != nil || n < 1 || strconv.Itoa(n) != old {
		return Knobs{}, false
	}
	if probe.Workers != nil {
		return Knobs{Workers: ptr(n)}, true
	}
	return Knobs{Batch: ptr(n)}, true
}
