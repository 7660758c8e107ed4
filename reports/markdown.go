package reports

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Markdown renders d as report.md: the decision first, then the evidence
// (cells, knobs, predictions, model, phases, validation) with the charts as
// image links to plotDir/<chart>.png (plotDir relative to the report, ""
// meaning PlotDir), then the method. Charts with no data are left out with
// a note. Tables are GitHub-flavoured markdown.
func Markdown(d Data, plotDir string) ([]byte, error) {
	if plotDir == "" {
		plotDir = PlotDir
	}
	if path.IsAbs(plotDir) || strings.Contains(plotDir, `\`) {
		return nil, fmt.Errorf("rendering markdown: plot folder %q must be a relative slash-separated path", plotDir)
	}
	var buf bytes.Buffer
	for i, b := range document(d) {
		if i > 0 {
			buf.WriteByte('\n')
		}
		switch b.Kind {
		case kHeading:
			buf.WriteString(strings.Repeat("#", b.Level) + " " + mdSpans(b.Spans) + "\n")
		case kPara:
			buf.WriteString(mdSpans(b.Spans) + "\n")
		case kNote:
			buf.WriteString("_" + mdSpans(b.Spans) + "_\n")
		case kList:
			for _, it := range b.Items {
				buf.WriteString("- " + mdSpans(it) + "\n")
			}
		case kTable:
			mdTable(&buf, b)
		case kChart:
			fmt.Fprintf(&buf, "![%s](%s)\n", mdEscape(b.Caption), path.Join(plotDir, b.Chart+".png"))
		}
	}
	return buf.Bytes(), nil
}

func mdTable(buf *bytes.Buffer, b block) {
	row := func(cells []string) {
		buf.WriteString("|")
		for _, c := range cells {
			buf.WriteString(" " + mdEscape(c) + " |")
		}
		buf.WriteString("\n")
	}
	row(b.Head)
	buf.WriteString("|")
	for i := range b.Head {
		if i < len(b.Num) && b.Num[i] {
			buf.WriteString("---:|")
		} else {
			buf.WriteString("---|")
		}
	}
	buf.WriteString("\n")
	for _, r := range b.Rows {
		row(r)
	}
}

func mdSpans(ss []span) string {
	var sb strings.Builder
	for _, s := range ss {
		switch {
		case s.Code:
			sb.WriteString(mdCode(s.Text))
		case s.Bold:
			sb.WriteString("**" + mdEscape(s.Text) + "**")
		default:
			sb.WriteString(mdEscape(s.Text))
		}
	}
	return sb.String()
}

// mdEscaper escapes the characters that would start markdown emphasis,
// code, links or HTML, and the table separator. Text never starts a line,
// so line-start markup (#, >, -) needs no escape.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `|`, `\|`, "\n", " ",
)

func mdEscape(s string) string { return mdEscaper.Replace(s) }

// mdCode wraps s in a code span with enough backticks.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
