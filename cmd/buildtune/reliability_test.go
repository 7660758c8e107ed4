package main

// Reliability tests (issue 10): the real buildtune binary under registry
// faults, SIGKILL at several points, a daemon or registry lost mid-build,
// SIGINT/SIGTERM, and disk pressure. Each checks that no finished image
// and no record is lost, and that a rerun with the same arguments resumes.
// The heavy variants run under BUILDTUNE_LONG=1 (make test-long).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// faultFlags are the registry conditions of the fault tests: 50 ms per
// request, 10% answered 429/503, 5% of connections dropped.
var faultFlags = []string{"--registry-latency", "50ms", "--registry-error-rate", "0.1", "--registry-drop-rate", "0.05"}

// proc is a buildtune process started in the background.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	exited         chan struct{}
	err            error
}

// startBT starts buildtune with args; the test's cleanup kills it if it is
// still running.
func startBT(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd, stdout, stderr := command(t, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdout: stdout, stderr: stderr, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		if p.running() {
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) String() string {
	code := -1
	if !p.running() {
		code = p.cmd.ProcessState.ExitCode()
	}
	return fmt.Sprintf("buildtune %v: exit %d\nstdout:\n%s\nstderr:\n%s", p.cmd.Args[1:], code, p.stdout, p.stderr)
}

// wait waits for the process to exit and returns its exit status (-1 if
// killed by a signal), failing the test after timeout.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("still running after %s\n%s", timeout, p)
		return -1
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && p.running() {
		t.Fatal(err)
	}
	<-p.exited
}

// until polls cond every 20 ms until it holds. It fails the test if the
// process exits first or the deadline passes; it returns false (without
// failing) only when the process exited and allowExit is set.
func (p *proc) until(t *testing.T, timeout time.Duration, what string, allowExit bool, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-p.exited:
			if cond() {
				return true
			}
			if allowExit {
				return false
			}
			t.Fatalf("exited before %s\n%s", what, p)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %s\n%s", what, timeout, p)
		}
	}
}

// manifestLines reads a manifest, tolerating a torn tail; a missing file
// is no lines.
func manifestLines(t *testing.T, path string) []manifest.Output {
	t.Helper()
	outs, _, err := manifest.Read(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reading %s: %v", path, err)
	}
	return outs
}

// builtNow returns the instances with a built line in the manifest.
func builtNow(t *testing.T, path string) map[string]bool {
	m := map[string]bool{}
	for _, o := range manifestLines(t, path) {
		if o.Status == manifest.StatusBuilt {
			m[o.Instance] = true
		}
	}
	return m
}

// builds counts the built image records per instance in a records file.
func builds(t *testing.T, path string) map[string]int {
	t.Helper()
	set, err := record.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	n := map[string]int{}
	for _, im := range set.Images {
		if im.Status == record.StatusBuilt && im.Instance != "" {
			n[im.Instance]++
		}
	}
	return n
}

// checkFinalManifest checks that the latest manifest line of each of n
// images is built or skipped with no error; strict also wants exactly one
// line per image (a run that was never stopped). It returns the latest
// lines.
func checkFinalManifest(t *testing.T, path string, n int, strict bool) []manifest.Output {
	t.Helper()
	outs, torn, err := manifest.Read(path)
	if err != nil || torn {
		t.Fatalf("manifest %s: torn=%v err=%v", path, torn, err)
	}
	seen := map[string]int{}
	for _, o := range outs {
		seen[o.Instance]++
	}
	latest := manifest.Latest(outs)
	for _, o := range latest {
		if o.Status == manifest.StatusFailed || o.Error != nil {
			t.Errorf("manifest: final line of %s: %s, error %v", o.Instance, o.Status, o.Error)
		}
	}
	if len(latest) != n || len(seen) != n {
		t.Errorf("manifest: %d final lines for %d instances, want %d", len(latest), len(seen), n)
	}
	for id, c := range seen {
		if strict && c != 1 {
			t.Errorf("manifest: %s has %d lines, want 1", id, c)
		}
	}
	return latest
}

// noTemps fails if a temporary file of an atomic write is left in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

// verifyImages fetches every tag of every manifest line from the registry
// and checks the manifest, config and every layer blob against their
// digests.
func verifyImages(t *testing.T, outs []manifest.Output) {
	t.Helper()
	for _, o := range outs {
		if len(o.Tags) == 0 {
			t.Errorf("%s: no tags in the manifest", o.Instance)
		}
		for _, tag := range o.Tags {
			if err := verifyImage(tag); err != nil {
				t.Errorf("%s: %v", o.Instance, err)
			}
		}
	}
}

func verifyImage(tag string) error {
	ref, err := name.ParseReference(tag, name.Insecure)
	if err != nil {
		return err
	}
	desc, err := remote.Get(ref)
	if err != nil {
		return fmt.Errorf("get %s: %w", tag, err)
	}
	if sum := sha256.Sum256(desc.Manifest); "sha256:"+hex.EncodeToString(sum[:]) != desc.Digest.String() {
		return fmt.Errorf("%s: manifest digest mismatch", tag)
	}
	img, err := desc.Image()
	if err != nil {
		return fmt.Errorf("%s: %w", tag, err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("%s: config: %w", tag, err)
	}
	cn, err := img.ConfigName()
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(cfg); "sha256:"+hex.EncodeToString(sum[:]) != cn.String() {
		return fmt.Errorf("%s: config digest mismatch", tag)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) == 0 {
		return fmt.Errorf("%s: %d layers: %v", tag, len(layers), err)
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		// Fetch the blob by digest without the library's own verification,
		// and hash it here.
		bl, err := remote.Layer(ref.Context().Digest(d.String()))
		if err != nil {
			return fmt.Errorf("%s: layer %s: %w", tag, d, err)
		}
		rc, err := bl.Compressed()
		if err != nil {
			return fmt.Errorf("%s: layer %s: %w", tag, d, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: reading layer %s: %w", tag, d, err)
		}
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != d.String() {
			return fmt.Errorf("%s: layer %s has digest %s", tag, d, got)
		}
	}
	return nil
}

var proxyRE = regexp.MustCompile(`registry proxy: (\d+) requests, (\d+) answered 429/503, (\d+) dropped`)

// proxyStats parses the proxy line a build prints.
func proxyStats(stdout string) (requests, errors, drops int, ok bool) {
	m := proxyRE.FindStringSubmatch(stdout)
	if m == nil {
		return 0, 0, 0, false
	}
	requests, _ = strconv.Atoi(m[1])
	errors, _ = strconv.Atoi(m[2])
	drops, _ = strconv.Atoi(m[3])
	return requests, errors, drops, true
}

// stackUp starts a shared stack for the test (stopped at its end), so that
// its registry outlives each buildtune process.
func stackUp(t *testing.T, extra ...string) (state string, st *stack.State) {
	t.Helper()
	bk := testenv.Buildkitd(t)
	state = testenv.Dir(t)
	t.Cleanup(func() { runBT(t, 60*time.Second, "stack", "down", "--state", state) })
	if r := runBT(t, 2*time.Minute, append([]string{"stack", "up", "--state", state, "--buildkitd", bk}, extra...)...); r.code != exitOK {
		t.Fatalf("stack up:\n%s", r)
	}
	st, err := stack.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	return state, st
}

// TestBuildRegistryFaults: a production build under 50 ms latency, 10%
// 429/503 answers and 5% dropped connections completes every image, every
// pushed image verifies blob by blob, the manifest has one line per image,
// and the faults were really injected (and absorbed). 8 images; 24 in the
// long suite.
func TestBuildRegistryFaults(t *testing.T) {
	n := 8
	if testenv.Long() {
		n = 24
	}
	state, _ := stackUp(t)
	out := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	r := runBT(t, 15*time.Minute, append([]string{"build", "--sample", strconv.Itoa(n), "--workers", "4", "--state", state, "--out", out}, faultFlags...)...)
	if r.code != exitOK {
		t.Fatalf("build under registry faults: want exit 0\n%s", r)
	}
	outs := checkFinalManifest(t, filepath.Join(out, manifest.ManifestFile), n, true)
	for _, o := range outs {
		if o.Status != manifest.StatusBuilt {
			t.Errorf("%s: status %s, want built (a fresh registry)", o.Instance, o.Status)
		}
	}
	sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
	if err != nil || sum.Total != n || sum.Built != n {
		t.Errorf("summary %+v (%v): want %d built", sum, err, n)
	}
	verifyImages(t, outs)
	req, errs, drops, ok := proxyStats(r.stdout)
	retried := 0
	for _, o := range outs {
		if o.AttemptCount > 1 {
			retried++
		}
	}
	if !ok || req == 0 {
		t.Fatalf("no registry proxy counts on stdout:\n%s", r.stdout)
	}
	if errs+drops == 0 && retried == 0 {
		t.Errorf("no fault injected (%d requests) and no retry: the test proves nothing", req)
	}
	set := readRecords(t, filepath.Join(out, "records.jsonl"))
	if len(set.Trials) != 1 || set.Trials[0].BytesPushed == 0 || set.Trials[0].Registry == "direct" {
		t.Errorf("trial record: want one trial with bytes pushed through the proxy and the conditions as registry; %+v", set.Trials)
	}
	noTemps(t, out)
	t.Logf("RESULT faults: %d images built in %s; proxy %d requests, %d answered 429/503, %d dropped; %d images retried by buildtune",
		n, time.Since(start).Round(time.Second), req, errs, drops, retried)
}

// TestSweepRegistryFaults (long): a sweep under the same faults. Every
// image that failed is classed infra (a fault is never a build result),
// every trial with a failure records it as infra_failed, and
// record.Select leaves those trials out.
func TestSweepRegistryFaults(t *testing.T) {
	if !testenv.Long() {
		t.Skip("long: BUILDTUNE_LONG=1")
	}
	bk := testenv.Buildkitd(t)
	out := filepath.Join(t.TempDir(), "sweep")
	// A higher error rate in a second cell makes faults surface as failed
	// images (--attempts 1: BuildKit's own retries absorb most at 10%).
	r := runBT(t, 20*time.Minute, append([]string{"sweep", "--workers", "2,4", "--cache", "off", "--reps", "2", "--sample", "4",
		"--out", out, "--buildkitd", bk}, faultFlags...)...)
	if r.code != exitOK && r.code != exitFailed {
		t.Fatalf("sweep under faults: exit %d\n%s", r.code, r)
	}
	checkFaultSweep(t, out)
}

// checkFaultSweep checks the records of a sweep run under faults.
func checkFaultSweep(t *testing.T, out string) (hit, counted int) {
	t.Helper()
	set := readRecords(t, filepath.Join(out, sweep.RecordsFile))
	latest := record.Latest(set)
	failedBy := map[int]int{}
	for _, im := range latest.Images {
		if im.Status == record.StatusFailed {
			failedBy[im.Trial]++
			if im.ErrClass != record.ErrInfra {
				t.Errorf("trial %d %s: failed under registry faults with class %q (%s), want infra", im.Trial, im.Instance, im.ErrClass, im.Error)
			}
		}
	}
	sel := record.Select(set)
	in := map[int]bool{}
	for _, tr := range sel.Trials {
		in[tr.Trial] = true
		if tr.Failed > 0 || tr.InfraFailed > 0 {
			t.Errorf("trial %d counts for statistics with %d failed (%d infra)", tr.Trial, tr.Failed, tr.InfraFailed)
		}
	}
	for _, tr := range latest.Trials {
		if failedBy[tr.Trial] > 0 {
			hit++
			if tr.InfraFailed != failedBy[tr.Trial] {
				t.Errorf("trial %d: %d images failed, infra_failed %d", tr.Trial, failedBy[tr.Trial], tr.InfraFailed)
			}
			if in[tr.Trial] {
				t.Errorf("trial %d hit by faults is selected", tr.Trial)
			}
		}
	}
	for _, im := range sel.Images {
		if im.Status == record.StatusFailed {
			t.Errorf("selected image record of trial %d failed: %s", im.Trial, im.Error)
		}
	}
	t.Logf("RESULT sweep faults: %d trials, %d hit by faults (excluded), %d counted", len(latest.Trials), hit, len(sel.Trials))
	return hit, len(sel.Trials)
}

// TestBuildKillResume: SIGKILL during a build (after the first manifest
// line; mid-push in the long suite), torn tails appended by hand, then a
// rerun with the same arguments: it completes, reports the torn tails,
// and builds nothing again that the manifest had as built before a kill.
func TestBuildKillResume(t *testing.T) {
	n := 8
	state, _ := stackUp(t)
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"build", "--sample", strconv.Itoa(n), "--workers", "2", "--state", state, "--out", out, "--trace"}
	mpath := filepath.Join(out, manifest.ManifestFile)
	rpath := filepath.Join(out, "records.jsonl")
	doneBefore := map[string]bool{}
	kills := 0

	// Crash point 1: right after the first manifest line.
	p := startBT(t, args...)
	p.until(t, 5*time.Minute, "first manifest line", false, func() bool { return len(manifestLines(t, mpath)) >= 1 })
	p.kill(t)
	kills++
	for id := range builtNow(t, mpath) {
		doneBefore[id] = true
	}
	t.Logf("RESULT kill 1 (after the first manifest line): %d built before the kill", len(doneBefore))

	if testenv.Long() {
		// Crash point 2: mid-push, when a trace of an image without a
		// manifest line shows its layers being pushed.
		p = startBT(t, args...)
		pushing := func() bool {
			done := map[string]bool{}
			for _, o := range manifestLines(t, mpath) {
				done[o.Instance] = true
			}
			ents, _ := os.ReadDir(filepath.Join(out, "traces"))
			for _, e := range ents {
				b, _ := os.ReadFile(filepath.Join(out, "traces", e.Name()))
				if !bytes.Contains(b, []byte("pushing layers")) {
					continue
				}
				inFlight := true
				for id := range done {
					if strings.Contains(e.Name(), safeName(id)) {
						inFlight = false
					}
				}
				if inFlight {
					return true
				}
			}
			return false
		}
		if p.until(t, 5*time.Minute, "a push in flight", true, pushing) {
			p.kill(t)
			kills++
		}
		for id := range builtNow(t, mpath) {
			doneBefore[id] = true
		}
		t.Logf("RESULT kill 2 (mid-push): %d built before the kill", len(doneBefore))
	}

	// A torn last line on both files, as a crash mid-append leaves them.
	for _, f := range []string{mpath, rpath} {
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fh.WriteString(`{"v":1,"kind":"image","instance":"torn`)
		fh.Close()
	}
	before := builds(t, rpath)
	r := runBT(t, 10*time.Minute, args...)
	if r.code != exitOK {
		t.Fatalf("rerun after %d kills: want exit 0\n%s", kills, r)
	}
	if !strings.Contains(r.stderr, "manifest: cut a torn last line") || !strings.Contains(r.stderr, "records: cut a torn last line") {
		t.Errorf("rerun does not report both torn tails:\n%s", r.stderr)
	}
	outs := checkFinalManifest(t, mpath, n, true)
	after := builds(t, rpath)
	for id := range doneBefore {
		if after[id] != before[id] {
			t.Errorf("%s was built before a kill and built again after (%d -> %d built records)", id, before[id], after[id])
		}
	}
	set := readRecords(t, rpath)
	if set.Torn {
		t.Errorf("records still torn after the rerun")
	}
	sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
	if err != nil || sum.Total != n || sum.Failed != 0 || sum.Built+sum.Skipped != n {
		t.Errorf("summary after the rerun: %+v %v", sum, err)
	}
	verifyImages(t, outs)
	noTemps(t, out)
	t.Logf("RESULT build kills: %d kills, %d images built before them, 0 rebuilt; %d manifest lines, %d image records", kills, len(doneBefore), len(outs), len(set.Images))
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// TestSweepKillResume (long): SIGKILL a sweep between two image records,
// tear its last line, and --resume: every planned trial finishes, the torn
// tail is reported, and no record written before the kill is lost.
func TestSweepKillResume(t *testing.T) {
	if !testenv.Long() {
		t.Skip("long: BUILDTUNE_LONG=1")
	}
	bk := testenv.Buildkitd(t)
	out := filepath.Join(t.TempDir(), "sweep")
	recs := filepath.Join(out, sweep.RecordsFile)
	p := startBT(t, "sweep", "--workers", "2", "--cache", "off", "--reps", "2", "--sample", "3", "--warmup=false", "--out", out, "--buildkitd", bk)
	images := func() int {
		set, err := record.ReadFile(recs)
		if err != nil {
			return 0
		}
		return len(set.Images)
	}
	p.until(t, 5*time.Minute, "two image records", false, func() bool { return images() >= 2 })
	p.kill(t)
	kept, err := os.ReadFile(recs)
	if err != nil {
		t.Fatal(err)
	}
	fh, _ := os.OpenFile(recs, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(`{"v":1,"kind":"ima`)
	fh.Close()
	r := runBT(t, 10*time.Minute, "sweep", "--resume", out, "--buildkitd", bk)
	if r.code != exitOK {
		t.Fatalf("resume after SIGKILL:\n%s", r)
	}
	if !strings.Contains(r.stdout+r.stderr, "torn") {
		t.Errorf("resume does not report the torn tail:\n%s", r)
	}
	all, _ := os.ReadFile(recs)
	if !bytes.HasPrefix(all, kept) {
		t.Errorf("records written before the kill were not kept as they were")
	}
	checkSweepDone(t, out, 3)
	t.Logf("RESULT sweep kill: %d records before the kill kept", bytes.Count(kept, []byte("\n")))
}

// checkSweepDone checks that every planned trial of the sweep in out has a
// finished last record with all its images done.
func checkSweepDone(t *testing.T, out string, perTrial int) {
	t.Helper()
	info, err := sweep.ReadRunInfo(out)
	if err != nil {
		t.Fatal(err)
	}
	set := readRecords(t, filepath.Join(out, sweep.RecordsFile))
	if set.Torn {
		t.Errorf("records torn after resume")
	}
	last := map[int]record.Trial{}
	for _, tr := range set.Trials {
		last[tr.Trial] = tr
	}
	for _, pl := range sweep.Plan(info.Grid) {
		tr, ok := last[pl.Index]
		if !ok || tr.Interrupted || tr.Error != "" || tr.Images != perTrial || tr.Built+tr.Skipped != perTrial {
			t.Errorf("planned trial %d: last record %+v (recorded %v), want %d images done", pl.Index, tr, ok, perTrial)
		}
	}
}

// TestReportKill: SIGKILL during `buildtune report` at several points
// leaves report.md either absent or whole, and a finished report leaves no
// temporary file.
func TestReportKill(t *testing.T) {
	ref := copyRun(t)
	if r := runBT(t, time.Minute, "report", ref, "--images", "40"); r.code != exitOK {
		t.Fatalf("report: %s", r)
	}
	want, err := os.ReadFile(filepath.Join(ref, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	noTemps(t, ref)
	points := []struct {
		name string
		cond func(dir string) bool
	}{
		{"at start", func(string) bool { return true }},
		{"plots folder made", func(d string) bool { _, err := os.Stat(filepath.Join(d, "plots")); return err == nil }},
		{"first chart written", func(d string) bool { m, _ := filepath.Glob(filepath.Join(d, "plots", "*.png")); return len(m) > 0 }},
		{"a temporary file exists", func(d string) bool {
			m, _ := filepath.Glob(filepath.Join(d, ".*tmp*"))
			m2, _ := filepath.Glob(filepath.Join(d, "plots", ".*tmp*"))
			return len(m)+len(m2) > 0
		}},
	}
	hits := 0
	for _, pt := range points {
		dir := copyRun(t)
		p := startBT(t, "report", dir, "--images", "40")
		deadline := time.Now().Add(time.Minute)
		for p.running() && !pt.cond(dir) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // a tight poll of the condition, not a wait for time
		}
		killed := p.running()
		p.kill(t)
		if killed {
			hits++
		}
		got, err := os.ReadFile(filepath.Join(dir, "report.md"))
		switch {
		case os.IsNotExist(err):
		case err != nil:
			t.Errorf("%s: %v", pt.name, err)
		case !bytes.Equal(got, want):
			t.Errorf("kill %s: report.md is not whole (%d bytes, want %d)", pt.name, len(got), len(want))
		}
		stale, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
		stalePlots, _ := filepath.Glob(filepath.Join(dir, "plots", ".*tmp*"))
		stale = append(stale, stalePlots...)
		// A rerun finishes and leaves no temporary file of its own.
		if r := runBT(t, time.Minute, "report", dir, "--images", "40"); r.code != exitOK {
			t.Fatalf("report after a kill %s: %s", pt.name, r)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "report.md")); !bytes.Equal(got, want) {
			t.Errorf("report after a kill %s differs from a clean one", pt.name)
		}
		t.Logf("RESULT report kill %s: killed while running %v; %d stale temporary files left by the kill", pt.name, killed, len(stale))
	}
	if hits == 0 {
		t.Errorf("no kill landed while report was running")
	}
	// analysis.json: written whole.
	if r := runBT(t, time.Minute, "analyze", ref); r.code != exitOK {
		t.Fatalf("analyze: %s", r)
	}
	var a map[string]any
	if b, err := os.ReadFile(filepath.Join(ref, "analysis.json")); err != nil || json.Unmarshal(b, &a) != nil {
		t.Errorf("analysis.json not whole JSON: %v", err)
	}
	noTemps(t, ref)
}

// childPids returns the pids whose parent is ppid and whose command line
// contains match.
func childPids(ppid int, match string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(ppid) {
			continue
		}
		cl, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(cl, []byte(match)) {
			out = append(out, pid)
		}
	}
	return out
}

// TestBuildDaemonLost: buildkitd of a private stack is killed during a
// build: exit 3 naming the daemon, the manifest and records kept; a rerun
// into the same folder on a working daemon resumes and finishes.
func TestBuildDaemonLost(t *testing.T) {
	lostTest(t, "buildkitd", nil, "buildkitd")
}

// TestBuildRegistryLost (long): the registry (Debian's docker-registry of a
// private stack) is killed during a build: exit 3 naming the registry, and
// a rerun resumes.
func TestBuildRegistryLost(t *testing.T) {
	if !testenv.Long() {
		t.Skip("long: BUILDTUNE_LONG=1")
	}
	if _, err := exec.LookPath("docker-registry"); err != nil {
		t.Skip("no docker-registry")
	}
	lostTest(t, "docker-registry", []string{"--registry", "distribution"}, "registry")
}

func lostTest(t *testing.T, victim string, extra []string, wantWord string) {
	bk := testenv.Buildkitd(t)
	n := 6
	out := filepath.Join(t.TempDir(), "out")
	mpath := filepath.Join(out, manifest.ManifestFile)
	rpath := filepath.Join(out, "records.jsonl")
	args := append([]string{"build", "--sample", strconv.Itoa(n), "--workers", "2", "--out", out, "--buildkitd", bk}, extra...)
	p := startBT(t, args...)
	p.until(t, 5*time.Minute, "first manifest line", false, func() bool { return len(manifestLines(t, mpath)) >= 1 })
	pids := childPids(p.cmd.Process.Pid, victim)
	if len(pids) != 1 {
		t.Fatalf("%s children of buildtune: %v, want one", victim, pids)
	}
	linesBefore := manifestLines(t, mpath)
	recBefore, _ := os.ReadFile(rpath)
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code := p.wait(t, 3*time.Minute)
	took := time.Since(start)
	if code != exitInfra {
		t.Fatalf("%s killed: exit %d, want %d\n%s", victim, code, exitInfra, p)
	}
	last := lastLine(p.stderr.String())
	if !strings.Contains(last, "infrastructure failure") || !strings.Contains(strings.ToLower(last), wantWord) {
		t.Errorf("last stderr line %q does not name the %s", last, wantWord)
	}
	after := manifestLines(t, mpath)
	if len(after) < len(linesBefore) {
		t.Errorf("manifest lost lines: %d before, %d after", len(linesBefore), len(after))
	}
	recAfter, _ := os.ReadFile(rpath)
	if !bytes.HasPrefix(recAfter, recBefore) {
		t.Errorf("records written before the loss were changed")
	}
	// Images in flight may be recorded failed; their records must say
	// infra (the machinery, not the build) or canceled (a sibling stopped
	// by the infra stop), and the rerun rebuilds them.
	set := readRecords(t, rpath)
	for _, im := range set.Images {
		if im.Status == record.StatusFailed && im.ErrClass != record.ErrInfra && im.ErrClass != record.ErrCanceled {
			t.Errorf("%s failed with class %q after the %s was lost, want infra: %s", im.Instance, im.ErrClass, victim, im.Error)
		}
	}
	done := builtNow(t, mpath)
	before := builds(t, rpath)
	r := runBT(t, 10*time.Minute, args...)
	if r.code != exitOK {
		t.Fatalf("rerun on a working stack:\n%s", r)
	}
	if !strings.Contains(r.stdout, "done by an earlier run") && len(done) > 0 {
		t.Errorf("rerun does not say it resumed:\n%s", r.stdout)
	}
	checkFinalManifest(t, mpath, n, false)
	afterB := builds(t, rpath)
	for id := range done {
		if afterB[id] != before[id] {
			t.Errorf("%s built again after the resume", id)
		}
	}
	t.Logf("RESULT %s lost: exit %d after %s (%q); %d of %d images kept, rerun finished", victim, code, took.Round(time.Millisecond), last, len(done), n)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestBuildInterrupt: SIGINT and SIGTERM during a build exit within 10 s
// with 130, write no line for the images in flight (a resume builds them),
// keep the records whole, and a rerun into the same folder finishes.
// SIGTERM in the default suite, both in the long one.
func TestBuildInterrupt(t *testing.T) {
	sigs := []syscall.Signal{syscall.SIGTERM}
	if testenv.Long() {
		sigs = append(sigs, syscall.SIGINT)
	}
	bk := testenv.Buildkitd(t)
	for _, sig := range sigs {
		t.Run(sig.String(), func(t *testing.T) {
			n := 6
			out := filepath.Join(t.TempDir(), "out")
			mpath := filepath.Join(out, manifest.ManifestFile)
			rpath := filepath.Join(out, "records.jsonl")
			args := []string{"build", "--sample", strconv.Itoa(n), "--workers", "2", "--out", out, "--buildkitd", bk}
			p := startBT(t, args...)
			p.until(t, 5*time.Minute, "first manifest line", false, func() bool { return len(manifestLines(t, mpath)) >= 1 })
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			code := p.wait(t, time.Minute)
			took := time.Since(start)
			if code != exitInterrupted || took > 10*time.Second {
				t.Errorf("%v: exit %d after %s, want %d within 10s\n%s", sig, code, took, exitInterrupted, p)
			}
			set := readRecords(t, rpath)
			if set.Torn || len(set.Trials) != 1 || !set.Trials[0].Interrupted {
				t.Errorf("%v: records torn=%v trials %+v, want one interrupted trial", sig, set.Torn, set.Trials)
			}
			if _, torn, err := manifest.Read(mpath); torn || err != nil {
				t.Errorf("%v: manifest torn=%v %v", sig, torn, err)
			}
			for _, o := range manifestLines(t, mpath) {
				if o.Status == manifest.StatusFailed {
					t.Errorf("%v: %s recorded failed by the interrupt: %v", sig, o.Instance, *o.Error)
				}
			}
			done := builtNow(t, mpath)
			before := builds(t, rpath)
			r := runBT(t, 10*time.Minute, args...)
			if r.code != exitOK {
				t.Fatalf("rerun after %v:\n%s", sig, r)
			}
			checkFinalManifest(t, mpath, n, true)
			after := builds(t, rpath)
			for id := range done {
				if after[id] != before[id] {
					t.Errorf("%s built again after the resume", id)
				}
			}
			t.Logf("RESULT build %v: exit %d after %s; %d of %d done before, rerun finished", sig, code, took.Round(time.Millisecond), len(done), n)
		})
	}
}

// TestSweepSIGTERMResume (long): SIGTERM stops a sweep like SIGINT: exit
// 130 within 10 s, the trial in flight marked interrupted, and --resume
// finishes.
func TestSweepSIGTERMResume(t *testing.T) {
	if !testenv.Long() {
		t.Skip("long: BUILDTUNE_LONG=1")
	}
	bk := testenv.Buildkitd(t)
	out := filepath.Join(t.TempDir(), "sweep")
	recs := filepath.Join(out, sweep.RecordsFile)
	p := startBT(t, "sweep", "--workers", "1", "--cache", "off", "--reps", "2", "--sample", "2", "--out", out, "--buildkitd", bk)
	p.until(t, 5*time.Minute, "an image record", false, func() bool {
		set, err := record.ReadFile(recs)
		return err == nil && len(set.Images) > 0
	})
	p.cmd.Process.Signal(syscall.SIGTERM)
	start := time.Now()
	code := p.wait(t, time.Minute)
	if took := time.Since(start); code != exitInterrupted || took > 10*time.Second {
		t.Errorf("SIGTERM: exit %d after %s, want %d within 10s\n%s", code, took, exitInterrupted, p)
	}
	set := readRecords(t, recs)
	interrupted := false
	for _, tr := range set.Trials {
		interrupted = interrupted || tr.Interrupted
	}
	if !interrupted {
		t.Errorf("no trial marked interrupted: %+v", set.Trials)
	}
	if r := runBT(t, 10*time.Minute, "sweep", "--resume", out, "--buildkitd", bk); r.code != exitOK {
		t.Fatalf("resume after SIGTERM:\n%s", r)
	}
	checkSweepDone(t, out, 2)
}

// TestBuildPrunePressure: a 1 MiB prune threshold keeping nothing forces a
// prune after nearly every image of a stream build of 8; every image
// completes and the prunes are recorded as events and in the summary.
func TestBuildPrunePressure(t *testing.T) {
	bk := testenv.Buildkitd(t)
	n := 8
	out := filepath.Join(t.TempDir(), "out")
	r := runBT(t, 10*time.Minute, "build", "--sample", strconv.Itoa(n), "--workers", "2", "--batch", "stream",
		"--prune-threshold", "1MiB", "--prune-keep", "0", "--out", out, "--buildkitd", bk)
	if r.code != exitOK {
		t.Fatalf("build under prune pressure:\n%s", r)
	}
	checkFinalManifest(t, filepath.Join(out, manifest.ManifestFile), n, true)
	set := readRecords(t, filepath.Join(out, "records.jsonl"))
	prunes := 0
	for _, e := range set.Events {
		if e.Type == record.EventPrune {
			prunes++
		}
	}
	sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if prunes < 2 || sum.Prunes < 2 || sum.Prunes != prunes || sum.Built != n {
		t.Errorf("%d prune events, summary prunes %d, built %d; want >= 2 prunes, the same in both, %d built", prunes, sum.Prunes, sum.Built, n)
	}
	noTemps(t, out)
	t.Logf("RESULT prune pressure: %d images built, %d prunes (%.1fs)", sum.Built, sum.Prunes, sum.PruneSeconds)
}
