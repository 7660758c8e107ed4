package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/sweep/record"
)

// fullBuildFolder writes a full build's folder (records of one trial, no
// run.json) of the fixtures' workload at workers 2, batch 4, cache off,
// building ids.
func fullBuildFolder(t *testing.T, ids ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "full")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := record.Create(filepath.Join(dir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	rc := record.Config{Cell: "w2-b4-off-single", Workers: 2, Batch: 4, CacheMode: "off", Strategy: "single", Profile: "fixtures"}
	for i, id := range ids {
		s := t0.Add(time.Duration(i/2) * 10 * time.Second)
		im := record.Image{Config: rc, Instance: id, Phase: "single", Status: record.StatusBuilt, Attempts: 1, BatchIndex: i / 4,
			Cost: record.Cost{ID: id, Start: s, End: s.Add(10 * time.Second), WallSeconds: 10, ExecSeconds: 6, ImageExportSeconds: 1, LayerPushSeconds: 2,
				CachedSteps: 3, TotalSteps: 4, ImageBytes: 50 << 20}}
		if err := w.Write(&im); err != nil {
			t.Fatal(err)
		}
	}
	wall := float64((len(ids)+1)/2) * 10
	tr := record.Trial{Config: rc, Start: t0, End: t0.Add(time.Duration(wall) * time.Second), WallSeconds: wall, Images: len(ids), Built: len(ids),
		ImagesPerHour: record.ImagesPerHour(len(ids), wall)}
	if err := w.Write(&tr); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestValidate: one folder given as both SWEEP and FULL was
// "validated" (a build predicted from its own records, exit 0); the two
// folders the wrong way round were refused as "FULL is a sweep folder"
// without saying the order was the problem; and a full build of
// instances outside the list the sweep drew its sample from was validated
// without a word.
func TestValidate(t *testing.T) {
	sweepDir := writeListSweep(t)
	full := fullBuildFolder(t, "django__django-1", "django__django-2", "sympy__sympy-1", "astropy__astropy-1")
	r := runIn(t, "validate", sweepDir, full)
	if r.code != exitOK || strings.Contains(r.stdout+r.stderr, "not in the 40 instances") {
		t.Fatalf("validate of a build of the sweep's list: want exit 0 without an outside-the-list warning\n%s", r)
	}

	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"same folder twice", []string{full, full}, []string{full, "both the sweep and the full build"}},
		{"same folder, two spellings", []string{full, full + "/"}, []string{"both the sweep and the full build"}},
		{"wrong order", []string{full, sweepDir}, []string{sweepDir, "wrong way round"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadFile(filepath.Join(full, "validation.json"))
			r := runIn(t, append([]string{"validate"}, tt.args...)...)
			if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("validate %v: want exit 2, one line\n%s", tt.args, r)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("validate %v: stderr does not name %q\n%s", tt.args, w, r)
				}
			}
			if after, _ := os.ReadFile(filepath.Join(full, "validation.json")); string(before) != string(after) {
				t.Errorf("validate %v rewrote %s/validation.json", tt.args, full)
			}
		})
	}

	other := fullBuildFolder(t, "django__django-1", "flask__flask-1", "flask__flask-2", "sympy__sympy-1")
	r = runIn(t, "validate", sweepDir, other)
	if r.code != exitOK || !strings.Contains(r.stdout+r.stderr, "2 of the 4 built instances are not in the 40 instances of set.txt") {
		t.Errorf("validate of a build of instances outside the sweep's list: want exit 0 and a warning naming them\n%s", r)
	}
}
