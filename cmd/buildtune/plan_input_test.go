package main

import (
	"strings"
	"testing"
)

// TestPlanRunnersAndCoresInput: --runners 0 was taken as not given (the
// message asked for --deadline or --runners); it is bad input naming
// --runners 0, and with --deadline it is one flag too many. --cores below 0
// says what is accepted: 0 (the sweep machine's cores) or a positive number
// up to the bound.
func TestPlanRunnersAndCoresInput(t *testing.T) {
	dir := copyRun(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--runners", "0"}, []string{"--runners 0: want a positive number of runners"}},
		{[]string{"--runners", "-1"}, []string{"--runners -1: want a positive number of runners"}},
		{[]string{"--runners", "0", "--deadline", "1h"}, []string{"--deadline and --runners", "give one of them"}},
		{[]string{"--deadline", "1ns"}, []string{"--deadline 1ns: want at least 1s"}},
		{[]string{"--deadline", "999ms"}, []string{"--deadline 999ms: want at least 1s"}},
		{[]string{"--runners", "1", "--cores", "-2"}, []string{"--cores -2", "at most 4096", "or 0 for the sweep machine's"}},
	} {
		r := runIn(t, append([]string{"plan", dir}, tc.args...)...)
		if r.code != exitUsage || r.stdout != "" || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("plan %v: want exit 2, one line, nothing on stdout\n%s", tc.args, r)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("plan %v: stderr lacks %q\n%s", tc.args, w, r)
			}
		}
	}
	if r := runIn(t, "plan", dir, "--runners", "1", "--cores", "0"); r.code != exitOK {
		t.Errorf("plan --cores 0 (the sweep machine's): want exit 0\n%s", r)
	}
}
