package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/manifest"
)

// TestMergeOtherInstanceLists: shards dealt from different instance lists (another --instances
// file, --sample or --seed on one runner) were merged as one build, exit 0 without --instances:
// every shard of the matrix was there, and an image in none of them went unnamed. The summaries
// name the list; shards of two lists are bad input naming both, and nothing is written.
func TestMergeOtherInstanceLists(t *testing.T) {
	root := t.TempDir()
	const sha = "08e2bca76e13ed8cae85b75f8a50757828e3d1d6"
	s1 := shardFolder(t, root, "s1", "1/2", sha, "a__a-1")
	s2 := shardFolder(t, root, "s2", "2/2", sha, "b__b-2")
	for dir, list := range map[string]string{s1: "3@sha256:169b0f8263ef", s2: "3@sha256:810b7ef52f92"} {
		p := filepath.Join(dir, manifest.SummaryFile)
		sum, err := manifest.ReadSummary(p)
		if err != nil {
			t.Fatal(err)
		}
		sum.Settings.Instances = list
		if err := manifest.WriteSummary(p, sum); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(root, "merged")
	r := runIn(t, "merge", "--out", out, s1, s2)
	msg := strings.TrimRight(r.stderr, "\n")
	if r.code != exitUsage || strings.Contains(msg, "\n") || !strings.Contains(msg, "169b0f8263ef") || !strings.Contains(msg, "810b7ef52f92") {
		t.Errorf("merge of shards of two instance lists: want exit 2, one line naming both lists\n%s", r)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("merge of shards of two instance lists wrote %s", out)
	}
}
