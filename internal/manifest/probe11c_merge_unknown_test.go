package manifest

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestProbe11cMergeFolderNeverStarted: a shard killed while its stack
// started (a CI timeout, a cancelled job) leaves an empty manifest.jsonl
// and no build-summary.json: the summary is written once building starts.
// Merged with the other shards, that folder named no shard, and the
// check for a shard no folder holds was skipped for the whole merge: three
// shards of four passed for the whole build (exit 0), the lost shard's
// images unnamed. The folder is now a build that stopped before its end,
// and the shard it should have held is named missing.
func TestProbe11cMergeFolderNeverStarted(t *testing.T) {
	root := t.TempDir()
	sum := func(spec string) *Summary { return &Summary{Planned: 1, Settings: Settings{Workers: 2, Shard: spec}} }
	s1 := shardDir(t, root, "s1", sum("1/3"), shardLine(built("a", 1), "1/3"))
	s2 := shardDir(t, root, "s2", nil) // killed before its first summary
	s3 := shardDir(t, root, "s3", sum("3/3"), shardLine(built("c", 1), "3/3"))

	m, err := Merge([]string{s1, s2, s3}, nil)
	var cov *CoverageError
	if !errors.As(err, &cov) {
		t.Fatalf("merge with a shard folder that never started building: %v; want a coverage error", err)
	}
	if !slices.Equal(cov.MissingShards, []string{"2/3"}) {
		t.Errorf("missing shards %q; want 2/3 (the empty folder names no shard)", cov.MissingShards)
	}
	if len(cov.Incomplete) != 1 || !strings.Contains(cov.Incomplete[0], s2) {
		t.Errorf("stopped folders %q; want %s, which has no image and no summary", cov.Incomplete, s2)
	}
	if m.Summary.Total != 2 {
		t.Errorf("merged total %d, want the 2 images built", m.Summary.Total)
	}

	// A whole build (no shards) merged alone that never started is no
	// complete build either.
	if _, err := Merge([]string{s2}, nil); !errors.As(err, &cov) || len(cov.Incomplete) != 1 {
		t.Errorf("merge of a folder that never started alone: %v; want it named as stopped", err)
	}
}
