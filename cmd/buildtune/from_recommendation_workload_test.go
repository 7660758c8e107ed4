package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/testenv"
)

// profileSweep is the synthetic sweep with run.json saying it measured the
// fixture profile prof (its name, file and digest), as `sweep --profile prof`
// records it.
func profileSweep(t *testing.T, prof string) string {
	t.Helper()
	dir := copyRun(t)
	p, err := fixtures.LoadProfile(prof)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "run.json")
	var info map[string]any
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &info) != nil {
		t.Fatalf("run.json: %v", err)
	}
	info["grid"].(map[string]any)["profile"] = prof
	info["workload"], info["profile_digest"] = p.Name, p.Digest()
	if b, err = json.Marshal(info); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFromRecommendationWorkload: build --from-recommendation RUN refuses,
// before anything is built, a build of another workload than the sweep
// measured (the tester's sweep of a tiny profile, built with the default
// profile: predicted 2.67s, measured 18.4s, refused by validate only
// afterwards): exit 2, one line naming both profiles and the --profile to
// give, the --out folder not made. The sweep's profile, given as --profile,
// passes (the build gets as far as the missing buildkitd); a copy of it
// elsewhere too (same digest); an edited copy does not. The fixtures against
// a sweep of the default profile pass without --profile. An empty
// --from-recommendation is refused, not ignored.
func TestFromRecommendationWorkload(t *testing.T) {
	tmp := t.TempDir()
	prof := tinyProfile(t, tmp)
	run := profileSweep(t, prof)
	before := testenv.Files(t, run)
	out := filepath.Join(tmp, "out")
	build := func(extra ...string) result {
		t.Helper()
		t.Setenv("BUILDKIT_HOST", "")
		args := append([]string{"build", "--sample", "2", "--out", out, "--buildkitd", "/nonexistent/buildkitd", "--registry", "127.0.0.1:1"}, extra...)
		return runIn(t, args...)
	}
	refused := func(what string, r result, want ...string) {
		t.Helper()
		if r.code != exitUsage || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("%s: want exit 2 and one line\n%s", what, r)
		}
		for _, w := range want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q\n%s", what, w, r)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: the refused build made %s", what, out)
		}
	}
	passes := func(what string, r result) {
		t.Helper()
		if !strings.Contains(r.stderr, "buildkitd not found at /nonexistent/buildkitd") || strings.Contains(r.stderr, "the sweep measured") {
			t.Errorf("%s: want the build to get as far as the missing buildkitd\n%s", what, r)
		}
	}

	refused("default profile against a tiny sweep", build("--from-recommendation", run),
		"--from-recommendation "+run, `"default"`, "no --profile given", `"tiny"`, "--profile "+prof)
	passes("the sweep's profile", build("--from-recommendation", run, "--profile", prof))
	cp := filepath.Join(tmp, "copy.yaml")
	b, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cp, append([]byte("# a copy\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	passes("a copy of the sweep's profile", build("--from-recommendation", run, "--profile", cp))
	edited := filepath.Join(tmp, "edited.yaml")
	if err := os.WriteFile(edited, []byte(strings.Replace(string(b), "cpu_seconds: 50", "cpu_seconds: 5", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("an edited copy", build("--from-recommendation", run, "--profile", edited), `"tiny"`, "digest", "--profile "+prof)
	if err := os.Remove(prof); err != nil {
		t.Fatal(err)
	}
	refused("the sweep's profile gone", build("--from-recommendation", run), "--profile FILE with the sweep's profile (digest sha256:")
	ctxDir := filepath.Join(tmp, "ctx")
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("a custom build against a fixtures sweep", build("--from-recommendation", run, "--context", ctxDir, "--tag", "r/{{.Slug}}:x"),
		"the sweep measured the fixtures", `"custom:ctx"`)
	refused("empty --from-recommendation", build("--from-recommendation", ""), "--from-recommendation", "empty value")
	if after := testenv.Files(t, run); !maps.Equal(after, before) {
		t.Errorf("the sweep folder changed")
	}

	def := profileSweep(t, fixtures.DefaultProfile)
	passes("default against a default sweep", build("--from-recommendation", def))
}
