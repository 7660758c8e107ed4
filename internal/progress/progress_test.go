package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestETA(t *testing.T) {
	tests := []struct {
		elapsed     time.Duration
		done, total int
		want        time.Duration
	}{
		{10 * time.Second, 1, 4, 30 * time.Second},
		{10 * time.Second, 0, 4, 0},
		{10 * time.Second, 4, 4, 0},
		{9 * time.Second, 3, 6, 9 * time.Second},
	}
	for _, tt := range tests {
		if got := ETA(tt.elapsed, tt.done, tt.total); got != tt.want {
			t.Errorf("ETA(%v, %d, %d) = %v, want %v", tt.elapsed, tt.done, tt.total, got, tt.want)
		}
	}
}

// fakeClock steps time by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d := New(&buf, false)
	d.now = clock.now
	d.Stage("build", 4)
	clock.t = clock.t.Add(time.Second)
	d.Update(1, "a built") // within 2 s of the last line: not printed
	clock.t = clock.t.Add(2 * time.Second)
	d.Update(2, "b built")
	d.Update(4, "d built") // the last one is always printed
	d.Log("note %d", 7)
	d.Done()
	out := buf.String()
	if strings.Contains(out, "\r") || strings.Contains(out, "\033[") {
		t.Errorf("plain output has terminal controls: %q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"build: 0/4", "build: 2/4 elapsed 3s eta 3s b built", "build: 4/4 elapsed 3s eta 0s d built", "note 7"}
	if len(lines) != len(want) {
		t.Fatalf("lines %q, want %d", lines, len(want))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
		}
	}
}

func TestLiveBar(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, true)
	d.Stage("sweep", 2)
	d.Update(1, "half")
	d.Log("kept line")
	d.Update(2, "all")
	d.Done()
	out := buf.String()
	if !strings.Contains(out, "\r\033[K") || !strings.Contains(out, "[===============               ] 1/2") {
		t.Errorf("no redrawn bar: %q", out)
	}
	if !strings.Contains(out, "\r\033[Kkept line\n") {
		t.Errorf("log line not printed above the bar: %q", out)
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("Done does not end the bar's line: %q", out)
	}
}

// TestStageFrom: a resumed build's stage starts at the images done before
// it (it printed 0/5 and then jumped to 4/5), and its ETA is from the rate
// of this run's images only: 3 of 5 done before, 1 done in 10 s, 1 left:
// 10 s, not 2.5 s.
func TestStageFrom(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d := New(&buf, false)
	d.now = clock.now
	d.StageFrom("build", 5, 3)
	clock.t = clock.t.Add(10 * time.Second)
	d.Update(4, "d built")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"build: 3/5", "build: 4/5 elapsed 10s eta 10s d built"}
	if len(lines) != len(want) {
		t.Fatalf("lines %q, want %d", lines, len(want))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
		}
	}
}
