package workflow

import (
	"fmt"
	"strings"
)

// Env returns the knob values as KEY=VALUE lines (one per set knob, first name of each),
// ready for a GitHub Actions env file or a shell.
func Env(k Knobs, names KnobNames) string {
	names = names.withDefaults()
	var b strings.Builder
	if k.Workers != nil {
		fmt.Fprintf(&b, "%s=%d\n", names.Workers[0], *k.Workers)
	}
	if k.Batch != nil {
		fmt.Fprintf(&b, "%s=%d\n", names.Batch[0], *k.Batch)
	}
	if k.Cache != nil {
		fmt.Fprintf(&b, "%s=%s\n", names.Cache[0], *k.Cache)
	}
	return b.String()
}

// Summary returns one line per place, for the header of Diff.
func Summary(changes []Change) []string {
	var out []string
	for _, c := range changes {
		where := c.Path
		if c.Step != "" {
			where += fmt.Sprintf(" (step %q)", c.Step)
		}
		what := fmt.Sprintf("%s -> %s", c.Old, c.New)
		if !c.Changed() {
			what = c.Old + " (unchanged)"
		}
		if strings.HasSuffix(c.Path, ".run") {
			what = c.Name + " " + what
		}
		knob := c.Knob
		if len(c.Shared) > 0 {
			knob += "; a YAML anchor, shared via alias by " + strings.Join(c.Shared, ", ")
		}
		out = append(out, fmt.Sprintf("line %d: %s: %s (%s)", c.Line, where, what, knob))
	}
	return out
}

// Diff returns a unified diff of old and new (as a/name and b/name, 3 lines of context),
// preceded by the header lines written as "# " comments. Equal inputs give only the header.
func Diff(name string, old, new []byte, header []string) string {
	var b strings.Builder
	for _, h := range header {
		for _, l := range strings.Split(h, "\n") {
			b.WriteString(strings.TrimRight("# "+l, " ") + "\n")
		}
	}
	a, z := splitLines(string(old)), splitLines(string(new))
	ops := diffLines(a, z)
	hunks := groupHunks(ops, 3)
	if len(hunks) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", name, name)
	for _, h := range hunks {
		var aStart, aLen, zStart, zLen int
		aStart, zStart = -1, -1
		for _, op := range h {
			if op.kind != '+' {
				if aStart < 0 {
					aStart = op.a
				}
				aLen++
			}
			if op.kind != '-' {
				if zStart < 0 {
					zStart = op.z
				}
				zLen++
			}
		}
		if aStart < 0 {
			aStart = h[0].a
		}
		if zStart < 0 {
			zStart = h[0].z
		}
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(zStart, zLen))
		for _, op := range h {
			var l string
			if op.kind == '+' {
				l = z[op.z]
			} else {
				l = a[op.a]
			}
			b.WriteByte(op.kind)
			if strings.HasSuffix(l, "\n") {
				b.WriteString(l)
			} else {
				b.WriteString(l + "\n\\ No newline at end of file\n")
			}
		}
	}
	return b.String()
}

// hunkRange formats a hunk range; start is 0-based.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// splitLines splits s after each newline, keeping the newlines.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// diffOp is one line of an edit script: ' ' keep, '-' delete a[a], '+' insert z[z]. For an
// insertion a is the position in a before which it goes, and the other way round.
type diffOp struct {
	kind byte
	a, z int
}

// diffLines returns an edit script from a to z: common prefix and suffix, and a longest common
// subsequence of the middle (quadratic, which is fine for workflow files). A middle too large
// for that is compared line for line when both sides have as many lines (a rewrite of values
// in place never adds or removes one), and replaced as a whole otherwise.
func diffLines(a, z []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(z) && a[pre] == z[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(z)-pre && a[len(a)-1-suf] == z[len(z)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{' ', i, i})
	}
	ma, mz := a[pre:len(a)-suf], z[pre:len(z)-suf]
	switch {
	case len(ma)*len(mz) > 4_000_000 && len(ma) == len(mz):
		// Too large for the LCS, but line for line (what an in-place rewrite of values
		// gives): each run of differing lines is replaced, the equal lines between are kept.
		for i := 0; i < len(ma); {
			if ma[i] == mz[i] {
				ops = append(ops, diffOp{' ', pre + i, pre + i})
				i++
				continue
			}
			j := i
			for j < len(ma) && ma[j] != mz[j] {
				j++
			}
			for k := i; k < j; k++ {
				ops = append(ops, diffOp{'-', pre + k, pre + i})
			}
			for k := i; k < j; k++ {
				ops = append(ops, diffOp{'+', pre + j, pre + k})
			}
			i = j
		}
	case len(ma)*len(mz) > 4_000_000:
		for i := range ma {
			ops = append(ops, diffOp{'-', pre + i, pre})
		}
		for j := range mz {
			ops = append(ops, diffOp{'+', pre + len(ma), pre + j})
		}
	default:
		// lcs[i][j] = length of an LCS of ma[i:] and mz[j:].
		w := len(mz) + 1
		lcs := make([]int, (len(ma)+1)*w)
		for i := len(ma) - 1; i >= 0; i-- {
			for j := len(mz) - 1; j >= 0; j-- {
				if ma[i] == mz[j] {
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				} else {
					lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(ma) || j < len(mz) {
			switch {
			case i < len(ma) && j < len(mz) && ma[i] == mz[j]:
				ops = append(ops, diffOp{' ', pre + i, pre + j})
				i, j = i+1, j+1
			case j >= len(mz) || i < len(ma) && lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
				ops = append(ops, diffOp{'-', pre + i, pre + j})
				i++
			default:
				ops = append(ops, diffOp{'+', pre + i, pre + j})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, diffOp{' ', len(a) - suf + k, len(z) - suf + k})
	}
	return ops
}

// groupHunks cuts the edit script into hunks with ctx lines of context around changes.
func groupHunks(ops []diffOp, ctx int) [][]diffOp {
	var hunks [][]diffOp
	i := 0
	for i < len(ops) {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(0, i-ctx)
		// extend while the next change is within 2*ctx unchanged lines
		end := i
		for {
			for end < len(ops) && ops[end].kind != ' ' {
				end++
			}
			k := end
			for k < len(ops) && ops[k].kind == ' ' {
				k++
			}
			if k < len(ops) && k-end <= 2*ctx {
				end = k
				continue
			}
			end = min(len(ops), end+ctx)
			break
		}
		hunks = append(hunks, ops[start:end])
		i = end
	}
	return hunks
}
