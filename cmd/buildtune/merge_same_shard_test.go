package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/manifest"
)

// TestMergeSameShardTwice: two folders that both hold shard 1/3 (a job re-run into a new
// folder, an artifact downloaded twice) were merged into a manifest and summary, exit 1, naming
// only the images "in more than one shard". They are bad input naming both folders and the
// shard, and nothing is written; a previous merge's folder counts as the shards it lists.
func TestMergeSameShardTwice(t *testing.T) {
	root := t.TempDir()
	const sha = "08e2bca76e13ed8cae85b75f8a50757828e3d1d6"
	s1 := shardFolder(t, root, "s1", "1/3", sha, "a__a-1")
	again := shardFolder(t, root, "s1-rerun", "1/3", sha, "a__a-1")
	s2 := shardFolder(t, root, "s2", "2/3", sha, "b__b-2")
	s3 := shardFolder(t, root, "s3", "3/3", sha, "c__c-3")
	partial := filepath.Join(root, "partial")
	if r := runIn(t, "merge", "--out", partial, s1, s2); r.code != exitFailed {
		t.Fatalf("merge of 1/3 and 2/3: want exit 1 (3/3 not given)\n%s", r)
	}
	for _, tt := range []struct {
		name string
		dirs []string
		want []string
	}{
		{"a shard in two folders", []string{s1, again, s2, s3}, []string{again, s1, "shard 1/3"}},
		{"a shard a merge holds", []string{partial, s2, s3}, []string{s2, partial, "shard 2/3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			r := runIn(t, append([]string{"merge", "--out", out}, tt.dirs...)...)
			msg := strings.TrimRight(r.stderr, "\n")
			if r.code != exitUsage || strings.Contains(msg, "\n") {
				t.Errorf("merge %v: want exit 2 and one line\n%s", tt.dirs, r)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("merge %v: the message does not name %s\n%s", tt.dirs, w, r)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("merge %v wrote %s", tt.dirs, out)
			}
		})
	}
	// The merge of the partial merge and the shard it lacks still works.
	if r := runIn(t, "merge", "--out", filepath.Join(t.TempDir(), "merged"), partial, s3); r.code != exitOK {
		t.Errorf("merge of a partial merge and shard 3/3: want exit 0\n%s", r)
	}
}

// TestMergeOtherWorkload: shards built from different fixture profiles hold different images
// under the same tags; merged with a warning ("settings or versions differ"), they passed for one
// build. They are bad input naming the folder and both workloads.
func TestMergeOtherWorkload(t *testing.T) {
	root := t.TempDir()
	const sha = "08e2bca76e13ed8cae85b75f8a50757828e3d1d6"
	s1 := shardFolder(t, root, "s1", "1/2", sha, "a__a-1")
	s2 := shardFolder(t, root, "s2", "2/2", sha, "b__b-2")
	for dir, w := range map[string]string{s1: "fixtures:default@0123456789ab", s2: "fixtures:heavy@ba9876543210"} {
		p := filepath.Join(dir, manifest.SummaryFile)
		sum, err := manifest.ReadSummary(p)
		if err != nil {
			t.Fatal(err)
		}
		sum.Settings.Workload = w
		if err := manifest.WriteSummary(p, sum); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(root, "merged")
	r := runIn(t, "merge", "--out", out, s1, s2)
	msg := strings.TrimRight(r.stderr, "\n")
	if r.code != exitUsage || strings.Contains(msg, "\n") || !strings.Contains(msg, s2) || !strings.Contains(msg, "fixtures:heavy") || !strings.Contains(msg, "fixtures:default") {
		t.Errorf("merge of shards of two profiles: want exit 2, one line naming %s and both workloads\n%s", s2, r)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("merge of shards of two profiles wrote %s", out)
	}
}
