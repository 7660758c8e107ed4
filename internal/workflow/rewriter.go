package workflow

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// inputRef is an input read by a knob value.
type inputRef struct {
	input string
	knob  knob
	line  int
	paths []string // the places that read it
}

type rewriter struct {
	src       []byte
	lines     []int // byte offset of the start of each line
	byName    map[string]knob
	edits     []edit
	changes   []Change
	warnings  []string
	mentioned map[string]bool
	refs      []inputRef
	conflict  error
}

func newRewriter(src []byte, ks []knob) *rewriter {
	rw := &rewriter{src: src, byName: map[string]knob{}, mentioned: map[string]bool{}}
	rw.lines = append(rw.lines, 0)
	for i, b := range src {
		if b == '\n' {
			rw.lines = append(rw.lines, i+1)
		}
	}
	for _, q := range ks {
		for _, n := range q.names {
			rw.byName[n] = q
		}
	}
	return rw
}

func (rw *rewriter) warnf(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	rw.warnings = append(rw.warnings, msg)
}

// lineText returns the text of 1-based line n without its line ending, and its offset.
func (rw *rewriter) lineText(n int) (string, int, bool) {
	if n < 1 || n > len(rw.lines) {
		return "", 0, false
	}
	start := rw.lines[n-1]
	end := len(rw.src)
	if n < len(rw.lines) {
		end = rw.lines[n] - 1
	}
	s := string(rw.src[start:end])
	s = strings.TrimSuffix(s, "\r")
	return s, start, true
}

// offset converts a yaml.v3 position (1-based line, 1-based column counted in characters) to
// a byte offset.
func (rw *rewriter) offset(line, col int) (int, bool) {
	text, start, ok := rw.lineText(line)
	if !ok || col < 1 {
		return 0, false
	}
	i := 0
	for c := 1; c < col; c++ {
		if i >= len(text) {
			return 0, false
		}
		_, w := utf8.DecodeRuneInString(text[i:])
		i += w
	}
	return start + i, true
}

// span is the raw text of a one-line scalar between its quotes.
type span struct {
	start, end int    // byte offsets of the raw inner text
	raw        string // src[start:end]
	sq         string // how a GitHub expression string quote is written here: ' or ''
}

// scalarSpan locates a scalar written on one line. It fails for block, multi-line and tagged
// scalars and for quoted scalars with escapes.
func (rw *rewriter) scalarSpan(n *yaml.Node) (span, bool) {
	if n.Style&(yaml.TaggedStyle|yaml.LiteralStyle|yaml.FoldedStyle|yaml.FlowStyle) != 0 {
		return span{}, false
	}
	off, ok := rw.offset(n.Line, n.Column)
	if !ok {
		return span{}, false
	}
	text, lstart, _ := rw.lineText(n.Line)
	rest := text[off-lstart:]
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if !strings.HasPrefix(rest, `"`) {
			return span{}, false
		}
		end := strings.IndexAny(rest[1:], `"\`)
		if end < 0 || rest[1+end] != '"' || rest[1:1+end] != n.Value {
			return span{}, false
		}
		return span{off + 1, off + 1 + end, n.Value, "'"}, true
	case n.Style&yaml.SingleQuotedStyle != 0:
		if !strings.HasPrefix(rest, "'") {
			return span{}, false
		}
		i := 1
		for {
			j := strings.IndexByte(rest[i:], '\'')
			if j < 0 {
				return span{}, false
			}
			i += j
			if i+1 < len(rest) && rest[i+1] == '\'' {
				i += 2
				continue
			}
			break
		}
		raw := rest[1:i]
		if strings.ReplaceAll(raw, "''", "'") != n.Value {
			return span{}, false
		}
		return span{off + 1, off + i, raw, "''"}, true
	default:
		if n.Value == "" || !strings.HasPrefix(rest, n.Value) {
			return span{}, false
		}
		return span{off, off + len(n.Value), n.Value, "'"}, true
	}
}

// scalar rewrites a knob value written as a YAML scalar (an env value or an input default).
func (rw *rewriter) scalar(n *yaml.Node, q knob, path, name, step string, follow bool) {
	sp, ok := rw.scalarSpan(n)
	if !ok {
		if n.Tag == "!!null" {
			rw.warnf(n.Line, "%s: empty value; left as is", path)
		} else {
			rw.warnf(n.Line, "%s: multi-line, tagged or escaped value %q; left as is", path, n.Value)
		}
		return
	}
	if strings.Contains(sp.raw, "${{") {
		x, ok := exprSpan(sp.raw, 0)
		if !ok || strings.TrimSpace(sp.raw[:x.start]) != "" || strings.TrimSpace(sp.raw[x.end:]) != "" {
			rw.warnf(n.Line, "%s: value %q is not a single ${{ }} expression; left as is", path, n.Value)
			return
		}
		rw.expr(sp.raw[x.start:x.end], sp.start+x.start, sp.sq, q, n.Line, path, name, step, follow)
		return
	}
	if !q.valid(n.Value) {
		rw.warnf(n.Line, "%s: value %q is not a literal %s; left as is", path, n.Value, q.id)
		return
	}
	rw.set(sp.start, sp.end, n.Value, q, n.Line, path, name, step)
}

// valid reports whether a literal looks like a value of the knob.
func (q knob) valid(v string) bool {
	if v == "" {
		return !q.numeric
	}
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
		case !q.numeric && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// set records one place: the literal old at src[start:end] becomes the knob's value.
func (rw *rewriter) set(start, end int, old string, q knob, line int, path, name, step string) {
	rw.setText(start, end, old, q.value, q, line, path, name, step)
}

func (rw *rewriter) setText(start, end int, old, text string, q knob, line int, path, name, step string) {
	c := Change{Line: line, Path: path, Name: name, Step: step, Knob: q.id, Old: old, New: q.value}
	for _, e := range rw.edits {
		if e.start == start && e.end == end {
			return // the same bytes reached twice (an input read by two places)
		}
	}
	if q.same(old) {
		c.New = old
	} else {
		rw.edits = append(rw.edits, edit{start, end, text})
	}
	rw.changes = append(rw.changes, c)
}

// expr handles a ${{ }} expression written at src[off:off+len(x)]: its fallback literal (the
// operand after the last top-level ||) is rewritten, and the inputs it reads are recorded.
func (rw *rewriter) expr(x string, off int, sq string, q knob, line int, path, name, step string, follow bool) {
	if follow {
		for _, in := range inputRefs(x) {
			rw.addRef(in, q, line, path)
		}
	}
	lit, ok := fallback(x, sq)
	if !ok {
		if follow && len(inputRefs(x)) > 0 {
			return // the value comes from an input; its default is the place
		}
		rw.warnf(line, "%s: %s has no literal fallback; left as is", path, strings.TrimSpace(x))
		return
	}
	if !q.valid(lit.value) {
		rw.warnf(line, "%s: fallback %q is not a literal %s; left as is", path, lit.value, q.id)
		return
	}
	text := q.value
	if lit.bare && !q.numeric {
		text = sq + text + sq
	}
	rw.setText(off+lit.start, off+lit.end, lit.value, text, q, line, path, name, step)
}

func (rw *rewriter) addRef(input string, q knob, line int, path string) {
	for i, r := range rw.refs {
		if r.input == input {
			if r.knob.id != q.id && rw.conflict == nil {
				rw.conflict = fmt.Errorf("input %q feeds both %s and %s", input, r.knob.id, q.id)
			}
			if !slices.Contains(r.paths, path) {
				rw.refs[i].paths = append(rw.refs[i].paths, path)
			}
			return
		}
	}
	rw.refs = append(rw.refs, inputRef{input: input, knob: q, line: line, paths: []string{path}})
}

// run scans a run: script for shell assignments of the knob variables.
func (rw *rewriter) run(n *yaml.Node, path, step string) {
	if n == nil || n.Kind != yaml.ScalarNode || !rw.mentionsAny(n.Value) {
		return
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		sp, ok := rw.scalarSpan(n)
		if !ok || sp.sq != "'" || strings.Contains(n.Value, "\n") {
			rw.warnf(n.Line, "%s: a knob appears in a multi-line flow or escaped script; left as is", path)
			return
		}
		rw.scriptLine(sp.raw, sp.start, n.Line, path, step)
		return
	}
	lines, ok := rw.blockLines(n)
	if !ok {
		rw.warnf(n.Line, "%s: could not line up the block script with the source; left as is", path)
		return
	}
	for _, l := range lines {
		text, start, _ := rw.lineText(l)
		rw.scriptLine(text, start, l, path, step)
	}
}

func (rw *rewriter) mentionsAny(s string) bool {
	for name := range rw.byName {
		if strings.Contains(s, name) {
			return true
		}
	}
	return false
}

// blockLines returns the source lines holding the content of a block scalar whose indicator
// is at n.Line, after checking that they carry the scalar's text.
func (rw *rewriter) blockLines(n *yaml.Node) ([]int, bool) {
	header, _, ok := rw.lineText(n.Line)
	if !ok {
		return nil, false
	}
	parent := len(header) - len(strings.TrimLeft(header, " "))
	indent := -1
	var lines []int
	for l := n.Line + 1; l <= len(rw.lines); l++ {
		text, _, _ := rw.lineText(l)
		if strings.TrimSpace(text) == "" {
			lines = append(lines, l)
			continue
		}
		ind := len(text) - len(strings.TrimLeft(text, " "))
		if indent < 0 {
			if ind <= parent {
				break
			}
			indent = ind
		}
		if ind < indent {
			break
		}
		lines = append(lines, l)
	}
	for len(lines) > 0 {
		text, _, _ := rw.lineText(lines[len(lines)-1])
		if strings.TrimSpace(text) != "" {
			break
		}
		lines = lines[:len(lines)-1]
	}
	if indent < 0 {
		return nil, false
	}
	// Check: every non-blank content line, less its indentation, is found in order in the value.
	rest := n.Value
	for _, l := range lines {
		text, _, _ := rw.lineText(l)
		if strings.TrimSpace(text) == "" {
			continue
		}
		if len(text) < indent {
			return nil, false
		}
		i := strings.Index(rest, text[indent:])
		if i < 0 {
			return nil, false
		}
		rest = rest[i+len(text)-indent:]
	}
	return lines, true
}

// varRef matches a value that only reads another variable.
var varRef = regexp.MustCompile(`^"?\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})(?:$|[\s;&|)<>"'])`)

// assignRe finds NAME= preceded by a word boundary of shell syntax.
var assignRe = regexp.MustCompile(`(?:^|[\s;&|("'{])([A-Za-z_][A-Za-z0-9_]*)=`)

// scriptLine rewrites the knob assignments on one line of a shell script starting at byte
// offset base of the source.
func (rw *rewriter) scriptLine(text string, base, line int, path, step string) {
	for _, m := range assignRe.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
		q, ok := rw.byName[name]
		if !ok || inComment(text, m[2]) {
			continue
		}
		rw.mentioned[q.id] = true
		v, ok := shellValue(text, m[1])
		if !ok && varRef.MatchString(text[m[1]:]) {
			continue // NAME=$OTHER: the value is set where OTHER is
		}
		if !ok {
			rw.warnf(line, "%s: %s=%s is not a literal, ${{ }} fallback or ${VAR:-default}; left as is", path, name, shellWord(text, m[1]))
			continue
		}
		if v.expr {
			rw.expr(text[v.start:v.end], base+v.start, "'", q, line, path, name, step, true)
			continue
		}
		if !q.valid(v.value) {
			rw.warnf(line, "%s: %s=%s is not a literal %s; left as is", path, name, shellWord(text, m[1]), q.id)
			continue
		}
		rw.set(base+v.start, base+v.end, v.value, q, line, path, name, step)
	}
}

// apply returns src with the edits made.
func (rw *rewriter) apply() ([]byte, error) {
	if rw.conflict != nil {
		return nil, rw.conflict
	}
	es := slices.Clone(rw.edits)
	slices.SortFunc(es, func(a, b edit) int { return a.start - b.start })
	var out bytes.Buffer
	pos := 0
	for _, e := range es {
		if e.start < pos {
			return nil, fmt.Errorf("overlapping edits at byte %d", e.start)
		}
		out.Write(rw.src[pos:e.start])
		out.WriteString(e.text)
		pos = e.end
	}
	out.Write(rw.src[pos:])
	return out.Bytes(), nil
}
