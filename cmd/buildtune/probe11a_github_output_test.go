package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestProbe11aGitHubOutputNoFinalNewline: an earlier command of the step may write its output
// without a newline (printf 'prev=%s' 1 >> "$GITHUB_OUTPUT"). Appending the KEY=VALUE lines
// right after it gave "prev=1MAX_WORKERS=...": the earlier output's value corrupted and the
// worker count lost for the steps after. The lines start on a line of their own; a file that
// ends with a newline (or is empty) gets no blank line.
func TestProbe11aGitHubOutputNoFinalNewline(t *testing.T) {
	dir := copyRun(t)
	wf := writeFile(t, "wf.yml", knobWorkflow)
	for _, prev := range []string{"prev=1", "prev=1\n", ""} {
		out := filepath.Join(t.TempDir(), "output")
		if err := os.WriteFile(out, []byte(prev), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("GITHUB_OUTPUT", out)
		r := runIn(t, "recommend", dir, "--workflow", wf, "--format", "env")
		if r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		want := prev
		if prev != "" && prev[len(prev)-1] != '\n' {
			want += "\n"
		}
		want += r.stdout
		if string(b) != want {
			t.Errorf("after %q, $GITHUB_OUTPUT holds %q, want %q", prev, b, want)
		}
	}
}
