package manifest

import (
	"strings"
	"testing"
)

// TestMergeSettingsDiffer: shards built with other settings or versions were merged with the
// warning "settings or versions differ from the first shard's", which named neither what
// differs nor the first shard; the merged summary reports the first shard's settings for every
// image. The warning now names each field with both values and the folder they come from.
func TestMergeSettingsDiffer(t *testing.T) {
	root := t.TempDir()
	sum := func(spec string, workers int, cache, bk string) *Summary {
		return &Summary{Planned: 1, Settings: Settings{Workers: workers, CacheMode: cache, Strategy: "single", Shard: spec},
			Versions: Versions{Buildtune: "v1", Buildkit: bk}}
	}
	s1 := shardDir(t, root, "s1", sum("1/2", 4, "off", "v0.34.2"), shardLine(built("a", 1), "1/2"))
	s2 := shardDir(t, root, "s2", sum("2/2", 8, "max", "v0.35.0"), shardLine(built("b", 1), "2/2"))
	m, err := Merge([]string{s1, s2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var warn string
	for _, w := range m.Warnings {
		if strings.Contains(w, s2) {
			warn = w
		}
	}
	for _, want := range []string{s2, s1, "workers 8", "workers 4", "cache_mode max", "cache_mode off", "buildkit v0.35.0", "buildkit v0.34.2"} {
		if !strings.Contains(warn, want) {
			t.Errorf("warning %q does not name %q (warnings: %q)", warn, want, m.Warnings)
		}
	}
	if strings.Contains(warn, "strategy") || strings.Contains(warn, "buildtune") {
		t.Errorf("warning %q names a field that does not differ", warn)
	}
}
