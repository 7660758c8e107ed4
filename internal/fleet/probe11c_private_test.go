package fleet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/buildtune/buildtune/internal/stack"
)

// TestProbe11cStalePrivateRemoved: a buildtune killed (SIGKILL, a second
// Ctrl-C, a CI timeout) leaves its private stack's temporary folder, about
// 100 MB with BuildKit's mounts, and nothing removed it: a runner's /tmp
// filled run after run. The next private stack removes the folders whose
// owner is gone, and only those: not a running owner's, not one without
// an owner file, not one a process still uses; a mount left in one is
// detached first, so that the removal never reaches through it.
func TestProbe11cStalePrivateRemoved(t *testing.T) {
	tmp := t.TempDir()
	// A process that has ended: its pid is no longer its.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	ns := pidNamespace()
	deadOwner := fmt.Sprintf("%d 1 %s\n", dead.Process.Pid, ns)
	me := fmt.Sprintf("%d %s %s\n", os.Getpid(), stack.ProcessStart(os.Getpid()), ns)
	mk := func(name, owner string) string {
		d := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Join(d, "buildkitd-0", "root"), 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(d, ownerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	stale := mk("buildtune-111", deadOwner)
	running := mk("buildtune-222", me)
	unowned := mk("buildtune-333", "")
	garbled := mk("buildtune-444", "not an owner\n")
	other := mk("elsewhere-555", deadOwner)
	// A folder of a buildtune in another pid namespace (a container
	// sharing /tmp): its pid says nothing here.
	foreign := mk("buildtune-888", fmt.Sprintf("%d 1 pid:[1]\n", dead.Process.Pid))
	used := mk("buildtune-666", deadOwner)
	// A process still working in a stale folder (a daemon shutting down).
	sleeper := exec.Command("sleep", "60")
	sleeper.Dir = used
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })

	// A mount left in a stale folder (a killed buildkitd's overlay) over
	// a folder outside it: removing through it would delete outside files.
	mounted := mk("buildtune-777", deadOwner)
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(outside, "keep")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(mounted, "buildkitd-0", "root", "mnt")
	if err := os.MkdirAll(mp, 0o755); err != nil {
		t.Fatal(err)
	}
	bound := syscall.Mount(outside, mp, "", syscall.MS_BIND, "") == nil
	if bound {
		t.Cleanup(func() { syscall.Unmount(mp, syscall.MNT_DETACH) })
	}

	d, err := newPrivateDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(d), privatePrefix) {
		t.Errorf("private folder %s does not start with %s", d, privatePrefix)
	}
	b, err := os.ReadFile(filepath.Join(d, ownerFile))
	if err != nil || string(b) != me {
		t.Errorf("owner file of the new folder: %q, %v; want %q", b, err, me)
	}
	gone := func(p string) bool { _, err := os.Stat(p); return os.IsNotExist(err) }
	if !gone(stale) {
		t.Errorf("%s (owner gone) was left", stale)
	}
	for _, p := range []string{running, unowned, garbled, other, used, foreign} {
		if gone(p) {
			t.Errorf("%s was removed; only a buildtune private folder whose owner is gone and that no process uses may be", p)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file outside the stale folders, reached through a mount in one, was removed: %v", err)
	}
	if bound && !gone(mounted) {
		t.Errorf("%s (owner gone, its mount detached) was left", mounted)
	}
}
