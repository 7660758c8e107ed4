// Package progress shows long work as it happens: a live bar redrawn in
// place on a terminal, plain timestamped lines otherwise (CI logs, files).
// It is presentation only; the stages report to it through Update and Log.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Display is a progress display. It is safe for concurrent use.
type Display struct {
	mu    sync.Mutex
	w     io.Writer
	live  bool
	start time.Time
	label string
	done  int
	total int
	// base is the units done before the stage started (a resume's):
	// the rate, and so the ETA, counts only those done since.
	base     int
	status   string
	lastLine time.Time
	drawn    bool
	now      func() time.Time
}

// New returns a display writing to w; live selects the redrawn bar (pass
// true when w is a terminal).
func New(w io.Writer, live bool) *Display {
	return &Display{w: w, live: live, start: time.Now(), now: time.Now}
}

// Stage starts a new stage with a label and a total count of units.
func (d *Display) Stage(label string, total int) { d.StageFrom(label, total, 0) }

// StageFrom starts a new stage of which done units of total are done
// already (a resumed build's): it starts at done/total, and its ETA is
// from the rate of the units done since.
func (d *Display) StageFrom(label string, total, done int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clear()
	d.label, d.total, d.done, d.base, d.status = label, total, done, done, ""
	d.start = d.now()
	d.lastLine = time.Time{}
	d.draw(true)
}

// Total changes the current stage's total.
func (d *Display) Total(total int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.total = total
}

// Update sets how many units are done and a short status text.
func (d *Display) Update(done int, status string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.done, d.status = done, status
	d.draw(false)
}

// Log prints a line that stays (above the bar on a terminal).
func (d *Display) Log(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clear()
	fmt.Fprintf(d.w, format+"\n", args...)
	if d.live && d.total > 0 {
		d.draw(true)
	}
}

// Done ends the current stage.
func (d *Display) Done() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.live && d.drawn {
		fmt.Fprint(d.w, "\n")
		d.drawn = false
	}
}

// ETA estimates the time left from the rate so far.
func ETA(elapsed time.Duration, done, total int) time.Duration {
	if done <= 0 || total <= done {
		return 0
	}
	per := elapsed / time.Duration(done)
	return per * time.Duration(total-done)
}

func (d *Display) clear() {
	if d.live && d.drawn {
		fmt.Fprint(d.w, "\r\033[K")
		d.drawn = false
	}
}

func (d *Display) draw(force bool) {
	if d.total <= 0 {
		return
	}
	elapsed := d.now().Sub(d.start)
	eta := ETA(elapsed, d.done-d.base, d.total-d.base)
	if d.live {
		const width = 30
		fill := width * d.done / d.total
		bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
		fmt.Fprintf(d.w, "\r\033[K%s", strings.TrimSpace(fmt.Sprintf("%s [%s] %d/%d %s eta %s %s", d.label, bar, d.done, d.total,
			elapsed.Round(time.Second), eta.Round(time.Second), d.status)))
		d.drawn = true
		return
	}
	// Plain lines: every unit done, at most one line per 2 s unless forced
	// or finished.
	now := d.now()
	if !force && d.done < d.total && now.Sub(d.lastLine) < 2*time.Second {
		return
	}
	d.lastLine = now
	fmt.Fprintln(d.w, strings.TrimSpace(fmt.Sprintf("%s %s: %d/%d elapsed %s eta %s %s", now.Format("15:04:05"), d.label, d.done, d.total,
		elapsed.Round(time.Second), eta.Round(time.Second), d.status)))
}
