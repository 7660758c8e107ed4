package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadMissingContext: a workload file whose phase names a context
// folder or a Dockerfile that does not exist is refused when loaded,
// naming the plan, the phase and the path; before, every build of the
// phase failed after the stack had started. Folders are relative to the
// file.
func TestLoadMissingContext(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "ctx"), 0o755)
	os.WriteFile(filepath.Join(dir, "ctx", "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "ctx", "Other.df"), []byte("FROM scratch\n"), 0o644)
	tests := []struct{ name, phase, want string }{
		{"ok", "context_dir: ctx", ""},
		{"ok named", "context_dir: ctx, dockerfile_name: Other.df", ""},
		{"ok dir", "context_dir: ctx, dockerfile_dir: ctx, dockerfile_name: Other.df", ""},
		{"no context", "context_dir: nope", `plan single phase "a": context_dir ` + filepath.Join(dir, "nope") + " is not a folder"},
		{"context is a file", "context_dir: ctx/Dockerfile", "is not a folder"},
		{"no dockerfile", "context_dir: ctx, dockerfile_name: Missing", "Dockerfile " + filepath.Join(dir, "ctx", "Missing") + ": no such file"},
		{"no dockerfile dir", "context_dir: ctx, dockerfile_dir: gone", "Dockerfile " + filepath.Join(dir, "gone", "Dockerfile") + ": no such file"},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
		body := "plans:\n  single: {per_instance: [{name: a, " + tt.phase + ", tags: ['r/x:{{.Slug}}']}]}\n"
		os.WriteFile(p, []byte(body), 0o644)
		_, err := Load(p)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p)):
			t.Errorf("%s: err %v, want it to name %q and the file", tt.name, err, tt.want)
		}
	}
}
