package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/pflag"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workflow"
)

// knobWorkflow is a workflow whose knobs differ from any recommendation of the synthetic sweep
// (workers 999), so --write always changes it.
const knobWorkflow = "on: push\nenv:\n  MAX_WORKERS: 999\n  BUILD_BATCH_SIZE: 999\n  OPENHANDS_BUILDKIT_CACHE_MODE: bogus\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n"

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestWorkflowWriteKeepsFile: --write keeps the file's mode, writes through a symlink, refuses
// a read-only file, and leaves a file already up to date untouched.
func TestWorkflowWriteKeepsFile(t *testing.T) {
	dir := copyRun(t)
	tmp := t.TempDir()

	t.Run("mode", func(t *testing.T) {
		wf := filepath.Join(tmp, "private.yml")
		if err := os.WriteFile(wf, []byte(knobWorkflow), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := runIn(t, "recommend", dir, "--workflow", wf, "--write"); r.code != exitOK || !strings.Contains(r.stdout, "wrote ") {
			t.Fatalf("--write: %s", r)
		}
		fi, err := os.Stat(wf)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %04o after --write, want 0600", fi.Mode().Perm())
		}
		if b, _ := os.ReadFile(wf); string(b) == knobWorkflow {
			t.Error("--write changed nothing")
		}
		// Again: nothing to change, so the file is not touched.
		before := inode(t, wf)
		r := runIn(t, "recommend", dir, "--workflow", wf, "--write")
		if r.code != exitOK || !strings.Contains(r.stdout, "already up to date") || strings.Contains(r.stdout, "wrote ") {
			t.Errorf("--write on an up-to-date file: %s", r)
		}
		if inode(t, wf) != before {
			t.Error("an up-to-date file was replaced")
		}
	})

	t.Run("read-only", func(t *testing.T) {
		wf := filepath.Join(tmp, "ro.yml")
		if err := os.WriteFile(wf, []byte(knobWorkflow), 0o444); err != nil {
			t.Fatal(err)
		}
		r := runIn(t, "recommend", dir, "--workflow", wf, "--write")
		if r.code != exitUsage || !strings.Contains(r.stderr, wf) || !strings.Contains(r.stderr, "read-only") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("read-only file: %s", r)
		}
		if b, _ := os.ReadFile(wf); string(b) != knobWorkflow {
			t.Error("a read-only file was rewritten")
		}
		if fi, _ := os.Stat(wf); fi.Mode().Perm() != 0o444 {
			t.Errorf("mode %04o", fi.Mode().Perm())
		}
	})

	t.Run("symlink", func(t *testing.T) {
		sub := filepath.Join(tmp, "real")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(sub, "build.yml")
		if err := os.WriteFile(target, []byte(knobWorkflow), 0o640); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(tmp, "link.yml")
		if err := os.Symlink(filepath.Join("real", "build.yml"), link); err != nil {
			t.Fatal(err)
		}
		if r := runIn(t, "recommend", dir, "--workflow", link, "--write"); r.code != exitOK {
			t.Fatalf("--write through a symlink: %s", r)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the symlink was replaced (%v)", err)
		}
		b, _ := os.ReadFile(target)
		if string(b) == knobWorkflow {
			t.Error("the symlink's target was not rewritten")
		}
		if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
			t.Errorf("target mode %04o, want 0640", fi.Mode().Perm())
		}
		if left, _ := filepath.Glob(filepath.Join(tmp, ".*tmp-*")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
}

// TestWorkflowBadFiles: workflows the rewrite cannot honour are bad input: exit 2, one line
// naming the file, the file unchanged.
func TestWorkflowBadFiles(t *testing.T) {
	dir := copyRun(t)
	tests := []struct {
		name, src string
		args      []string
		want      []string
	}{
		{name: "input feeds two knobs",
			src:  "on:\n  workflow_dispatch:\n    inputs:\n      n: {default: '4'}\nenv:\n  MAX_WORKERS: ${{ inputs.n || '4' }}\n  BUILD_BATCH_SIZE: ${{ inputs.n || '15' }}\n",
			want: []string{`input "n" feeds both`}},
		{name: "shared anchor outside the job",
			src:  "x: &d {MAX_WORKERS: 999}\njobs:\n  a:\n    env: *d\n  b:\n    env: *d\n",
			args: []string{"--job", "a"}, want: []string{"jobs.b.env (*d)", `outside job "a"`}},
		{name: "duplicate key", src: "env:\n  MAX_WORKERS: 4\n  MAX_WORKERS: 5\n", want: []string{"line 3", "twice"}},
		{name: "second document", src: "env:\n  MAX_WORKERS: 4\n---\nenv: {}\n", want: []string{"line 3", "second YAML document"}},
		{name: "env format without knobs", src: "jobs:\n  a:\n    steps:\n      - run: make\n", args: []string{"--format", "env"}, want: []string{"no knobs"}},
		{name: "env format with write", src: knobWorkflow, args: []string{"--format", "env", "--write"}, want: []string{"--format env and --write"}},
		// A step name used in two jobs does not say which is meant: refused, naming the jobs.
		{name: "step in two jobs",
			src:  "on: push\njobs:\n  images:\n    steps:\n      - name: build\n        env: {MAX_WORKERS: 999}\n  eval:\n    steps:\n      - name: build\n        env: {MAX_WORKERS: 998}\n",
			args: []string{"--step", "build", "--write"}, want: []string{`step "build"`, "images, eval", "--job images or --job eval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf := writeFile(t, "wf.yml", tt.src)
			r := runIn(t, append([]string{"recommend", dir, "--workflow", wf}, tt.args...)...)
			if r.code != exitUsage || r.stdout != "" || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("want exit 2, one line on stderr, nothing on stdout: %s", r)
			}
			for _, w := range append(tt.want, "--") {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
			if b, _ := os.ReadFile(wf); string(b) != tt.src {
				t.Error("the file changed")
			}
		})
	}
}

// TestWorkflowFlags: checkWorkflowFlags on recommend's flags.
func TestWorkflowFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" = accepted
	}{
		{[]string{"--workflow", "w.yml"}, ""},
		{[]string{"--workflow", "w.yml", "--format", "env", "--job", "a", "--step", "s"}, ""},
		{[]string{"--json"}, ""},
		{[]string{"--workflow", ""}, "--workflow: empty"},
		{[]string{"--workflow=w.yml", "--job="}, "--job: empty"},
		{[]string{"--workflow=w.yml", "--step", ""}, "--step: empty"},
		{[]string{"--workflow", "w.yml", "--json"}, "--json and --workflow"},
		{[]string{"--workflow", "w.yml", "--format", "env", "--write"}, "--format env and --write"},
	}
	for _, tt := range tests {
		fs := pflag.NewFlagSet("recommend", pflag.ContinueOnError)
		fs.Bool("json", false, "")
		fs.Bool("write", false, "")
		fs.String("workflow", "", "")
		fs.String("job", "", "")
		fs.String("step", "", "")
		fs.String("format", "diff", "")
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		err := checkWorkflowFlags(fs)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: error %v, want %q", tt.args, err, tt.want)
		case err != nil:
			if _, ok := err.(*usageError); !ok {
				t.Errorf("%q: %T is not a usage error (exit 2)", tt.args, err)
			}
		}
	}
}

// TestWorkflowRewriteNotADecision: a recommendation without confidence is shown as the best so
// far, not as "recommended", and --write refuses it (exit 2, the file untouched); a three-phase
// pick says that the workflow's knobs cannot express the strategy.
func TestWorkflowRewriteNotADecision(t *testing.T) {
	rec := func(confident bool, strategy string) evidence.Recommendation {
		cfg := evidence.Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: strategy}
		return evidence.Recommendation{Images: 433, Confident: confident,
			Recommended: evidence.Choice{Config: cfg, Name: cfg.Name(), PredictedS: evidence.Interval{Median: 600, Lo: 500, Hi: 700}},
			Warnings:    []string{"too few reps: 1 per cell"}}
	}
	run := func(r evidence.Recommendation, write bool, format string) (string, string, error) {
		var out, errb strings.Builder
		c := &cli{stdout: &out, stderr: &errb}
		wf := writeFile(t, "wf.yml", knobWorkflow)
		err := c.rewriteWorkflow(wf, []byte(knobWorkflow), r, workflow.Options{}, write, format)
		if b, _ := os.ReadFile(wf); write && err != nil && string(b) != knobWorkflow {
			t.Error("a refused --write changed the file")
		}
		return out.String(), errb.String(), err
	}

	out, _, err := run(rec(false, "single"), false, "diff")
	if err != nil || !strings.Contains(out, "# no confident recommendation: too few reps: 1 per cell") ||
		!strings.Contains(out, "best so far, w2-b3-off-single") || strings.Contains(out, "# recommended:") {
		t.Errorf("diff of an unconfident recommendation (%v):\n%s", err, out)
	}
	_, _, err = run(rec(false, "single"), true, "diff")
	if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "--write") || !strings.Contains(err.Error(), "no confident recommendation") {
		t.Errorf("--write of an unconfident recommendation: %v, want bad input naming --write", err)
	}
	out, stderr, err := run(rec(false, "single"), false, "env")
	if err != nil || !strings.Contains(out, "MAX_WORKERS=2") || !strings.Contains(stderr, "warning: no confident recommendation") {
		t.Errorf("env of an unconfident recommendation (%v): stdout %q, stderr %q", err, out, stderr)
	}

	out, _, err = run(rec(true, "three-phase"), false, "diff")
	if err != nil || !strings.Contains(out, "# strategy three-phase recommended: the workflow has no strategy knob") {
		t.Errorf("diff of a three-phase recommendation (%v):\n%s", err, out)
	}
	out, _, err = run(rec(true, "single"), false, "diff")
	if err != nil || !strings.Contains(out, "# recommended: w2-b3-off-single") || strings.Contains(out, "strategy") || strings.Contains(out, "confident") {
		t.Errorf("diff of a confident single recommendation (%v):\n%s", err, out)
	}
}
