package manifest

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// TestMergeOfMerge: a previous merge's folder given to merge holds the
// shards its summary lists, not the one shard its first line names: merged
// again alone it is complete (it said "shard 2/2 not given"), and with the
// shard it lacked it completes the matrix.
func TestMergeOfMerge(t *testing.T) {
	root := t.TempDir()
	spec := func(sh string) *Summary { return &Summary{Planned: 1, Settings: Settings{Workers: 1, Shard: sh}} }
	s1 := shardDir(t, root, "s1", spec("1/3"), shardLine(built("a", 1), "1/3"))
	s2 := shardDir(t, root, "s2", spec("2/3"), shardLine(built("b", 1), "2/3"))
	s3 := shardDir(t, root, "s3", spec("3/3"), shardLine(built("c", 1), "3/3"))

	all, err := Merge([]string{s1, s2, s3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	whole := filepath.Join(root, "merged")
	if err := WriteMerged(whole, all); err != nil {
		t.Fatal(err)
	}
	m, err := Merge([]string{whole}, []string{"a", "b", "c"})
	if err != nil {
		t.Fatalf("merge of a complete merge: %v; want no coverage problem", err)
	}
	if m.Summary.Total != 3 || len(m.Summary.Shards) != 3 {
		t.Errorf("merge of a merge: %d images, shards %+v; want 3 images and its 3 shards", m.Summary.Total, m.Summary.Shards)
	}

	part, err := Merge([]string{s1, s3}, nil)
	var cov *CoverageError
	if !errors.As(err, &cov) {
		t.Fatalf("merge of 1/3 and 3/3: %v; want shard 2/3 missing", err)
	}
	partDir := filepath.Join(root, "part")
	if err := WriteMerged(partDir, part); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge([]string{partDir}, nil); !errors.As(err, &cov) || !reflect.DeepEqual(cov.MissingShards, []string{"2/3"}) {
		t.Fatalf("merge of the partial merge: %v; want shard 2/3 missing", err)
	}
	if _, err := Merge([]string{partDir, s2}, []string{"a", "b", "c"}); err != nil {
		t.Fatalf("partial merge and the shard it lacked: %v; want the complete build", err)
	}
}

func shardLine(o Output, spec string) Output {
	o.Shard = spec
	return o
}
