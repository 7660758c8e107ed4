package main

import (
	"bytes"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/fullbuild"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/testenv"
)

// TestBuildShardBadInput checks that bad shard and durations flags stop the
// build before anything starts: exit 2 and one line.
func TestBuildShardBadInput(t *testing.T) {
	garbage := writeFile(t, "g.jsonl", "not json\n")
	dockerfile := writeFile(t, "Dockerfile", "FROM scratch\n")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"shard index above count", []string{"--shard", "3/2"}},
		{"shard index zero", []string{"--shard", "0/2"}},
		{"shard not a spec", []string{"--shard", "x"}},
		{"durations missing", []string{"--durations-from", filepath.Join(t.TempDir(), "nope")}},
		{"durations empty folder", []string{"--durations-from", t.TempDir()}},
		{"durations garbage", []string{"--durations-from", garbage}},
		{"prune threshold", []string{"--prune-threshold", "lots"}},
		{"registry bandwidth", []string{"--registry-bandwidth", "20Mb/s"}},
		{"retry delay negative", []string{"--retry-delay", "-1s"}},
		{"retry delay garbage", []string{"--retry-delay", "soon"}},
		{"retry delay without unit", []string{"--retry-delay", "2"}},
		{"retry delay empty", []string{"--retry-delay", ""}},
		{"registry check timeout zero", []string{"--registry-check-timeout", "0s"}},
		{"registry check timeout negative", []string{"--registry-check-timeout", "-5s"}},
		{"registry check timeout garbage", []string{"--registry-check-timeout", "never"}},
		{"sdk sha with a slash", []string{"--sdk-sha", "A/B"}},
		{"sdk sha starting with a dash", []string{"--sdk-sha", "-x"}},
		{"three-phase of one Dockerfile", []string{"--strategy", "three-phase", "--context", filepath.Dir(dockerfile), "--tag", "r/x:{{.Slug}}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"build", "--sample", "2", "--out", filepath.Join(t.TempDir(), "out"), "--buildkitd", "/nonexistent/buildkitd"}, tc.args...)
			r := runIn(t, args...)
			if r.code != exitUsage {
				t.Fatalf("want exit 2\n%s", r)
			}
			if n := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n"); n != 0 || r.stderr == "" {
				t.Errorf("want one line on stderr, got %q", r.stderr)
			}
			if flag := tc.args[0]; !strings.Contains(r.stderr, flag) {
				t.Errorf("stderr %q does not name %s", r.stderr, flag)
			}
		})
	}
}

func TestParseRetryDelay(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2s", 2 * time.Second, true}, {"0", 0, true}, {"0s", 0, true}, {" 500ms ", 500 * time.Millisecond, true},
		{"1m30s", 90 * time.Second, true},
		{"-1s", 0, false}, {"2", 0, false}, {"", 0, false}, {"soon", 0, false}, {"9999999999h", 0, false},
	} {
		got, err := parseRetryDelay(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseRetryDelay(%q) = %s, %v; want %s, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "--retry-delay") {
			t.Errorf("parseRetryDelay(%q): error %q does not start with the flag", tc.in, err)
		}
	}
}

func TestMergeBadInput(t *testing.T) {
	if r := runIn(t, "merge", "--out", t.TempDir(), filepath.Join(t.TempDir(), "nope")); r.code != exitUsage {
		t.Errorf("merge of a missing folder: want exit 2\n%s", r)
	}
	if r := runIn(t, "merge"); r.code != exitUsage {
		t.Errorf("merge without folders: want exit 2\n%s", r)
	}
}

// TestBuildManifestResumeShardMerge builds 6 fixture images on a shared
// stack, checks the manifest, resumes into the same folder (nothing built
// again, a torn tail cut), then builds the 3 shards of the same sample and
// merges them.
func TestBuildManifestResumeShardMerge(t *testing.T) {
	bk := testenv.Buildkitd(t)
	state := testenv.Dir(t)
	t.Cleanup(func() {
		if r := runBT(t, 60*time.Second, "stack", "down", "--state", state); r.code != exitOK {
			t.Errorf("stack down in cleanup:\n%s", r)
		}
	})
	if r := runBT(t, 2*time.Minute, "stack", "up", "--state", state, "--buildkitd", bk); r.code != exitOK {
		t.Fatalf("stack up:\n%s", r)
	}
	common := []string{"--sample", "6", "--workers", "2", "--state", state}
	tmp := t.TempDir()
	out := filepath.Join(tmp, "full")
	stepSummary := filepath.Join(tmp, "step-summary.md")

	cmd, stdout, stderr := command(t, append([]string{"build", "--out", out}, common...)...)
	cmd.Env = append(cmd.Env, "GITHUB_STEP_SUMMARY="+stepSummary)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if code := waitFor(t, cmd, 3*time.Minute); code != exitOK {
		t.Fatalf("build: exit %d\n%s\n%s", code, stdout, stderr)
	}
	mpath := filepath.Join(out, manifest.ManifestFile)
	data, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Total != 6 || sum.Built+sum.Skipped != 6 || sum.Failed != 0 {
		t.Errorf("summary: %d images, %d built, %d skipped, %d failed; want 6 done", sum.Total, sum.Built, sum.Skipped, sum.Failed)
	}
	if n := bytes.Count(data, []byte(`"error":null`)); n != sum.Built+sum.Skipped {
		t.Errorf(`grep -c '"error":null' = %d, want built+skipped = %d`, n, sum.Built+sum.Skipped)
	}
	for _, k := range []string{`"base_image":"`, `"tags":["`, `"log_path":"`, `"attempt_count":1`, `"build_seconds":`,
		`"sdk_cache_import_seconds":`, `"sdk_image_export_seconds":`, `"sdk_push_layers_seconds":`, `"sdk_cached_step_count":`, `"started_at":"`} {
		if c := bytes.Count(data, []byte(k)); c != 6 {
			t.Errorf("manifest has %s on %d lines, want 6", k, c)
		}
	}
	outs, _, err := manifest.Read(mpath)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var first, last time.Time
	var busy float64
	for _, o := range outs {
		ids = append(ids, o.Instance)
		if _, err := os.Stat(o.LogPath); err != nil {
			t.Errorf("%s: no image log: %v", o.Instance, err)
		}
		// As the real script's _build_with_logging: an image's duration
		// is its worker's time on it, from started_at to finished_at, not
		// its wait in the stream's queue for a free worker (6 images on
		// 2 workers: the last ones waited for the first).
		if d := o.FinishedAt.Sub(o.StartedAt).Seconds(); math.Abs(d-o.DurationSeconds) > 0.01 {
			t.Errorf("%s: duration_seconds %.3f, finished_at - started_at %.3f: want equal", o.Instance, o.DurationSeconds, d)
		}
		if first.IsZero() || o.StartedAt.Before(first) {
			first = o.StartedAt
		}
		if o.FinishedAt.After(last) {
			last = o.FinishedAt
		}
		busy += o.DurationSeconds
	}
	if w := last.Sub(first).Seconds(); busy > 2*w+0.01 {
		t.Errorf("the images' durations sum to %.1f s, more than 2 workers x the build's %.1f s: a queue wait is in them", busy, w)
	}
	if md, err := os.ReadFile(stepSummary); err != nil || !strings.Contains(string(md), "| 6 |") {
		t.Errorf("step summary: %v\n%s", err, md)
	}

	// Resume into the same folder after a crash mid-line: nothing is built
	// again and the torn tail is cut.
	f, err := os.OpenFile(mpath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"base_image":"x","sta`)
	f.Close()
	r := runBT(t, time.Minute, append([]string{"build", "--out", out}, common...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "6 done by an earlier run") || !strings.Contains(r.stdout+r.stderr, "torn") {
		t.Fatalf("resume: want exit 0, 6 done by an earlier run, a torn tail cut\n%s", r)
	}
	if again, _, err := manifest.Read(mpath); err != nil || len(again) != 6 {
		t.Errorf("resume: manifest has %d lines (%v), want the same 6", len(again), err)
	}

	// Shards of the same sample into new folders: each image is found in
	// the registry (skipped_remote_exists); merged, they cover the set once.
	var dirs []string
	for i := 1; i <= 3; i++ {
		d := filepath.Join(tmp, "shard"+string(rune('0'+i)))
		dirs = append(dirs, d)
		args := append([]string{"build", "--out", d, "--shard", string(rune('0'+i)) + "/3", "--durations-from", out}, common...)
		if i == 1 {
			args = append(args, "--daemons", "2") // the running stack has one: said, not silently ignored
		}
		r := runBT(t, time.Minute, args...)
		if r.code != exitOK {
			t.Fatalf("shard %d/3:\n%s", i, r)
		}
		if warned := strings.Contains(r.stderr, "--daemons shapes a private stack and is ignored"); warned != (i == 1) {
			t.Errorf("shard %d/3: warned about --daemons: %v\n%s", i, warned, r)
		}
		so, _, err := manifest.Read(filepath.Join(d, manifest.ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range so {
			if o.Status != manifest.StatusSkipped || o.Shard != string(rune('0'+i))+"/3" {
				t.Errorf("shard %d/3: %s status %s shard %q, want skipped_remote_exists in its shard", i, o.Instance, o.Status, o.Shard)
			}
		}
	}
	list := writeFile(t, "ids.txt", strings.Join(ids, "\n")+"\n")
	merged := filepath.Join(tmp, "merged")
	r = runIn(t, append([]string{"merge", "--out", merged, "--instances", list}, dirs...)...)
	if r.code != exitOK {
		t.Fatalf("merge:\n%s", r)
	}
	ms, err := manifest.ReadSummary(filepath.Join(merged, manifest.SummaryFile))
	if err != nil || ms.Total != 6 || ms.Skipped != 6 {
		t.Errorf("merged summary: %+v %v, want 6 skipped", ms, err)
	}
	// A missing shard is named, exit 1.
	r = runIn(t, "merge", "--out", filepath.Join(tmp, "merged2"), "--instances", list, dirs[0], dirs[1])
	if r.code != exitFailed || !strings.Contains(r.stderr, "missing") {
		t.Errorf("merge without shard 3: want exit 1 naming what is missing\n%s", r)
	}
	// The same shard folder twice is bad input, before anything is read.
	r = runIn(t, "merge", "--out", filepath.Join(tmp, "merged3"), dirs[0], dirs[0], dirs[1], dirs[2])
	if r.code != exitUsage || !strings.Contains(r.stderr, "given twice") {
		t.Errorf("merge with shard 1 twice: want exit 2 naming it\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(tmp, "merged3")); err == nil {
		t.Errorf("merge with shard 1 twice wrote %s", filepath.Join(tmp, "merged3"))
	}
}

// TestBuildPullsLikeSweep: under a registry cap, a production build and a
// sweep's cell send the same traffic through the link, base image pulls
// included, so that validate compares like with like. (A build that pulled
// its bases around the proxy ran a capped 40-image set 50% faster than
// its sweep predicted.)
func TestBuildPullsLikeSweep(t *testing.T) {
	bk := testenv.Buildkitd(t)
	ids := writeFile(t, "ids.txt", "django__django-11133\nsympy__sympy-13852\n")
	tmp := t.TempDir()
	link := []string{"--registry-bandwidth", "256MiB/s", "--instances", ids, "--workers", "2", "--batch", "stream", "--buildkitd", bk}
	build := filepath.Join(tmp, "build")
	if r := runBT(t, 3*time.Minute, append([]string{"build", "--all", "--cache-mode", "off", "--out", build}, link...)...); r.code != exitOK {
		t.Fatalf("build:\n%s", r)
	} else if !strings.Contains(r.stdout, "bytes pulled") {
		t.Errorf("build output does not give the bytes pulled through the proxy:\n%s", r.stdout)
	}
	sw := filepath.Join(tmp, "sweep")
	if r := runBT(t, 3*time.Minute, append([]string{"sweep", "--sample", "2", "--cache", "off", "--temp", "cold", "--reps", "1",
		"--warmup=false", "--out", sw}, link...)...); r.code != exitOK {
		t.Fatalf("sweep:\n%s", r)
	}
	b, s := readRecords(t, filepath.Join(build, "records.jsonl")), readRecords(t, filepath.Join(sw, "records.jsonl"))
	if len(b.Trials) != 1 || len(s.Trials) != 1 {
		t.Fatalf("%d build and %d sweep trials, want 1 each", len(b.Trials), len(s.Trials))
	}
	bt, st := b.Trials[0], s.Trials[0]
	t.Logf("build: %d bytes pulled, %d pushed; sweep: %d pulled, %d pushed", bt.BytesPulled, bt.BytesPushed, st.BytesPulled, st.BytesPushed)
	if bt.Cell != st.Cell {
		t.Errorf("build cell %q, sweep cell %q: validate cannot pair them", bt.Cell, st.Cell)
	}
	if st.BytesPulled < 1<<20 {
		t.Fatalf("the cold sweep pulled %d bytes through the proxy: its bases did not come over the link", st.BytesPulled)
	}
	if r := float64(bt.BytesPulled) / float64(st.BytesPulled); r < 0.8 || r > 1.25 {
		t.Errorf("build pulled %d bytes through the proxy, sweep %d (ratio %.2f): the two do not pay the same link", bt.BytesPulled, st.BytesPulled, r)
	}
}

// TestClosingLine: a build stopped after 2 of 8 images says how many it
// left, not only "2 images"; a finished one says nothing of the kind.
func TestClosingLine(t *testing.T) {
	stopped := &fullbuild.Result{Planned: 8, Summary: manifest.Summary{Total: 2, Built: 2, WallSeconds: 9}}
	if got := closingLine(stopped); !strings.HasPrefix(got, "2 images: 2 built, 0 skipped, 0 failed") || !strings.Contains(got, "6 of 8 not built yet") {
		t.Errorf("stopped build: %q", got)
	}
	done := &fullbuild.Result{Planned: 4, Resumed: 4, Summary: manifest.Summary{Total: 4, Built: 4, WallSeconds: 9}}
	if got := closingLine(done); strings.Contains(got, "not built") || !strings.Contains(got, "4 done by an earlier run") {
		t.Errorf("finished build: %q", got)
	}
}

// TestBuildThreePhaseManifest: with the three-phase strategy each image is
// a base and an assembly build; its manifest line covers both (from the
// base's start, the sum of their seconds), not only the assembly.
func TestBuildThreePhaseManifest(t *testing.T) {
	bk := testenv.Buildkitd(t)
	ids := writeFile(t, "ids.txt", "django__django-11133\nsympy__sympy-13852\n")
	out := filepath.Join(t.TempDir(), "build")
	if r := runBT(t, 3*time.Minute, "build", "--all", "--instances", ids, "--strategy", "three-phase", "--workers", "2",
		"--buildkitd", bk, "--out", out); r.code != exitOK {
		t.Fatalf("build:\n%s", r)
	}
	sums := map[string]float64{}
	starts := map[string]time.Time{}
	for _, im := range readRecords(t, filepath.Join(out, "records.jsonl")).Images {
		if im.Instance == "" {
			continue
		}
		sums[im.Instance] += im.WallSeconds
		// The worker took the instance its check and its wait for a
		// daemon slot before its first phase started.
		took := im.Start.Add(-time.Duration((im.RemoteCheckSeconds + im.DaemonWaitSeconds) * float64(time.Second)))
		if s := starts[im.Instance]; s.IsZero() || took.Before(s) {
			starts[im.Instance] = took
		}
	}
	lines := manifestLines(t, filepath.Join(out, manifest.ManifestFile))
	if len(lines) != 2 {
		t.Fatalf("%d manifest lines, want 2", len(lines))
	}
	for _, o := range lines {
		if math.Abs(o.BuildSeconds-sums[o.Instance]) > 1e-6 || !o.StartedAt.Equal(starts[o.Instance].Truncate(time.Microsecond)) {
			t.Errorf("%s: build_seconds %.3f from %s; its phases took %.3f from %s (its worker took it)", o.Instance, o.BuildSeconds, o.StartedAt, sums[o.Instance], starts[o.Instance])
		}
	}
}

// TestStackDownNotRunning: `stack down` with no stack in the folder says
// so (exit 0), instead of claiming it stopped one.
func TestStackDownNotRunning(t *testing.T) {
	r := runIn(t, "stack", "down", "--state", t.TempDir())
	if r.code != exitOK || !strings.Contains(r.stdout, "not running") || strings.Contains(r.stdout, "stopped") {
		t.Errorf("stack down of nothing:\n%s", r)
	}
}

// TestBuildKilledFolderKeepsItsSDK: a build killed (SIGKILL) after its first
// manifest line leaves a folder that says which build it holds (its summary,
// written when the build starts): merge names it as stopped before its end,
// and the same --out given another SDK commit is bad input (exit 2, one
// line, the folder untouched) instead of a resume that passes the killed
// build's images for this one's; the same SDK resumes it.
func TestBuildKilledFolderKeepsItsSDK(t *testing.T) {
	state, _ := stackUp(t)
	out := filepath.Join(t.TempDir(), "out")
	args := func(sha string) []string {
		return []string{"build", "--sample", "3", "--workers", "1", "--state", state, "--out", out, "--sdk-sha", sha}
	}
	shaA, shaB := strings.Repeat("a", 40), strings.Repeat("b", 40)
	mpath := filepath.Join(out, manifest.ManifestFile)
	p := startBT(t, args(shaA)...)
	p.until(t, 5*time.Minute, "first manifest line", false, func() bool { return len(manifestLines(t, mpath)) >= 1 })
	p.kill(t)
	n := len(manifestLines(t, mpath))
	if n >= 3 {
		t.Skipf("the build finished (%d lines) before the kill", n)
	}
	// The killed build's summary says what it planned, so that merge
	// names it as stopped before its end.
	if sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile)); err != nil || sum.Planned != 3 || sum.Total >= 3 || sum.Settings.SDKSha != shaA {
		t.Errorf("killed build's summary: %+v %v; want 3 planned, fewer done, SDK %s", sum, err, shaA)
	}
	if r := runIn(t, "merge", "--out", filepath.Join(t.TempDir(), "merged"), out); r.code != exitFailed || !strings.Contains(r.stderr, "stopped before the end") {
		t.Errorf("merge of the killed build: want exit 1 naming it stopped before the end\n%s", r)
	}

	before := testenv.Files(t, out)
	r := runBT(t, 2*time.Minute, args(shaB)...)
	if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 ||
		!strings.Contains(r.stderr, "--out "+out) || !strings.Contains(r.stderr, "SDK "+shaA) {
		t.Fatalf("another SDK into the killed build's folder: want exit 2, one line naming --out and SDK %s\n%s", shaA, r)
	}
	if after := testenv.Files(t, out); !maps.Equal(after, before) {
		t.Errorf("the refused folder changed")
	}

	r = runBT(t, 5*time.Minute, args(shaA)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "done by an earlier run") {
		t.Fatalf("resume with the same SDK: want exit 0, images done by an earlier run\n%s", r)
	}
	sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
	if err != nil || sum.Total != 3 || sum.Built+sum.Skipped != 3 || sum.Settings.SDKSha != shaA {
		t.Errorf("summary after the resume: %+v %v", sum, err)
	}
	for _, o := range manifestLines(t, mpath) {
		if len(o.Tags) != 1 || !strings.Contains(o.Tags[0], shaA[:7]) {
			t.Errorf("%s: tags %v, want SDK %s's", o.Instance, o.Tags, shaA[:7])
		}
	}
}
