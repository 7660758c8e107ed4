package evidence

import (
	"fmt"
	"sort"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/sweep/record"
)

// ForeignLoadWarn is the share of the host's CPU (all cores' time) going
// to processes other than buildtune and its stack above which a trial is
// said to have run beside other work. A quiet host shows a few percent:
// kernel threads that reclaim pages and write back blocks for the builds
// themselves.
const ForeignLoadWarn = 0.10

// hostLoadWarnings names the trials that ran beside other work on the
// host, from the foreign_cpu their records carry (trials that did not
// measure it are not named).
func hostLoadWarnings(trials []record.Trial) []string {
	var loaded []record.Trial
	measured := 0
	for _, t := range trials {
		if t.HostCPU > 0 {
			measured++
		}
		if t.ForeignCPU >= ForeignLoadWarn {
			loaded = append(loaded, t)
		}
	}
	if len(loaded) == 0 {
		return nil
	}
	sort.SliceStable(loaded, func(i, j int) bool { return loaded[i].ForeignCPU > loaded[j].ForeignCPU })
	const shown = 4
	var parts []string
	for _, t := range loaded[:min(len(loaded), shown)] {
		parts = append(parts, fmt.Sprintf("trial %d of %s: %.0f%%", t.Trial, t.Cell, 100*t.ForeignCPU))
	}
	list := strings.Join(parts, "; ")
	if len(loaded) > shown {
		list += fmt.Sprintf(" and %d more", len(loaded)-shown)
	}
	return []string{fmt.Sprintf("%d of %s ran beside other work on the host: processes outside buildtune and its stack took %.0f%% or more of the host's CPU (%s). "+
		"Those trials are slower than their settings alone make them, and their cells noisier: repeat the sweep on a quiet machine, or resume it with more reps",
		len(loaded), analyze.Plural(measured, "measured trial"), 100*ForeignLoadWarn, list)}
}
