// Package hostload tells how much of the host's CPU went to work other
// than buildtune's own during a stretch of time: another job on the
// runner, a compiler, a browser, a second sweep. It belongs to the sweep
// stage: a trial timed beside such work is slower for a reason that is not
// its settings, and the sweep records the share so that the analysis can
// say so.
//
// Ours is every process in the trees of some root pids (buildtune itself,
// whose children are a private stack's buildkitd and registry, and the
// processes of a stack kept by 'buildtune stack up'), with the time of
// their children already waited for (the build steps BuildKit ran). The
// host's busy time is user, nice and system time from /proc/stat: the
// interrupt columns are left out, as the kernel does not charge them to
// the process whose packets or disk blocks caused them. What is left is
// foreign, a share of all cores' time. Kernel threads working for our own
// I/O (page reclaim, block writeback) count as foreign: a quiet host shows
// a few percent.
package hostload

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Reading is the host's CPU ticks and ours at one moment.
type Reading struct {
	HostBusy, HostTotal uint64
	Ours                uint64
}

// Meter reads the CPU time of the host and of the process trees of its
// roots. The zero Meter is not usable; make one with New.
type Meter struct {
	proc  string // the proc file system's mount point
	roots []int
}

// New returns a meter whose own processes are the trees rooted at roots.
func New(roots ...int) *Meter { return &Meter{proc: "/proc", roots: roots} }

// Read takes a reading. It fails when /proc/stat cannot be read, or when
// no root is alive (the stack went away: nothing would count as ours).
func (m *Meter) Read() (Reading, error) {
	data, err := os.ReadFile(filepath.Join(m.proc, "stat"))
	if err != nil {
		return Reading{}, fmt.Errorf("reading the host's CPU times: %w", err)
	}
	var r Reading
	if r.HostBusy, r.HostTotal, err = ParseStat(data); err != nil {
		return Reading{}, err
	}
	procs, err := m.processes()
	if err != nil {
		return Reading{}, err
	}
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	seen := map[int]bool{}
	alive := false
	var walk func(pid int)
	walk = func(pid int) {
		if seen[pid] {
			return
		}
		seen[pid] = true
		p, ok := procs[pid]
		if !ok {
			return
		}
		r.Ours += p.ticks
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for _, root := range m.roots {
		if _, ok := procs[root]; ok {
			alive = true
		}
		walk(root)
	}
	if !alive {
		return Reading{}, fmt.Errorf("measuring the host's load: none of the processes %v is running", m.roots)
	}
	return r, nil
}

// Span is a stretch of time being measured: Begin starts it, End ends it.
type Span struct {
	m     *Meter
	start Reading
}

// Begin starts measuring; nil (nothing measured) when m is nil or the
// first reading fails.
func (m *Meter) Begin() *Span {
	if m == nil {
		return nil
	}
	r, err := m.Read()
	if err != nil {
		return nil
	}
	return &Span{m: m, start: r}
}

// End returns the shares of the span (see Shares); ok is false for a nil
// span, a reading that fails (the stack went away) or no time passed.
func (s *Span) End() (busy, foreign float64, ok bool) {
	if s == nil {
		return 0, 0, false
	}
	r, err := s.m.Read()
	if err != nil {
		return 0, 0, false
	}
	return Shares(s.start, r)
}

// Shares returns, between readings a and b, the share of all cores' time
// that was busy and the share that went to processes outside the meter's
// trees (both 0-1). ok is false when no time passed between them.
func Shares(a, b Reading) (busy, foreign float64, ok bool) {
	if b.HostTotal <= a.HostTotal || b.HostBusy < a.HostBusy {
		return 0, 0, false
	}
	total := float64(b.HostTotal - a.HostTotal)
	hb := float64(b.HostBusy - a.HostBusy)
	ours := 0.0
	if b.Ours > a.Ours {
		ours = float64(b.Ours - a.Ours)
	}
	busy = min(hb/total, 1)
	foreign = max(0, hb-ours) / total
	return busy, foreign, true
}

// ParseStat reads the aggregate "cpu" line of /proc/stat's content and
// returns its busy ticks (user, nice and system) and its total (every
// column up to steal; guest time is already inside user and nice).
func ParseStat(data []byte) (busy, total uint64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[0] != "cpu" {
			continue
		}
		for i, s := range f[1:min(len(f), 9)] {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("/proc/stat: cpu column %d %q: %w", i+1, s, err)
			}
			total += v
			if i < 3 { // user, nice, system
				busy += v
			}
		}
		return busy, total, nil
	}
	return 0, 0, errors.New("/proc/stat: no aggregate cpu line")
}

type proc struct {
	ppid  int
	ticks uint64 // utime + stime + cutime + cstime
}

// processes reads every process's parent and CPU ticks. A process that
// ends while it is read is left out.
func (m *Meter) processes() (map[int]proc, error) {
	ents, err := os.ReadDir(m.proc)
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	out := make(map[int]proc, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(m.proc, e.Name(), "stat"))
		if err != nil {
			continue
		}
		if p, ok := parsePidStat(data); ok {
			out[pid] = p
		}
	}
	return out, nil
}

// parsePidStat reads /proc/PID/stat: the command name is in parentheses
// and may hold spaces and parentheses itself, so the fields are counted
// from the last ')'. Field 4 is the parent, 14-17 utime, stime, cutime and
// cstime.
func parsePidStat(data []byte) (proc, bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return proc{}, false
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state).
	if len(f) < 15 {
		return proc{}, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return proc{}, false
	}
	var p proc
	p.ppid = ppid
	for _, s := range f[11:15] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return proc{}, false
		}
		p.ticks += uint64(v)
	}
	return p, true
}
