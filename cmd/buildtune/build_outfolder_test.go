package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/shard"
	"github.com/buildtune/buildtune/internal/testenv"
)

// finishedBuild writes the folder of a finished build of ids (workers 2,
// stream, cache off, single, the default SDK commit) as `build` leaves it:
// manifest, summary, records and logs. It returns the folder and the list file.
func finishedBuild(t *testing.T, ids []string) (string, string) {
	t.Helper()
	list := writeFile(t, "ids.txt", strings.Join(ids, "\n")+"\n")
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(filepath.Join(out, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	var text []byte
	var lines []manifest.Output
	now := time.Now()
	for _, id := range ids {
		log := filepath.Join(out, "logs", id+".log")
		if err := os.WriteFile(log, []byte("built\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		o := manifest.Output{Instance: id, Status: manifest.StatusBuilt, AttemptCount: 1, LogPath: log, StartedAt: now.Add(-time.Minute), FinishedAt: now}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		text = append(append(text, b...), '\n')
		lines = append(lines, o)
	}
	if err := os.WriteFile(filepath.Join(out, manifest.ManifestFile), text, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "records.jsonl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := manifest.Summarize(lines, time.Minute, manifest.SummaryExtra{Settings: manifest.Settings{
		Workers: 2, Batch: 0, CacheMode: "off", Strategy: "single", SDKSha: fixtures.SDKSha(1, 0)}})
	sum.Planned = len(ids)
	if err := manifest.WriteSummary(filepath.Join(out, manifest.SummaryFile), sum); err != nil {
		t.Fatal(err)
	}
	return out, list
}

// TestBuildRefusedResumeLeavesFolder: a resume refused for its folder
// (other knobs, another SDK commit or shard) left the files' contents as
// they were but not the folder: the check that it can be written created
// and removed a file in it and in its logs/, changing their mtimes. Now
// nothing under the folder changes, mtimes included.
func TestBuildRefusedResumeLeavesFolder(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	ids := []string{"django__django-11099", "sympy__sympy-20590"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"other workers", []string{"--workers", "3"}, "holds a build with --workers 2"},
		{"other sdk", []string{"--sdk-sha", "abcdef0"}, "holds a build of SDK"},
		{"other shard", []string{"--shard", "1/2"}, "holds the build of every instance (no shard)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, list := finishedBuild(t, ids)
			before := testenv.Stamps(t, out, true)
			r := runIn(t, append([]string{"build", "--instances", list, "--all", "--out", out, "--buildkitd", "/nonexistent/buildkitd"}, tc.args...)...)
			if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.Contains(r.stderr, "--out "+out+": "+tc.want) {
				t.Errorf("want exit 2 and one line naming --out %s: %s\n%s", out, tc.want, r)
			}
			testenv.SameStamps(t, before, testenv.Stamps(t, out, false))
		})
	}
}

// TestBuildOutInUse: two `build --out DIR` at the same time corrupted each
// other's manifest and summary. While one holds DIR (here the test, as the
// other process), a second buildtune process exits 2 with one line naming
// --out DIR and the holder's pid, before it touches anything in DIR. Once the
// holder lets go (or dies: the kernel drops the lock), the build resumes.
func TestBuildOutInUse(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	out, list := finishedBuild(t, []string{"django__django-11099", "sympy__sympy-20590"})
	release, err := fleet.LockFolder(out)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	before := testenv.Stamps(t, out, true)
	args := []string{"build", "--instances", list, "--all", "--out", out, "--buildkitd", "/nonexistent/buildkitd"}
	r := runBT(t, time.Minute, args...)
	want := fmt.Sprintf("buildtune: --out %s: in use by another buildtune process (pid %d)", out, os.Getpid())
	if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("build into a folder in use: want exit 2 and one line starting %q\n%s", want, r)
	}
	testenv.SameStamps(t, before, testenv.Stamps(t, out, false))
	release()
	if r := runBT(t, time.Minute, args...); r.code != exitOK || !strings.Contains(r.stdout, "2 done by an earlier run") {
		t.Errorf("build after the holder let go: want exit 0, 2 done by an earlier run\n%s", r)
	}
}

// TestBuildEmptyShardMerge: a CI matrix of 8 shards over 3 instances. The
// shards without an instance exited 2 ("shard 5/8 of 3 instances is
// empty"), failing the matrix. They now exit 0 without a stack (no
// buildkitd here), saying so on one line, and write an empty manifest and a
// summary naming their shard; merge of all 8 counts the 3 images, names no
// shard missing, and keeps the settings and BuildKit version of the shards
// that built (an empty shard never asked BuildKit), with no warning, even
// with an empty shard given first. A matrix without one empty shard's
// folder still names it.
func TestBuildEmptyShardMerge(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	ids := []string{"astropy__astropy-12907", "django__django-11099", "sympy__sympy-20590"}
	list := writeFile(t, "ids.txt", strings.Join(ids, "\n")+"\n")
	tmp := t.TempDir()
	prof, err := fixtures.LoadProfile("default")
	if err != nil {
		t.Fatal(err)
	}
	workloadID := "fixtures:" + prof.Name + "@" + prof.Digest()[:12]
	const n = 8
	dirs := make([]string, n+1) // by shard index
	for i := 1; i <= n; i++ {
		dirs[i] = filepath.Join(tmp, fmt.Sprintf("shard-%d", i))
		spec := shard.Spec{Index: i, Count: n}
		mine := shard.Select(ids, spec, nil)
		if len(mine) == 0 {
			r := runIn(t, "build", "--instances", list, "--all", "--shard", spec.String(), "--out", dirs[i], "--buildkitd", "/nonexistent/buildkitd")
			want := fmt.Sprintf("shard %s: no instances (3 instances over 8 shards); nothing to build", spec)
			if r.code != exitOK || !strings.Contains(r.stdout, want) {
				t.Fatalf("empty shard %s: want exit 0 and %q\n%s", spec, want, r)
			}
			continue
		}
		// A shard with an image, as its build leaves it (building it
		// needs BuildKit; the merge does not).
		if err := os.MkdirAll(dirs[i], 0o755); err != nil {
			t.Fatal(err)
		}
		var lines []manifest.Output
		var text []byte
		for _, id := range mine {
			o := manifest.Output{Instance: id, Status: manifest.StatusBuilt, AttemptCount: 1, Shard: spec.String(),
				StartedAt: time.Now().Add(-time.Minute), FinishedAt: time.Now(), BuildSeconds: 30}
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			text = append(append(text, b...), '\n')
			lines = append(lines, o)
		}
		if err := os.WriteFile(filepath.Join(dirs[i], manifest.ManifestFile), text, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := manifest.Summarize(lines, time.Minute, manifest.SummaryExtra{
			Settings: manifest.Settings{Workers: 2, CacheMode: "off", Strategy: "single", SDKSha: fixtures.SDKSha(1, 0), Shard: spec.String(), Workload: workloadID},
			Versions: manifest.Versions{Buildtune: version(), Buildkit: "v0.test"}})
		sum.Planned = len(mine)
		if err := manifest.WriteSummary(filepath.Join(dirs[i], manifest.SummaryFile), sum); err != nil {
			t.Fatal(err)
		}
	}
	order := append([]string{dirs[n]}, dirs[1:n]...) // an empty shard first
	merged := filepath.Join(tmp, "merged")
	r := runIn(t, append([]string{"merge", "--out", merged, "--instances", list}, order...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "8 shards, 3 images: 3 built") || strings.Contains(r.stderr, "warning") {
		t.Fatalf("merge of 8 shards, 5 of them empty: want exit 0, 3 built, no warning\n%s", r)
	}
	ms, err := manifest.ReadSummary(filepath.Join(merged, manifest.SummaryFile))
	if err != nil || ms.Total != 3 || ms.Built != 3 || len(ms.Shards) != n || ms.Versions.Buildkit != "v0.test" || ms.Settings.Workers != 2 {
		t.Errorf("merged summary: total %d built %d, %d shards, buildkit %q, workers %d (%v); want 3, 3, 8, v0.test, 2",
			ms.Total, ms.Built, len(ms.Shards), ms.Versions.Buildkit, ms.Settings.Workers, err)
	}
	without := append(append([]string{}, dirs[1:6]...), dirs[7:]...) // no shard 6/8
	r = runIn(t, append([]string{"merge", "--out", filepath.Join(tmp, "merged-6"), "--instances", list}, without...)...)
	if r.code != exitFailed || !strings.Contains(r.stderr, "shard 6/8 not given") {
		t.Errorf("merge without the empty shard 6/8: want exit 1 naming it\n%s", r)
	}
}
