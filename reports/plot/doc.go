// Package plot draws the charts of a sweep report. It is the report stage of
// the pipeline: analysis fills the plain input types defined here (medians,
// intervals, fitted USL parameters, per-image timings), and this package turns
// them into charts that Save writes as PNG and SVG or that SVG returns for
// inlining in HTML.
//
// It is the only package of buildtune that imports gonum.org/v1/plot, and it
// imports no other buildtune package. Values come in base units (seconds,
// bytes, images per hour); each chart picks a display unit by magnitude and
// names it in the axis label.
//
// Every chart function returns a *Chart: one or more aligned panels, a title,
// a legend drawn to the right of the panels (so it never covers data) and a
// suggested size. Charts are deterministic: the same input draws the same
// picture (per-trial jitter is derived from the point's index, not a random
// source).
package plot
