package main

import (
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/manifest"
)

// TestFailedNames: a build's closing line (exit 1) names its failed images
// and the first error on one line, as a CI log shows it; before, it said
// only "1 of 4 images failed; see .../manifest.jsonl".
func TestFailedNames(t *testing.T) {
	if got := failedNames(nil); got != "" {
		t.Errorf("failedNames(nil) = %q, want empty", got)
	}
	long := strings.Repeat("x", 400)
	var failed []manifest.Failed
	for _, id := range []string{"a__a-1", "b__b-2", "c__c-3", "d__d-4", "e__e-5", "f__f-6", "g__g-7"} {
		failed = append(failed, manifest.Failed{Instance: id})
	}
	failed[1].Error = "failed to solve: process \"/bin/sh -c exit 1\"\nexit code: 1"
	failed[2].Error = long
	got := failedNames(failed)
	for _, want := range []string{": a__a-1, b__b-2, c__c-3, d__d-4, e__e-5 and 2 more", `; first error (b__b-2): failed to solve: process "/bin/sh -c exit 1" exit code: 1`} {
		if !strings.Contains(got, want) {
			t.Errorf("failedNames = %q, want %q in it", got, want)
		}
	}
	if strings.Contains(got, "\n") || strings.Contains(got, "f__f-6") {
		t.Errorf("failedNames = %q: want one line naming at most 5", got)
	}
	if got := failedNames(failed[2:3]); !strings.HasSuffix(got, strings.Repeat("x", 300)+"…") {
		t.Errorf("failedNames of a long error = %q: want it cut at 300 characters", got)
	}
}
