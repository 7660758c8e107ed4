package evidence

import (
	"strings"
	"testing"
	"time"
)

// plan --instances of a list whose repos the sweep never built drew every
// image from the pooled sample without a word, where recommend, for the
// same list, warns "N of M target images (K repos) have no observations of
// their repo". The plan says it too.
func TestProbe11bPlanUnseenRepos(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, conditionCells("")[:2], instances, 0.004, nil, false)
	a := analyzeDir(t, dir)
	target := Target{Repos: []string{"acme", "acme", "acme", "django", "zeta"}}
	for _, runners := range []int{0, 2} {
		deadline := time.Duration(0)
		if runners == 0 {
			deadline = 10 * time.Hour
		}
		cp, err := a.PlanTargetContext(t.Context(), "", target, deadline, runners, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		text := cp.Text()
		if !strings.Contains(text, "4 of 5 target images (2 repos) have no observations of their repo in w4-b3-off-single: drawn from the pooled set (acme, zeta)") {
			t.Errorf("runners %d: plan text:\n%s\nwant a warning that 4 of the 5 images (acme, zeta) have no observations of their repo", runners, text)
		}
	}
}
