package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepProveEmptyFlagValues: sweep and prove took the workload flags
// given an empty value (`--instances "$LIST"` with the variable unset) as
// the flag left out, and measured the 433 fixtures or the default profile
// instead of what was asked. Each is bad input naming the flag, before
// anything starts; so is an --equivalence that is no margin.
func TestSweepProveEmptyFlagValues(t *testing.T) {
	bk := []string{"--buildkitd", "/nonexistent/buildkitd", "--registry", "127.0.0.1:1"}
	for _, cmd := range [][]string{{"sweep"}, {"prove", "--head", "workers=2"}} {
		for _, flag := range []string{"profile", "instances", "workload", "context", "dockerfile", "target", "tag", "cache-ref", "base-image"} {
			t.Run(cmd[0]+"-"+flag, func(t *testing.T) {
				t.Setenv("BUILDKIT_HOST", "")
				out := filepath.Join(t.TempDir(), "out")
				args := append(append(append([]string{}, cmd...), "--out", out, "--"+flag+"= "), bk...)
				r := runIn(t, args...)
				msg := strings.TrimRight(r.stderr, "\n")
				if r.code != exitUsage || !strings.Contains(msg, "--"+flag) || !strings.Contains(msg, "empty value") || strings.Contains(msg, "\n") {
					t.Errorf("%q: want exit 2 and one line naming --%s as empty\n%s", args, flag, r)
				}
				if _, err := os.Stat(out); err == nil {
					t.Errorf("%q created %s", args, out)
				}
			})
		}
	}
	for _, v := range []string{"0", "100%", "-3%", "x", ""} {
		r := runIn(t, append([]string{"sweep", "--budget", "10m", "--equivalence", v}, bk...)...)
		if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, "--equivalence") || strings.Contains(msg, "\n") {
			t.Errorf("sweep --equivalence %q: want exit 2 naming --equivalence\n%s", v, r)
		}
	}
}
