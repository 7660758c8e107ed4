package model

import (
	"slices"
)

// WithFloor returns p with every simulated build at least seconds long: a
// lower bound no build can beat whatever its draws, such as the time a
// capped registry link needs to move every image's bytes. The simulated
// builds below it are raised to it and the median, mean and interval are
// taken again, so a prediction never puts a build, or an interval end,
// where it cannot be. why is the warning added when the floor raises the
// lower end of the interval; seconds <= 0 leaves p as it is.
func (p Prediction) WithFloor(seconds float64, why string) Prediction {
	if !(seconds > 0) || !isFinite(seconds) || !(p.Lo < seconds) {
		return p
	}
	oldWidth := ""
	if p.TooWide {
		oldWidth = p.WidthWarning()
	}
	if len(p.Samples) > 0 {
		s := slices.Clone(p.Samples)
		for i := range s {
			s[i] = max(s[i], seconds)
		}
		p.Samples = s
		conf := p.Confidence
		if !(conf > 0 && conf < 1) {
			conf = DefaultConfidence
		}
		p.Median, p.Mean, p.Lo, p.Hi = summarize(s, conf)
	} else {
		p.Lo, p.Median, p.Mean, p.Hi = max(p.Lo, seconds), max(p.Median, seconds), max(p.Mean, seconds), max(p.Hi, seconds)
	}
	p.TooWide = p.Hi > 0 && !(p.Lo > 0 && p.Hi <= MaxTestableRatio*p.Lo)
	var warns []string
	for _, w := range p.Warnings {
		if w != oldWidth || oldWidth == "" {
			warns = append(warns, w)
		}
	}
	if why != "" {
		warns = append(warns, why)
	}
	if p.TooWide {
		warns = append(warns, p.WidthWarning())
	}
	p.Warnings = warns
	if p.Images > 0 {
		p.ImagesPerHour = safeDiv(float64(p.Images)*3600, p.Median)
		p.ImagesPerHourLo = safeDiv(float64(p.Images)*3600, p.Hi)
		p.ImagesPerHourHi = safeDiv(float64(p.Images)*3600, p.Lo)
	}
	return p
}
