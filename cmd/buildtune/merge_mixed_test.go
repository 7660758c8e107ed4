package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/manifest"
)

// shardFolder writes a build folder: one built manifest line per id and a
// summary with the given shard spec and SDK commit.
func shardFolder(t *testing.T, root, name, spec, sha string, ids ...string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, id := range ids {
		fmt.Fprintf(&b, `{"base_image":"r/%s:latest","tags":["r/x:%s"],"error":null,"status":"built","attempt_count":1,"duration_seconds":1,"build_seconds":1,"instance":%q,"shard":%q,"started_at":%q,"finished_at":%q}`+"\n",
			id, id, id, spec, at.Format(time.RFC3339), at.Add(time.Second).Format(time.RFC3339))
	}
	if err := os.WriteFile(filepath.Join(dir, manifest.ManifestFile), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := manifest.Summary{Total: len(ids), Planned: len(ids), Built: len(ids), WallSeconds: 1,
		Settings: manifest.Settings{Workers: 2, CacheMode: "off", Strategy: "single", Shard: spec, SDKSha: sha}}
	if err := manifest.WriteSummary(filepath.Join(dir, manifest.SummaryFile), sum); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMergeOtherBuilds: folders that are not the shards of one build
// were merged with a warning at most, and exit 0: a whole build beside
// shards (1/3 and 3/3 with a whole build: the missing shard 2/3 went
// unnamed), shards of a 2-shard and a 3-shard matrix, another SDK commit's
// shard. Each is now bad input naming the folder, and nothing is written.
func TestMergeOtherBuilds(t *testing.T) {
	root := t.TempDir()
	const sha, other = "08e2bca76e13ed8cae85b75f8a50757828e3d1d6", "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	s1 := shardFolder(t, root, "s1", "1/3", sha, "a__a-1")
	s2 := shardFolder(t, root, "s2", "2/3", sha, "b__b-2")
	s3 := shardFolder(t, root, "s3", "3/3", sha, "c__c-3")
	whole := shardFolder(t, root, "whole", "", sha, "d__d-4", "e__e-5")
	two := shardFolder(t, root, "two", "2/2", sha, "f__f-6")
	sdk := shardFolder(t, root, "sdk", "2/3", other, "b__b-2")
	for _, tt := range []struct {
		name string
		dirs []string
		bad  string
		want string
	}{
		{"whole build beside shards", []string{s1, s3, whole}, whole, "no --shard"},
		{"shards of two matrices", []string{s1, two, s3}, two, "another matrix"},
		{"another SDK commit", []string{s1, sdk, s3}, sdk, "SDK 1111111"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			r := runIn(t, append([]string{"merge", "--out", out}, tt.dirs...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.bad) || !strings.Contains(r.stderr, tt.want) ||
				strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("merge %v: want exit 2, one line naming %s (%q)\n%s", tt.dirs, tt.bad, tt.want, r)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("merge of folders of other builds wrote %s", out)
			}
		})
	}
	// The shards of one build still merge.
	if r := runIn(t, "merge", "--out", filepath.Join(t.TempDir(), "merged"), s3, s1, s2); r.code != exitOK {
		t.Errorf("merge of the three shards: want exit 0\n%s", r)
	}
	// Whole builds of two lists (split by hand) still merge.
	w2 := shardFolder(t, root, "whole2", "", sha, "g__g-7")
	if r := runIn(t, "merge", "--out", filepath.Join(t.TempDir(), "merged"), whole, w2); r.code != exitOK {
		t.Errorf("merge of two whole builds: want exit 0\n%s", r)
	}
}
