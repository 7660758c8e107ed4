package workload

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: any workload file either parses or gives an error, never a
// panic; a workload that parses is valid, and its JSON form parses to the
// same workload.
func FuzzParse(f *testing.F) {
	for _, name := range []string{filepath.Join("..", "..", "testdata", "workload.yaml")} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("name: x\nplans:\n  three-phase:\n    shared: [{name: b, context_dir: /c, tags: ['{{.Registry}}/b:{{.SDKSha7}}']}]\n    per_instance: [{name: i, context_dir: c, dockerfile_dir: d, tags: ['{{.Registry}}/i:{{.Slug}}'], cache_to: '{{.Registry}}/c'}]\n"))
	f.Add([]byte(`{"name":"j","plans":{"single":{"per_instance":[{"name":"a","context_dir":"x","tags":["t"],"build_args":{"A":"{{.Base}}"}}]}},"base_image":"{{.ID}}"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := Parse(data, "fuzz", "/work")
		if err != nil {
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid workload: %v", err)
		}
		out, err := json.Marshal(w)
		if err != nil {
			t.Fatalf("marshalling: %v", err)
		}
		again, err := Parse(out, "again", "/elsewhere")
		if err != nil {
			t.Fatalf("parsing the marshalled workload: %v\n%s", err, out)
		}
		// Compare encodings: an empty list and a missing one are the same
		// workload (the regression case in testdata/fuzz/FuzzParse).
		out2, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("marshalling again: %v", err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the workload:\n%s\n%s", out, out2)
		}
	})
}

// FuzzExpand: the template renderer of tags, cache refs, base images and
// build args never panics; text without "{{" is itself; a template that
// renders renders the same twice; and the instance's names land where the
// template puts them.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		"{{.Registry}}/openhands/eval-agent-server:{{.SDKSha7}}-{{.Slug}}-source-minimal",
		"{{.Registry}}/openhands/eval-agent-server:buildcache-source-minimal-{{.Slug}}",
		"docker.io/swebench/{{.Slug}}:latest",
		"{{.BaseRegistry}}/swebench/{{.Slug}}:latest",
		"{{.Nope}}", "{{.Registry", "{{if .ID}}{{.Org}}{{else}}{{.Repo}}{{end}}", "plain:tag", "{{printf \"%s-%s\" .Name .SDKSha}}",
	} {
		f.Add(s, "django__django-11099", "0123456789abcdef")
	}
	f.Fuzz(func(t *testing.T, tmpl, id, sha string) {
		// A template may ask for anything text/template can do; keep the
		// fuzzer off width/precision directives that only allocate.
		if len(tmpl) > 512 {
			return
		}
		inst, err := ParseInstance(id)
		if err != nil {
			inst = Instance{ID: id}
		}
		vars := VarsFor(inst, "127.0.0.1:5000", sha)
		out, err := Expand(tmpl, vars)
		if !strings.Contains(tmpl, "{{") {
			if err != nil || out != tmpl {
				t.Fatalf("Expand(%q) = %q, %v; want the text itself", tmpl, out, err)
			}
			return
		}
		if err != nil {
			return
		}
		again, err := Expand(tmpl, vars)
		if err != nil || again != out {
			t.Fatalf("Expand(%q) twice: %q then %q, %v", tmpl, out, again, err)
		}
		if name := "{{.Slug}}"; tmpl == name && out != vars.Slug {
			t.Fatalf("Expand(%q) = %q, want %q", tmpl, out, vars.Slug)
		}
	})
}
