package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanInstances: plan takes --instances FILE as recommend does: the
// list's count is the build planned, stderr names it, and --images with
// it is bad input.
func TestPlanInstances(t *testing.T) {
	dir := copyRun(t)
	list := filepath.Join(t.TempDir(), "ids.txt")
	ids := "django__django-1\ndjango__django-2\nsympy__sympy-1\nacme__widget-7\nacme__widget-8\n"
	if err := os.WriteFile(list, []byte(ids), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "plan", dir, "--runners", "1", "--instances", list)
	if r.code != exitOK || !strings.Contains(r.stdout, "capacity for 5 images") || !strings.Contains(r.stderr, "planning for the 5 instances of ids.txt") {
		t.Errorf("plan --instances: want a plan of the list's 5 images, named on stderr\n%s", r)
	}
	r = runIn(t, "plan", dir, "--runners", "1", "--instances", list, "--images", "9")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--images and --instances") {
		t.Errorf("plan --instances --images: want exit 2 naming both\n%s", r)
	}
}
