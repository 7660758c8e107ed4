package evidence

import (
	"fmt"
	"slices"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/input"
)

// Thresholds of the push-queue diagnosis: more workers that mostly wait
// for their pushes. With W times the workers, the median layer push per
// image grew by at least pushGrowth of the (W-1) extra and throughput by
// less than throughputGrowth of it, and the pushes took at least
// pushShareMin of an image's wall time.
const (
	pushGrowth       = 0.5
	throughputGrowth = 0.5
	pushShareMin     = 0.25
	// linkFull is the share of a capped link above which the bandwidth is
	// named as the limit.
	linkFull = 0.8
)

// pushQueueing finds cells that differ only in workers where the extra
// workers mostly queued for their pushes, and says what queues them: a
// capped link that is full on average, or else one of the link in bursts
// and the connections to the registry (BuildKit's maxRegistryConcurrency,
// 4 per daemon by default, shared by every push and pull of the daemon),
// with the sweep that tells them apart. One line per pair of neighbouring
// worker counts that shows it.
func pushQueueing(cells []*Cell) []string {
	groups := map[Config][]*Cell{}
	var keys []Config
	for _, c := range cells {
		if c.Images == 0 || c.N == 0 {
			continue
		}
		key := without(c.Config, "workers")
		if groups[key] == nil {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], c)
	}
	var out []string
	for _, key := range keys {
		g := groups[key]
		slices.SortFunc(g, func(a, b *Cell) int { return a.Config.Workers - b.Config.Workers })
		for i := 1; i < len(g); i++ {
			lo, hi := g[i-1], g[i]
			if line := pushPair(lo, hi); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// roundTrips is what may queue pushes besides a full link, and how to
// tell.
const roundTrips = "What queued them: either the link at the moments many builds push at once, " +
	"or BuildKit's connections to the registry (maxRegistryConcurrency: 4 per daemon by default, shared by all its pushes and pulls). " +
	"Sweep again with --registry-concurrency 16 or with more daemons: if the push time per image stays, it is the link."

// pushPair diagnoses one pair of cells, lo with fewer workers than hi.
func pushPair(lo, hi *Cell) string {
	// Builds at once, not workers: a batch or a sample smaller than the
	// workers caps them.
	r := float64(hi.Concurrency()) / float64(lo.Concurrency())
	pLo, pHi := lo.Phases.LayerPush, hi.Phases.LayerPush
	tLo, tHi := lo.ImagesPerHour.Median, hi.ImagesPerHour.Median
	wall := hi.ImageWall.Median
	if r <= 1 || pLo <= 0.05 || tLo <= 0 || wall <= 0 {
		return ""
	}
	grew := pHi / pLo
	gain := tHi / tLo
	if grew < 1+pushGrowth*(r-1) || gain >= 1+throughputGrowth*(r-1) || pHi < pushShareMin*wall {
		return ""
	}
	line := fmt.Sprintf("%s -> %s: %.3gx the builds at once gave %.2fx the images/hour, and each image's layer push grew from %s to %s (%.0f%% of its wall): the extra builds queued for their pushes",
		lo.Name, hi.Name, r, gain, analyze.FormatSeconds(pLo), analyze.FormatSeconds(pHi), 100*pHi/wall)
	rate := hi.BytesPushedPerImage * tHi / 3600 // bytes per second pushed
	if bps, err := input.Bandwidth(hi.Config.Registry); err == nil && bps > 0 && rate > 0 {
		share := rate / float64(bps)
		if share >= linkFull {
			return line + fmt.Sprintf("; the %s link was %.0f%% full: the bandwidth is the limit.", hi.Config.Registry, 100*share)
		}
		return line + fmt.Sprintf("; the %s link was %.0f%% full on average. %s", hi.Config.Registry, 100*share, roundTrips)
	}
	return line + fmt.Sprintf("; %s/s were pushed on average. %s", analyze.FormatBytes(rate), roundTrips)
}
