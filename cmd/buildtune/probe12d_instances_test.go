package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep"
)

// TestProbe12dInstancesOfWorkload: --instances with a --workload file that
// lists its instances picks among them. The ids were read as SWT-Bench ids
// on their own: the name the file gives an instance (and so its tag) was
// dropped, and an id the file does not list was built all the same.
func TestProbe12dInstancesOfWorkload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("Dockerfile", "FROM scratch\n")
	wl := write("wl.yaml", `instances:
  - {id: acme__web-1, name: custom-1}
  - {id: acme__web-2}
plans:
  single:
    per_instance:
      - {name: image, context_dir: ., tags: ["{{.Registry}}/t/a:{{.Name}}"]}
`)
	src := fleet.Source{Workload: wl, Instances: write("one.txt", "acme__web-1\n")}
	got, err := universe(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "custom-1" {
		t.Errorf("universe = %+v, want acme__web-1 as the workload file gives it (name custom-1)", got)
	}
	src.Instances = write("notin.txt", "acme__web-1\nzzz__nothere-9\n")
	_, err = universe(src)
	if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "--instances") ||
		!strings.Contains(err.Error(), "zzz__nothere-9") || !strings.Contains(err.Error(), wl) {
		t.Errorf("an id the workload does not list: %v, want bad input naming --instances, the id and the workload file", err)
	}
	// A resume takes the ids run.json keeps as the sweep took them.
	src.Instances = filepath.Join(dir, "one.txt")
	c := &cli{stdout: io.Discard, stderr: io.Discard}
	got, err = c.resumeInstances(dir, &sweep.InstanceList{Source: src.Instances, IDs: []string{"acme__web-1"}}, src, "")
	if err != nil || len(got) != 1 || got[0].Name != "custom-1" {
		t.Errorf("resume: %+v, %v, want acme__web-1 with name custom-1", got, err)
	}
}

// TestProbe12dDockerfilePerInstanceList: a workload file with a Dockerfile
// per instance (dockerfile_name "Dockerfile.{{.Repo}}") and no instances of
// its own is checked for the --instances list: an instance whose
// Dockerfile is missing is bad input naming it, before anything starts.
func TestProbe12dDockerfilePerInstanceList(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("Dockerfile.web", "FROM scratch\n")
	wl := write("wl.yaml", `plans:
  single:
    per_instance:
      - {name: image, context_dir: ., dockerfile_name: "Dockerfile.{{.Repo}}", tags: ["{{.Registry}}/t/a:{{.Slug}}"]}
`)
	src := fleet.Source{Workload: wl, Instances: write("ok.txt", "acme__web-1\n")}
	if _, err := universe(src); err != nil {
		t.Fatal(err)
	}
	src.Instances = write("db.txt", "acme__web-1\nacme__db-2\n")
	_, err := universe(src)
	if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "acme__db-2") || !strings.Contains(err.Error(), "Dockerfile.db") {
		t.Errorf("no Dockerfile.db: %v, want bad input naming the instance and the file", err)
	}
}

// TestProbe12dCustomTagGrammar: a --tag that expands to no reference by the
// grammar BuildKit parses it by (an empty path component, "r//x:...") was
// refused only once the stack had started; it is bad input before.
func TestProbe12dCustomTagGrammar(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "ids.txt")
	if err := os.WriteFile(list, []byte("acme__web-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := fleet.Source{Context: dir, Tag: "{{.Registry}}//x:{{.Slug}}", Instances: list}
	_, err := universe(src)
	if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "--tag") || !strings.Contains(err.Error(), "acme__web-1") {
		t.Errorf("--tag {{.Registry}}//x: %v, want bad input naming --tag and the instance", err)
	}
	src.Tag = "{{.Registry}}/x:{{.Slug}}"
	if _, err := universe(src); err != nil {
		t.Errorf("a good tag: %v", err)
	}
}

// TestProbe12dResumeWorkloadIDs: a sweep of a workload file whose ids are
// not SWT-Bench's (web1), drawn from an --instances list of them, resumes,
// with or without that list given again: its ids were parsed as SWT-Bench
// ids and refused.
func TestProbe12dResumeWorkloadIDs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("Dockerfile", "FROM scratch\n")
	wl := write("wl.yaml", `instances: [{id: web1, name: w-1}, {id: web2, name: w-2}, {id: api3, name: a-3}]
plans:
  single:
    per_instance:
      - {name: image, context_dir: ., tags: ["{{.Registry}}/t/a:{{.Name}}"]}
`)
	list := write("sub.txt", "web1\napi3\n")
	src := fleet.Source{Workload: wl, Instances: list}
	all, err := universe(src)
	if err != nil || len(all) != 2 || all[1].Name != "a-3" {
		t.Fatalf("universe = %+v, %v", all, err)
	}
	c := &cli{stdout: io.Discard, stderr: io.Discard}
	kept := &sweep.InstanceList{Source: list, IDs: []string{"web1", "api3"}}
	for _, given := range []string{"", list} {
		got, err := c.resumeInstances(dir, kept, src, given)
		if err != nil || len(got) != 2 || got[0].Name != "w-1" {
			t.Errorf("resume (--instances %q): %+v, %v", given, got, err)
		}
	}
}
