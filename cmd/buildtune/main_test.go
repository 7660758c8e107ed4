package main

// These tests run the real buildtune binary as a subprocess: flag errors,
// a build on a private stack, `stack up` reused by a build, and a sweep
// interrupted with SIGINT and resumed. Integration tests need bin/buildkitd
// and runc (`make setup`); they skip without them outside CI.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// buildtuneBin is the binary TestMain builds.
var buildtuneBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "btcmd")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	buildtuneBin = filepath.Join(dir, "buildtune")
	build := exec.Command(goBin, "build", "-o", buildtuneBin, "./cmd/buildtune")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building buildtune: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test folder")
		}
		dir = parent
	}
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout:\n%s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// command prepares buildtune with args, run in a scratch folder (so that
// default paths like runs/ land there) without BUILDKIT_HOST.
func command(t testing.TB, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(buildtuneBin, args...)
	cmd.Dir = t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BUILDKIT_HOST=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// waitFor waits for cmd to exit, killing it (and failing the test) after
// timeout.
func waitFor(t testing.TB, cmd *exec.Cmd, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("waiting for buildtune: %v", err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("buildtune %v still running after %s", cmd.Args[1:], timeout)
		return -1
	}
}

// runBT runs buildtune with args and returns its exit status and output.
func runBT(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	cmd, stdout, stderr := command(t, args...)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	code := waitFor(t, cmd, timeout)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
}

// runIn runs buildtune in-process, as main does without the signals.
func runIn(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(t.Context(), &stdout, &stderr, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var estimateRE = regexp.MustCompile(`about ([0-9][0-9hms.]*)`)

// TestBadInput: bad input exits 2 with one line on stderr naming it, and
// starts nothing.
func TestBadInput(t *testing.T) {
	emptyGrid := writeFile(t, "empty.yaml", "")
	unknownGrid := writeFile(t, "unknown.yaml", "workers: [1]\nwokers: [2]\n")
	// The inputs that would otherwise start work point at a missing
	// buildkitd, so that accepting them by mistake fails fast, with a
	// message the checks below reject.
	const noBK = "/nonexistent/buildkitd"
	tests := []struct {
		name    string
		args    []string
		want    []string
		maxTime time.Duration
	}{
		{"cache mode", []string{"build", "--cache-mode", "maxi", "--buildkitd", noBK}, []string{"--cache-mode", `"maxi"`, "off, min, max"}, 0},
		{"strategy", []string{"build", "--strategy", "two", "--buildkitd", noBK}, []string{"--strategy", `"two"`, "single", "three-phase"}, 0},
		{"build workers", []string{"build", "--workers", "0", "--buildkitd", noBK}, []string{"--workers", "0"}, 0},
		{"sweep workers", []string{"sweep", "--workers", "0", "--buildkitd", noBK}, []string{"--workers", "0"}, 0},
		{"sweep batch", []string{"sweep", "--batch", "-3", "--buildkitd", noBK}, []string{"--batch", "-3"}, 0},
		{"sweep cache", []string{"sweep", "--cache", "fast", "--buildkitd", noBK}, []string{"--cache", `"fast"`, "off, min, max"}, 0},
		{"empty grid", []string{"sweep", "--grid", emptyGrid, "--buildkitd", noBK}, []string{"--grid", emptyGrid, "empty"}, 0},
		{"unknown grid key", []string{"sweep", "--grid", unknownGrid, "--buildkitd", noBK}, []string{"--grid", unknownGrid, `"wokers"`}, 0},
		{"budget", []string{"sweep", "--budget", "1m", "--buildkitd", noBK}, []string{"--budget", "1m0s", "about "}, 0},
		{"missing buildkitd", []string{"build", "--buildkitd", noBK}, []string{noBK, "make setup"}, 0},
		{"unknown command", []string{"frobnicate"}, []string{`"frobnicate"`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			if args[0] == "build" || args[0] == "sweep" {
				args = append(args, "--out", filepath.Join(t.TempDir(), "out"))
			}
			limit := tt.maxTime
			if limit == 0 {
				limit = 20 * time.Second
			}
			r := runIn(t, args...)
			if r.code != exitUsage {
				t.Fatalf("buildtune %v: want exit %d\n%s", args, exitUsage, r)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Errorf("buildtune %v: %d lines on stderr, want 1:\n%s", args, len(lines), r.stderr)
			}
			msg := lines[len(lines)-1]
			if !strings.HasPrefix(msg, "buildtune: ") {
				t.Errorf("message %q does not start with \"buildtune: \"", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("buildtune %v: message %q does not mention %q", args, msg, w)
				}
			}
			if r.stdout != "" {
				t.Errorf("buildtune %v wrote to stdout: %q", args, r.stdout)
			}
			if tt.name == "budget" {
				// The estimate is stated, and it is what exceeds the budget.
				m := estimateRE.FindStringSubmatch(msg)
				if m == nil {
					t.Fatalf("message %q states no estimate", msg)
				}
				if est, err := time.ParseDuration(m[1]); err != nil || est <= time.Minute {
					t.Errorf("estimate %q in %q: want a duration over the 1m budget (%v)", m[1], msg, err)
				}
			}
			if tt.maxTime > 0 && r.took > tt.maxTime {
				t.Errorf("buildtune %v took %s, want under %s", args, r.took, tt.maxTime)
			}
		})
	}
}

// TestHelpFlagNames: --help lists every flag under its own name (pflag
// takes a back-quoted word of the usage as the value's name).
func TestHelpFlagNames(t *testing.T) {
	for _, sub := range []string{"build", "sweep"} {
		r := runIn(t, sub, "--help")
		if r.code != exitOK {
			t.Fatalf("%s --help: want exit 0\n%s", sub, r)
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			for _, f := range []string{"--buildkit-addr ", "--state "} {
				if strings.Contains(line, f) && (strings.Contains(line, f+"stack up") || strings.Contains(line, f+"buildtune stack up")) {
					t.Errorf("%s --help shows a usage word as the value name: %q", sub, strings.TrimSpace(line))
				}
			}
		}
	}
}

// TestHelpEverywhere: --help works on every subcommand and
// sub-subcommand: exit 0, its usage and an example on stdout.
func TestHelpEverywhere(t *testing.T) {
	var cmds [][]string
	for _, c := range subcommands {
		cmds = append(cmds, []string{c.name})
	}
	cmds = append(cmds, []string{"stack", "up"}, []string{"stack", "down"}, []string{"stack", "status"})
	for _, args := range cmds {
		for _, h := range []string{"--help", "-h"} {
			r := runIn(t, append(args, h)...)
			if r.code != exitOK || !strings.Contains(r.stdout, "Usage: buildtune "+args[0]) || !strings.Contains(r.stdout, "buildtune "+args[0]) {
				t.Errorf("buildtune %v %s: want exit 0 and its usage on stdout\n%s", args, h, r)
			}
			if args[0] != "version" && args[0] != "stack" && !strings.Contains(r.stdout, "Example:") {
				t.Errorf("buildtune %v %s: no example\n%s", args, h, r)
			}
		}
	}
	r := runIn(t, "--help")
	if r.code != exitOK || !strings.Contains(r.stdout, "Usage:") {
		t.Errorf("buildtune --help: want exit 0 and the usage\n%s", r)
	}
	// The top-level help names every subcommand, each with its summary.
	for _, c := range subcommands {
		if !strings.Contains(r.stdout, "  buildtune "+c.name) || c.short == "" {
			t.Errorf("buildtune --help does not list %q with a summary:\n%s", c.name, r.stdout)
		}
	}
}

func readRecords(t *testing.T, path string) *record.Set {
	t.Helper()
	set, err := record.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return set
}

func TestBuild(t *testing.T) {
	bk := testenv.Buildkitd(t)
	out := filepath.Join(t.TempDir(), "out")
	r := runBT(t, 3*time.Minute, "build", "--sample", "2", "--workers", "2", "--cache-mode", "min", "--out", out, "--buildkitd", bk)
	if r.code != exitOK {
		t.Fatalf("build: want exit 0\n%s", r)
	}
	recs := filepath.Join(out, "records.jsonl")
	if !strings.Contains(r.stdout, "records: "+recs) {
		t.Errorf("stdout does not name %s:\n%s", recs, r.stdout)
	}
	set := readRecords(t, recs)
	if len(set.Images) != 2 || len(set.Trials) != 1 {
		t.Fatalf("%s: %d image and %d trial records, want 2 and 1", recs, len(set.Images), len(set.Trials))
	}
	seen := map[string]bool{}
	for _, im := range set.Images {
		if im.Status != record.StatusBuilt || im.CacheMode != "min" || im.Workers != 2 {
			t.Errorf("image record %s: status %q, cache %q, workers %d; want built, min, 2", im.Instance, im.Status, im.CacheMode, im.Workers)
		}
		if seen[im.Instance] {
			t.Errorf("instance %s recorded twice", im.Instance)
		}
		seen[im.Instance] = true
	}
	tr := set.Trials[0]
	if tr.Images != 2 || tr.Built != 2 || tr.Failed != 0 || tr.CacheMode != "min" || tr.Workers != 2 || tr.Interrupted {
		t.Errorf("trial record %+v: want 2 images built, cache min, 2 workers", tr)
	}
	// A private stack's processes are known: the host's load is measured.
	if tr.HostCPU <= 0 || tr.ForeignCPU > tr.HostCPU {
		t.Errorf("trial record: host_cpu %v, foreign_cpu %v; want the host's load measured", tr.HostCPU, tr.ForeignCPU)
	}
}

func TestStackUpBuildDown(t *testing.T) {
	bk := testenv.Buildkitd(t)
	state := testenv.Dir(t)
	t.Cleanup(func() {
		if r := runBT(t, 60*time.Second, "stack", "down", "--state", state); r.code != exitOK {
			t.Errorf("stack down in cleanup:\n%s", r)
		}
	})

	r := runBT(t, 2*time.Minute, "stack", "up", "--state", state, "--buildkitd", bk)
	if r.code != exitOK {
		t.Fatalf("stack up:\n%s", r)
	}
	st, err := stack.ReadState(state)
	if err != nil {
		t.Fatalf("stack up left no state: %v\n%s", err, r)
	}
	if len(st.BuildkitAddrs) != 1 || st.Registry == "" || !st.Alive() {
		t.Fatalf("state %+v: want one daemon, a registry and live pids", st)
	}

	r = runBT(t, 20*time.Second, "stack", "status", "--state", state)
	if r.code != exitOK || !strings.Contains(r.stdout, "running") || strings.Contains(r.stdout, "not running") {
		t.Fatalf("stack status while up: want running\n%s", r)
	}

	// No --buildkitd: a private stack could not start, so success means
	// the running one was used.
	out := filepath.Join(t.TempDir(), "out")
	r = runBT(t, 3*time.Minute, "build", "--state", state, "--sample", "2", "--out", out)
	if r.code != exitOK {
		t.Fatalf("build on the running stack:\n%s", r)
	}
	if !strings.Contains(r.stderr, "stack in "+state) {
		t.Errorf("build stderr does not say it used the stack in %s:\n%s", state, r.stderr)
	}
	if set := readRecords(t, filepath.Join(out, "records.jsonl")); len(set.Images) != 2 || len(set.Trials) != 1 {
		t.Errorf("build on the running stack: %d image and %d trial records, want 2 and 1", len(set.Images), len(set.Trials))
	} else if tr := set.Trials[0]; tr.HostCPU <= 0 || tr.ForeignCPU > tr.HostCPU {
		// The kept stack's processes are known (its state's pids): the
		// host's load is measured, as with a private stack.
		t.Errorf("build on the running stack: host_cpu %v, foreign_cpu %v; want the host's load measured", tr.HostCPU, tr.ForeignCPU)
	}

	r = runBT(t, 60*time.Second, "stack", "down", "--state", state)
	if r.code != exitOK {
		t.Fatalf("stack down:\n%s", r)
	}
	for _, p := range st.Pids {
		if err := syscall.Kill(p, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("stack process %d still exists after stack down (kill 0: %v)", p, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, a := range st.BuildkitAddrs {
		if b, err := engine.Dial(ctx, a); err == nil {
			b.Close()
			t.Errorf("buildkitd %s still answers after stack down", a)
		}
	}
	r = runBT(t, 20*time.Second, "stack", "status", "--state", state)
	if r.code != exitOK || !strings.Contains(r.stdout, "not running") {
		t.Errorf("stack status after down: want not running\n%s", r)
	}
}

// TestSweepInterruptResume: the first SIGINT stops a sweep with exit 130
// and a hint to --resume; resuming finishes every planned trial.
func TestSweepInterruptResume(t *testing.T) {
	bk := testenv.Buildkitd(t)
	out := filepath.Join(t.TempDir(), "sweep")
	recs := filepath.Join(out, sweep.RecordsFile)

	cmd, stdout, stderr := command(t, "sweep", "--workers", "1", "--cache", "off", "--reps", "2", "--sample", "2",
		"--out", out, "--buildkitd", bk)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	finished := false
	t.Cleanup(func() {
		if !finished {
			cmd.Process.Kill()
			<-exited
		}
	})

	// Wait until the first image is recorded, then interrupt.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case err := <-exited:
			finished = true
			t.Fatalf("sweep exited (%v) before recording an image\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		case <-deadline:
			t.Fatalf("no image record in %s after 2 minutes\nstderr:\n%s", recs, stderr)
		case <-tick.C:
			if set, err := record.ReadFile(recs); err == nil && len(set.Images) > 0 {
				break wait
			}
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		finished = true
	case <-time.After(60 * time.Second):
		t.Fatalf("sweep still running 60s after SIGINT\nstderr:\n%s", stderr)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("interrupted sweep: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInterrupted, stdout, stderr)
	}
	if !strings.Contains(stderr.String(), "--resume "+out) {
		t.Errorf("interrupted sweep's stderr does not say how to resume (--resume %s):\n%s", out, stderr)
	}
	set := readRecords(t, recs)
	interrupted := 0
	for _, tr := range set.Trials {
		if tr.Interrupted {
			interrupted++
		}
	}
	if interrupted == 0 {
		t.Errorf("no trial recorded as interrupted; trials: %+v", set.Trials)
	}

	r := runBT(t, 3*time.Minute, "sweep", "--resume", out, "--buildkitd", bk)
	if r.code != exitOK {
		t.Fatalf("resumed sweep:\n%s", r)
	}

	info, err := sweep.ReadRunInfo(out)
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Stack; st == nil || !st.Private || st.Daemons != 1 || st.RegistryKind != "embedded" {
		t.Errorf("run.json stack %+v: want the private stack the sweep started (1 daemon, the embedded registry)", st)
	}
	plan := sweep.Plan(info.Grid)
	if len(plan) != 2 {
		t.Errorf("plan of %d trials, want 2 (1 cell x 2 reps)", len(plan))
	}
	set = readRecords(t, recs)
	last := map[int]record.Trial{}
	for _, tr := range set.Trials {
		last[tr.Trial] = tr
	}
	for _, p := range plan {
		tr, ok := last[p.Index]
		switch {
		case !ok:
			t.Errorf("planned trial %d (%s rep %d) has no record", p.Index, p.Cell.Name(), p.Rep)
		case tr.Interrupted || tr.Error != "":
			t.Errorf("planned trial %d: last record interrupted=%v error=%q, want finished", p.Index, tr.Interrupted, tr.Error)
		case tr.Images != 2 || tr.Failed != 0 || tr.Built+tr.Skipped != 2:
			t.Errorf("planned trial %d: %d images, %d built, %d skipped, %d failed; want 2 done", p.Index, tr.Images, tr.Built, tr.Skipped, tr.Failed)
		case tr.Cell != p.Cell.Name() || tr.Rep != p.Rep:
			t.Errorf("planned trial %d is %s rep %d, record says %s rep %d", p.Index, p.Cell.Name(), p.Rep, tr.Cell, tr.Rep)
		}
	}
	// Every finished trial's images are on record, and the warm-up trial
	// (trial 0) ran once and counts for nothing.
	latest := record.Latest(set)
	warmup := 0
	for _, im := range latest.Images {
		if im.Trial == 0 {
			warmup++
		}
	}
	if len(latest.Images)-warmup != 2*len(plan) {
		t.Errorf("%d image records of finished trials, want %d", len(latest.Images)-warmup, 2*len(plan))
	}
	if w, ok := last[0]; !ok || w.Temp != record.TempWarmup || record.Counts(w) || len(record.Select(set).Trials) != len(plan) {
		t.Errorf("warm-up trial: %+v (recorded %v); %d trials count, want %d", w, ok, len(record.Select(set).Trials), len(plan))
	}
}

// TestRegistryDownIsInfra: a --registry that does not answer is an
// infrastructure failure (exit 3) named as the registry, not bad input
// blamed on --buildkit-addr.
func TestRegistryDownIsInfra(t *testing.T) {
	for _, cmd := range []string{"build", "sweep"} {
		r := runIn(t, cmd, "--sample", "1", "--registry", "127.0.0.1:1", "--buildkit-addr", "unix:///nonexistent/buildkitd.sock",
			"--out", filepath.Join(t.TempDir(), "out"))
		if r.code != exitInfra || !strings.Contains(r.stderr, "--registry: registry 127.0.0.1:1 does not answer") || strings.Contains(r.stderr, "--buildkit-addr") {
			t.Errorf("%s with the registry down: want exit %d naming --registry\n%s", cmd, exitInfra, r)
		}
		wantOneLine(t, r)
	}
	// A registry behind a proxy that answers 502/503 (down behind a load
	// balancer) is as down: exit 3, not a failed build (exit 1) or bad input.
	for _, status := range []int{http.StatusBadGateway, http.StatusServiceUnavailable} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
		addr := strings.TrimPrefix(srv.URL, "http://")
		for _, cmd := range []string{"build", "sweep"} {
			r := runIn(t, cmd, "--sample", "1", "--registry", addr, "--buildkit-addr", "unix:///nonexistent/buildkitd.sock",
				"--out", filepath.Join(t.TempDir(), "out"))
			if r.code != exitInfra || !strings.Contains(r.stderr, fmt.Sprintf("answered %d", status)) {
				t.Errorf("%s with a registry answering %d: want exit %d naming it\n%s", cmd, status, exitInfra, r)
			}
			wantOneLine(t, r)
		}
		srv.Close()
	}
	// A given daemon that refuses: no usable daemon, exit 3 (README).
	r := runIn(t, "sweep", "--buildkit-addr", "tcp://127.0.0.1:1", "--buildkitd", "/nonexistent/buildkitd", "--out", filepath.Join(t.TempDir(), "out"))
	if r.code != exitInfra || !strings.Contains(r.stderr, "buildkitd at tcp://127.0.0.1:1 does not answer") {
		t.Errorf("a daemon that refuses: want exit %d naming it\n%s", exitInfra, r)
	}
	wantOneLine(t, r)
}
