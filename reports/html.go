package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strings"
)

// HTML renders d as one self-contained report.html: the same content as
// Markdown, with every chart inline as SVG and a small inline style sheet.
// It references nothing outside itself: no scripts, style sheets, images
// or fonts to fetch. All text is escaped.
func HTML(d Data) ([]byte, error) {
	charts, err := renderCharts(d, false)
	if err != nil {
		return nil, fmt.Errorf("rendering html: %w", err)
	}
	return renderHTML(d, charts)
}

type htmlBlock struct {
	block
	SVG template.HTML
}

func renderHTML(d Data, charts []renderedChart) ([]byte, error) {
	svgs := map[string]template.HTML{}
	for _, c := range charts {
		s, err := inlineSVG(c.svg, c.caption)
		if err != nil {
			return nil, fmt.Errorf("rendering html: %s chart: %w", c.name, err)
		}
		svgs[c.name] = s
	}
	blocks := document(d)
	var hb []htmlBlock
	title := ""
	for _, b := range blocks {
		if b.Kind == kHeading && b.Level == 1 && title == "" {
			title = b.Spans[0].Text
		}
		h := htmlBlock{block: b}
		if b.Kind == kChart {
			s, ok := svgs[b.Chart]
			if !ok {
				return nil, fmt.Errorf("rendering html: chart %s was not drawn", b.Chart)
			}
			h.SVG = s
		}
		hb = append(hb, h)
	}
	var buf bytes.Buffer
	err := page.Execute(&buf, struct {
		Title  string
		Blocks []htmlBlock
	}{title, hb})
	if err != nil {
		return nil, fmt.Errorf("rendering html: %w", err)
	}
	return buf.Bytes(), nil
}

// svgDropAttr matches the root attributes an inline SVG does not need: the
// fixed size (the style sheet scales the chart to the page) and the
// namespace declarations (the HTML parser puts <svg> in the SVG namespace
// by itself), so the page holds no URL at all.
var svgDropAttr = regexp.MustCompile(`\s+(?:width|height|xmlns(?::[A-Za-z]+)?)="[^"]*"`)

// inlineSVG turns a standalone SVG document into an element to inline in
// HTML: the XML prolog and comments before <svg> are dropped, and so are
// the root's size and namespace attributes.
func inlineSVG(doc []byte, label string) (template.HTML, error) {
	s := string(doc)
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("no <svg> element in the chart")
	}
	s = s[i:]
	j := strings.IndexByte(s, '>')
	if j < 0 {
		return "", fmt.Errorf("unterminated <svg> tag in the chart")
	}
	open := svgDropAttr.ReplaceAllString(s[:j], "")
	open += ` role="img" aria-label="` + template.HTMLEscapeString(label) + `"`
	return template.HTML(open + strings.TrimSpace(s[j:])), nil
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;line-height:1.5;color:#1f2328;margin:0;background:#fff}
main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
h1,h2{border-bottom:1px solid #d1d9e0;padding-bottom:.3em}
p,ul{max-width:62rem}
p.lead{font-size:1.15rem;background:#f6f8fa;border-left:4px solid #0969da;padding:.6em .9em}
p.note{color:#59636e;font-style:italic}
table{border-collapse:collapse;margin:1em 0;display:block;overflow-x:auto}
th,td{border:1px solid #d1d9e0;padding:.25em .6em;white-space:nowrap}
th{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}
code{background:#eff1f3;padding:.1em .3em;border-radius:4px;font-size:90%;white-space:pre-wrap;word-break:break-all}
figure{margin:1.5em 0}
figure svg{display:block;width:100%;max-width:960px;height:auto}
figcaption{color:#59636e;font-size:.9rem}
</style>
</head>
<body>
<main>
{{range .Blocks -}}
{{if eq .Kind 0}}{{if eq .Level 1}}<h1>{{template "spans" .Spans}}</h1>{{else if eq .Level 2}}<h2>{{template "spans" .Spans}}</h2>{{else if eq .Level 3}}<h3>{{template "spans" .Spans}}</h3>{{else}}<h4>{{template "spans" .Spans}}</h4>{{end}}
{{else if eq .Kind 1}}<p{{if .Lead}} class="lead"{{end}}>{{template "spans" .Spans}}</p>
{{else if eq .Kind 2}}<ul>
{{range .Items}}<li>{{template "spans" .}}</li>
{{end}}</ul>
{{else if eq .Kind 3}}{{$num := .Num}}<table>
<thead><tr>{{range $i, $h := .Head}}<th{{if index $num $i}} class="num"{{end}}>{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if index $num $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{else if eq .Kind 4}}<figure>
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{else if eq .Kind 5}}<p class="note">{{template "spans" .Spans}}</p>
{{end}}
{{- end}}
</main>
</body>
</html>
{{define "spans"}}{{range .}}{{if .Code}}<code>{{.Text}}</code>{{else if .Bold}}<strong>{{.Text}}</strong>{{else}}{{.Text}}{{end}}{{end}}{{end}}`))
