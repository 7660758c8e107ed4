package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbe10InputNamed: refusals that did not name the input they came
// from. The sweep's checks of the assembled grid said "invalid grid:
// sample 0" for --sample 0 (also prove's), and the same for --temp warm
// and a --config given twice; the registry conditions said "registry
// conditions: ..." (sweep, prove) or "--registry-*" (build); a --grid
// file's sample larger than the 433 ids was refused as "--sample", and
// its missing profile as "--profile", flags nobody gave. Each is now one
// line naming the flag, or the --grid file, with exit 2 and nothing
// created.
func TestProbe10InputNamed(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	gridSample := writeFile(t, "sample.yaml", "sample: 1000\n")
	gridProfile := writeFile(t, "profile.yaml", "profile: /nonexistent/profile.yaml\n")
	// A daemon that does not answer: an input accepted by mistake ends at
	// once with exit 3.
	noDaemon := []string{"--buildkit-addr", "unix:///nonexistent/buildkitd.sock", "--reps", "1"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "--sample", "0"}, "--sample 0: want 1 or more instances"},
		{[]string{"sweep", "--sample", "99999999"}, "--sample 99999999: want at most"},
		{[]string{"sweep", "--temp", "warm"}, "--temp warm: a warm trial needs the cold trial"},
		{[]string{"sweep", "--config", "workers=1,batch=2", "--config", "workers=1,batch=2,cache=off"}, "--config workers=1,batch=2,cache=off,strategy=single: listed twice"},
		{[]string{"sweep", "--registry-latency", "2m"}, "--registry-latency: latency 2m0s"},
		{[]string{"sweep", "--registry-error-rate", "1.5"}, "--registry-error-rate: error rate 1.5"},
		{[]string{"sweep", "--registry-error-rate", "0.6", "--registry-drop-rate", "0.6"}, "--registry-error-rate and --registry-drop-rate: error rate 0.6 plus drop rate 0.6"},
		{[]string{"sweep", "--grid", gridSample}, "--grid " + gridSample + ": sample 1000, more than the 433 SWT-Bench instances"},
		{[]string{"sweep", "--grid", gridProfile}, "--grid " + gridProfile + ": profile: "},
		{[]string{"prove", "--head", "workers=2", "--sample", "0"}, "--sample 0: want 1 or more instances"},
		{[]string{"prove", "--head", "workers=2", "--registry-drop-rate", "2"}, "--registry-drop-rate: drop rate 2"},
		{[]string{"build", "--registry-latency", "2m"}, "--registry-latency: latency 2m0s"},
		{[]string{"build", "--registry-error-rate", "0.6", "--registry-drop-rate", "0.6"}, "--registry-error-rate and --registry-drop-rate"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append(append(append([]string{}, tc.args...), "--out", out), noDaemon...)
			if tc.args[0] == "build" {
				args = append(args[:len(args)-2:len(args)-2], "--sample", "2")
			}
			r := runIn(t, args...)
			msg := strings.TrimRight(r.stderr, "\n")
			if r.code != exitUsage || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "invalid grid") {
				t.Errorf("%q: want exit 2 and one line with %q\n%s", args, tc.want, r)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%q created %s", args, out)
			}
		})
	}
}

// TestProbe10ResumeOtherSeed: a build resumed into its folder with another
// --seed (and no --sdk-sha) was refused as "holds a build of SDK X, and
// this one is SDK Y: ... or the same --sdk-sha to resume", naming a flag
// the user never gave; the SDK sha had changed because it follows --seed.
// The refusal now says so, and still changes nothing in the folder.
func TestProbe10ResumeOtherSeed(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	out, list := finishedBuild(t, []string{"django__django-11099", "sympy__sympy-20590"})
	r := runIn(t, "build", "--instances", list, "--all", "--out", out, "--seed", "9", "--buildkitd", "/nonexistent/buildkitd")
	msg := strings.TrimRight(r.stderr, "\n")
	if r.code != exitUsage || strings.Contains(msg, "\n") || !strings.Contains(msg, "--out "+out+": holds a build of SDK") || !strings.Contains(msg, "follows --seed") {
		t.Errorf("want exit 2 and one line naming --out and --seed\n%s", r)
	}
}

// TestProbe10ProveResumeWithoutHead: `prove --resume DIR` without --head
// said only "--head: missing: want the proposed settings", also for a DIR
// that does not exist or holds no proof. It now names the folder's
// problem, or the cells the proof measured (the pair to give again).
func TestProbe10ProveResumeWithoutHead(t *testing.T) {
	run := copyRun(t)
	missing := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{missing, []string{"--resume " + missing, "want the folder of a proof"}},
		{run, []string{"--head: missing", "a resumed proof takes the --base and --head it was started with", "workers="}},
	} {
		r := runIn(t, "prove", "--resume", tc.dir, "--buildkitd", "/nonexistent/buildkitd")
		msg := strings.TrimRight(r.stderr, "\n")
		if r.code != exitUsage || strings.Contains(msg, "\n") {
			t.Errorf("prove --resume %s: want exit 2 and one line\n%s", tc.dir, r)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("prove --resume %s: stderr lacks %q\n%s", tc.dir, w, r)
			}
		}
	}
}

// TestProbe10ReportStepSummaryWarning: a $GITHUB_STEP_SUMMARY that cannot
// be appended to (a folder, a missing folder) was said as
// "buildtune: writing $GITHUB_STEP_SUMMARY: ...", the form of a failure,
// while report exits 0 with its files written. It is a warning, as build's.
func TestProbe10ReportStepSummaryWarning(t *testing.T) {
	run := copyRun(t)
	for _, s := range []string{t.TempDir(), filepath.Join(t.TempDir(), "none", "summary.md")} {
		t.Setenv("GITHUB_STEP_SUMMARY", s)
		r := runIn(t, "report", run)
		if r.code != exitOK || !strings.Contains(r.stderr, "warning: writing the step summary") || strings.Contains(r.stderr, "buildtune: writing") {
			t.Errorf("GITHUB_STEP_SUMMARY=%s: want exit 0 and a warning\n%s", s, r)
		}
		if _, err := os.Stat(filepath.Join(run, "report.md")); err != nil {
			t.Errorf("GITHUB_STEP_SUMMARY=%s: report.md not written: %v", s, err)
		}
	}
}

// TestProbe10ReportValidationFile: report --validation given the file
// validate wrote (FULL/validation.json) rather than its folder was refused
// as "open FULL/validation.json/validation.json: not a directory". The
// file is taken for its folder; another file is refused saying what the
// flag takes.
func TestProbe10ReportValidationFile(t *testing.T) {
	sweepDir := writeListSweep(t)
	full := fullBuildFolder(t, "django__django-1", "django__django-2", "sympy__sympy-1", "astropy__astropy-1")
	if r := runIn(t, "validate", sweepDir, full); r.code != exitOK {
		t.Fatalf("validate: %s", r)
	}
	r := runIn(t, "report", sweepDir, "--out", filepath.Join(t.TempDir(), "out"), "--validation", filepath.Join(full, "validation.json"))
	if r.code != exitOK {
		t.Errorf("report --validation FULL/validation.json: want exit 0\n%s", r)
	}
	other := writeFile(t, "x.json", "{}\n")
	r = runIn(t, "report", sweepDir, "--out", filepath.Join(t.TempDir(), "out"), "--validation", other)
	if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || strings.Contains(msg, "\n") || !strings.Contains(msg, "--validation "+other+": a file; want a full build folder") {
		t.Errorf("report --validation x.json: want exit 2 and one line naming it\n%s", r)
	}
}
