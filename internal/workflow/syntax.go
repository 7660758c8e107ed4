package workflow

import (
	"regexp"
	"slices"
	"strings"
)

// The small parsers below work on raw source text, so that every result is a byte range of the
// original file.

// rng is a byte range [start, end) of a string.
type rng struct{ start, end int }

// exprSpan finds the first ${{ ... }} in s at or after from.
func exprSpan(s string, from int) (rng, bool) {
	i := strings.Index(s[from:], "${{")
	if i < 0 {
		return rng{}, false
	}
	start := from + i
	j := strings.Index(s[start+3:], "}}")
	if j < 0 {
		return rng{}, false
	}
	return rng{start, start + 3 + j + 2}, true
}

// literal is a fallback literal inside an expression: value at [start, end) of the expression
// text; bare is a number written without quotes.
type literal struct {
	start, end int
	value      string
	bare       bool
}

// fallback finds the literal after the last top-level || of the expression x ("${{ ... }}").
// sq is how a string quote is written in this text: a single quote in plain text, two of them
// inside a YAML single-quoted scalar.
func fallback(x, sq string) (literal, bool) {
	if len(x) < 5 {
		return literal{}, false
	}
	lo, hi := unwrap(x, 3, len(x)-2, sq)
	inner := x[lo:hi]
	depth, last := 0, -1
	for i := 0; i < len(inner); {
		switch {
		case strings.HasPrefix(inner[i:], sq):
			end, ok := skipString(inner, i, sq)
			if !ok {
				return literal{}, false
			}
			i = end
			continue
		case inner[i] == '(' || inner[i] == '[':
			depth++
		case inner[i] == ')' || inner[i] == ']':
			depth--
		case depth == 0 && strings.HasPrefix(inner[i:], "||"):
			last = i
			i += 2
			continue
		}
		i++
	}
	if last < 0 {
		return literal{}, false
	}
	opStart := last + 2
	op := inner[opStart:]
	lead := len(op) - len(strings.TrimLeft(op, " \t"))
	op = strings.TrimSpace(op)
	base := lo + opStart + lead
	if op == "" {
		return literal{}, false
	}
	if isDigits(op) {
		return literal{base, base + len(op), op, true}, true
	}
	if len(op) >= 2*len(sq) && strings.HasPrefix(op, sq) && strings.HasSuffix(op, sq) {
		v := op[len(sq) : len(op)-len(sq)]
		if strings.Contains(v, "'") {
			return literal{}, false
		}
		return literal{base + len(sq), base + len(sq) + len(v), v, false}, true
	}
	return literal{}, false
}

// unwrap narrows x[lo:hi], the body of an expression, past wrappers that pass their operand's
// value through: parentheses around the whole body and fromJSON(...) (any case), as in
// ${{ fromJSON(inputs.workers || '16') }}, whose fallback is the '16' inside.
func unwrap(x string, lo, hi int, sq string) (int, int) {
	for {
		body := x[lo:hi]
		t := strings.TrimLeft(body, " \t\r\n")
		start := lo + len(body) - len(t)
		t = strings.TrimRight(t, " \t\r\n")
		open := 0
		if len(t) >= 8 && strings.EqualFold(t[:8], "fromjson") {
			open = len(t[:8]) + len(t[8:]) - len(strings.TrimLeft(t[8:], " \t"))
		}
		if open >= len(t) || t[open] != '(' || t[len(t)-1] != ')' || closing(t, open, sq) != len(t)-1 {
			return lo, hi
		}
		lo, hi = start+open+1, start+len(t)-1
	}
}

// closing returns the index of the parenthesis that closes the one at s[open], skipping string
// literals (quote sq); -1 when there is none.
func closing(s string, open int, sq string) int {
	depth := 0
	for i := open; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], sq):
			end, ok := skipString(s, i, sq)
			if !ok {
				return -1
			}
			i = end
			continue
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return -1
}

// skipString returns the index after the string literal starting at s[i:] (quote sq; a
// doubled quote inside is an escaped quote).
func skipString(s string, i int, sq string) (int, bool) {
	j := i + len(sq)
	for {
		k := strings.Index(s[j:], sq)
		if k < 0 {
			return 0, false
		}
		j += k + len(sq)
		if strings.HasPrefix(s[j:], sq) {
			j += len(sq)
			continue
		}
		return j, true
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var inputRe = regexp.MustCompile(`(?:^|[^\w.\-])(?:github\.event\.)?inputs(?:\.([A-Za-z_][\w-]*)|\[\s*'+([^'\]]+)'+\s*\])`)

// inputRefs returns the workflow inputs an expression reads (inputs.X, github.event.inputs.X,
// inputs['X']).
func inputRefs(x string) []string {
	var out []string
	for _, m := range inputRe.FindAllStringSubmatch(x, -1) {
		name := m[1]
		if name == "" {
			name = m[2]
		}
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

var varsRe = regexp.MustCompile(`(?:^|[^\w.\-])vars(?:\.([A-Za-z_][\w-]*)|\[\s*'+([^'\]]+)'+\s*\])`)

// varsRefs returns the configuration variables (vars.X, vars['X']) whose value an expression
// can take: those not compared (vars.BIG == 'true' only picks between other values).
func varsRefs(x string) []string {
	compared := func(s string) bool {
		for _, op := range []string{"==", "!=", "<", ">"} {
			if strings.HasPrefix(s, op) || strings.HasSuffix(s, op) {
				return true
			}
		}
		return false
	}
	var out []string
	for _, m := range varsRe.FindAllStringSubmatchIndex(x, -1) {
		name := ""
		if m[2] >= 0 {
			name = x[m[2]:m[3]]
		} else if m[4] >= 0 {
			name = x[m[4]:m[5]]
		}
		if name == "" || compared(strings.TrimSpace(x[m[1]:])) || compared(strings.TrimSpace(x[:m[0]+1])) || slices.Contains(out, name) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// shellVal is the rewritable part of a shell assignment's value: either a literal at
// [start, end) or a ${{ }} expression at [start, end).
type shellVal struct {
	start, end int
	value      string
	expr       bool
}

// shellValue parses the value of a shell assignment starting at text[p:].
func shellValue(text string, p int) (shellVal, bool) {
	if p >= len(text) {
		return shellVal{}, false
	}
	switch text[p] {
	case '"':
		end, ok := closeDouble(text, p+1)
		if !ok {
			return shellVal{}, false
		}
		v, n, ok := shellWordValue(text, p+1, end, true)
		return v, ok && p+1+n == end
	case '\'':
		k := strings.IndexByte(text[p+1:], '\'')
		if k < 0 {
			return shellVal{}, false
		}
		inner := text[p+1 : p+1+k]
		if x, ok := exprSpan(inner, 0); ok && x.start == 0 && x.end == len(inner) {
			return shellVal{p + 1, p + 1 + k, inner, true}, true
		}
		if strings.ContainsAny(inner, "$\\") {
			return shellVal{}, false
		}
		return shellVal{p + 1, p + 1 + k, inner, false}, true
	}
	v, n, ok := shellWordValue(text, p, len(text), false)
	if !ok {
		return shellVal{}, false
	}
	if e := p + n; e < len(text) && !isTerminator(text[e]) {
		return shellVal{}, false
	}
	return v, true
}

// closeDouble returns the index of the " closing a double-quoted shell string whose content
// starts at i, stepping over ${{ }} and backslash escapes.
func closeDouble(text string, i int) (int, bool) {
	for i < len(text) {
		switch {
		case strings.HasPrefix(text[i:], "${{"):
			x, ok := exprSpan(text, i)
			if !ok {
				return 0, false
			}
			i = x.end
			continue
		case text[i] == '\\':
			i += 2
			continue
		case text[i] == '"':
			return i, true
		}
		i++
	}
	return 0, false
}

func isTerminator(c byte) bool {
	return strings.IndexByte(" \t;&|)<>\"'`", c) >= 0
}

func isLiteralByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.'
}

// shellWordValue parses one word at text[p:limit]: ${{ expr }}, ${VAR:-default} (also -, :=,
// =) or a literal. It returns the value and the number of bytes the word takes.
func shellWordValue(text string, p, limit int, quoted bool) (shellVal, int, bool) {
	s := text[:limit]
	switch {
	case strings.HasPrefix(s[p:], "${{"):
		x, ok := exprSpan(s, p)
		if !ok || x.start != p {
			return shellVal{}, 0, false
		}
		return shellVal{x.start, x.end, s[x.start:x.end], true}, x.end - p, true
	case strings.HasPrefix(s[p:], "${"):
		i := p + 2
		for i < len(s) && (isLiteralByte(s[i]) && s[i] != '-' && s[i] != '.') {
			i++
		}
		if i == p+2 {
			return shellVal{}, 0, false
		}
		var op string
		for _, o := range []string{":-", ":=", "-", "="} {
			if strings.HasPrefix(s[i:], o) {
				op = o
				break
			}
		}
		if op == "" {
			return shellVal{}, 0, false
		}
		i += len(op)
		var v shellVal
		switch {
		case strings.HasPrefix(s[i:], "${{"):
			x, ok := exprSpan(s, i)
			if !ok || x.start != i {
				return shellVal{}, 0, false
			}
			v = shellVal{x.start, x.end, s[x.start:x.end], true}
			i = x.end
		case i < len(s) && (s[i] == '"' || s[i] == '\''):
			k := strings.IndexByte(s[i+1:], s[i])
			if k < 0 {
				return shellVal{}, 0, false
			}
			v = shellVal{i + 1, i + 1 + k, s[i+1 : i+1+k], false}
			i += k + 2
		default:
			j := i
			for j < len(s) && isLiteralByte(s[j]) {
				j++
			}
			v = shellVal{i, j, s[i:j], false}
			i = j
		}
		if i >= len(s) || s[i] != '}' {
			return shellVal{}, 0, false
		}
		return v, i + 1 - p, true
	default:
		j := p
		for j < len(s) && isLiteralByte(s[j]) {
			j++
		}
		if j == p {
			return shellVal{}, 0, false
		}
		return shellVal{p, j, s[p:j], false}, j - p, true
	}
}

// shellWord returns the value text after NAME= for messages.
func shellWord(text string, p int) string {
	e := p
	for e < len(text) && strings.IndexByte(" \t;&|", text[e]) < 0 && e-p < 60 {
		e++
	}
	return text[p:e]
}

// inComment reports whether text[i] is inside a shell comment.
func inComment(text string, i int) bool {
	_, comment := shellScan(text, i, true)
	return comment
}

// shellScan reads text up to i as shell: it reports whether text[i] is
// inside a quoted string, and, when comments is set, whether a comment
// (an unquoted '#' at the start of a word) starts before it.
func shellScan(text string, i int, comments bool) (quoted, comment bool) {
	var single, double bool
	for j := 0; j < i && j < len(text); j++ {
		c := text[j]
		switch {
		case single:
			if c == '\'' {
				single = false
			}
		case strings.HasPrefix(text[j:], "${{"):
			if x, ok := exprSpan(text, j); ok {
				j = x.end - 1
			}
		case c == '\\':
			j++
		case c == '"':
			double = !double
		case double:
		case c == '\'':
			single = true
		case comments && c == '#' && (j == 0 || text[j-1] == ' ' || text[j-1] == '\t'):
			return false, true
		}
	}
	return single || double, false
}

// exprLit is a literal in a ${{ }} expression: its value at [start, end) of the expression
// text, and the quote around it ("" for a number).
type exprLit struct {
	start, end int
	value      string
	quote      string
}

type exprTok struct {
	kind       byte // 'l' literal, 'o' operator, '(' ')' ',' punctuation, 'i' anything else
	start, end int  // in the expression text
	value      string
	quote      string
}

// resultLiterals returns the literals of the expression x that can be its value: operands of
// && and || that are not compared (the 8 of "cond && '8' || inputs.w", the fallback after the
// last ||), as opposed to "github.event_name == 'schedule'" or "fromJSON('8')".
func resultLiterals(x, sq string) []exprLit {
	if len(x) < 5 {
		return nil
	}
	inner := x[3 : len(x)-2]
	var toks []exprTok
	for i := 0; i < len(inner); {
		c := inner[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(inner[i:], sq):
			end, ok := skipString(inner, i, sq)
			if !ok {
				return nil
			}
			toks = append(toks, exprTok{'l', 3 + i + len(sq), 3 + end - len(sq), inner[i+len(sq) : end-len(sq)], sq})
			i = end
		case c == '(' || c == ')' || c == ',' || c == '[' || c == ']':
			k := c
			if c == '[' {
				k = '('
			} else if c == ']' {
				k = ')'
			}
			toks = append(toks, exprTok{kind: k, start: 3 + i, end: 3 + i + 1, value: string(c)})
			i++
		case strings.ContainsRune("&|=!<>", rune(c)):
			j := i + 1
			for j < len(inner) && strings.ContainsRune("&|=", rune(inner[j])) && j-i < 2 {
				j++
			}
			toks = append(toks, exprTok{kind: 'o', start: 3 + i, end: 3 + j, value: inner[i:j]})
			i = j
		default:
			j := i
			for j < len(inner) && !strings.ContainsRune(" \t\r\n()[],&|=!<>'", rune(inner[j])) {
				j++
			}
			if j == i {
				j++
			}
			v := inner[i:j]
			k := byte('i')
			if isDigits(strings.Replace(v, ".", "", 1)) {
				k = 'l'
			}
			toks = append(toks, exprTok{kind: k, start: 3 + i, end: 3 + j, value: v})
			i = j
		}
	}
	logic := func(t exprTok) bool { return t.kind == 'o' && (t.value == "&&" || t.value == "||") }
	var out []exprLit
	for i, t := range toks {
		if t.kind != 'l' {
			continue
		}
		prevLogic := i > 0 && logic(toks[i-1])
		nextLogic := i+1 < len(toks) && logic(toks[i+1])
		atStart := i == 0 || toks[i-1].kind == '('
		atEnd := i+1 == len(toks) || toks[i+1].kind == ')'
		if (prevLogic && (nextLogic || atEnd)) || (atStart && nextLogic) {
			out = append(out, exprLit{t.start, t.end, t.value, t.quote})
		}
	}
	return out
}
