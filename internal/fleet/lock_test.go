package fleet

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLockFolder: a folder locked once is refused to a second open, even
// in the same process (flock locks belong to the open file), as
// *InUseError naming the holder's pid; released, it is free again; and the
// lock writes nothing in the folder.
func TestLockFolder(t *testing.T) {
	dir := t.TempDir()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	release, err := LockFolder(dir)
	if err != nil {
		t.Fatalf("LockFolder: %v", err)
	}
	_, err = LockFolder(dir)
	var iu *InUseError
	if !errors.As(err, &iu) || !errors.Is(err, ErrInUse) {
		t.Fatalf("second LockFolder: %v; want *InUseError", err)
	}
	if iu.PID != os.Getpid() || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("second LockFolder: %v (pid %d); want the holder's pid %d", err, iu.PID, os.Getpid())
	}
	release()
	release() // a second release is harmless
	again, err := LockFolder(dir)
	if err != nil {
		t.Fatalf("LockFolder after release: %v", err)
	}
	again()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the lock left %d entries in the folder", len(entries))
	}
	if fi, err := os.Stat(dir); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("the folder's mtime changed: %v (%v)", fi.ModTime(), err)
	}
	if _, err := LockFolder(filepath.Join(dir, "missing")); err == nil || errors.Is(err, ErrInUse) {
		t.Errorf("LockFolder of a missing folder: %v; want an error other than in use", err)
	}
}

// TestLockFolderKilledHolder: the lock of a process killed with SIGKILL
// (no release, no clean-up) does not outlive it: the kernel drops it, so a
// killed build never blocks the next one. While the holder lives, its pid
// is the one named.
func TestLockFolderKilledHolder(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockFolderHelper$")
	cmd.Env = append(os.Environ(), "BUILDTUNE_LOCK_HELPER="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %q, %v; want it to say it holds the lock", line, err)
	}
	_, err = LockFolder(dir)
	var iu *InUseError
	if !errors.As(err, &iu) || iu.PID != cmd.Process.Pid {
		t.Errorf("LockFolder while the helper holds it: %v; want in use by pid %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // reaped: its descriptors, and so its lock, are gone
	release, err := LockFolder(dir)
	if err != nil {
		t.Fatalf("LockFolder after the holder was killed: %v; want the lock free", err)
	}
	release()
}

// TestLockFolderHelper is the holder of TestLockFolderKilledHolder: it
// locks the folder, says so, and waits to be killed.
func TestLockFolderHelper(t *testing.T) {
	dir := os.Getenv("BUILDTUNE_LOCK_HELPER")
	if dir == "" {
		t.Skip("run by TestLockFolderKilledHolder")
	}
	if _, err := LockFolder(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n') // until killed (or the parent goes)
	os.Exit(0)
}
