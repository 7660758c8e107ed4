package evidence

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// listOf40 is an instance list of 40 ids over four repos, and sampleOf8 a
// sample of 8 drawn from it: the list's requests images have no repo in
// the sample.
func listOf40() (list, sample []string) {
	for repo, n := range map[string]int{"django": 15, "sympy": 10, "astropy": 8, "requests": 7} {
		for i := range n {
			list = append(list, fmt.Sprintf("%s__%s-%d", repo, repo, i+1))
		}
	}
	slices.Sort(list)
	sample = []string{"astropy__astropy-1", "astropy__astropy-2", "django__django-1", "django__django-2", "django__django-3",
		"sympy__sympy-1", "sympy__sympy-2", "sympy__sympy-3"}
	return list, sample
}

// writeListRun writes a sweep of sample whose run.json records the list it
// drew the sample from (as sweep.RunInfo.Instances writes it).
func writeListRun(t *testing.T, list, sample []string) string {
	t.Helper()
	dir := t.TempDir()
	grid := map[string]any{"workers": []int{2, 4}, "batch": []any{3}, "cache": []string{"off"}, "strategy": []string{"single"},
		"temp": []string{"cold"}, "registry-bandwidth": []string{"unlimited"}, "reps": 6, "sample": len(sample), "seed": 1}
	writeRun(t, dir, conditionCells("")[:2], sample, 0.004, grid, false)
	path := filepath.Join(dir, RunInfoFile)
	var info map[string]any
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &info)
	}
	if err != nil {
		t.Fatal(err)
	}
	info["instance_list"] = map[string]any{"source": "/gone/set.txt", "ids": list}
	if b, err = json.Marshal(info); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestTargetIsTheSweepsList: a sweep of 8 instances drawn from a list of
// 40 predicts the build of the 40 by default, weighted by the list's
// repos, and says so; an explicit count wins, and a sweep without a list
// keeps the default count.
func TestTargetIsTheSweepsList(t *testing.T) {
	list, sample := listOf40()
	dir := writeListRun(t, list, sample)
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := opts
	o.Images = 0 // as the commands leave it
	a, err := Analyze(run, o)
	if err != nil {
		t.Fatal(err)
	}
	if a.Options.Images != 40 || a.InstanceList == nil || len(a.InstanceList.IDs) != 40 {
		t.Fatalf("options images %d, list %+v; want the list's 40", a.Options.Images, a.InstanceList)
	}
	tg := a.ResolveTarget(Target{PruneThreshold: 1 << 30, Seed: 3})
	if tg.Count() != 40 || !slices.Equal(tg.Repos, ReposOf(list)) || tg.PruneThreshold != 1<<30 || tg.Seed != 3 || !tg.FromRun() {
		t.Errorf("target %+v: want the list's 40 repos, the prune policy and seed kept", tg)
	}
	want := "the 40 instances of set.txt, the list the sweep drew its sample from"
	if tg.Describe() != want {
		t.Errorf("describe %q, want %q", tg.Describe(), want)
	}
	r, err := a.Recommend(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Images != 40 || r.Target != want || !slices.Contains(r.Reasons, "Predicted for "+want+".") {
		t.Errorf("recommendation for %d images, target %q, reasons %q; want the list's 40", r.Images, r.Target, r.Reasons)
	}
	// The list's repos weight the draws: its 7 requests images have no
	// repo in the sample.
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "7 of 40 target images (1 repo) have no observations of their repo") {
		t.Errorf("warnings %q: want the list's requests images named as unseen", r.Warnings)
	}
	// An explicit count wins over the list.
	if r, err := a.Recommend(Constraints{Target: Target{Images: 433}}); err != nil || r.Images != 433 || r.Target != "" {
		t.Errorf("--images 433: %d images, target %q, %v", r.Images, r.Target, err)
	}
	o.Images = 60
	if a, err = Analyze(run, o); err != nil {
		t.Fatal(err)
	}
	if tg := a.ResolveTarget(Target{}); tg.Count() != 60 || tg.Repos != nil || tg.Describe() != "60 images" {
		t.Errorf("Options.Images 60: target %+v, want 60 images", tg)
	}
	// A sweep that recorded no list (the fixtures, or an older sweep)
	// keeps the default count.
	o.Images = 0
	b := loadSweepWith(t, o)
	if tg := b.ResolveTarget(Target{}); tg.Count() != DefaultImages || tg.Describe() != "433 images" || b.InstanceList != nil {
		t.Errorf("no list: target %+v (%s), want %d images", tg, tg.Describe(), DefaultImages)
	}
}

func loadSweepWith(t *testing.T, o Options) *Analysis {
	t.Helper()
	run, err := Load(filepath.Join("testdata", "sweep"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(run, o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
