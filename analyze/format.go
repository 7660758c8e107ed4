package analyze

import (
	"fmt"
	"math"
)

// FormatSeconds formats a duration in seconds as 0.28s, 38.2s, 12m05s or
// 1h52m: the one format of every duration buildtune writes for people
// (reports, recommendations, verdicts), so a 50 s build never reads as
// "1 min" and a 5 s saving never as "0 min".
func FormatSeconds(s float64) string {
	switch {
	case math.IsNaN(s):
		return "n/a"
	case math.IsInf(s, 1):
		return "∞"
	case math.IsInf(s, -1):
		return "-∞"
	case s < 0 && s > -0.005:
		return "0.00s" // rounds to zero: no sign
	case s < 0:
		return "-" + FormatSeconds(-s)
	case s == 0:
		return "0s"
	case s < 9.995:
		return fmt.Sprintf("%.2fs", s)
	case s < 59.95:
		return fmt.Sprintf("%.1fs", s)
	}
	if s >= 3600e6 {
		// A million hours and more: in hours, as a float, since the
		// minutes would overflow an int64 (1e308 s printed as negative).
		return fmt.Sprintf("%.3gh", s/3600)
	}
	if t := int64(math.Round(s)); t < 3600 {
		return fmt.Sprintf("%dm%02ds", t/60, t%60)
	}
	m := int64(math.Round(s / 60))
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}

// Plural writes a count with its noun: "1 runner", "3 runners".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// FormatBytes writes a byte count with a binary unit: 512 B, 6.0 MiB,
// 15.4 GiB.
func FormatBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for math.Abs(b) >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}
