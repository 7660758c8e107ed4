package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/manifest"
)

// TestMergeOutNotWritable: a merge whose --out cannot take the merged manifest (here a folder
// where manifest.jsonl is a folder) exited 1, the status of a missing or failed image, with
// "writing merged build" said twice. It is bad input naming --out: exit 2, one line.
func TestMergeOutNotWritable(t *testing.T) {
	root := t.TempDir()
	const sha = "08e2bca76e13ed8cae85b75f8a50757828e3d1d6"
	s1 := shardFolder(t, root, "s1", "1/2", sha, "a__a-1")
	s2 := shardFolder(t, root, "s2", "2/2", sha, "b__b-2")
	out := filepath.Join(root, "merged")
	if err := os.MkdirAll(filepath.Join(out, manifest.ManifestFile), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "merge", "--out", out, s1, s2)
	msg := strings.TrimRight(r.stderr, "\n")
	if r.code != exitUsage || strings.Contains(msg, "\n") || !strings.Contains(msg, "--out "+out) ||
		strings.Count(msg, "writing merged build") > 1 {
		t.Errorf("merge into an --out it cannot write: want exit 2 and one line naming --out\n%s", r)
	}
}
