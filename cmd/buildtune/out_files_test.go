package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOutputPathTaken: a folder where analyze, report or validate write a
// file (analysis.json, report.md, report.html, validation.json, a chart),
// or a file where report makes plots/, failed after the report's other
// files were written, with exit 1 (the exit of failed builds) and an
// error naming a temporary file ("rename .../.report.html.123.tmp ...:
// file exists"). It is bad input: exit 2, one line naming the path,
// before anything is written.
func TestOutputPathTaken(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cmd     string
		taken   string
		isFile  bool
		written []string
	}{
		{"analysis.json a folder", "analyze", "analysis.json", false, nil},
		{"report.html a folder", "report", "report.html", false, []string{"report.md", "analysis.json"}},
		{"report.md a folder", "report", "report.md", false, []string{"report.html", "analysis.json"}},
		{"analysis.json a folder under report", "report", "analysis.json", false, []string{"report.md", "report.html"}},
		{"plots a file", "report", "plots", true, []string{"report.md", "report.html", "analysis.json"}},
		{"a chart a folder", "report", "plots/throughput.png", false, []string{"report.md", "report.html", "analysis.json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyRun(t)
			out := filepath.Join(t.TempDir(), "out")
			path := filepath.Join(out, tt.taken)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			var err error
			if tt.isFile {
				err = os.WriteFile(path, []byte("x"), 0o644)
			} else {
				err = os.Mkdir(path, 0o755)
			}
			if err != nil {
				t.Fatal(err)
			}
			r := runIn(t, tt.cmd, dir, "--out", out)
			if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, path) || strings.Contains(r.stderr, ".tmp") {
				t.Fatalf("%s --out with %s taken: want exit 2, one line naming %s\n%s", tt.cmd, tt.taken, path, r)
			}
			for _, f := range tt.written {
				if _, err := os.Stat(filepath.Join(out, f)); err == nil {
					t.Errorf("%s wrote %s before refusing", tt.cmd, f)
				}
			}
		})
	}

	t.Run("validation.json a folder", func(t *testing.T) {
		sweepDir := writeListSweep(t)
		full := fullBuildFolder(t, "django__django-1", "django__django-2", "sympy__sympy-1", "astropy__astropy-1")
		path := filepath.Join(full, "validation.json")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		r := runIn(t, "validate", sweepDir, full)
		if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, path) {
			t.Fatalf("validate with validation.json a folder: want exit 2, one line naming %s\n%s", path, r)
		}
	})
}

// TestReportValidationEdited: report --validation took a validation.json
// of {} (or edited by hand) and printed its row as a build of
// "workers=0,batch=stream,cache=,strategy=" measured in 0s (exit 0); it
// is bad input naming the folder, and no report is written.
func TestReportValidationEdited(t *testing.T) {
	dir := copyRun(t)
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "validation.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	r := runIn(t, "report", dir, "--out", out, "--validation", full)
	if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, full) || !strings.Contains(r.stderr, "validation.json") {
		t.Fatalf("report --validation of an edited validation.json: want exit 2, one line naming %s\n%s", full, r)
	}
	if _, err := os.Stat(filepath.Join(out, "report.md")); err == nil {
		t.Errorf("report.md written")
	}
}

// TestInputFileWithoutEnd: recommend --workflow /dev/zero (or a huge file
// given by mistake) and --instances /dev/zero read without bound into
// memory, deaf to Ctrl-C, until the kernel killed the process (exit 137).
// Both are bad input naming the flag and the file.
func TestInputFileWithoutEnd(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := copyRun(t)
	for _, flag := range []string{"--workflow", "--instances"} {
		done := make(chan result, 1)
		go func() { done <- runIn(t, "recommend", dir, flag, "/dev/zero") }()
		select {
		case r := <-done:
			if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, flag+" /dev/zero") {
				t.Errorf("recommend %s /dev/zero: want exit 2, one line naming it\n%s", flag, r)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("recommend %s /dev/zero still reading after 5s", flag)
		}
	}
}
