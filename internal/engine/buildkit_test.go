package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
)

// TestDialUnreachable: a daemon address nobody listens on is an error
// naming it, within DialTimeout.
func TestDialUnreachable(t *testing.T) {
	addr := "unix://" + filepath.Join(t.TempDir(), "nobody.sock")
	start := time.Now()
	_, err := engine.Dial(context.Background(), addr)
	if err == nil {
		t.Fatal("Dial succeeded")
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name %s", err, addr)
	}
	if engine.ClassOf(err) != engine.ErrInfra {
		t.Errorf("class %q, want infra", engine.ClassOf(err))
	}
	if d := time.Since(start); d > engine.DialTimeout+2*time.Second {
		t.Errorf("took %s", d)
	}
}

func writeDockerfile(t *testing.T, body string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBuildFailureClasses: a Dockerfile that fails is a build error; a
// daemon that is gone is an infrastructure error.
func TestBuildFailureClasses(t *testing.T) {
	s := testenv.Stack(t, stack.Config{})
	b := testenv.Dial(t, s)[0]
	ctx := context.Background()

	bad := writeDockerfile(t, "FROM scratch\nNOTANINSTRUCTION x\n")
	res, err := b.Build(ctx, engine.Request{ID: "bad", ContextDir: bad})
	var be *engine.BuildError
	if !errors.As(err, &be) || be.Class != engine.ErrBuild || res.ErrClass != engine.ErrBuild || res.Error == "" {
		t.Fatalf("bad Dockerfile: err=%v class=%q", err, res.ErrClass)
	}

	missing := writeDockerfile(t, "FROM "+s.Registry.Addr+"/no/such:image\n")
	res, err = b.Build(ctx, engine.Request{ID: "missing", ContextDir: missing})
	if engine.ClassOf(err) != engine.ErrBuild {
		t.Fatalf("missing base: class %q (%v), want build", res.ErrClass, err)
	}

	ok := writeDockerfile(t, "FROM scratch\nCOPY Dockerfile /Dockerfile\n")
	res, err = b.Build(ctx, engine.Request{ID: "ok", ContextDir: ok, Tags: []string{s.Registry.Addr + "/ok/img:1"}, Push: true})
	if err != nil || res.Digest == "" || res.TotalSteps != 1 || res.ImageBytes <= 0 {
		t.Fatalf("good build: err=%v digest=%q steps=%d bytes=%d", err, res.Digest, res.TotalSteps, res.ImageBytes)
	}

	s.Daemons[0].Kill()
	res, err = b.Build(ctx, engine.Request{ID: "gone", ContextDir: ok})
	if engine.ClassOf(err) != engine.ErrInfra {
		t.Fatalf("daemon gone: class %q (%v), want infra", res.ErrClass, err)
	}
}

// TestExitErrorIsBuild: a RUN step that exits non-zero is a build error
// even when its command text holds words that look like infrastructure
// trouble ("geoffrey" holds "eof", "connection refused" in an echo).
func TestExitErrorIsBuild(t *testing.T) {
	s := testenv.Stack(t, stack.Config{})
	b := testenv.Dial(t, s)[0]
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("no static busybox: %v", err)
	}
	for i, run := range []string{"exit 3 # geoffrey", "echo connection refused; exit 1"} {
		dir := writeDockerfile(t, "FROM scratch\nCOPY sh /bin/sh\nRUN "+run+"\n")
		if err := os.WriteFile(filepath.Join(dir, "sh"), data, 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := b.Build(context.Background(), engine.Request{ID: fmt.Sprintf("exit%d", i), ContextDir: dir})
		if err == nil || !strings.Contains(err.Error(), "did not complete successfully") {
			t.Fatalf("RUN %s: err=%v, want a failed step", run, err)
		}
		if res.ErrClass != engine.ErrBuild || engine.ClassOf(err) != engine.ErrBuild {
			t.Errorf("RUN %s: class %q, want build (%v)", run, res.ErrClass, err)
		}
	}
	// Not a process: a COPY of a missing file whose name holds "eof".
	dir := writeDockerfile(t, "FROM scratch\nCOPY geoffrey.txt /\n")
	res, err := b.Build(context.Background(), engine.Request{ID: "copy", ContextDir: dir})
	if err == nil || res.ErrClass != engine.ErrBuild {
		t.Errorf("COPY of a missing file: class %q, want build (%v)", res.ErrClass, err)
	}
}
