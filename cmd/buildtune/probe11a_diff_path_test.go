package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbe11aDiffPathApplies: `recommend --workflow .github/workflows/build.yml` printed
// "--- a/build.yml", a diff that patch -p1 (or git apply) run where it was made cannot apply:
// there is no build.yml there. A relative path inside the working folder is kept as given; a
// path outside it (absolute, or ../) is named by its base name, as before.
func TestProbe11aDiffPathApplies(t *testing.T) {
	dir := copyRun(t)
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".github", "workflows", "build.yml"), []byte(knobWorkflow), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)
	for _, tc := range []struct{ arg, name string }{
		{".github/workflows/build.yml", ".github/workflows/build.yml"},
		{"./.github/workflows/../workflows/build.yml", ".github/workflows/build.yml"},
		{filepath.Join(repo, ".github", "workflows", "build.yml"), "build.yml"},
	} {
		r := runIn(t, "recommend", dir, "--workflow", tc.arg)
		if r.code != exitOK || !strings.Contains(r.stdout, "--- a/"+tc.name+"\n+++ b/"+tc.name+"\n") {
			t.Errorf("--workflow %s: want the diff to name a/%s: %s", tc.arg, tc.name, r)
		}
	}
}
