package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
)

// TestSecretExposure builds two images for real with --docker-auth and
// --trace, the registry credentials in a Docker config of a temporary
// HOME, then checks that (a) no file of the run folder (records, logs,
// traces, manifest, summary, the saved source) and neither stdout nor
// stderr holds the password, in clear or in base64; and (c) no file or
// folder of the run folder is world-writable.
func TestSecretExposure(t *testing.T) {
	bk := testenv.Buildkitd(t)
	dir := testenv.Dir(t)
	reg, err := stack.StartEmbedded(filepath.Join(dir, "registry"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })

	const user, password = "buildtune-ci", "S3cr3t-pa55w0rd-4a7f19c2e8"
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	secrets := map[string]string{
		"password":                  password,
		"password in base64":        base64.StdEncoding.EncodeToString([]byte(password)),
		"password in base64url":     base64.RawURLEncoding.EncodeToString([]byte(password)),
		"user:password in base64":   auth,
		"identity token":            "idtok-5be0c1d2f3a4",
		"registry token of another": "other-S3cr3t-91b2",
	}
	home := filepath.Join(dir, "home")
	dockerDir := filepath.Join(home, ".docker")
	if err := os.MkdirAll(dockerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"auths": map[string]any{
		reg.Addr:                      map[string]string{"auth": auth, "identitytoken": secrets["identity token"]},
		"https://index.docker.io/v1/": map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte("other:" + secrets["registry token of another"]))},
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "out")
	cmd, stdout, stderr := command(t, "build", "--docker-auth", "--sample", "2", "--workers", "2", "--cache-mode", "max",
		"--trace", "--registry", reg.Addr, "--out", out, "--buildkitd", bk)
	cmd.Env = append(cmd.Env, "HOME="+home, "DOCKER_CONFIG="+dockerDir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if code := waitFor(t, cmd, 3*time.Minute); code != exitOK {
		t.Fatalf("build --docker-auth: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	scan := func(where string, data []byte) {
		for what, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds the %s", where, what)
			}
		}
	}
	scan("stdout", stdout.Bytes())
	scan("stderr", stderr.Bytes())

	var files, traces int
	kinds := map[string]bool{}
	err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o002 != 0 {
			t.Errorf("WorldWritable: %s has mode %v", path, info.Mode())
		}
		if d.IsDir() || !info.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(out, path)
		if strings.HasPrefix(rel, "traces"+string(filepath.Separator)) {
			traces++
		}
		kinds[filepath.Base(path)] = true
		scan(rel, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The scan covered what a run folder holds.
	for _, want := range []string{"records.jsonl", "manifest.jsonl", "build-summary.json"} {
		if !kinds[want] {
			t.Errorf("run folder has no %s to scan (files: %v)", want, kinds)
		}
	}
	if traces == 0 {
		t.Errorf("--trace wrote no trace under %s/traces", out)
	}
	t.Logf("scanned %d files (%d traces) and the command's output", files, traces)
}
