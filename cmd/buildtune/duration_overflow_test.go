package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDurationOverflow: a duration flag given a well-formed duration that
// overflows time.Duration (99999999h) was refused as not a Go duration;
// sizes beyond int64, and negative ones, said what was wrong but not what
// was expected. Each is now bad input on one line naming the flag, the
// value and the bound.
func TestDurationOverflow(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	dir := writeListSweep(t)
	noBK := []string{"--buildkitd", "/nonexistent/buildkitd", "--state", filepath.Join(t.TempDir(), "state")}
	proveArgs := func(args ...string) []string {
		return append(append([]string{"prove", "--head", "workers=16", "--out", filepath.Join(t.TempDir(), "out")}, noBK...), args...)
	}
	sweepArgs := func(args ...string) []string {
		return append(append([]string{"sweep", "--out", filepath.Join(t.TempDir(), "out")}, noBK...), args...)
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"recommend", dir, "--deadline", "99999999h"}, []string{"--deadline", `"99999999h"`, "too long", "at most 8760h"}},
		{[]string{"plan", dir, "--deadline", "99999999h"}, []string{"--deadline", `"99999999h"`, "too long", "at most 8760h"}},
		{[]string{"plan", dir, "--deadline", "100000h"}, []string{"--deadline", `"100000h"`, "too long", "at most 8760h"}},
		{[]string{"plan", dir, "--deadline", "-99999999h"}, []string{"--deadline", `"-99999999h"`, "positive"}},
		{proveArgs("--claim", "99999999h"), []string{"--claim", `"99999999h"`, "too long", "at most 8760h"}},
		{proveArgs("--budget", "99999999h"), []string{"--budget", `"99999999h"`, "too long", "at most 8760h"}},
		{sweepArgs("--budget", "99999999h"), []string{"--budget", `"99999999h"`, "too long", "at most 8760h"}},
		{sweepArgs("--registry-latency", "99999999h"), []string{"--registry-latency", `"99999999h"`, "too long", "at most 8760h"}},
		{[]string{"recommend", dir, "--max-registry-bytes", "99999999999TiB"}, []string{"--max-registry-bytes", `"99999999999TiB"`, "too large", "at most"}},
		{[]string{"recommend", dir, "--max-registry-bytes", "-1GiB"}, []string{"--max-registry-bytes", `"-1GiB"`, "negative", "want"}},
		{[]string{"report", dir, "--prune-threshold", "99999999999TiB"}, []string{"--prune-threshold", `"99999999999TiB"`, "too large", "at most"}},
		{sweepArgs("--prune-threshold", "99999999999TiB"), []string{"--prune-threshold", `"99999999999TiB"`, "too large", "at most"}},
		{[]string{"plan", dir, "--deadline", "3h", "--registry-bandwidth", "99999999999GiB/s"}, []string{"--registry-bandwidth", `"99999999999GiB/s"`, "too large", "at most"}},
	} {
		r := runIn(t, tt.args...)
		if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("%q: want exit 2 and one line\n%s", tt.args, r)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%q: stderr does not say %q\n%s", tt.args, w, r)
			}
		}
	}
}
