package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestOutCleanupOnRefusal: a sweep, a build or a proof refused after its --out
// folder was made (buildkitd missing, a daemon unreachable) left the empty
// folder behind, and the folders above it that it made. Every folder this
// invocation made and left empty is removed; a folder that existed before,
// or that holds anything, is kept as it is.
func TestOutCleanupOnRefusal(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	const noBK = "/nonexistent/buildkitd"
	unreachable := "unix://" + filepath.Join(t.TempDir(), "no-such.sock")
	commands := map[string][]string{
		"sweep": {"sweep", "--workers", "1", "--batch", "2", "--cache", "off", "--sample", "1", "--reps", "1", "--warmup=false"},
		"build": {"build", "--workers", "1", "--sample", "1"},
		"prove": {"prove", "--base", "workers=1,batch=3,cache=off", "--head", "workers=2,batch=3,cache=off", "--sample", "1", "--reps", "1", "--warmup=false"},
	}
	stacks := map[string][]string{
		"no buildkitd":        {"--buildkitd", noBK},
		"unreachable address": {"--buildkit-addr", unreachable},
	}
	for cmdName, cmd := range commands {
		for stackName, stack := range stacks {
			t.Run(cmdName+"/"+stackName, func(t *testing.T) {
				root := t.TempDir()
				args := func(out string) []string {
					return append(slices.Concat(cmd, stack), "--state", filepath.Join(root, "state"), "--out", out)
				}

				// A fresh folder, two levels below an existing one: both are removed.
				top := filepath.Join(root, "runs")
				out := filepath.Join(top, "proof")
				if r := runIn(t, args(out)...); r.code == exitOK {
					t.Fatalf("want a refusal without a stack\n%s", r)
				} else if _, err := os.Stat(top); !os.IsNotExist(err) {
					t.Errorf("refused %s left %s behind (%v)\n%s", cmdName, top, err, r)
				}
				if _, err := os.Stat(root); err != nil {
					t.Errorf("the folder above --out, which existed before: %v", err)
				}

				// An empty folder that existed before is kept.
				empty := filepath.Join(root, "empty")
				if err := os.Mkdir(empty, 0o755); err != nil {
					t.Fatal(err)
				}
				if r := runIn(t, args(empty)...); r.code == exitOK {
					t.Fatalf("want a refusal without a stack\n%s", r)
				}
				if fi, err := os.Stat(empty); err != nil || !fi.IsDir() {
					t.Errorf("refused %s removed the --out folder that existed before: %v", cmdName, err)
				}

				// A folder holding something is kept, with what it holds.
				held := filepath.Join(root, "held")
				note := filepath.Join(held, "notes.txt")
				if err := os.MkdirAll(held, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(note, []byte("mine\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if r := runIn(t, args(held)...); r.code == exitOK {
					t.Fatalf("want a refusal without a stack\n%s", r)
				}
				if b, err := os.ReadFile(note); err != nil || string(b) != "mine\n" {
					t.Errorf("refused %s touched a file of --out: %q, %v", cmdName, b, err)
				}
			})
		}
	}
}

// TestMissingDirs: missingDirs names the folders a path lacks, and
// removeEmpty removes only those, deepest first, while they are empty.
func TestMissingDirs(t *testing.T) {
	root := t.TempDir()
	if d := missingDirs(root); d.top != "" {
		t.Errorf("missingDirs of an existing folder: top %q, want none", d.top)
	}
	d := missingDirs(filepath.Join(root, "a", "b", "c"))
	if d.top != filepath.Join(root, "a") {
		t.Errorf("missingDirs: top %q, want %s", d.top, filepath.Join(root, "a"))
	}
	if err := os.MkdirAll(filepath.Join(root, "a", "b", "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Something written beside c keeps b and a.
	if err := os.WriteFile(filepath.Join(root, "a", "b", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d.removeEmpty()
	if _, err := os.Stat(filepath.Join(root, "a", "b", "c")); !os.IsNotExist(err) {
		t.Errorf("empty c kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "a", "b", "x")); err != nil {
		t.Errorf("b, which holds x, removed: %v", err)
	}
	// Once empty, all of them go, and nothing above.
	if err := os.Remove(filepath.Join(root, "a", "b", "x")); err != nil {
		t.Fatal(err)
	}
	d.removeEmpty()
	if _, err := os.Stat(filepath.Join(root, "a")); !os.IsNotExist(err) {
		t.Errorf("empty a kept: %v", err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("root, which existed before, removed: %v", err)
	}
}
