package workload

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
)

func TestParseInstance(t *testing.T) {
	tests := []struct {
		id, org, repo, name string
		bad                 bool
	}{
		{id: "django__django-11099", org: "django", repo: "django", name: "django-11099"},
		{id: "scikit-learn__scikit-learn-10297", org: "scikit-learn", repo: "scikit-learn", name: "scikit-learn-10297"},
		{id: "psf__requests-1142", org: "psf", repo: "requests", name: "requests-1142"},
		{id: "nounderscores", bad: true},
		{id: "__x-1", bad: true},
		{id: "a__b c", bad: true},
		// Ids whose image name (sweb.eval.x86_64.{org}_1776_{name}) is no
		// image reference, or too long for a tag.
		{id: "django__django-11099,sympy__sympy-20590", bad: true},
		{id: "a__b#1", bad: true},
		{id: "a__b..c-1", bad: true},
		{id: "a.__b-1", bad: true},
		{id: "a__b-", bad: true},
		{id: "a__b-1\x00", bad: true},
		{id: "o__" + strings.Repeat("r", 77) + "-1", bad: true}, // 82 characters
		{id: "o__" + strings.Repeat("r", 76) + "-1", org: "o", repo: strings.Repeat("r", 76), name: strings.Repeat("r", 76) + "-1"},
		// Other datasets' shapes.
		{id: "Project-MONAI__MONAI-1234", org: "Project-MONAI", repo: "MONAI", name: "MONAI-1234"},
		{id: "oauthlib__oauthlib.1fd52536.combine_file__09vlzwgc", org: "oauthlib", repo: "oauthlib.1fd52536.combine_file__09vlzwgc", name: "oauthlib.1fd52536.combine_file__09vlzwgc"},
		{id: "myorg__my.repo-1", org: "myorg", repo: "my.repo", name: "my.repo-1"},
	}
	for _, tt := range tests {
		got, err := ParseInstance(tt.id)
		if tt.bad {
			if err == nil || !strings.Contains(err.Error(), input.Quote(tt.id)) {
				t.Errorf("ParseInstance(%q): err %v, want one naming it", tt.id, err)
			}
			continue
		}
		if err != nil || got.Org != tt.org || got.Repo != tt.repo || got.Name != tt.name {
			t.Errorf("ParseInstance(%q) = %+v, %v", tt.id, got, err)
		}
	}
}

func TestVarsSlug(t *testing.T) {
	inst, _ := ParseInstance("Pallets__Flask-4045")
	v := VarsFor(inst, "127.0.0.1:5000", "0123456789abcdef")
	if v.Slug != "sweb.eval.x86_64.pallets_1776_flask-4045" || v.SDKSha7 != "0123456" || v.BaseRegistry != v.Registry {
		t.Errorf("vars: %+v", v)
	}
}

func TestExpandErrors(t *testing.T) {
	if _, err := Expand("{{.Nope}}", Vars{}); err == nil {
		t.Error("unknown key expanded")
	}
	if _, err := Expand("{{.ID", Vars{}); err == nil {
		t.Error("bad template parsed")
	}
	if s, _ := Expand("plain", Vars{}); s != "plain" {
		t.Error(s)
	}
}

func TestInstanceBuilds(t *testing.T) {
	w, err := Simple(SimpleOptions{Registry: "r:1/u2", SDKSha: "abcdef0123", BaseImage: "{{.BaseRegistry}}/swebench/{{.Slug}}:latest",
		ContextDir: "/ctx", Dockerfile: "/df/Dockerfile.agent", Target: "source-minimal",
		BuildArgs: map[string]string{"X": "{{.Name}}"}, Tag: "{{.Registry}}/img:{{.SDKSha7}}-{{.Slug}}", CacheRef: "{{.Registry}}/img:cache-{{.Slug}}"})
	if err != nil {
		t.Fatal(err)
	}
	w.BaseRegistry = "r:1"
	inst, _ := ParseInstance("django__django-11099")
	for _, mode := range []string{"off", "max"} {
		bs, err := w.InstanceBuilds(Single, inst, engineMode(mode))
		if err != nil || len(bs) != 1 {
			t.Fatalf("%s: %v %d", mode, err, len(bs))
		}
		r := bs[0].Request
		if r.Tags[0] != "r:1/u2/img:abcdef0-sweb.eval.x86_64.django_1776_django-11099" {
			t.Errorf("tag %s", r.Tags[0])
		}
		if r.BuildArgs["BASE_IMAGE"] != "r:1/swebench/sweb.eval.x86_64.django_1776_django-11099:latest" || r.BuildArgs["X"] != "django-11099" {
			t.Errorf("build args %v", r.BuildArgs)
		}
		if r.DockerfileDir != "/df/" || r.DockerfileName != "Dockerfile.agent" || r.Target != "source-minimal" {
			t.Errorf("dockerfile %s %s %s", r.DockerfileDir, r.DockerfileName, r.Target)
		}
		if (mode == "off") != (r.CacheTo == "") {
			t.Errorf("%s: cache-to %q", mode, r.CacheTo)
		}
		if len(r.CacheFrom) != 1 || !strings.HasSuffix(r.CacheFrom[0], "cache-sweb.eval.x86_64.django_1776_django-11099") {
			t.Errorf("cache-from %v", r.CacheFrom)
		}
	}
	if _, err := w.InstanceBuilds(ThreePhase, inst, "off"); err == nil || !strings.Contains(err.Error(), "single") {
		t.Errorf("missing strategy: %v", err)
	}
}

func TestLoadExample(t *testing.T) {
	w, err := Load(filepath.Join("..", "..", "testdata", "workload.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Instances) != 2 || w.Plans[Single].PerInstance[0].ContextDir == "custom" {
		t.Errorf("loaded %+v", w)
	}
	if _, err := os.Stat(filepath.Join(w.Plans[Single].PerInstance[0].ContextDir, "Dockerfile")); err != nil {
		t.Errorf("context not resolved relative to the file: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, body, want string }{
		{"unknown key", "name: x\nplanz: {}\n", "planz"},
		{"no plans", "name: x\n", "no plans"},
		{"bad strategy", "plans:\n  double: {per_instance: [{name: a, context_dir: /c, tags: [t]}]}\n", "double"},
		{"no tags", "plans:\n  single: {per_instance: [{name: a, context_dir: /c}]}\n", "no tags"},
		{"bad template", "plans:\n  single: {per_instance: [{name: a, context_dir: /c, tags: ['{{.Nope}}']}]}\n", "Nope"},
		{"case duplicate", "instances: [{id: sympy__sympy-1}, {id: SYMPY__sympy-1}]\nplans:\n  single: {per_instance: [{name: a, context_dir: /c, tags: [t]}]}\n", "SYMPY__sympy-1 is listed twice (also as sympy__sympy-1"},
		{"one tag for all", "instances: [{id: sympy__sympy-1}, {id: sympy__sympy-2}]\nplans:\n  single: {per_instance: [{name: a, context_dir: /c, tags: ['r/x:latest']}]}\n",
			"plan single: instances sympy__sympy-1 and sympy__sympy-2 are both tagged r/x:latest (phase a): want a tag template that names the instance"},
		{"tag by repo", "instances: [{id: sympy__sympy-1}, {id: django__django-1}, {id: sympy__sympy-2}]\nplans:\n  single: {per_instance: [{name: a, context_dir: /c, tags: ['r/{{.Repo}}:x']}]}\n",
			"instances sympy__sympy-1 and sympy__sympy-2 are both tagged r/sympy:x"},
	}
	tests = append(tests, struct{ name, body, want string }{"empty id", "instances: [{id: ''}]\nplans:\n  single: {per_instance: [{name: a, context_dir: /c, tags: ['r/{{.Slug}}']}]}\n", "instances[0]: id is empty"})
	for _, tt := range tests {
		p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
		os.WriteFile(p, []byte(tt.body), 0o644)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err %v, want it to name %q and the file", tt.name, err, tt.want)
		}
	}
}

func TestParseInstanceList(t *testing.T) {
	got, err := ParseInstanceList([]byte("# c\n\ndjango__django-1\nsympy__sympy-2\n"), "ids")
	if err != nil || len(got) != 2 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "# only\n", "django__django-1\ndjango__django-1\n", "x\n"} {
		if _, err := ParseInstanceList([]byte(bad), "ids"); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Ids that differ only in case share the lower-cased slug, so the image
// tag: one would be skipped as "remote exists". Both lines are named.
func TestParseInstanceListCaseDuplicate(t *testing.T) {
	_, err := ParseInstanceList([]byte("sympy__sympy-11618\n# c\nSYMPY__SYMPY-11618\n"), "ids")
	want := "ids line 3: instance SYMPY__SYMPY-11618 differs only in case from sympy__sympy-11618 on line 1"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %v, want %q", err, want)
	}
	_, err = ParseInstanceList([]byte("django__django-1\n\ndjango__django-1\n"), "ids")
	if want := "ids line 3: instance django__django-1 repeats line 1"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

func engineMode(s string) engine.CacheMode { return engine.CacheMode(s) }

// A custom one-Dockerfile workload whose --tag names no instance would
// build every instance into one tag; a tag per instance is accepted, and a
// shared phase (built once) may keep one tag.
func TestSimpleDistinctTags(t *testing.T) {
	insts := []Instance{{ID: "a__b-1", Org: "a", Repo: "b", Name: "b-1"}, {ID: "a__b-2", Org: "a", Repo: "b", Name: "b-2"}}
	o := SimpleOptions{Instances: insts, Registry: "127.0.0.1:5000", SDKSha: "0123456789abcdef", ContextDir: "/c", Tag: "{{.Registry}}/same:{{.SDKSha7}}"}
	if _, err := Simple(o); err == nil || !strings.Contains(err.Error(), "are both tagged 127.0.0.1:5000/same:0123456") {
		t.Errorf("one tag for two instances: %v", err)
	}
	o.Tag = "{{.Registry}}/img:{{.SDKSha7}}-{{.Slug}}"
	if _, err := Simple(o); err != nil {
		t.Errorf("a tag per instance: %v", err)
	}
	o.Instances = insts[:1]
	o.Tag = "r/one:latest"
	if _, err := Simple(o); err != nil {
		t.Errorf("one instance, one tag: %v", err)
	}
}

// Instances given by id alone in a workload file get org, repo and name
// from the id; fields given are kept.
func TestLoadInstanceFields(t *testing.T) {
	w, err := Parse([]byte("instances: [{id: django__django-11099}, {id: org__thing-3, repo: other}]\nplans:\n  single: {per_instance: [{name: a, context_dir: /c, tags: ['r/{{.Repo}}:{{.Name}}']}]}\n"), "w.yaml", "/")
	if err != nil {
		t.Fatal(err)
	}
	want := []Instance{{ID: "django__django-11099", Org: "django", Repo: "django", Name: "django-11099"}, {ID: "org__thing-3", Org: "org", Repo: "other", Name: "thing-3"}}
	if !reflect.DeepEqual(w.Instances, want) {
		t.Errorf("instances %+v, want %+v", w.Instances, want)
	}
}
