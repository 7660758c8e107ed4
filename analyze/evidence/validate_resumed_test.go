package evidence

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestValidateRefusesResumedBuild: a build killed and resumed holds the
// images of its earlier runs, while its one trial record is the last run's
// (its images, its wall). Validating that as the full build compared a
// slice of it, silently; it is refused, naming the resume. The same folder
// without the earlier run's image validates.
func TestValidateRefusesResumedBuild(t *testing.T) {
	run, err := Load(constRun(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(run, opts)
	if err != nil {
		t.Fatal(err)
	}
	fullDir := t.TempDir()
	ids := append(slices.Clone(instances), "django__django-7", "django__django-8")
	writeRun(t, fullDir, []cellSpec{{cfg: w2, seconds: 10, reps: 1}}, ids, 0, nil, false)
	full, err := Load(fullDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Validate(a, full, Config{}); err != nil {
		t.Fatalf("a build in one go: %v", err)
	}

	// An earlier run (killed: no trial record) built another image an hour
	// before the last run started.
	tr := full.Selected.Trials[0]
	var im record.Image
	for _, r := range full.Records.Images {
		if r.Instance != "" && r.Status == record.StatusBuilt {
			im = r
			break
		}
	}
	im.Instance, im.ID = "sympy__sympy-99", "sympy__sympy-99"
	im.Start = tr.Start.Add(-time.Hour)
	im.End = im.Start.Add(10 * time.Second)
	w, err := record.Create(filepath.Join(fullDir, RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&im); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	full, err = Load(fullDir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Validate(a, full, Config{})
	if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "was resumed: earlier runs built 1 image before its last run started") {
		t.Fatalf("a resumed build: %v; want bad input naming the resume", err)
	}
}
