package evidence

import (
	"strings"
	"testing"
)

// TestBaselineRegistryNamed: a --baseline naming a registry bandwidth the
// run did not build under is compared under the run's condition, as every
// candidate is, and the recommendation says so instead of dropping it
// silently; a baseline that names none, or the run's own, gets no such
// warning.
func TestBaselineRegistryNamed(t *testing.T) {
	a := loadSweep(t)
	const said = "the baseline names registry bandwidth"
	for _, tc := range []struct {
		reg  string
		warn bool
	}{{"", false}, {"5MiB/s", true}} {
		base := Config{Workers: 4, Batch: 15, CacheMode: "off", Strategy: "single", Registry: tc.reg}
		r, err := a.Recommend(Constraints{Baseline: base})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(r.Warnings, "\n")
		if strings.Contains(got, said) != tc.warn {
			t.Errorf("baseline registry %q: warnings %q; want the registry named: %v", tc.reg, r.Warnings, tc.warn)
		}
		if tc.warn && !strings.Contains(got, "5MiB/s, a condition the build runs under and not a setting: it is compared under the run's unlimited") {
			t.Errorf("warning does not name both bandwidths: %q", got)
		}
	}
}
