package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/sweep"
)

// probe9cReadOnlyDir returns a folder this test cannot write in: a read-only
// tmpfs when the test may mount one (root, who writes into any folder
// whatever its mode), else a folder of mode 0555.
func probe9cReadOnlyDir(t *testing.T, populate func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		populate(dir)
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return dir
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("cannot mount a tmpfs to make read-only (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	populate(dir)
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount the tmpfs read-only (%v)", err)
	}
	return dir
}

// probe9cSnapshot is every file under dir with its digest.
func probe9cSnapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %x\n", p, sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// probe9cStartedSweep writes the run.json of a sweep that has trials left (no
// records yet): what --resume continues.
func probe9cStartedSweep(t *testing.T, dir string) {
	t.Helper()
	g := sweep.DefaultGrid()
	g.Workers, g.Batches, g.Reps, g.Sample = []int{1}, []int{1}, 1, 1
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sweep.WriteRunInfo(dir, sweep.RunInfo{ID: "20260101T000000Z", Grid: g, Seed: g.Seed}); err != nil {
		t.Fatal(err)
	}
}

// TestProbe9cSweepOutNotWritable: a sweep into a folder it cannot write
// in (an existing read-only folder, a new one under it, or the resume of
// a sweep kept there) started its stack and then failed writing the
// fixtures' context, as an "infrastructure failure" (exit 3). It is bad
// input naming the flag, before anything starts.
func TestProbe9cSweepOutNotWritable(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	ro := probe9cReadOnlyDir(t, func(dir string) { probe9cStartedSweep(t, filepath.Join(dir, "run")) })
	noDaemon := []string{"--buildkit-addr", "unix:///nonexistent/buildkitd.sock"}
	small := []string{"--sample", "1", "--workers", "1", "--cache", "off", "--reps", "1", "--warmup=false"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append([]string{"sweep", "--out", ro}, small...), "--out " + ro + ": cannot write in it"},
		{append([]string{"sweep", "--out", filepath.Join(ro, "new")}, small...), "cannot create it in " + ro},
		{[]string{"sweep", "--resume", filepath.Join(ro, "run")}, "--resume " + filepath.Join(ro, "run") + ": cannot write in it"},
		{[]string{"stack", "up", "--state", filepath.Join(ro, "st")}, "--state " + filepath.Join(ro, "st") + ": cannot create it in " + ro},
	} {
		args := tc.args
		if args[0] == "sweep" {
			args = append(append([]string{}, args...), noDaemon...)
		} else {
			args = append(append([]string{}, args...), "--buildkitd", "/nonexistent/buildkitd")
		}
		r := runIn(t, args...)
		if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%q: want exit 2 and one line with %q\n%s", args, tc.want, r)
		}
	}
}

// TestProbe9cSweepFolderInUse: two sweeps into one --out, or two resumes
// of one folder, at the same time both ran: both wrote the fixtures'
// context and source.json, and both ran the trials left, each appending
// its records of the same trials among the other's. A sweep now takes the
// folder's lock (the one a build takes) before it writes anything, and one
// that finds it held is bad input naming the folder, leaving it as it was.
func TestProbe9cSweepFolderInUse(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	noDaemon := []string{"--buildkit-addr", "unix:///nonexistent/buildkitd.sock"}
	hold := func(t *testing.T, dir string) {
		release, err := fleet.LockFolder(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(release)
	}
	t.Run("new", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		hold(t, out)
		args := append([]string{"sweep", "--out", out, "--sample", "1", "--workers", "1", "--cache", "off", "--reps", "1"}, noDaemon...)
		r := runIn(t, args...)
		want := fmt.Sprintf("--out %s: in use by another buildtune process (pid %d)", out, os.Getpid())
		if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
			t.Errorf("%q: want exit 2 and one line with %q\n%s", args, want, r)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("a refused sweep wrote in the folder in use: %v", entries)
		}
	})
	t.Run("resume", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "run")
		probe9cStartedSweep(t, dir)
		before := probe9cSnapshot(t, dir)
		hold(t, dir)
		args := append([]string{"sweep", "--resume", dir}, noDaemon...)
		r := runIn(t, args...)
		want := fmt.Sprintf("--resume %s: in use by another buildtune process (pid %d)", dir, os.Getpid())
		if msg := strings.TrimRight(r.stderr, "\n"); r.code != exitUsage || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
			t.Errorf("%q: want exit 2 and one line with %q\n%s", args, want, r)
		}
		if after := probe9cSnapshot(t, dir); after != before {
			t.Errorf("a refused resume changed the folder:\nbefore:\n%safter:\n%s", before, after)
		}
	})
}
