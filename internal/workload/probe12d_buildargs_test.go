package workload

import (
	"reflect"
	"testing"
)

// TestProbe12dBuildArgsLiteral: a workload file's build args are strings,
// but the YAML-to-JSON conversion read them by YAML 1.1's types first:
// PYTHON_VERSION: 3.10 was built as "3.1", 010 as "8", yes and on as
// "true", 0x1F as "31", and the key N as "false". Each is taken as written.
func TestProbe12dBuildArgsLiteral(t *testing.T) {
	body := `instances: [{id: acme__web-1}]
common: &common
plans:
  three-phase:
    shared:
      - name: builder
        context_dir: /c
        tags: ["r/b:x"]
        build_args: {PY: 3.10}
    per_instance:
      - name: image
        context_dir: /c
        tags: ["r/a:{{.Slug}}"]
        build_args:
          PYTHON_VERSION: 3.10
          N: 010
          ENABLE: yes
          MODE: on
          MASK: 0x1F
          E: 1e3
          EMPTY: null
          PORT: 8080
          MSG: "héllo a=b {{.Name}}"
`
	// "common" is no key of a workload: the file is refused as before.
	if _, err := Parse([]byte(body), "w.yaml", "/"); err == nil {
		t.Fatal("unknown key common taken")
	}
	body = body[:len("instances: [{id: acme__web-1}]\n")] + body[len("instances: [{id: acme__web-1}]\ncommon: &common\n"):]
	w, err := Parse([]byte(body), "w.yaml", "/")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PYTHON_VERSION": "3.10", "N": "010", "ENABLE": "yes", "MODE": "on", "MASK": "0x1F", "E": "1e3", "EMPTY": "", "PORT": "8080",
		"MSG": "héllo a=b {{.Name}}"}
	if got := w.Plans[ThreePhase].PerInstance[0].BuildArgs; !reflect.DeepEqual(got, want) {
		t.Errorf("build args %q, want %q", got, want)
	}
	if got := w.Plans[ThreePhase].Shared[0].BuildArgs["PY"]; got != "3.10" {
		t.Errorf("shared build arg PY = %q, want 3.10", got)
	}
	// JSON, a workload file's other form: a number is taken as written too.
	w, err = Parse([]byte(`{"instances": [{"id": "acme__web-1"}], "plans": {"single": {"per_instance": [{"name": "i", "context_dir": "/c", "tags": ["r/a:{{.Slug}}"], "build_args": {"PY": 3.10, "S": "x"}}]}}}`), "w.json", "/")
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Plans[Single].PerInstance[0].BuildArgs; !reflect.DeepEqual(got, map[string]string{"PY": "3.10", "S": "x"}) {
		t.Errorf("JSON build args %q", got)
	}
}
