package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeOfMerge: a previous merge's folder (of shards 1/3 and 3/3) with
// the shard it lacked (2/3) is the whole build: exit 0. The merged folder
// was taken for a whole build without --shard and refused beside a shard
// (exit 2), and alone it named the wrong shard as missing. The closing line
// counts the shards joined, not the folders given ("2 shards, 3 images" for
// a build of three shards, before).
func TestMergeOfMerge(t *testing.T) {
	root := t.TempDir()
	const sha = "08e2bca76e13ed8cae85b75f8a50757828e3d1d6"
	s1 := shardFolder(t, root, "s1", "1/3", sha, "a__a-1")
	s2 := shardFolder(t, root, "s2", "2/3", sha, "b__b-2")
	s3 := shardFolder(t, root, "s3", "3/3", sha, "c__c-3")
	part := filepath.Join(root, "part")
	if r := runIn(t, "merge", "--out", part, s1, s3); r.code != exitFailed || !strings.Contains(r.stdout, "2 shards, 2 images") {
		t.Fatalf("merge of 1/3 and 3/3: want exit 1 (2/3 not given), 2 shards, 2 images\n%s", r)
	}
	if r := runIn(t, "merge", "--out", filepath.Join(root, "all"), part, s2); r.code != exitOK || !strings.Contains(r.stdout, "3 shards, 3 images") {
		t.Errorf("merge of the partial merge and shard 2/3: want exit 0, 3 shards, 3 images\n%s", r)
	}
	if r := runIn(t, "merge", "--out", filepath.Join(root, "again"), filepath.Join(root, "all")); r.code != exitOK {
		t.Errorf("merge of a complete merge: want exit 0\n%s", r)
	}
}
