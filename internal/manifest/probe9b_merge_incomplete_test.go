package manifest

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeOfIncompleteMerge: a merge of a shard whose build stopped before its end fails
// ("stopped before the end") but writes its folder, which a later merge may take again. That
// later merge reported the build complete (exit 0): the merged summary kept no planned count per
// shard. The shard's planned count is kept, and the later merge still names it.
func TestMergeOfIncompleteMerge(t *testing.T) {
	root := t.TempDir()
	sum := func(spec string, planned int) *Summary {
		return &Summary{Planned: planned, Settings: Settings{Workers: 2, Shard: spec}}
	}
	s1 := shardDir(t, root, "s1", sum("1/2", 3), shardLine(built("a", 1), "1/2"))
	s2 := shardDir(t, root, "s2", sum("2/2", 1), shardLine(built("b", 1), "2/2"))

	part, err := Merge([]string{s1, s2}, nil)
	var cov *CoverageError
	if !errors.As(err, &cov) || len(cov.Incomplete) != 1 {
		t.Fatalf("merge with a stopped shard: %v; want it named as stopped", err)
	}
	dir := filepath.Join(root, "merged")
	if err := WriteMerged(dir, part); err != nil {
		t.Fatal(err)
	}
	_, err = Merge([]string{dir}, nil)
	if !errors.As(err, &cov) || len(cov.Incomplete) != 1 || !strings.Contains(cov.Incomplete[0], s1) || !strings.Contains(cov.Incomplete[0], "1 of 3") {
		t.Fatalf("merge of that merge: %v; want shard folder %s named as stopped (1 of 3 images)", err, s1)
	}
}

// TestMergeOfDuplicatedMerge: an image built by two shards fails a merge ("in more than one
// shard"), whose folder keeps one line for it; merged again, that folder passed for a complete
// build (exit 0). The merged summary names the duplicated images, and the later merge still
// reports them.
func TestMergeOfDuplicatedMerge(t *testing.T) {
	root := t.TempDir()
	sum := func(spec string) *Summary { return &Summary{Planned: 2, Settings: Settings{Workers: 2, Shard: spec}} }
	s1 := shardDir(t, root, "s1", sum("1/2"), shardLine(built("a", 1), "1/2"), shardLine(built("b", 1), "1/2"))
	s2 := shardDir(t, root, "s2", sum("2/2"), shardLine(built("b", 1), "2/2"), shardLine(built("c", 1), "2/2"))

	part, err := Merge([]string{s1, s2}, nil)
	var cov *CoverageError
	if !errors.As(err, &cov) || len(cov.Duplicated) != 1 {
		t.Fatalf("merge with image b in two shards: %v; want b duplicated", err)
	}
	dir := filepath.Join(root, "merged")
	if err := WriteMerged(dir, part); err != nil {
		t.Fatal(err)
	}
	_, err = Merge([]string{dir}, []string{"a", "b", "c"})
	if !errors.As(err, &cov) || len(cov.Duplicated) != 1 || cov.Duplicated[0] != "b" {
		t.Fatalf("merge of that merge: %v; want b still named as in more than one shard", err)
	}
}
