package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func TestSummarize(t *testing.T) {
	i1 := built("i1", 100)
	i1.RemoteCheckSeconds, i1.PostBuildSeconds = 1, 2
	i1.SDKCacheImportSeconds, i1.SDKCacheImportMissCount, i1.SDKCacheExportSeconds = 3, 1, 4
	i1.SDKImageExportSeconds, i1.SDKPushLayersSeconds, i1.SDKExportManifestSeconds, i1.SDKCachedStepCount = 5, 6, 0.5, 12
	i2 := built("i2", 300)
	i2.AttemptCount, i2.SDKCacheImportMissCount, i2.SDKCachedStepCount = 2, 1, 13
	i3old := failed("i3", "first try")
	i3 := built("i3", 200)
	i4 := skipped("i4")
	i4.RemoteCheckSeconds, i4.DurationSeconds = 1, 1
	i5 := failed("i5", "boom")
	i5.AttemptCount, i5.BuildSeconds, i5.DurationSeconds = 3, 50, 60
	extra := SummaryExtra{Prunes: 2, PruneSeconds: 2400,
		Settings: Settings{Workers: 4, Batch: 15, CacheMode: "max", Strategy: "single", Shard: "1/2"},
		Versions: Versions{Buildtune: "v0.3.0", Buildkit: "v0.26.0"}}

	got := Summarize([]Output{i1, i2, i3old, i3, i4, i5}, 2*time.Hour, extra)
	want := Summary{
		Total: 5, Built: 3, Skipped: 1, Failed: 1, Retried: 2,
		WallSeconds: 7200, ImagesPerHour: 1.5, // 3 built / 2 h; skipped do not count
		CumulativeDurationSeconds:          100 + 300 + 200 + 1 + 60,
		CumulativeRemoteCheckSeconds:       2,
		CumulativeBuildSeconds:             100 + 300 + 200 + 50,
		CumulativePostBuildSeconds:         2,
		CumulativeSDKCacheImportSeconds:    3,
		CumulativeSDKCacheExportSeconds:    4,
		CumulativeSDKImageExportSeconds:    5,
		CumulativeSDKPushLayersSeconds:     6,
		CumulativeSDKExportManifestSeconds: 0.5,
		CumulativeSDKCacheImportMisses:     2,
		CumulativeSDKCachedSteps:           25,
		AverageBuildSeconds:                f(200), MedianBuildSeconds: f(200), MaxBuildSeconds: f(300),
		Slowest: []Slow{
			{Instance: "i2", BaseImage: i2.BaseImage, BuildSeconds: 300, AttemptCount: 2},
			{Instance: "i3", BaseImage: i3.BaseImage, BuildSeconds: 200, AttemptCount: 1},
			{Instance: "i1", BaseImage: i1.BaseImage, BuildSeconds: 100, AttemptCount: 1},
		},
		FailedImages: []Failed{{Instance: "i5", BaseImage: i5.BaseImage, Error: "boom", AttemptCount: 3}},
		Prunes:       2, PruneSeconds: 2400, Settings: extra.Settings, Versions: extra.Versions,
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("Summarize\n got %s\nwant %s", g, w)
	}
}

func TestSummarizeStats(t *testing.T) {
	var outs []Output
	// 12 built: r__00..r__11 with build seconds 5,10,...; r__10 and r__11
	// tie at 50 with r__09.
	secs := []float64{5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 50, 50}
	for i, s := range secs {
		outs = append(outs, built(fmt.Sprintf("r__%02d", i), s))
	}
	s := Summarize(outs, 0, SummaryExtra{})
	if len(s.Slowest) != SlowestCount {
		t.Fatalf("%d slowest, want %d", len(s.Slowest), SlowestCount)
	}
	var ids []string
	for _, sl := range s.Slowest {
		ids = append(ids, sl.Instance)
	}
	wantIDs := "r__09 r__10 r__11 r__08 r__07 r__06 r__05 r__04 r__03 r__02"
	if strings.Join(ids, " ") != wantIDs {
		t.Errorf("slowest %v, want %s", ids, wantIDs)
	}
	// sorted: 5..50; middle two of 12 are 30 and 35.
	if *s.MedianBuildSeconds != 32.5 || *s.MaxBuildSeconds != 50 || math.Abs(*s.AverageBuildSeconds-375.0/12) > 1e-9 {
		t.Errorf("median %v max %v avg %v; want 32.5, 50, 31.25", *s.MedianBuildSeconds, *s.MaxBuildSeconds, *s.AverageBuildSeconds)
	}
	if s.ImagesPerHour != 0 {
		t.Errorf("images/hour with no wall = %v, want 0", s.ImagesPerHour)
	}

	none := Summarize([]Output{failed("b", "x"), failed("a", "y")}, time.Hour, SummaryExtra{})
	if none.AverageBuildSeconds != nil || none.MedianBuildSeconds != nil || none.MaxBuildSeconds != nil {
		t.Errorf("no built images: want null build stats")
	}
	if none.FailedImages[0].Instance != "a" || none.FailedImages[1].Instance != "b" {
		t.Errorf("failed images %v, want sorted by instance", none.FailedImages)
	}
}

func TestWriteSummary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SummaryFile)
	s := Summarize([]Output{failed("a", "x")}, 90*time.Minute, SummaryExtra{Prunes: 1})
	if err := WriteSummary(path, s); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, frag := range []string{`"average_build_seconds": null`, `"slowest": []`, `"wall_seconds": 5400`, `"prunes": 1`} {
		if !strings.Contains(string(data), frag) {
			t.Errorf("summary lacks %s:\n%s", frag, data)
		}
	}
	back, err := ReadSummary(path)
	if err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("ReadSummary = %+v, %v; want %+v", back, err, s)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d files, want only the summary (no temporary left)", len(entries))
	}
	if err := WriteSummary(filepath.Join(dir, "no", "such", SummaryFile), s); err == nil {
		t.Error("WriteSummary into a missing folder: want an error")
	}
	if _, err := ReadSummary(filepath.Join(dir, "none.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadSummary missing: %v", err)
	}
}

// shardDir writes one shard's manifest and, when sum is not nil, summary.
func shardDir(t *testing.T, root, name string, sum *Summary, outs ...Output) string {
	t.Helper()
	dir := filepath.Join(root, name)
	os.MkdirAll(dir, 0o755)
	writeAll(t, filepath.Join(dir, ManifestFile), outs...)
	if sum != nil {
		if err := WriteSummary(filepath.Join(dir, SummaryFile), *sum); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMerge(t *testing.T) {
	root := t.TempDir()
	settings := Settings{Workers: 4, Batch: 15, CacheMode: "off", Strategy: "single"}
	sum := func(wall float64, prunes int, pruneSec float64, shard string) *Summary {
		st := settings
		st.Shard = shard
		return &Summary{WallSeconds: wall, Prunes: prunes, PruneSeconds: pruneSec, Settings: st,
			Versions: Versions{Buildtune: "v1", Buildkit: "v0.26"}}
	}
	aEarly := built("a", 10)
	aLate := built("a", 20)
	aLate.StartedAt, aLate.FinishedAt = t0.Add(time.Hour), t0.Add(time.Hour+20*time.Second)
	e := built("e", 30)
	e.StartedAt, e.FinishedAt = t0, t0.Add(time.Hour+40*time.Minute) // span 6000 s
	s1 := shardDir(t, root, "s1", sum(3600, 1, 1200, "1/3"), aEarly, failed("b", "x"), built("b", 5))
	s2 := shardDir(t, root, "s2", sum(5400, 2, 600, "2/3"), built("c", 40), failed("d", "boom"))
	s3 := shardDir(t, root, "s3", nil, e, aLate)

	m, err := Merge([]string{s1, s2, s3}, []string{"a", "b", "c", "d", "e", "f", "f"})
	var cov *CoverageError
	if !errors.As(err, &cov) {
		t.Fatalf("Merge error %v, want a *CoverageError", err)
	}
	if !reflect.DeepEqual(cov.Missing, []string{"f"}) || !reflect.DeepEqual(cov.Duplicated, []string{"a"}) {
		t.Errorf("coverage missing %v duplicated %v; want [f], [a]", cov.Missing, cov.Duplicated)
	}
	if msg := err.Error(); msg != "shard coverage: 1 missing (f), 1 in more than one shard (a)" {
		t.Errorf("error text %q", msg)
	}
	var keys []string
	for _, o := range m.Outputs {
		keys = append(keys, o.Key())
	}
	if strings.Join(keys, ",") != "a,b,c,d,e" || m.Outputs[0].BuildSeconds != 20 || m.Outputs[1].Status != StatusBuilt {
		t.Errorf("merged outputs %v (a build %v, b %s); want a..e, the later a, b built", keys, m.Outputs[0].BuildSeconds, m.Outputs[1].Status)
	}
	s := m.Summary
	// wall = max(3600, 5400, 6000 from s3's timestamps); 4 built.
	if s.Built != 4 || s.Failed != 1 || s.Total != 5 || s.WallSeconds != 6000 || math.Abs(s.ImagesPerHour-4/(6000.0/3600)) > 1e-9 {
		t.Errorf("merged counts built %d failed %d total %d wall %v img/h %v", s.Built, s.Failed, s.Total, s.WallSeconds, s.ImagesPerHour)
	}
	if s.Prunes != 3 || s.PruneSeconds != 1800 || s.Settings != settings || s.Versions.Buildkit != "v0.26" {
		t.Errorf("merged prunes %d/%v settings %+v versions %+v", s.Prunes, s.PruneSeconds, s.Settings, s.Versions)
	}
	wantShards := []ShardInfo{
		{Dir: s1, Shard: "1/3", Images: 2, Built: 2, WallSeconds: 3600},
		{Dir: s2, Shard: "2/3", Images: 2, Built: 1, Failed: 1, WallSeconds: 5400},
		{Dir: s3, Images: 2, Built: 2, WallSeconds: 6000},
	}
	if !reflect.DeepEqual(s.Shards, wantShards) {
		t.Errorf("shards %+v\nwant %+v", s.Shards, wantShards)
	}
	if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "s3: no build-summary.json") {
		t.Errorf("warnings %q, want one about s3's summary", m.Warnings)
	}

	out := filepath.Join(root, "merged")
	if err := WriteMerged(out, m); err != nil {
		t.Fatal(err)
	}
	back, torn, err := Read(filepath.Join(out, ManifestFile))
	if err != nil || torn || !reflect.DeepEqual(back, m.Outputs) {
		t.Errorf("merged manifest read back: %d lines torn=%v err=%v", len(back), torn, err)
	}
	if bs, err := ReadSummary(filepath.Join(out, SummaryFile)); err != nil || !reflect.DeepEqual(bs, m.Summary) {
		t.Errorf("merged summary read back: %v", err)
	}
}

func TestMergeCoverage(t *testing.T) {
	root := t.TempDir()
	s1 := shardDir(t, root, "s1", nil, built("a", 1), built("b", 1))
	s2 := shardDir(t, root, "s2", nil, built("c", 1))
	dup := shardDir(t, root, "dup", nil, built("b", 1))

	m, err := Merge([]string{s1, s2}, []string{"c", "b", "a"})
	if err != nil || len(m.Outputs) != 3 {
		t.Errorf("clean merge: %d outputs, err %v", len(m.Outputs), err)
	}
	_, err = Merge([]string{s1, s2, dup}, nil)
	var cov *CoverageError
	if !errors.As(err, &cov) || len(cov.Missing) != 0 || !reflect.DeepEqual(cov.Duplicated, []string{"b"}) {
		t.Errorf("nil expected with a duplicate: %v", err)
	}
	m, err = Merge([]string{s1}, []string{"a", "b"})
	if err != nil {
		t.Errorf("exact cover: %v", err)
	}
	m, err = Merge([]string{s1, s2}, []string{"a"})
	if err != nil || len(m.Warnings) != 3 || !strings.Contains(m.Warnings[2], "2 images not in the expected list (b, c)") {
		t.Errorf("unexpected images: err %v warnings %q", err, m.Warnings)
	}

	for name, dirs := range map[string][]string{
		"no folders":  nil,
		"no manifest": {s1, filepath.Join(root, "missing")},
	} {
		if _, err := Merge(dirs, nil); err == nil || errors.As(err, &cov) {
			t.Errorf("%s: err %v, want a plain error", name, err)
		}
	}
	bad := filepath.Join(root, "bad")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, ManifestFile), []byte("{}\n"), 0o644)
	os.WriteFile(filepath.Join(s2, SummaryFile), []byte("{"), 0o644)
	for _, dirs := range [][]string{{bad}, {s2}} {
		if _, err := Merge(dirs, nil); err == nil || !strings.Contains(err.Error(), dirs[0]) {
			t.Errorf("Merge(%v): err %v, want one naming the folder", dirs, err)
		}
	}
}

// TestMergeMissingShard: without an expected list, the shards' own specs
// tell that shard 2/3 was not given (exit 1 in the CLI), and folders of
// two matrices get a warning.
func TestMergeMissingShard(t *testing.T) {
	root := t.TempDir()
	spec := func(sh string) *Summary { return &Summary{Settings: Settings{Workers: 1, Shard: sh}} }
	s1 := shardDir(t, root, "s1", spec("1/3"), built("a", 1))
	s3 := shardDir(t, root, "s3", spec("3/3"), built("c", 1))
	_, err := Merge([]string{s1, s3}, nil)
	var cov *CoverageError
	if !errors.As(err, &cov) || !reflect.DeepEqual(cov.MissingShards, []string{"2/3"}) || err.Error() != "shard coverage: shard 2/3 not given" {
		t.Fatalf("merge of shards 1/3 and 3/3: %v, want shard 2/3 missing", err)
	}
	s2 := shardDir(t, root, "s2", spec("2/3"), built("b", 1))
	if _, err := Merge([]string{s3, s1, s2}, nil); err != nil {
		t.Fatalf("merge of every shard: %v", err)
	}
	other := shardDir(t, root, "other", spec("2/2"), built("d", 1))
	m, err := Merge([]string{s1, other}, nil)
	if err != nil || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "another matrix") {
		t.Fatalf("merge of 1/3 and 2/2: %v, warnings %q", err, m.Warnings)
	}
}

// TestMergeIncompleteShard: a shard whose build stopped (its summary
// planned 3 images, its manifest has 1) fails the merge even without an
// expected list, naming the folder.
func TestMergeIncompleteShard(t *testing.T) {
	root := t.TempDir()
	s1 := shardDir(t, root, "s1", &Summary{Planned: 3, Settings: Settings{Shard: "1/2"}}, built("a", 1))
	s2 := shardDir(t, root, "s2", &Summary{Planned: 1, Settings: Settings{Shard: "2/2"}}, built("b", 1))
	_, err := Merge([]string{s1, s2}, nil)
	var cov *CoverageError
	if !errors.As(err, &cov) || len(cov.Incomplete) != 1 || !strings.Contains(err.Error(), s1+" (1 of 3 images)") {
		t.Fatalf("merge with shard 1 stopped at 1 of 3: %v", err)
	}
}
