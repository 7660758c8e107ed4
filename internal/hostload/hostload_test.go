package hostload

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	busy, total, err := ParseStat([]byte("cpu  100 5 50 800 20 7 3 2 40 0\ncpu0 1 2 3 4 5 6 7 8\n"))
	if err != nil {
		t.Fatal(err)
	}
	// user+nice+system; every column up to steal (guest is inside user).
	if busy != 155 || total != 987 {
		t.Errorf("busy %d total %d, want 155 and 987", busy, total)
	}
	for _, bad := range []string{"", "intr 1 2 3\n", "cpu 1 x 3 4 5\n"} {
		if _, _, err := ParseStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParsePidStat(t *testing.T) {
	// A command name with spaces and parentheses: fields count from the last ')'.
	line := "42 (a) b (c)) S 7 42 42 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 0 100 0 0\n"
	p, ok := parsePidStat([]byte(line))
	if !ok || p.ppid != 7 || p.ticks != 110 {
		t.Errorf("got %+v %v, want ppid 7 and 110 ticks", p, ok)
	}
	if _, ok := parsePidStat([]byte("42 (x) S 7")); ok {
		t.Error("a short line parsed")
	}
}

// fakeProc writes a /proc of the given processes (pid -> ppid, ticks) and
// host line.
func fakeProc(t *testing.T, dir, host string, procs map[int][2]int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(host), 0o644); err != nil {
		t.Fatal(err)
	}
	for pid, p := range procs {
		d := filepath.Join(dir, strconv.Itoa(pid))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		line := strconv.Itoa(pid) + " (p) S " + strconv.Itoa(p[0]) + " 1 1 0 -1 0 0 0 0 0 " + strconv.Itoa(p[1]) + " 0 0 0 20 0 1 0 1 0 0\n"
		if err := os.WriteFile(filepath.Join(d, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSharesTree: the root's tree (a child and a grandchild) is ours, a
// process beside it is foreign, and a child that ended between the
// readings still counts through its parent's waited-for time.
func TestSharesTree(t *testing.T) {
	dir := t.TempDir()
	m := &Meter{proc: dir, roots: []int{10}}
	fakeProc(t, dir, "cpu 1000 0 0 9000 0 0 0 0\n", map[int][2]int{1: {0, 5}, 10: {1, 100}, 11: {10, 50}, 12: {11, 50}, 20: {1, 0}})
	a, err := m.Read()
	if err != nil {
		t.Fatal(err)
	}
	if a.Ours != 200 {
		t.Errorf("ours %d, want 200 (root, child, grandchild)", a.Ours)
	}
	// 1000 ticks later: 600 busy, of which 300 ours (12 ended, its 50 now in
	// 11's waited-for time, plus 250 new) and 300 by pid 20.
	fakeProc(t, dir, "cpu 1600 0 0 9400 0 0 0 0\n", map[int][2]int{1: {0, 5}, 10: {1, 200}, 11: {10, 300}, 20: {1, 300}})
	os.RemoveAll(filepath.Join(dir, "12"))
	b, err := m.Read()
	if err != nil {
		t.Fatal(err)
	}
	busy, foreign, ok := Shares(a, b)
	if !ok || busy != 0.6 || foreign != 0.3 {
		t.Errorf("busy %v foreign %v ok %v, want 0.6, 0.3", busy, foreign, ok)
	}
	if _, _, ok := Shares(b, b); ok {
		t.Error("no time passed: ok")
	}
	m.roots = []int{99}
	if _, err := m.Read(); err == nil {
		t.Error("no root alive: no error")
	}
	// A span that could not start (no meter, no root alive) measures
	// nothing, without failing.
	var none *Meter
	for _, sp := range []*Span{none.Begin(), m.Begin()} {
		if _, _, ok := sp.End(); ok {
			t.Error("a span that could not start: ok")
		}
	}
}

// TestRealForeign measures a busy loop on this host, once as foreign
// (the meter's root is a sleeping process) and once as ours (the loop is
// the root).
func TestRealForeign(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc")
	}
	sleeper := exec.Command("sleep", "30")
	loop := exec.Command("sh", "-c", "while :; do :; done")
	for _, c := range []*exec.Cmd{sleeper, loop} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	}
	foreignM, oursM := New(sleeper.Process.Pid), New(loop.Process.Pid)
	fa, err := foreignM.Read()
	if err != nil {
		t.Fatal(err)
	}
	oa, err := oursM.Read()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var busy, foreign float64
	for {
		fb, err := foreignM.Read()
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if busy, foreign, ok = Shares(fa, fb); ok && fb.HostTotal-fa.HostTotal >= 100 { // a second of one core's ticks, at least
			ob, err := oursM.Read()
			if err != nil {
				t.Fatal(err)
			}
			if ob.Ours-oa.Ours < 10 {
				t.Errorf("the loop, the meter's root, used %d ticks", ob.Ours-oa.Ours)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no host ticks passed in 10 s")
		}
		time.Sleep(100 * time.Millisecond) // the measuring window grows until a second of ticks passed
	}
	// One core of a busy loop beside a root that sleeps: foreign.
	cores := float64(countCPUs(t))
	if foreign < 0.3/cores || foreign > busy {
		t.Errorf("foreign %.2f (busy %.2f) with a busy loop outside the tree on %v cores", foreign, busy, cores)
	}
}

func countCPUs(t *testing.T) int {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "cpu") && !strings.HasPrefix(l, "cpu ") {
			n++
		}
	}
	return max(n, 1)
}

// BenchmarkRead is one reading of the host and this process's tree: two
// per trial of a sweep or a build.
func BenchmarkRead(b *testing.B) {
	m := New(os.Getpid())
	for b.Loop() {
		if _, err := m.Read(); err != nil {
			b.Fatal(err)
		}
	}
}
