// Package reports is the rendering stage: markdown, HTML and JSON of sweep
// analyses, and the plots (subpackage plot).
//
// The analysis fills a plain view model, Data, with numbers in base units
// (seconds, bytes, images per hour). Markdown renders it as a
// pull-request-ready report.md that links its charts, HTML as one
// self-contained report.html with the charts inline, and Write writes
// both and the charts as PNG and SVG. Rendering only formats: it computes
// nothing the analysis did not decide.
package reports
