package evidence

import (
	"strings"
	"testing"

	"github.com/buildtune/buildtune/sweep/record"
)

func TestHostLoadWarnings(t *testing.T) {
	tr := func(n int, cell string, host, foreign float64) record.Trial {
		return record.Trial{Trial: n, Config: record.Config{Cell: cell}, HostCPU: host, ForeignCPU: foreign}
	}
	quiet := []record.Trial{tr(1, "a", 0.9, 0.03), tr(2, "b", 0.95, 0.099), tr(3, "a", 0, 0)}
	if w := hostLoadWarnings(quiet); w != nil {
		t.Errorf("quiet trials warned: %q", w)
	}
	loaded := append(quiet, tr(4, "b", 0.99, 0.31), tr(5, "a", 0.97, 0.12), tr(6, "a", 0.98, 0.45), tr(7, "b", 0.9, 0.2), tr(8, "b", 0.9, 0.15))
	w := hostLoadWarnings(loaded)
	if len(w) != 1 {
		t.Fatalf("warnings %q, want one", w)
	}
	// 7 trials measured host_cpu (trial 3 did not); the worst first, four
	// named.
	for _, want := range []string{"5 of 7 measured trials ran beside other work", "trial 6 of a: 45%; trial 4 of b: 31%; trial 7 of b: 20%; trial 8 of b: 15% and 1 more"} {
		if !strings.Contains(w[0], want) {
			t.Errorf("warning %q lacks %q", w[0], want)
		}
	}
}

// TestValidateSaysBuildRanBesideWork: a full build whose trial record
// says processes outside buildtune took 35% of the host's CPU is validated
// with a warning saying so; one with 2% is not.
func TestValidateSaysBuildRanBesideWork(t *testing.T) {
	run, err := Load(constRun(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(run, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, foreign := range []float64{0.02, 0.35} {
		fullDir := t.TempDir()
		writeRun(t, fullDir, []cellSpec{{cfg: w2, seconds: 10, reps: 1}}, instances, 0, nil, false)
		full, err := Load(fullDir)
		if err != nil {
			t.Fatal(err)
		}
		full.Selected.Trials[0].HostCPU, full.Selected.Trials[0].ForeignCPU = 0.9, foreign
		v, err := Validate(a, full, Config{})
		if err != nil {
			t.Fatal(err)
		}
		said := strings.Contains(strings.Join(v.Warnings, "\n"), "ran beside other work on the host: processes outside buildtune and its stack took 35%")
		if said != (foreign >= ForeignLoadWarn) {
			t.Errorf("foreign %.2f: warned %v; warnings %q", foreign, said, v.Warnings)
		}
	}
}
