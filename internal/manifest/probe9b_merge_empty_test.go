package manifest

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestMergeOfEmptyShardsMerge: a previous merge of shards that had no instances (more shards
// than instances) holds no line and never asked BuildKit its version. Merged again with the
// shards that built, its settings stood for the build (versions empty) and every real shard was
// warned about as differing ("buildkit v0.34.2, while ... has buildkit (none)"). It is now taken
// like the empty shards it holds: neither compared nor kept.
func TestMergeOfEmptyShardsMerge(t *testing.T) {
	root := t.TempDir()
	st := func(spec string) Settings {
		return Settings{Workers: 2, CacheMode: "off", Strategy: "single", Shard: spec}
	}
	full := func(spec string) *Summary {
		return &Summary{Planned: 1, Settings: st(spec), Versions: Versions{Buildtune: "v1", Buildkit: "v0.34.2"}}
	}
	empty := func(spec string) *Summary { return &Summary{Settings: st(spec), Versions: Versions{Buildtune: "v1"}} }
	s1 := shardDir(t, root, "s1", full("1/3"), shardLine(built("a", 1), "1/3"))
	s2 := shardDir(t, root, "s2", empty("2/3"))
	s3 := shardDir(t, root, "s3", empty("3/3"))

	part, err := Merge([]string{s2, s3}, nil)
	var cov *CoverageError
	if !errors.As(err, &cov) {
		t.Fatalf("merge of the empty shards 2/3 and 3/3: %v; want shard 1/3 missing", err)
	}
	partDir := filepath.Join(root, "part")
	if err := WriteMerged(partDir, part); err != nil {
		t.Fatal(err)
	}
	m, err := Merge([]string{partDir, s1}, []string{"a"})
	if err != nil {
		t.Fatalf("merge of the empty shards' merge and shard 1/3: %v", err)
	}
	if len(m.Warnings) > 0 {
		t.Errorf("warnings %q; want none (the empty shards' settings are not compared)", m.Warnings)
	}
	if m.Summary.Versions.Buildkit != "v0.34.2" {
		t.Errorf("merged summary's versions %+v; want those of shard 1/3, the one that built", m.Summary.Versions)
	}
}
