package fullbuild

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/buildtune/buildtune/internal/manifest"
)

// TestDurationsFromRealScript: the manifest.jsonl of the real script (build_images.py), the
// previous build of a team switching to buildtune, names no instance: --durations-from took
// none of its lines and refused it as "no built image". Its base images name the instances.
func TestDurationsFromRealScript(t *testing.T) {
	path := filepath.Join(t.TempDir(), manifest.ManifestFile)
	lines := `{"base_image":"docker.io/swebench/sweb.eval.x86_64.django_1776_django-11099:latest","tags":["t1"],"error":null,"log_path":"l","status":"built","attempt_count":1,"build_seconds":154.5}
{"base_image":"docker.io/swebench/sweb.eval.x86_64.sphinx-doc_1776_sphinx-9320:latest","tags":["t2"],"error":null,"log_path":"l","status":"built","attempt_count":2,"build_seconds":301}
{"base_image":"docker.io/swebench/sweb.eval.x86_64.sympy_1776_sympy-20590:latest","tags":[],"error":"Exception('x')","log_path":null,"status":"failed","attempt_count":3}
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDurations(path)
	if err != nil {
		t.Fatalf("LoadDurations of the real script's manifest: %v", err)
	}
	want := map[string]float64{"django__django-11099": 154.5, "sphinx-doc__sphinx-9320": 301}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("durations %v, want %v", got, want)
	}
}
