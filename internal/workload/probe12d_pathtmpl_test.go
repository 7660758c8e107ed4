package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbe12dDockerfilePerInstance: a phase's string fields are templates
// (Phase's doc), but context_dir, dockerfile_dir and dockerfile_name were
// taken literally: a Dockerfile per instance, dockerfile_name
// "Dockerfile.{{.Repo}}", was refused as "no such file". They expand per
// instance, and each instance's Dockerfile and target are checked before
// anything starts.
func TestProbe12dDockerfilePerInstance(t *testing.T) {
	dir := t.TempDir()
	for _, repo := range []string{"web", "api"} {
		if err := os.MkdirAll(filepath.Join(dir, "ctx", repo), 0o755); err != nil {
			t.Fatal(err)
		}
		df := "FROM scratch AS " + repo + "\n"
		for _, p := range []string{filepath.Join("ctx", "Dockerfile."+repo), filepath.Join("ctx", repo, "Dockerfile")} {
			if err := os.WriteFile(filepath.Join(dir, p), []byte(df), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write := func(name, instances, phase string) string {
		p := filepath.Join(dir, name)
		body := instances + "plans:\n  single:\n    per_instance:\n      - {name: image, " + phase + `, tags: ["r/t:{{.Slug}}"]}` + "\n"
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	two := "instances: [{id: acme__web-1}, {id: acme__api-2}]\n"
	for _, phase := range []string{
		`context_dir: ctx, dockerfile_name: "Dockerfile.{{.Repo}}", target: "{{.Repo}}"`,
		`context_dir: "ctx/{{.Repo}}"`,
		`context_dir: ctx, dockerfile_dir: "ctx/{{.Repo}}"`,
	} {
		w, err := Load(write("ok.yaml", two, phase))
		if err != nil {
			t.Errorf("%s: %v", phase, err)
			continue
		}
		bs, err := w.InstanceBuilds(Single, w.Instances[1], "off")
		if err != nil {
			t.Fatal(err)
		}
		r := bs[0].Request
		got := filepath.Join(r.DockerfileDir, r.DockerfileName)
		if r.DockerfileDir == "" {
			got = filepath.Join(r.ContextDir, r.DockerfileName)
		}
		if !strings.Contains(got, "api") || strings.Contains(got, "{{") {
			t.Errorf("%s: acme__api-2 builds %s (context %s)", phase, got, r.ContextDir)
		}
	}
	// An instance whose Dockerfile, or target, is not there is refused,
	// naming it, when the file lists it, or when the list is given.
	three := "instances: [{id: acme__web-1}, {id: acme__api-2}, {id: acme__db-3}]\n"
	phase := `context_dir: ctx, dockerfile_name: "Dockerfile.{{.Repo}}"`
	if _, err := Load(write("db.yaml", three, phase)); err == nil || !strings.Contains(err.Error(), "acme__db-3") || !strings.Contains(err.Error(), "Dockerfile.db") {
		t.Errorf("no Dockerfile.db: %v, want refused naming the instance and the file", err)
	}
	w, err := Load(write("none.yaml", "", phase))
	if err != nil {
		t.Fatalf("a workload without instances: %v", err)
	}
	db, _ := ParseInstance("acme__db-3")
	web, _ := ParseInstance("acme__web-1")
	if err := w.CheckFiles([]Instance{web, db}); err == nil || !strings.Contains(err.Error(), "acme__db-3") {
		t.Errorf("CheckFiles: %v, want acme__db-3 refused", err)
	}
	if _, err := Load(write("target.yaml", two, `context_dir: ctx, dockerfile_name: "Dockerfile.{{.Repo}}", target: web`)); err == nil || !strings.Contains(err.Error(), "acme__api-2") || !strings.Contains(err.Error(), `"web"`) {
		t.Errorf("target web of Dockerfile.api: %v, want refused naming the instance and the target", err)
	}
}
