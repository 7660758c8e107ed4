package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkflowGitHubOutputNotWritable: `recommend --workflow F --format env` with a
// $GITHUB_OUTPUT it cannot append to exited 1 ("some builds failed") with a message that named
// neither the variable's path nor what was wanted, and printed no KEY=VALUE lines. The lines are
// the step's output that later steps read, so losing them is the command's failure, not a
// warning (unlike $GITHUB_STEP_SUMMARY, a copy for people): bad input (exit 2), one line naming
// $GITHUB_OUTPUT and its path and what is wanted, nothing on stdout. A writable one gets them.
func TestWorkflowGitHubOutputNotWritable(t *testing.T) {
	dir := copyRun(t)
	wf := writeFile(t, "wf.yml", knobWorkflow)
	tmp := t.TempDir()
	cases := []struct {
		name, path string
		nonRoot    bool
		prepare    func(t *testing.T, p string)
	}{
		{name: "folder missing", path: filepath.Join(tmp, "gone", "output")},
		{name: "a folder", path: filepath.Join(tmp, "adir"), prepare: func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "write fails", path: "/dev/full"},
		{name: "read-only", path: filepath.Join(tmp, "ro"), nonRoot: true, prepare: func(t *testing.T, p string) {
			if err := os.WriteFile(p, nil, 0o444); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.nonRoot && os.Geteuid() == 0 {
				t.Skip("root writes read-only files")
			}
			if tc.path == "/dev/full" {
				if _, err := os.Stat(tc.path); err != nil {
					t.Skip("no /dev/full")
				}
			}
			if tc.prepare != nil {
				tc.prepare(t, tc.path)
			}
			t.Setenv("GITHUB_OUTPUT", tc.path)
			r := runIn(t, "recommend", dir, "--workflow", wf, "--format", "env")
			if r.code != exitUsage {
				t.Errorf("want exit 2 (bad input), got %d\n%s", r.code, r)
			}
			if strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.Contains(r.stderr, "$GITHUB_OUTPUT "+tc.path+": ") ||
				!strings.Contains(r.stderr, "want a file") {
				t.Errorf("want one line naming $GITHUB_OUTPUT %s and what is wanted\n%s", tc.path, r)
			}
			if r.stdout != "" {
				t.Errorf("bad input, and something on stdout\n%s", r)
			}
		})
	}
	t.Run("writable", func(t *testing.T) {
		p := filepath.Join(tmp, "output")
		t.Setenv("GITHUB_OUTPUT", p)
		r := runIn(t, "recommend", dir, "--workflow", wf, "--format", "env")
		b, err := os.ReadFile(p)
		if r.code != exitOK || err != nil || string(b) != r.stdout || !strings.Contains(string(b), "MAX_WORKERS=") {
			t.Errorf("want exit 0 and the lines in %s (%v: %q)\n%s", p, err, b, r)
		}
	})
}
