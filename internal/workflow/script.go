package workflow

import (
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Which language a run: script is written in decides how it is read. POSIX shells (bash, sh),
// PowerShell (pwsh, powershell) and cmd set the knobs in forms this package rewrites; a script
// in any other language (shell: python, node {0}, perl {0}, ...) is left as is, with a warning
// naming each line that mentions a knob, since MAX_WORKERS=16 there is a variable of that
// language, not the environment.

// scriptLanguage returns "" for a shell whose scripts are rewritten, else the name of the
// language (python, node, ...). shell is the step's shell: (or the defaults.run.shell that
// applies); "" is the runner's default shell.
func scriptLanguage(shell string) string {
	f := strings.Fields(shell)
	if len(f) == 0 || strings.Contains(shell, "${{") {
		return ""
	}
	w := strings.TrimSuffix(strings.ToLower(path.Base(strings.ReplaceAll(f[0], `\`, "/"))), ".exe")
	switch w {
	case "bash", "sh", "zsh", "ksh", "dash", "pwsh", "powershell", "cmd":
		return ""
	}
	return w
}

// stepShell returns the shell a step's run: script runs in: its own shell:, else the job's
// defaults.run.shell, else the workflow's; "" when none is given (the runner's default:
// bash, or pwsh on Windows, both read as shell).
func stepShell(step, job, root *yaml.Node) string {
	for _, s := range []*yaml.Node{mapGet(step, "shell"), mapGet(mapGet(mapGet(job, "defaults"), "run"), "shell"),
		mapGet(mapGet(mapGet(root, "defaults"), "run"), "shell")} {
		if v := scalarValue(s); v != "" {
			return v
		}
	}
	return ""
}

// otherLanguage warns about each line of a script in a language other than a shell that
// mentions a knob; the knob counts as set somewhere.
func (rw *rewriter) otherLanguage(n *yaml.Node, path, lang, shell string) {
	if !rw.mentionsAny(n.Value) {
		return
	}
	lines := []int{n.Line}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		if ls, _, ok := rw.blockLines(n); ok {
			lines = ls
		}
	}
	warned := false
	for _, l := range lines {
		text, _, _ := rw.lineText(l)
		if l == n.Line && len(lines) > 1 {
			continue
		}
		for _, q := range rw.knobs {
			for _, name := range q.names {
				if strings.Contains(text, name) {
					rw.mentioned[q.id] = true
					rw.warnf(l, "%s: %s appears in a %s script (shell: %s); left as is: only bash, sh, pwsh and cmd scripts are rewritten (change it by hand)",
						path, name, lang, shell)
					warned = true
				}
			}
		}
	}
	if !warned {
		rw.giveUp(n, "%s: a knob appears in a %s script (shell: %s); left as is: only bash, sh, pwsh and cmd scripts are rewritten (change it by hand)", path, lang, shell)
	}
}

// heredoc is a here-document started on a script line: its body runs until a line holding
// only the delimiter (after leading tabs, with <<-).
type heredoc struct {
	delim string
	tabs  bool // <<-
	env   bool // the command appends to $GITHUB_ENV or $GITHUB_OUTPUT
	line  int  // where it starts
	op    string
}

var heredocRe = regexp.MustCompile(`<<(-?)[ \t]*(?:'([^']+)'|"([^"]+)"|\\?([A-Za-z_][A-Za-z0-9_]*))`)

var githubFileRe = regexp.MustCompile(`\$\{?GITHUB_(?:ENV|OUTPUT)\b|(?i:\$env:GITHUB_(?:ENV|OUTPUT)\b)`)

// heredocs returns the here-documents a script line starts, in order.
func heredocs(text string, line int) []heredoc {
	var out []heredoc
	for _, m := range heredocRe.FindAllStringSubmatchIndex(text, -1) {
		p := m[0]
		if p > 0 && text[p-1] == '<' || strings.HasPrefix(text[p:], "<<<") {
			continue // a here-string (<<<)
		}
		if inComment(text, p) || inQuotes(text, p) {
			continue
		}
		if before := text[:p]; strings.Contains(before, "((") && !strings.Contains(before, "))") {
			continue // a shift in arithmetic: $(( x << y ))
		}
		var delim string
		for _, g := range []int{4, 6, 8} {
			if m[g] >= 0 {
				delim = text[m[g]:m[g+1]]
			}
		}
		env := false
		a, b := command(text, p)
		for _, f := range githubFileRe.FindAllStringIndex(text[a:b], -1) {
			if !inComment(text, a+f[0]) {
				env = true
			}
		}
		out = append(out, heredoc{delim: delim, tabs: m[3] > m[2], env: env, line: line, op: text[m[0]:m[1]]})
	}
	return out
}

// command returns the bounds of the pipeline around text[p]: from the ;, && or || before it
// to the one after it (a pipe | stays inside: cat <<EOF | tee -a "$GITHUB_ENV").
func command(text string, p int) (int, int) {
	a, b := 0, len(text)
	var single, double bool
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case single:
			if c == '\'' {
				single = false
			}
			continue
		case strings.HasPrefix(text[i:], "${{"):
			if x, ok := exprSpan(text, i); ok {
				i = x.end - 1
			}
			continue
		case c == '\\':
			i++
			continue
		case c == '"':
			double = !double
			continue
		case double:
			continue
		case c == '\'':
			single = true
			continue
		case c == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t'):
			return a, min(b, i)
		}
		if c == ';' || strings.HasPrefix(text[i:], "&&") || strings.HasPrefix(text[i:], "||") {
			if i < p {
				a = i + 1
			} else {
				return a, i
			}
		}
	}
	return a, b
}

// inQuotes reports whether text[i] is inside a quoted shell string
// (a '#' is read as any other character).
func inQuotes(text string, i int) bool {
	quoted, _ := shellScan(text, i, false)
	return quoted
}

// ends reports whether the script line body (without the block's indentation) closes h.
func (h heredoc) ends(body string) bool {
	if h.tabs {
		body = strings.TrimLeft(body, "\t")
	}
	return body == h.delim
}

// heredocData warns about knob assignments and ${KNOB:-N} defaults in the body of a
// here-document that is data (a file, a payload, a message), not appended to $GITHUB_ENV or
// $GITHUB_OUTPUT: the text there sets nothing for the build, so it is left as is.
func (rw *rewriter) heredocData(text string, line int, path string, h heredoc) {
	report := func(name, what string) {
		q := rw.byName[name]
		rw.mentioned[q.id] = true
		rw.warnf(line, "%s: %s is inside a here-document (%s, line %d) that is data, not appended to $GITHUB_ENV or $GITHUB_OUTPUT; left as is (change it by hand if it should follow)",
			path, what, h.op, h.line)
	}
	for _, m := range assignRe.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
		if _, ok := rw.byName[name]; ok {
			report(name, strings.TrimRight(name+"="+shellWord(text, m[1]), `"',}`))
		}
	}
	for i := 0; ; {
		j := strings.Index(text[i:], "${")
		if j < 0 {
			break
		}
		p := i + j
		i = p + 2
		e := i
		for e < len(text) && isLiteralByte(text[e]) && text[e] != '-' && text[e] != '.' {
			e++
		}
		if _, ok := rw.byName[text[i:e]]; ok && e < len(text) && strings.ContainsAny(text[e:e+1], ":-=") && !emptyDefault(text, e) &&
			!strings.HasPrefix(text[e:], ":+") && !strings.HasPrefix(text[e:], ":?") {
			report(text[i:e], shellWord(text, p))
		}
	}
	rw.scriptFlags(text, line, path)
}

// pwshRe finds a PowerShell environment assignment: $env:NAME = value, ${env:NAME} = value,
// or the default $env:NAME ??= value.
var pwshRe = regexp.MustCompile(`(?i)(?:^|[\s;{(])\$(?:env:([A-Za-z_][A-Za-z0-9_]*)|\{env:([A-Za-z_][A-Za-z0-9_]*)\})[ \t]*(?:\?\?)?=[ \t]*`)

// pwshSetRe finds other PowerShell ways to set a variable of the environment, which are
// warned about.
var pwshSetRe = regexp.MustCompile(`(?i)SetEnvironmentVariable\s*\(|Set-Item\b|New-Item\b`)

// pwshLine rewrites the PowerShell assignments $env:KNOB = N on one script line.
func (rw *rewriter) pwshLine(text string, base, line int, path, step string) {
	if loc := pwshSetRe.FindStringIndex(text); loc != nil && !inComment(text, loc[0]) {
		for name, q := range rw.byName {
			if strings.Contains(text[loc[0]:], name) {
				rw.mentioned[q.id] = true
				rw.warnf(line, "%s: %s is set with %s; left as is (write $env:%s = N to have it rewritten, or change it by hand)",
					path, name, strings.TrimRight(text[loc[0]:loc[1]], " \t("), name)
			}
		}
	}
	if !strings.Contains(strings.ToLower(text), "env:") {
		return
	}
	for _, m := range pwshRe.FindAllStringSubmatchIndex(text, -1) {
		g := 2
		if m[2] < 0 {
			g = 4
		}
		name := text[m[g]:m[g+1]]
		q, ok := rw.byName[name]
		if !ok || inComment(text, m[g]) || inQuotes(text, m[g]) || strings.HasPrefix(text[m[1]:], "=") {
			continue
		}
		rw.mentioned[q.id] = true
		v, ok := shellValue(text, m[1])
		if ok {
			end := v.end
			if text[m[1]] == '"' || text[m[1]] == '\'' {
				end++
			}
			rest := strings.TrimLeft(text[end:], " \t")
			ok = rest == "" || strings.ContainsAny(rest[:1], ";#}|")
		}
		if !ok {
			rw.warnf(line, "%s: $env:%s = %s is not a literal or ${{ }} fallback; left as is", path, name, strings.TrimSpace(text[m[1]:]))
			continue
		}
		if v.expr {
			rw.expr(text[v.start:v.end], base+v.start, "'", q, line, path, name, step, true)
			continue
		}
		if !q.valid(v.value) {
			rw.warnf(line, "%s: $env:%s = %s is not a literal %s; left as is", path, name, strings.TrimSpace(text[m[1]:]), q.id)
			continue
		}
		rw.set(base+v.start, base+v.end, v.value, q, line, path, name, step)
	}
}

// matrixValues lists the values a job's strategy.matrix gives key: "16 (line 13)".
func matrixValues(job *yaml.Node, key string) []string {
	matrix := mapGet(mapGet(job, "strategy"), "matrix")
	var out []string
	add := func(v *yaml.Node) {
		v = resolve(v)
		if v == nil {
			return
		}
		if v.Kind == yaml.SequenceNode {
			for _, c := range v.Content {
				if c = resolve(c); c != nil && c.Kind == yaml.ScalarNode {
					out = append(out, c.Value+" (line "+strconv.Itoa(c.Line)+")")
				}
			}
			return
		}
		if v.Kind == yaml.ScalarNode {
			out = append(out, v.Value+" (line "+strconv.Itoa(v.Line)+")")
		}
	}
	add(mapGet(matrix, key))
	if inc := mapGet(matrix, "include"); inc != nil && inc.Kind == yaml.SequenceNode {
		for _, e := range inc.Content {
			add(mapGet(e, key))
		}
	}
	return out
}

var matrixRe = regexp.MustCompile(`(?:^|[^\w.\-])matrix(?:\.([A-Za-z_][\w-]*)|\[\s*'+([^'\]]+)'+\s*\])`)

// matrixRefs returns the matrix keys an expression reads.
func matrixRefs(x string) []string {
	var out []string
	for _, m := range matrixRe.FindAllStringSubmatch(x, -1) {
		k := m[1]
		if k == "" {
			k = m[2]
		}
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}
