package sweep

import (
	"math"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workload"
)

// DiskFree returns the bytes available to unprivileged users on the file
// system holding path.
func DiskFree(path string) (int64, error) { return diskFree(path) }

// TrialFixtureBytes is a lower bound of what one trial of the fixtures of
// profile p over insts writes to disk: each image's own layers (apt, npm
// and settings bytes) and its base layer, once in BuildKit's store and once
// in the registry, plus the builder stage's scratch and /agent-server, a
// layer every image shares, once. Random data does not compress, and the
// store also unpacks what it pulls, so the real figure is higher.
func TrialFixtureBytes(p *fixtures.Profile, insts []workload.Instance) float64 {
	if p == nil {
		return 0
	}
	own := float64(p.Steps.Apt.Bytes) + float64(p.Steps.Npm.Bytes) + float64(p.Steps.Settings.Bytes)
	total := float64(p.Steps.Builder.Bytes) + 2*float64(p.AgentServerBytes)
	for _, inst := range insts {
		total += 2 * (own + float64(p.BaseBytes(inst)))
	}
	return total
}

// CheckTrialDisk refuses (bad input naming the profile) a sample whose one
// trial of fixtures writes more than free bytes: each size key of a profile
// is bounded, but not their sum, and 4 GiB layers over a few images fill a
// disk before the first trial ends, taking BuildKit and the registry with
// it. free < 0 means unknown: nothing is checked.
func CheckTrialDisk(p *fixtures.Profile, profilePath string, insts []workload.Instance, free int64, where string) error {
	if free < 0 || p == nil {
		return nil
	}
	need := TrialFixtureBytes(p, insts)
	if need <= float64(free) || math.IsNaN(need) {
		return nil
	}
	return input.Errorf("--profile "+profilePath, "one trial of the %d sampled images writes at least %s (their layers in BuildKit's store and in the registry), more than the %s free in %s: lower the profile's bytes or --sample",
		len(insts), input.HumanSize(need), input.HumanSize(float64(free)), where)
}
