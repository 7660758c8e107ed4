package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildEmptyFlagValues: a flag given an empty value, as a CI script does with an unset
// variable (--shard "$SHARD", --durations-from "$PREV", --sdk-sha "$SHA"), was taken as the flag
// left out: every runner of a matrix built every image (--shard ""), shards were dealt round
// robin on one runner and by durations on another (--durations-from ""), the images were tagged
// with a commit derived from the seed (--sdk-sha ""), and a custom build fell back to the
// fixtures (--context "", --tag "", --instances ""). Each is now bad input naming the flag, before
// anything starts and without creating --out.
func TestBuildEmptyFlagValues(t *testing.T) {
	bk := []string{"--buildkitd", "/nonexistent/buildkitd", "--registry", "127.0.0.1:1"}
	for _, flag := range []string{"shard", "durations-from", "sdk-sha", "profile", "instances", "workload", "context", "dockerfile",
		"target", "tag", "cache-ref", "base-image"} {
		t.Run(flag, func(t *testing.T) {
			t.Setenv("BUILDKIT_HOST", "")
			out := filepath.Join(t.TempDir(), "out")
			for _, args := range [][]string{{"--" + flag, ""}, {"--" + flag + "=  "}} {
				r := runIn(t, append(append([]string{"build", "--out", out}, args...), bk...)...)
				msg := strings.TrimRight(r.stderr, "\n")
				if r.code != exitUsage || !strings.Contains(msg, "--"+flag) || !strings.Contains(msg, "empty value") || strings.Contains(msg, "\n") {
					t.Errorf("build %q: want exit 2 and one line naming --%s as empty\n%s", args, flag, r)
				}
				if _, err := os.Stat(out); err == nil {
					t.Errorf("build %q created %s", args, out)
				}
			}
		})
	}
}

// TestMergeEmptyInstances: merge --instances "" skipped the coverage check and exited 0, as if
// no list were given; it is bad input, and nothing is written.
func TestMergeEmptyInstances(t *testing.T) {
	root := t.TempDir()
	const sha = "08e2bca76e13ed8cae85b75f8a50757828e3d1d6"
	s1 := shardFolder(t, root, "s1", "1/2", sha, "a__a-1")
	s2 := shardFolder(t, root, "s2", "2/2", sha, "b__b-2")
	out := filepath.Join(root, "merged")
	r := runIn(t, "merge", "--out", out, "--instances", "", s1, s2)
	if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, "--instances") || !strings.Contains(msg, "empty value") || strings.Contains(msg, "\n") {
		t.Errorf("merge --instances \"\": want exit 2 naming --instances as empty\n%s", r)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("merge --instances \"\" wrote %s", out)
	}
}
