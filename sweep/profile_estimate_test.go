package sweep

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/fixtures"
)

func mustProfile(t *testing.T, yaml string) *fixtures.Profile {
	t.Helper()
	p, err := fixtures.ParseProfile([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProfilePerImageSeconds: the estimates' per-image time follows the
// profile: the default profile's is the measured default, a lighter one
// keeps it, and a heavier one (more hashing, more RUN steps, a per-build
// builder) costs more, so --budget refuses a grid the profile makes too
// long.
func TestProfilePerImageSeconds(t *testing.T) {
	def, err := fixtures.LoadProfile(fixtures.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	if got := ProfilePerImageSeconds(def); got != DefaultPerImageSeconds {
		t.Errorf("default profile: %v s per image, want %v", got, DefaultPerImageSeconds)
	}
	if got := ProfilePerImageSeconds(nil); got != DefaultPerImageSeconds {
		t.Errorf("no profile: %v s per image, want %v", got, DefaultPerImageSeconds)
	}
	head := "name: x\ncpu_unit: 200\narg_position: after\n"
	zero := mustProfile(t, head+"time_scale: 0.01\n")
	if got := ProfilePerImageSeconds(zero); got != DefaultPerImageSeconds {
		t.Errorf("a profile of no work: %v s per image, want the default's %v (an image's fixed costs stay)", got, DefaultPerImageSeconds)
	}
	// time_scale 1: the default's steps at full length, 142 s per image.
	full := mustProfile(t, head+"time_scale: 1\nsteps: {apt: {cpu_seconds: 103}, npm: {cpu_seconds: 38}, settings: {cpu_seconds: 1}}\n")
	if got, want := ProfilePerImageSeconds(full), DefaultPerImageSeconds+142-1.42; math.Abs(got-want) > 1e-9 {
		t.Errorf("time_scale 1: %v s per image, want %v", got, want)
	}
	// 64 + 32 + 1 image RUN steps: 94 more than the default's 3.
	layers := mustProfile(t, head+"time_scale: 0.005\nsteps: {apt: {layers: 64}, npm: {layers: 32}}\n")
	if got, want := ProfilePerImageSeconds(layers), DefaultPerImageSeconds+94*RunStepSeconds; math.Abs(got-want) > 1e-9 {
		t.Errorf("97 RUN steps: %v s per image, want %v", got, want)
	}
	// A per-build builder stage is paid by every image.
	perBuild := mustProfile(t, head+"time_scale: 0.01\nbuilder_cache: per-build\nsteps: {builder: {cpu_seconds: 600}}\n")
	if got, want := ProfilePerImageSeconds(perBuild), DefaultPerImageSeconds+6-1.42+RunStepSeconds; math.Abs(got-want) > 1e-9 {
		t.Errorf("per-build builder: %v s per image, want %v", got, want)
	}

	g := DefaultGrid()
	g.Workers, g.Reps, g.Sample = []int{1}, 1, 3
	g.Cache = g.Cache[:1]
	if err := CheckBudget(g, ProfilePerImageSeconds(full), EstimateCores, 5*time.Minute); err == nil || !strings.Contains(err.Error(), "143s per image") {
		t.Errorf("3 images of 142 s each in a 5m budget: %v, want refused at 143s per image", err)
	}
}
