package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// userHZ is the kernel's clock tick of /proc/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// CPUTimes is the host's aggregate "cpu" line of /proc/stat, in ticks.
type CPUTimes struct {
	Busy, Total uint64
}

// ParseProcStat reads the aggregate cpu line of /proc/stat's content:
// busy is every field but idle and iowait (guest time is already in user).
func ParseProcStat(data []byte) (CPUTimes, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[0] != "cpu" {
			continue
		}
		var t CPUTimes
		for i, s := range f[1:] {
			if i >= 8 { // guest, guest_nice are counted in user, nice
				break
			}
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return CPUTimes{}, fmt.Errorf("/proc/stat cpu field %d %q: %w", i+1, s, err)
			}
			t.Total += v
			if i != 3 && i != 4 { // idle, iowait
				t.Busy += v
			}
		}
		return t, nil
	}
	return CPUTimes{}, fmt.Errorf("/proc/stat: no aggregate cpu line")
}

// ReadCPU reads /proc/stat.
func ReadCPU() (CPUTimes, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPUTimes{}, fmt.Errorf("reading /proc/stat: %w", err)
	}
	return ParseProcStat(data)
}

// CPUUse is the host CPU over a stretch of time.
type CPUUse struct {
	// Cores is the number of CPUs; BusyFraction the share of all cores'
	// time that was busy (0-1); BusySeconds the CPU-seconds spent busy.
	Cores        int     `json:"cores"`
	BusyFraction float64 `json:"busy_fraction"`
	BusySeconds  float64 `json:"busy_cpu_s"`
	// Saturated is the share of samples (every Interval) with the cores
	// at least 90% busy.
	Saturated float64 `json:"saturated_fraction"`
	Samples   int     `json:"samples"`
}

// CPUSampler samples /proc/stat until stopped. Everything on the host
// counts, the daemons and registries as much as other processes: run on a
// quiet machine.
type CPUSampler struct {
	start    CPUTimes
	cancel   context.CancelFunc
	done     chan struct{}
	mu       sync.Mutex
	samples  int
	saturate int
	err      error
	bytes    func() (up, down int64)
	series   []Sample
}

// Sample is one reading of the sampler: the host's cumulative CPU ticks
// and, with a byte counter, the cumulative bytes up and down the link.
type Sample struct {
	Time     time.Time
	CPU      CPUTimes
	Up, Down int64
}

// StartCPU starts sampling every interval (500 ms if <= 0).
func StartCPU(interval time.Duration) (*CPUSampler, error) {
	return StartSampler(interval, nil)
}

// StartSampler is StartCPU that also reads bytes (a registry proxy's
// cumulative counters) at each sample, for Window.
func StartSampler(interval time.Duration, bytes func() (up, down int64)) (*CPUSampler, error) {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	t0, err := ReadCPU()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &CPUSampler{start: t0, cancel: cancel, done: make(chan struct{}), bytes: bytes}
	s.series = append(s.series, s.sample(time.Now(), t0))
	go func() {
		defer close(s.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		prev := t0
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			cur, err := ReadCPU()
			now := time.Now()
			s.mu.Lock()
			if err != nil {
				s.err = err
				s.mu.Unlock()
				return
			}
			s.series = append(s.series, s.sample(now, cur))
			if d := cur.Total - prev.Total; d > 0 {
				s.samples++
				if float64(cur.Busy-prev.Busy)/float64(d) >= 0.9 {
					s.saturate++
				}
			}
			s.mu.Unlock()
			prev = cur
		}
	}()
	return s, nil
}

func (s *CPUSampler) sample(t time.Time, c CPUTimes) Sample {
	x := Sample{Time: t, CPU: c}
	if s.bytes != nil {
		x.Up, x.Down = s.bytes()
	}
	return x
}

// Use is the host CPU and link over a window of a run.
type Use struct {
	Seconds float64 `json:"seconds"`
	// CPUBusy is the share of all cores' time that was busy (0-1).
	CPUBusy float64 `json:"cpu_busy_fraction"`
	// Up and Down are the bytes through the link each way.
	Up   int64 `json:"bytes_up"`
	Down int64 `json:"bytes_down"`
}

// LinkBusy is the busier direction's bytes over what a link of bps bytes
// per second could carry in the window (0 without a cap).
func (u Use) LinkBusy(bps int64) float64 {
	if bps <= 0 || u.Seconds <= 0 {
		return 0
	}
	return float64(max(u.Up, u.Down)) / (float64(bps) * u.Seconds)
}

// Window returns the use between the samples nearest to from and to
// (after Stop, or while running). ok is false when the window holds fewer
// than two distinct samples.
func (s *CPUSampler) Window(from, to time.Time) (u Use, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return window(s.series, from, to)
}

func window(series []Sample, from, to time.Time) (Use, bool) {
	nearest := func(t time.Time) int {
		best := -1
		for i, x := range series {
			if best < 0 || absDur(x.Time.Sub(t)) < absDur(series[best].Time.Sub(t)) {
				best = i
			}
		}
		return best
	}
	i, j := nearest(from), nearest(to)
	if i < 0 || j <= i {
		return Use{}, false
	}
	a, b := series[i], series[j]
	u := Use{Seconds: b.Time.Sub(a.Time).Seconds(), Up: b.Up - a.Up, Down: b.Down - a.Down}
	if d := b.CPU.Total - a.CPU.Total; d > 0 {
		u.CPUBusy = float64(b.CPU.Busy-a.CPU.Busy) / float64(d)
	}
	return u, true
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// Stop ends sampling and returns the use since StartCPU.
func (s *CPUSampler) Stop() (CPUUse, error) {
	s.cancel()
	<-s.done
	end, err := ReadCPU()
	if err != nil {
		return CPUUse{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.series = append(s.series, s.sample(time.Now(), end))
	u := CPUUse{Cores: runtime.NumCPU(), Samples: s.samples}
	if d := end.Total - s.start.Total; d > 0 {
		u.BusyFraction = float64(end.Busy-s.start.Busy) / float64(d)
	}
	u.BusySeconds = float64(end.Busy-s.start.Busy) / userHZ
	if s.samples > 0 {
		u.Saturated = float64(s.saturate) / float64(s.samples)
	}
	return u, s.err
}
