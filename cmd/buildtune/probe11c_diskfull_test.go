package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/testenv"
)

// TestProbe11cBuildDiskFull: the disk of --out fills up during a build
// (a small tmpfs, filled once the first image has its line). The build
// stops with exit 3 and one line naming the file it could not write; it
// exited 1 ("some builds failed", with 0 failed in its summary) and printed
// two lines. The manifest keeps its lines whole, and a rerun into the same
// folder once there is space finishes every image.
func TestProbe11cBuildDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("real stack")
	}
	bk := testenv.Buildkitd(t)
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("mounting a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(disk, syscall.MNT_DETACH) })
	out := filepath.Join(disk, "out")
	mpath := filepath.Join(out, manifest.ManifestFile)
	args := []string{"build", "--sample", "4", "--workers", "1", "--out", out, "--buildkitd", bk, "--state", testenv.Dir(t)}
	p := startBT(t, args...)
	p.until(t, 5*time.Minute, "first manifest line", false, func() bool { return len(manifestLines(t, mpath)) >= 1 })
	fill := filepath.Join(disk, "fill")
	f, err := os.Create(fill)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // full
		}
	}
	f.Close()
	code := p.wait(t, 5*time.Minute)
	stderr := strings.TrimRight(p.stderr.String(), "\n")
	last := lastLine(stderr)
	if code != exitInfra || !strings.HasPrefix(last, "buildtune: infrastructure failure: ") || !strings.Contains(last, "no space left on device") {
		t.Errorf("disk full: exit %d, last line %q; want exit %d, an infrastructure failure saying no space is left\n%s", code, last, exitInfra, p)
	}
	if i := strings.LastIndex(stderr, "buildtune: "); i >= 0 && strings.Contains(stderr[i:], "\n") {
		t.Errorf("the closing error takes more than one line:\n%s", stderr[i:])
	}
	kept := manifestLines(t, mpath)
	if len(kept) < 1 {
		t.Errorf("manifest lost its first line")
	}
	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	r := runBT(t, 5*time.Minute, args...)
	if r.code != exitOK {
		t.Fatalf("rerun with space again:\n%s", r)
	}
	checkFinalManifest(t, mpath, 4, false)
}
