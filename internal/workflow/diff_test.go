package workflow

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestDiffSmall(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\n", "x\n", "# h\n"},
		{"one line", "a\nb\nc\n", "a\nB\nc\n", "# h\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"from empty", "", "a\n", "# h\n--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+a\n"},
		{"no newline at end", "a\nb", "a\nc", "# h\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n",
			"# h\n--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n"},
		{"merged hunks", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\nX\n3\n4\n5\n6\n7\nY\n",
			"# h\n--- a/f\n+++ b/f\n@@ -1,8 +1,8 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n-8\n+Y\n"},
	}
	for _, tt := range tests {
		if got := Diff("f", []byte(tt.a), []byte(tt.b), []string{"h"}); got != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

// applyPatch applies a unified diff made by Diff to a and returns the result.
func applyPatch(t *testing.T, a, patch string) string {
	t.Helper()
	old := splitLines(a)
	var out []string
	pos := 0
	lines := strings.Split(patch, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "@@ ") {
			continue
		}
		var as, al, bs, bl int
		f := strings.Fields(l)
		parse := func(s string) (int, int) {
			start, n, ok := strings.Cut(s[1:], ",")
			x, _ := strconv.Atoi(start)
			c := 1
			if ok {
				c, _ = strconv.Atoi(n)
			}
			return x, c
		}
		as, al = parse(f[1])
		bs, bl = parse(f[2])
		_ = bs
		from := as - 1
		if al == 0 {
			from = as
		}
		out = append(out, old[pos:from]...)
		pos = from
		seenA, seenB := 0, 0
		for i+1 < len(lines) && (seenA < al || seenB < bl) {
			i++
			body := lines[i]
			text := body[1:] + "\n"
			if i+1 < len(lines) && lines[i+1] == `\ No newline at end of file` {
				text = body[1:]
				i++
			}
			switch body[0] {
			case ' ':
				if old[pos] != text {
					t.Fatalf("context mismatch at line %d: %q vs %q", pos+1, old[pos], text)
				}
				out = append(out, text)
				pos++
				seenA++
				seenB++
			case '-':
				if old[pos] != text {
					t.Fatalf("delete mismatch at line %d", pos+1)
				}
				pos++
				seenA++
			case '+':
				out = append(out, text)
				seenB++
			}
		}
	}
	out = append(out, old[pos:]...)
	return strings.Join(out, "")
}

func TestDiffApplies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func() string {
		var b strings.Builder
		n := rng.IntN(30)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%d\n", rng.IntN(6))
		}
		if rng.IntN(4) == 0 {
			b.WriteString("end")
		}
		return b.String()
	}
	for i := 0; i < 2000; i++ {
		a, b := gen(), gen()
		d := Diff("f", []byte(a), []byte(b), nil)
		if got := applyPatch(t, a, d); got != b {
			t.Fatalf("patch of\n%q\nto\n%q\ngives\n%q\npatch:\n%s", a, b, got, d)
		}
	}
}

// TestDiffLargeLineForLine: a file too large for the LCS whose rewrite changes a few lines in
// place gets a diff of those lines, not a removal and re-adding of the whole file.
func TestDiffLargeLineForLine(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 6000; i++ {
		line := fmt.Sprintf("line %d\n", i)
		a.WriteString(line)
		switch i {
		case 10, 3000, 3001, 5990:
			line = fmt.Sprintf("changed %d\n", i)
		}
		b.WriteString(line)
	}
	d := Diff("big.yml", []byte(a.String()), []byte(b.String()), nil)
	if got := applyPatch(t, a.String(), d); got != b.String() {
		t.Fatalf("the diff does not apply")
	}
	if n := strings.Count(d, "\n-"); n != 4 {
		t.Errorf("%d lines removed, want 4:\n%.2000s", n, d)
	}
	if n := strings.Count(d, "\n@@ "); n != 3 {
		t.Errorf("%d hunks, want 3", n)
	}
}
