package workflow

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// placed is a place whose value changes: the node holding it, the knob and the change.
type placed struct {
	node *yaml.Node
	knob knob
	c    Change
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
	knobs     []knob
	byName    map[string]knob
	edits     []edit
	spans     map[[2]int]bool // the byte ranges recorded as places
	changes   []Change
	warnings  []string
	mentioned map[string]bool
	refs      []inputRef
	conflict  error

	ix     *index
	done   map[*yaml.Node]bool // scalars handled (a node reached again through an alias is not)
	cur    *yaml.Node          // the env value or run script being rewritten; nil for input defaults
	node   *yaml.Node          // the scalar or run script being rewritten, input defaults too
	placed []placed            // the places whose value changes, with their nodes
	scoped bool                // the rewrite is limited to a job or steps...
	scopes []string            // ...at these paths
	scope  string              // ...described as `job "x"`
	job    *yaml.Node          // the job being visited, nil outside jobs
	calls  []string            // the reusable workflows and local actions called in scope
	vars   []string            // the configuration variables read before a rewritten fallback
}

func newRewriter(src []byte, ks []knob, ix *index) *rewriter {
	rw := &rewriter{src: src, knobs: ks, byName: map[string]knob{}, spans: map[[2]int]bool{}, mentioned: map[string]bool{},
		ix: ix, done: map[*yaml.Node]bool{}}
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
	if slices.Contains(rw.warnings, msg) {
		return // the same place seen twice (a ${VAR:-N} that is also an assignment's value)
	}
	rw.warnings = append(rw.warnings, msg)
}

var utf8BOM = []byte("\xef\xbb\xbf")

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
	if n == 1 && bytes.HasPrefix(rw.src[:end], utf8BOM) {
		start += len(utf8BOM) // yaml.v3 counts columns after a byte order mark
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
	if n.Anchor != "" { // &name value: the node starts at its anchor
		r, ok := strings.CutPrefix(rest, "&"+n.Anchor)
		if !ok || r == "" || (r[0] != ' ' && r[0] != '\t') {
			return span{}, false
		}
		trimmed := strings.TrimLeft(r, " \t")
		off += len(rest) - len(trimmed)
		rest = trimmed
	}
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

// where returns the path at which n is written: the path it was reached by, unless it was
// reached through an alias.
func (rw *rewriter) where(n *yaml.Node, path string) string {
	if d, ok := rw.ix.def[n]; ok && d != "" {
		return d
	}
	return path
}

// scalar rewrites a knob value written as a YAML scalar (an env value or an input default).
// follow is set for values read by the workflow (env, with:), whose ${{ }} expressions may read
// inputs; it is not set for input defaults.
func (rw *rewriter) scalar(n *yaml.Node, q knob, path, name, step string, follow bool) {
	if rw.done[n] {
		return
	}
	rw.done[n] = true
	path = rw.where(n, path)
	rw.cur, rw.node = nil, n
	if follow {
		rw.cur = n
	}
	sp, ok := rw.scalarSpan(n)
	line, value := n.Line, n.Value
	if !ok {
		sp, line, ok = rw.blockSpan(n)
		value = sp.raw
	}
	if (!ok && n.Tag == "!!null" || ok && value == "" && !q.valid(value)) && !follow {
		// An input's empty default ("leave empty for the fallback") holds no value, like an
		// input without a default.
		rw.warnf(n.Line, "%s is empty; nothing to rewrite there", path)
		return
	}
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
		rw.expr(sp.raw[x.start:x.end], sp.start+x.start, sp.sq, q, line, path, name, step, follow)
		return
	}
	if !q.valid(value) {
		rw.warnf(line, "%s: value %q is not a literal %s; left as is", path, n.Value, q.id)
		return
	}
	rw.set(sp.start, sp.end, value, q, line, path, name, step)
}

// blockSpan locates the value of a block scalar (| or >) whose text is one line, and returns
// the line it is written on:
//
//	MAX_WORKERS: >-
//	  ${{ inputs.max-workers || '16' }}
func (rw *rewriter) blockSpan(n *yaml.Node) (span, int, bool) {
	if n.Style&yaml.TaggedStyle != 0 || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return span{}, 0, false
	}
	v := strings.TrimRight(n.Value, "\n")
	if v == "" || strings.Contains(v, "\n") {
		return span{}, 0, false
	}
	lines, indent, ok := rw.blockLines(n)
	if !ok {
		return span{}, 0, false
	}
	var content []int
	for _, l := range lines {
		if text, _, _ := rw.lineText(l); strings.TrimSpace(text) != "" {
			content = append(content, l)
		}
	}
	if len(content) != 1 {
		return span{}, 0, false
	}
	text, start, _ := rw.lineText(content[0])
	if len(text) < indent || text[indent:] != v {
		return span{}, 0, false
	}
	return span{start + indent, start + len(text), v, "'"}, content[0], true
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
	if rw.spans[[2]int{start, end}] {
		return // the same bytes reached twice (an input read by two places, a ${VAR:-N} in an assignment)
	}
	rw.spans[[2]int{start, end}] = true
	if rw.cur != nil {
		for _, u := range rw.ix.shared(rw.cur) {
			if a := u.alias + " (*" + u.anchor + ")"; !slices.Contains(c.Shared, a) {
				c.Shared = append(c.Shared, a)
			}
		}
	}
	if q.same(old) {
		c.New = old
	} else {
		if rw.scoped && rw.cur != nil {
			rw.outside(rw.cur, c)
		}
		rw.edits = append(rw.edits, edit{start, end, text})
		rw.placed = append(rw.placed, placed{rw.node, q, c})
	}
	rw.changes = append(rw.changes, c)
}

// readKeys are the top-level keys GitHub reads in a workflow or an action; a value written
// under any other key (x-defaults: &knobs ...) is only a holder for anchors.
var readKeys = []string{"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs",
	"author", "description", "inputs", "outputs", "runs", "branding"}

// aliasedElsewhere refuses a change to a value that YAML aliases also give to a setting that is
// not this knob (timeout-minutes: *workers, another input's default, a step's with: script):
// the one value cannot change without changing that setting too.
func (rw *rewriter) aliasedElsewhere() error {
	for _, pl := range rw.placed {
		us := rw.ix.uses[pl.node]
		if len(us) < 2 {
			continue
		}
		var other, anchors []string
		at := pl.c.Path
		for _, u := range us {
			if u.anchor != "" && !slices.Contains(anchors, "&"+u.anchor) {
				anchors = append(anchors, "&"+u.anchor)
			}
			top, _, _ := strings.Cut(u.path, ".")
			top, _, _ = strings.Cut(top, "[")
			top, _, _ = strings.Cut(top, "#")
			if !slices.Contains(readKeys, top) {
				continue
			}
			if rw.knobPlace(u.path, pl.node, pl.knob) {
				if at == pl.c.Path && !rw.knobPlace(at, pl.node, pl.knob) {
					at = u.path // the anchor is written elsewhere; name where the knob reads it
				}
				continue
			}
			if !slices.Contains(other, u.path) {
				other = append(other, u.path)
			}
		}
		if len(other) > 0 {
			noun := knobNoun[pl.knob.id]
			return fmt.Errorf("%w: line %d: changing the %s at %s (%s -> %s) would also change what the YAML anchor %s gives to %s, not a setting of the %s: give the %s its own value",
				ErrConflict, pl.c.Line, noun, at, pl.c.Old, pl.c.New, strings.Join(anchors, ", "), strings.Join(other, ", "), noun, noun)
		}
	}
	return nil
}

// knobPlace reports whether path is a place where n sets knob q: a run: script, or a scalar
// under one of the knob's names (an env entry, a with: input) or the default of an input that a
// knob value reads.
func (rw *rewriter) knobPlace(path string, n *yaml.Node, q knob) bool {
	i := strings.LastIndexAny(path, ".")
	last, parent := path[i+1:], path[:max(i, 0)]
	if strings.ContainsAny(last, "[#") {
		return false
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || last == "run" {
		return last == "run"
	}
	for _, name := range q.names {
		if last == name || normName(last) == normName(name) {
			return true
		}
	}
	if last != "default" {
		return false
	}
	j := strings.LastIndex(parent, ".")
	input, decl := parent[j+1:], parent[:max(j, 0)]
	if decl != "inputs" && decl != "on.workflow_dispatch.inputs" && decl != "on.workflow_call.inputs" {
		return false
	}
	for _, name := range q.names {
		if normName(input) == normName(name) {
			return true // an input named like the knob (max-workers)
		}
	}
	for _, r := range rw.refs {
		if r.knob.id == q.id && strings.EqualFold(r.input, input) {
			return true
		}
	}
	return false
}

// outside records a conflict when a place about to change, in a limited rewrite, is also read
// (through a YAML alias) by a job or the workflow env outside the limit.
func (rw *rewriter) outside(n *yaml.Node, c Change) {
	if rw.conflict != nil {
		return
	}
	var out []string
	for _, u := range rw.ix.uses[n] {
		if !strings.HasPrefix(u.path, "jobs.") && !strings.HasPrefix(u.path, "env.") && !strings.HasPrefix(u.path, "runs.") {
			continue // e.g. where an anchor is written outside the jobs
		}
		in := false
		for _, s := range rw.scopes {
			if u.path == s || strings.HasPrefix(u.path, s+".") || strings.HasPrefix(u.path, s+"[") {
				in = true
			}
		}
		if !in {
			p := u.path
			if u.alias != "" {
				p = u.alias + " (*" + u.anchor + ")"
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return
	}
	rw.conflict = fmt.Errorf("%w: line %d: %s is shared through a YAML anchor with %s, outside %s; changing it would change them too: rewrite without the job/step limit, or give %s its own value",
		ErrConflict, c.Line, c.Path, strings.Join(out, ", "), rw.scope, rw.scope)
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
	for _, k := range resultLiterals(x, sq) {
		if ok && k.start == lit.start {
			continue
		}
		if q.valid(k.value) && !q.same(k.value) {
			rw.warnf(line, "%s: literal %s in %s is the value on some runs (a condition picks it); left as is (change it by hand if it should follow)",
				path, strings.ReplaceAll(x[k.start-len(k.quote):k.end+len(k.quote)], "''", "'"), strings.TrimSpace(strings.ReplaceAll(x, "''", "'")))
		}
	}
	if !ok {
		if follow && len(inputRefs(x)) > 0 {
			return // the value comes from an input; its default is the place
		}
		if keys := matrixRefs(x); follow && len(keys) > 0 {
			var vals []string
			for _, k := range keys {
				vals = append(vals, matrixValues(rw.job, k)...)
			}
			set := "strategy.matrix sets it for each job of the matrix"
			if len(vals) > 0 {
				set = "the matrix gives " + strings.Join(vals, ", ")
			}
			rw.warnf(line, "%s: %s reads the matrix (%s): a matrix varies it on purpose; left as is (change the matrix by hand)",
				path, strings.TrimSpace(x), set)
			return
		}
		var where string
		if vs := varsRefs(x); follow && len(vs) > 0 && len(resultLiterals(x, sq)) == 0 {
			where = fmt.Sprintf(" (its value is the configuration variable vars.%s, set in the repository, environment or organization settings, not in this file: change it there)", vs[0])
		}
		rw.warnf(line, "%s: %s has no literal fallback; left as is%s", path, strings.TrimSpace(x), where)
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
	if !q.same(lit.value) && follow {
		// A matrix value read before the fallback is the value on the jobs of the matrix that
		// set it: there the new fallback is not what the build reads.
		for _, k := range matrixRefs(x) {
			if vals := matrixValues(rw.job, k); len(vals) > 0 {
				rw.warnf(line, "%s: the matrix gives matrix.%s %s, which wins over the new fallback %s on the jobs that set it; the matrix is left as is (change it by hand)",
					path, k, strings.Join(vals, ", "), q.value)
			}
		}
	}
	if !q.same(lit.value) {
		// A configuration variable before the fallback is the value wherever it is set: the
		// new fallback only applies where it is not.
		for _, v := range varsRefs(x) {
			if a := "vars." + v + " (" + path + ")"; !slices.Contains(rw.vars, a) {
				rw.vars = append(rw.vars, a)
			}
		}
	}
}

func (rw *rewriter) addRef(input string, q knob, line int, path string) {
	for i, r := range rw.refs {
		if strings.EqualFold(r.input, input) {
			if r.knob.id != q.id && rw.conflict == nil {
				rw.conflict = fmt.Errorf("%w: line %d: input %q feeds both %s (line %d) and %s; one input cannot hold both values: give each knob its own input",
					ErrConflict, line, input, r.knob.id, r.line, q.id)
			}
			if !slices.Contains(r.paths, path) {
				rw.refs[i].paths = append(rw.refs[i].paths, path)
			}
			return
		}
	}
	rw.refs = append(rw.refs, inputRef{input: input, knob: q, line: line, paths: []string{path}})
}

// run scans a run: script for shell assignments of the knob variables, ${KNOB:-N} defaults,
// PowerShell $env:KNOB = N and literal knob flags. shell is the step's shell ("" for the
// runner's default); a script in another language is only warned about. In a literal block
// script, the bodies of here-documents are data unless the command appends them to
// $GITHUB_ENV or $GITHUB_OUTPUT: only then are their KNOB=N lines rewritten.
func (rw *rewriter) run(n *yaml.Node, path, step, shell string) {
	c0, e0 := len(rw.changes), len(rw.edits)
	rw.runScript(n, path, step, shell)
	rw.branches(c0, e0)
}

// branches leaves alone the knobs that the script just read gives different literals (one per
// branch of an if or case, a && ... || ..., or one per command): the script picks one, as a
// ${{ }} expression's conditional literal does, and one new value everywhere would undo that
// choice. A warning names the values and their lines. c0 and e0 are the lengths of
// rw.changes and rw.edits before the script was read. A knob whose places in the script read
// an input (its default changes with them) is rewritten as before.
func (rw *rewriter) branches(c0, e0 int) {
	type seen struct {
		vals  []string
		lines []int
	}
	byKnob := map[string]*seen{}
	var order []string
	for _, c := range rw.changes[c0:] {
		s := byKnob[c.Knob]
		if s == nil {
			s = &seen{}
			byKnob[c.Knob] = s
			order = append(order, c.Knob)
		}
		s.vals = append(s.vals, c.Old)
		s.lines = append(s.lines, c.Line)
	}
	drop := map[string]bool{}
	for _, id := range order {
		s := byKnob[id]
		q := rw.knobByID(id)
		differ := false
		for _, v := range s.vals[1:] {
			if !sameLiteral(q, v, s.vals[0]) {
				differ = true
			}
		}
		if !differ || rw.readsInput(id, rw.changes[c0].Path) {
			continue
		}
		drop[id] = true
		var given []string
		for i, v := range s.vals {
			given = append(given, fmt.Sprintf("%s (line %d)", v, s.lines[i]))
		}
		last := given[len(given)-1]
		list := last
		if len(given) > 1 {
			list = strings.Join(given[:len(given)-1], ", ") + " and " + last
		}
		var name string
		for _, c := range rw.changes[c0:] {
			if c.Knob == id {
				name = c.Name
				break
			}
		}
		rw.mentioned[id] = true
		rw.warnf(s.lines[0], "%s: %s is given %s in one script: which one a build reads is the script's choice (a condition, or the command each is set for); left as is (change it by hand, or set it once)",
			rw.changes[c0].Path, name, list)
	}
	if len(drop) == 0 {
		return
	}
	changes := rw.changes[:c0]
	for _, c := range rw.changes[c0:] {
		if !drop[c.Knob] {
			changes = append(changes, c)
		}
	}
	rw.changes = changes
	edits, placed := rw.edits[:e0], rw.placed[:e0]
	for i, pl := range rw.placed[e0:] {
		if !drop[pl.knob.id] {
			edits = append(edits, rw.edits[e0+i])
			placed = append(placed, pl)
		}
	}
	rw.edits, rw.placed = edits, placed
}

func (rw *rewriter) knobByID(id string) knob {
	for _, q := range rw.knobs {
		if q.id == id {
			return q
		}
	}
	return knob{}
}

// sameLiteral reports whether two old literals of knob q are one value ("16" and "016"; "max"
// and "MAX").
func sameLiteral(q knob, a, b string) bool {
	if q.numeric {
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		return err1 == nil && err2 == nil && x == y || a == b
	}
	return strings.EqualFold(a, b)
}

// readsInput reports whether a place at path reads an input for knob id.
func (rw *rewriter) readsInput(id, path string) bool {
	for _, r := range rw.refs {
		if r.knob.id == id && slices.Contains(r.paths, path) {
			return true
		}
	}
	return false
}

func (rw *rewriter) runScript(n *yaml.Node, path, step, shell string) {
	if n == nil || n.Kind != yaml.ScalarNode || rw.done[n] {
		return
	}
	rw.done[n] = true
	if !rw.mentionsAny(n.Value) && !knobFlagRe.MatchString(n.Value) && !knobFlagExprRe.MatchString(n.Value) {
		return
	}
	path = rw.where(n, path)
	rw.cur, rw.node = n, n
	if lang := scriptLanguage(shell); lang != "" {
		rw.otherLanguage(n, path, lang, shell)
		return
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		sp, ok := rw.scalarSpan(n)
		// A single-quoted script is read as shell text as it stands only when it has no
		// quote doubled by YAML ('' for ').
		if !ok || sp.raw != n.Value || strings.Contains(n.Value, "\n") {
			rw.giveUp(n, "%s: a knob appears in a multi-line flow or escaped script; left as is", path)
			return
		}
		rw.scriptLine(sp.raw, sp.start, n.Line, path, step)
		return
	}
	lines, indent, ok := rw.blockLines(n)
	if !ok {
		rw.giveUp(n, "%s: could not line up the block script with the source; left as is", path)
		return
	}
	// A folded script is joined into fewer lines, so here-documents are not followed there.
	literal := n.Style&yaml.LiteralStyle != 0
	var open []heredoc // here-documents whose bodies come next, the first one being read
	for _, l := range lines {
		text, start, _ := rw.lineText(l)
		if len(open) > 0 {
			body := ""
			if len(text) > indent {
				body = text[indent:]
			}
			switch h := open[0]; {
			case h.ends(body):
				open = open[1:]
			case h.env:
				rw.scriptLine(text, start, l, path, step)
			default:
				rw.heredocData(text, l, path, h)
			}
			continue
		}
		rw.scriptLine(text, start, l, path, step)
		if literal {
			open = heredocs(text, l)
		}
	}
}

// giveUp warns about a script left as is; the knobs it names count as set somewhere.
func (rw *rewriter) giveUp(n *yaml.Node, format string, args ...any) {
	if !rw.mentionsAny(n.Value) {
		return
	}
	for name, q := range rw.byName {
		if strings.Contains(n.Value, name) {
			rw.mentioned[q.id] = true
		}
	}
	rw.warnf(n.Line, format, args...)
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
func (rw *rewriter) blockLines(n *yaml.Node) ([]int, int, bool) {
	header, _, ok := rw.lineText(n.Line)
	if !ok {
		return nil, 0, false
	}
	parent := len(header) - len(strings.TrimLeft(header, " "))
	indent := -1
	// An indentation indicator (|2, >-2, |+2, |2-) fixes the block's indentation: the
	// indentation of the collection holding the scalar plus the indicator.
	off, ok := rw.offset(n.Line, n.Column)
	if !ok {
		return nil, 0, false
	}
	if m, ok := blockIndicator(rw.src[off:]); ok && m > 0 {
		base := 0
		if p := rw.ix.parent[n]; p != nil && (p.Kind == yaml.MappingNode || p.Kind == yaml.SequenceNode) {
			base = p.Column - 1
		} else if p == nil || p.Kind != yaml.DocumentNode {
			return nil, 0, false
		}
		indent = base + m
	}
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
		return nil, 0, false
	}
	// Check: every non-blank content line, less its indentation, is found in order in the value.
	rest := n.Value
	for _, l := range lines {
		text, _, _ := rw.lineText(l)
		if strings.TrimSpace(text) == "" {
			continue
		}
		if len(text) < indent {
			return nil, 0, false
		}
		i := strings.Index(rest, text[indent:])
		if i < 0 {
			return nil, 0, false
		}
		rest = rest[i+len(text)-indent:]
	}
	return lines, indent, true
}

// blockIndicator parses the header of a block scalar (| or > and up to two indicators) and
// returns its indentation indicator, 0 when there is none.
func blockIndicator(b []byte) (int, bool) {
	if len(b) == 0 || (b[0] != '|' && b[0] != '>') {
		return 0, false
	}
	for i := 1; i < len(b) && i < 3; i++ {
		switch c := b[i]; {
		case c >= '1' && c <= '9':
			return int(c - '0'), true
		case c == '+' || c == '-':
		default:
			return 0, true
		}
	}
	return 0, true
}

// varRef matches a value that only reads another variable.
var varRef = regexp.MustCompile(`^"?\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})(?:$|[\s;&|)<>"'])`)

// knobDefaultRe matches a value that starts with a parameter expansion with a default,
// "${NAME:-...", whose default scriptDefaults handles when NAME is a knob.
var knobDefaultRe = regexp.MustCompile(`^"?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=])`)

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
		if !ok && knobDefaultRe.MatchString(text[m[1]:]) && rw.byName[knobDefaultRe.FindStringSubmatch(text[m[1]:])[1]].id != "" {
			continue // NAME="${KNOB:-...}": scriptDefaults rewrites (or warns about) the default
		}
		if !ok {
			rw.warnf(line, "%s: %s=%s is not a literal, ${{ }} fallback or ${VAR:-default}; left as is", path, name, shellWord(text, m[1]))
			continue
		}
		if v.expr {
			rw.expr(text[v.start:v.end], base+v.start, "'", q, line, path, name, step, true)
			continue
		}
		if v.value == "" && strings.HasPrefix(strings.TrimPrefix(text[m[1]:], `"`), "${") {
			continue // NAME=${OTHER:-}: an empty default gives no value
		}
		if !q.valid(v.value) {
			rw.warnf(line, "%s: %s=%s is not a literal %s; left as is", path, name, shellWord(text, m[1]), q.id)
			continue
		}
		rw.set(base+v.start, base+v.end, v.value, q, line, path, name, step)
	}
	rw.scriptDefaults(text, base, line, path, step)
	rw.pwshLine(text, base, line, path, step)
	rw.scriptFlags(text, line, path)
}

// scriptDefaults rewrites the defaults of ${KNOB:-N}, ${KNOB:=N}, ${KNOB-N} and ${KNOB=N}
// anywhere on a script line (as a command argument, in : "${KNOB:=N}", ...). Those in the
// value of a knob assignment were already handled; setText skips them.
func (rw *rewriter) scriptDefaults(text string, base, line int, path, step string) {
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], "${")
		if j < 0 {
			return
		}
		p := i + j
		if strings.HasPrefix(text[p:], "${{") {
			x, ok := exprSpan(text, p)
			if !ok {
				return
			}
			i = x.end
			continue
		}
		i = p + 2
		e := i
		for e < len(text) && (isLiteralByte(text[e]) && text[e] != '-' && text[e] != '.') {
			e++
		}
		name := text[i:e]
		q, ok := rw.byName[name]
		if !ok || !strings.ContainsAny(text[e:min(e+1, len(text))], ":-=") || strings.HasPrefix(text[e:], ":+") || strings.HasPrefix(text[e:], ":?") {
			continue
		}
		if e < len(text) && text[e] == ':' && !strings.HasPrefix(text[e:], ":-") && !strings.HasPrefix(text[e:], ":=") {
			continue // ${KNOB:offset}
		}
		if inComment(text, p) {
			return
		}
		if emptyDefault(text, e) {
			continue // ${KNOB:-} (set -u's guard) gives no value: not a place that sets the knob
		}
		rw.mentioned[q.id] = true
		v, _, ok := shellWordValue(text, p, len(text), false)
		switch {
		case !ok:
			rw.warnf(line, "%s: the default of %s is not a literal or ${{ }} fallback; left as is", path, shellWord(text, p))
		case v.expr:
			rw.expr(text[v.start:v.end], base+v.start, "'", q, line, path, name, step, true)
		case !q.valid(v.value):
			rw.warnf(line, "%s: the default of %s is not a literal %s; left as is", path, shellWord(text, p), q.id)
		default:
			rw.set(base+v.start, base+v.end, v.value, q, line, path, name, step)
		}
	}
}

var knobNoun = map[string]string{KnobWorkers: "worker count", KnobBatch: "batch size", KnobCache: "cache mode"}

// emptyDefault reports whether the expansion whose name ends at text[e] has an empty default:
// ${KNOB:-}, ${KNOB-}, ${KNOB:=}, ${KNOB=}.
func emptyDefault(text string, e int) bool {
	for _, op := range []string{":-}", "-}", ":=}", "=}", `:-""}`, `-""}`, ":-''}", "-''}"} {
		if strings.HasPrefix(text[e:], op) {
			return true
		}
	}
	return false
}

// knobFlags are command-line flags that commonly carry a knob (build_images.py and friends).
var knobFlags = map[string]string{
	"max-workers": KnobWorkers, "workers": KnobWorkers,
	"batch-size": KnobBatch, "build-batch-size": KnobBatch,
	"cache-mode": KnobCache, "buildkit-cache-mode": KnobCache,
}

var knobFlagRe = regexp.MustCompile(`(?:^|[\s;&|(])--(max-workers|workers|batch-size|build-batch-size|cache-mode|buildkit-cache-mode)(?:=|[ \t]+)(["']?)([A-Za-z0-9_-]+)(["']?)(?:$|[\s;&|)])`)

var knobFlagExprRe = regexp.MustCompile(`(?:^|[\s;&|(])--(max-workers|workers|batch-size|build-batch-size|cache-mode|buildkit-cache-mode)(?:=|[ \t]+)["']?\$\{\{`)

// scriptFlags warns about knob flags given a literal value (--batch-size 15): the literal wins
// over the variable and is not rewritten, since the flag's meaning is the script's business.
// The same goes for a flag given a ${{ }} expression whose value can be a literal
// (--max-workers ${{ inputs.workers || 16 }}).
func (rw *rewriter) scriptFlags(text string, line int, path string) {
	for _, m := range knobFlagExprRe.FindAllStringSubmatchIndex(text, -1) {
		flag := text[m[2]:m[3]]
		x, ok := exprSpan(text, m[1]-3)
		if !ok || inComment(text, m[2]) {
			continue
		}
		expr := text[x.start:x.end]
		for _, q := range rw.knobs {
			if q.id != knobFlags[flag] {
				continue
			}
			lits := resultLiterals(expr, "'")
			for _, lit := range lits {
				if q.valid(lit.value) && !q.same(lit.value) {
					rw.warnf(line, "%s: --%s %s passes the literal %s %s on some runs instead of $%s; left as is (change it by hand, or pass \"$%s\")",
						path, flag, expr, knobNoun[q.id], lit.value, q.names[0], q.names[0])
				}
			}
			if ins := inputRefs(expr); len(lits) == 0 && len(ins) > 0 {
				// The knob is set, by the input's default: saying it is set
				// nowhere would be false.
				rw.mentioned[q.id] = true
				rw.warnf(line, "%s: --%s %s passes inputs.%s as the %s instead of $%s; its default is left as is (change it by hand, or pass \"$%s\")",
					path, flag, expr, ins[0], knobNoun[q.id], q.names[0], q.names[0])
			}
		}
	}
	for _, f := range literalFlags(text) {
		if inComment(text, f.at) {
			continue
		}
		for _, q := range rw.knobs {
			if q.id == knobFlags[f.flag] && !q.same(f.value) {
				rw.warnf(line, "%s: --%s %s passes a literal %s instead of $%s; left as is (change it by hand, or pass \"$%s\")",
					path, f.flag, f.value, knobNoun[q.id], q.names[0], q.names[0])
			}
		}
	}
}

// flagLit is a knob flag given a literal on a command line: --flag value, at text[at:].
type flagLit struct {
	flag, value string
	at          int
}

// literalFlags returns the knob flags given a literal in text (--max-workers 16,
// --batch-size="50").
func literalFlags(text string) []flagLit {
	var out []flagLit
	for i := 0; i < len(text); {
		m := knobFlagRe.FindStringSubmatchIndex(text[i:])
		if m == nil {
			break
		}
		for j := range m {
			m[j] += i
		}
		i = m[9] // the match's boundary after the value may start the next flag
		if text[m[4]:m[5]] != text[m[8]:m[9]] {
			continue
		}
		out = append(out, flagLit{text[m[2]:m[3]], text[m[6]:m[7]], m[2]})
	}
	return out
}

// apply returns src with the edits made.
func (rw *rewriter) apply() ([]byte, error) {
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
