package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/sweep"
)

// TestProveResumeKeepsImages: a proof started with --images N and
// resumed without it (as the interrupted proof's own hint said) gave its
// verdict for the default target instead, so a claim made for N images
// was judged for another build, silently. The resumed proof takes the
// --images it was started with (run.json's command line); --images given
// to the resume still wins.
func TestProveResumeKeepsImages(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	base, head := "workers=2,batch=4,cache=off", "workers=4,batch=4,cache=off"
	dir := writeListSweep(t)
	info, err := sweep.ReadRunInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	info.CommandLine = []string{"buildtune", "prove", "--base", base, "--head", head, "--images", "7", "--claim", "5m"}
	if err := sweep.WriteRunInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	images := func(args ...string) int {
		t.Helper()
		r := runIn(t, append([]string{"prove", "--resume", dir, "--base", base, "--head", head,
			"--buildkitd", "/nonexistent/buildkitd", "--state", filepath.Join(t.TempDir(), "state")}, args...)...)
		var v struct {
			Images int `json:"images"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "verdict.json"))
		if err != nil {
			t.Fatalf("no verdict: %v\n%s", err, r)
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		if len(args) == 0 && !strings.Contains(r.stderr, "--images 7, as the proof") {
			t.Errorf("stderr does not say which target it took:\n%s", r)
		}
		return v.Images
	}
	if n := images(); n != 7 {
		t.Errorf("resumed without --images: verdict for %d images, want the proof's own 7", n)
	}
	if n := images("--images", "9"); n != 9 {
		t.Errorf("resumed with --images 9: verdict for %d images", n)
	}
}
