package sweep

import (
	"strings"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
)

// TestCheckTrialDisk: every size key of a profile is bounded (4 GiB), but
// not their sum: a profile at the bounds writes about 40 GiB per image, and
// a sample of them filled the disk under BuildKit and the registry. A trial
// that cannot fit the free space is refused, naming the profile; one that
// fits, or an unknown free space, is not.
func TestCheckTrialDisk(t *testing.T) {
	p := mustProfile(t, `name: huge
time_scale: 0.01
cpu_unit: 200
arg_position: after
steps: {apt: {bytes: 4GiB}, npm: {bytes: 4GiB}, settings: {bytes: 4GiB}, builder: {bytes: 4GiB}}
agent_server_bytes: 4GiB
base: {bytes: 4GiB, sigma: 0, max_bytes: 4GiB}
`)
	all, err := fixtures.Instances()
	if err != nil {
		t.Fatal(err)
	}
	insts := all[:3]
	// 3 images x 2 x (12 + 4 GiB) + 4 + 2 x 4 GiB once = 108 GiB.
	if got, want := TrialFixtureBytes(p, insts), float64(108<<30); got != want {
		t.Errorf("TrialFixtureBytes = %v, want %v", got, want)
	}
	err = CheckTrialDisk(p, "huge.yaml", insts, 75<<30, "/tmp")
	if err == nil || !strings.Contains(err.Error(), "--profile huge.yaml") || !strings.Contains(err.Error(), "--sample") {
		t.Errorf("108 GiB into 75 GiB free: %v, want refused naming the profile", err)
	}
	if err := CheckTrialDisk(p, "huge.yaml", insts, 200<<30, "/tmp"); err != nil {
		t.Errorf("108 GiB into 200 GiB free: %v", err)
	}
	if err := CheckTrialDisk(p, "huge.yaml", insts, -1, "/tmp"); err != nil {
		t.Errorf("unknown free space: %v", err)
	}
	def, err := fixtures.LoadProfile(fixtures.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	// The default profile's 433 images: about 9 GiB.
	if err := CheckTrialDisk(def, "default", all, 16<<30, "/tmp"); err != nil {
		t.Errorf("the default profile's 433 images into 16 GiB: %v", err)
	}
}
