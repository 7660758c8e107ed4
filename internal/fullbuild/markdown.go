package fullbuild

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/buildtune/buildtune/internal/input"
)

// Markdown is a short summary of a build for a CI job page (GitHub's
// $GITHUB_STEP_SUMMARY): counts, throughput, settings and failed images.
func Markdown(r *Result) string {
	s := r.Summary
	var b strings.Builder
	title := "buildtune build"
	if s.Settings.Shard != "" {
		title += " (shard " + s.Settings.Shard + ")"
	}
	fmt.Fprintf(&b, "### %s\n\n", title)
	fmt.Fprintf(&b, "| images | built | skipped | failed | retried | wall | images/hour |\n|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %.0fs | %.1f |\n\n", s.Total, s.Built, s.Skipped, s.Failed, s.Retried, s.WallSeconds, s.ImagesPerHour)
	fmt.Fprintf(&b, "Settings: workers %d, batch %s, cache %s, strategy %s; prunes %d (%.0fs).",
		s.Settings.Workers, input.BatchLabel(s.Settings.Batch), s.Settings.CacheMode, s.Settings.Strategy, s.Prunes, s.PruneSeconds)
	if r.Planned == 0 && s.Settings.Shard != "" {
		b.WriteString(" This shard has no instances (more shards than instances): nothing to build.")
	}
	if r.Resumed > 0 {
		fmt.Fprintf(&b, " Resumed: %d images were already done.", r.Resumed)
	}
	if left := r.Planned - s.Total; left > 0 {
		// A stopped run (interrupted, the infrastructure lost): its
		// table counts only what it recorded.
		why := ""
		if r.StopReason != "" {
			why = " (" + strings.ReplaceAll(r.StopReason, "\n", " ") + ")"
		}
		fmt.Fprintf(&b, " **Stopped: %d of %d planned images not built yet**%s; the same --out resumes it.", left, r.Planned, why)
	}
	b.WriteString("\n")
	if len(s.FailedImages) > 0 {
		b.WriteString("\n**Failed images**\n\n")
		for _, f := range s.FailedImages {
			msg := cutText(strings.ReplaceAll(f.Error, "\n", " "), 200)
			fmt.Fprintf(&b, "- `%s` (%d attempts): %s\n", f.Instance, f.AttemptCount, msg)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// cutText cuts msg to at most n bytes, on a character boundary, marking
// the cut with "...".
func cutText(msg string, n int) string {
	if len(msg) <= n {
		return msg
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut-- // not inside a character
	}
	return msg[:cut] + "..."
}
