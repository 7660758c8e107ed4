package evidence

import (
	"strings"
	"testing"
	"time"
)

// A proof whose cells rest on one trial each has predictions without the
// machine's between-trial spread: the paired difference of simulated
// builds then excludes 0 from the image draws alone, and "head is
// significantly slower" (exit 1), or a claim that holds, would be claimed
// from one trial a side. The verdict is inconclusive and says why.
func TestProbe11bProveOneTrial(t *testing.T) {
	dir := t.TempDir()
	cells := conditionCells("")[:2]
	for i := range cells {
		cells[i].reps = 1
	}
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	a := analyzeDir(t, dir)
	for _, claim := range []time.Duration{0, 100 * time.Hour, time.Second} {
		v := Prove(a, cells[1].cfg, cells[0].cfg, claim, 433)
		if v.ExitCode != ExitInconclusive || v.HeadFaster || v.HeadSlower || v.Thin == "" {
			t.Errorf("claim %v: exit %d, faster %v, slower %v, thin %q: want inconclusive (exit %d) from one trial a side",
				claim, v.ExitCode, v.HeadFaster, v.HeadSlower, v.Thin, ExitInconclusive)
		}
		if claim > 0 && v.Claim != ClaimInconclusive {
			t.Errorf("claim %v: verdict %q, want %q", claim, v.Claim, ClaimInconclusive)
		}
		if !strings.Contains(v.Markdown, "base rests on 1 trial and head rests on 1 trial") || strings.Contains(v.Markdown, "significantly") {
			t.Errorf("claim %v: markdown:\n%s\nwant it to say both sides rest on 1 trial, and no significance", claim, v.Markdown)
		}
	}

	// Two trials a side still give a verdict.
	dir = t.TempDir()
	cells = conditionCells("")[:2]
	for i := range cells {
		cells[i].reps = 3
	}
	writeRun(t, dir, cells, instances, 0.004, nil, false)
	v := Prove(analyzeDir(t, dir), cells[1].cfg, cells[0].cfg, 0, 433)
	if v.Thin != "" || v.ExitCode == ExitInconclusive {
		t.Errorf("3 trials a side: exit %d, thin %q: want a verdict", v.ExitCode, v.Thin)
	}
}
