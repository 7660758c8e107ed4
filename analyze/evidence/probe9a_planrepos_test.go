package evidence

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

// slowRepo divides the build times of the image records of every repo but
// repo in dir's records.jsonl by f (the trials' walls stay what bounds
// them), so that the repos of a target weigh on a prediction.
func slowRepo(t *testing.T, dir, repo string, f float64) {
	t.Helper()
	editRecords(t, dir, "image", func(m map[string]any) {
		if id, _ := m["instance"].(string); strings.HasPrefix(id, repo+"__") {
			return
		}
		for _, k := range []string{"wall_s", "exec_s"} {
			if v, ok := m[k].(float64); ok {
				m[k] = v / f
			}
		}
	})
}

// TestPlanWeighsTheListsRepos: plan predicts the build recommend predicts.
// For a list of one slow repo, a plan on one runner of the recommended
// cell is the prediction recommend makes for that list (its repos weight
// the per-image costs), not one of images drawn from the whole sample; a
// plan of several runners gives each shard the list's repos too.
func TestPlanWeighsTheListsRepos(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, conditionCells("")[:2], instances, 0.004, nil, false)
	slowRepo(t, dir, "django", 4)
	a := analyzeDir(t, dir)
	var repos []string
	for range 12 {
		repos = append(repos, "django")
	}
	cfg := Config{Workers: 2, Batch: 3, CacheMode: "off", Strategy: "single"}
	weighted, err := a.Predict(cfg, Target{Repos: repos, Seed: a.Options.Seed})
	if err != nil {
		t.Fatal(err)
	}
	pooled, err := a.Predict(cfg, Target{Images: len(repos), Seed: a.Options.Seed})
	if err != nil {
		t.Fatal(err)
	}
	if !(weighted.Median > 1.15*pooled.Median) {
		t.Fatalf("set-up: the django list predicted %.1fs, the pooled %.1fs: want the slow repo to weigh", weighted.Median, pooled.Median)
	}
	cp, err := a.PlanTargetContext(context.Background(), cfg.Name(), Target{Repos: repos}, 0, 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got float64
	for _, o := range cp.Achieved {
		if o.Workers == 2 {
			got = o.Prediction.Median
		}
	}
	if got == 0 || math.Abs(got/weighted.Median-1) > 0.05 {
		t.Errorf("plan of 1 runner at 2 workers for the django list: %.1fs; want recommend's prediction for it, %.1fs (the pooled sample gives %.1fs)",
			got, weighted.Median, pooled.Median)
	}
	// Two runners: each shard of 6 is django too, so it takes more than
	// half the pooled prediction of 12.
	cp, err = a.PlanTargetContext(context.Background(), cfg.Name(), Target{Repos: repos}, time.Hour, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Images != 12 || cp.Plan == nil || cp.Plan.Best < 0 {
		t.Fatalf("deadline plan for the list: images %d, plan %+v", cp.Images, cp.Plan)
	}
	if s := shardRepos([]string{"a", "a", "a", "b", "b", "c"}, 3); strings.Join(s, ",") != "a,b,c" {
		t.Errorf("shardRepos of a,a,a,b,b,c to 3: %q, want a, b, c", s)
	}
	if s := shardRepos([]string{"a", "b"}, 5); strings.Join(s, ",") != "a,b" {
		t.Errorf("shardRepos of 2 repos to 5: %q, want both", s)
	}
	if s := shardRepos(nil, 5); s != nil {
		t.Errorf("shardRepos of no repos: %q, want nil (pooled)", s)
	}
}
