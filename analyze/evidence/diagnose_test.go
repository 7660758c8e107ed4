package evidence

import (
	"strings"
	"testing"
)

func TestPushQueueing(t *testing.T) {
	cell := func(w int, reg string, iph, push, wall, bytesPerImage float64) *Cell {
		c := &Cell{Config: Config{Workers: w, Batch: 0, CacheMode: "off", Strategy: "single", Registry: reg}, N: 3, Images: 24,
			ImagesPerHour: Summary{Median: iph}, ImageWall: Summary{Median: wall}, Phases: Phases{LayerPush: push},
			BytesPushedPerImage: bytesPerImage}
		c.Name = c.Config.Name()
		return c
	}
	const mib = 1 << 20
	tests := []struct {
		name  string
		cells []*Cell
		want  []string // substrings of the one line; nil: no line
	}{
		{name: "round trips on a capped link", cells: []*Cell{cell(4, "16MiB/s", 1000, 1.0, 4, 10*mib), cell(8, "16MiB/s", 1100, 2.1, 6, 10*mib)},
			want: []string{"2x the builds at once gave 1.10x the images/hour", "1.00s to 2.10s", "19% full on average", "maxRegistryConcurrency", "--registry-concurrency 16"}},
		{name: "a full link", cells: []*Cell{cell(4, "16MiB/s", 1000, 1.0, 4, 50*mib), cell(8, "16MiB/s", 1100, 2.1, 6, 50*mib)},
			want: []string{"was 95% full: the bandwidth is the limit"}},
		{name: "no cap: the rate, and both readings", cells: []*Cell{cell(2, "", 1000, 1.0, 4, 10*mib), cell(4, "", 1050, 2.0, 6, 10*mib)},
			want: []string{"were pushed on average", "maxRegistryConcurrency"}},
		{name: "workers that scale", cells: []*Cell{cell(4, "16MiB/s", 1000, 1.0, 4, 10*mib), cell(8, "16MiB/s", 1900, 2.1, 6, 10*mib)}},
		{name: "pushes that did not grow", cells: []*Cell{cell(4, "16MiB/s", 1000, 1.0, 4, 10*mib), cell(8, "16MiB/s", 1050, 1.2, 6, 10*mib)}},
		{name: "pushes a small share of the wall", cells: []*Cell{cell(4, "", 1000, 0.2, 4, 10*mib), cell(8, "", 1050, 0.5, 6, 10*mib)}},
		{name: "one worker count", cells: []*Cell{cell(4, "", 1000, 1.0, 4, 10*mib)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pushQueueing(tt.cells)
			if tt.want == nil {
				if len(got) != 0 {
					t.Errorf("diagnosed %q, want nothing", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("diagnoses %q, want one", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("diagnosis %q lacks %q", got[0], w)
				}
			}
		})
	}
}

// TestPushQueueingGroups: only cells that differ in workers alone are
// compared, neighbours in worker count, by the builds they ran at once.
func TestPushQueueingGroups(t *testing.T) {
	mk := func(w int, cache string, iph, push float64) *Cell {
		c := &Cell{Config: Config{Workers: w, CacheMode: cache, Strategy: "single"}, N: 3, Images: 24,
			ImagesPerHour: Summary{Median: iph}, ImageWall: Summary{Median: 5}, Phases: Phases{LayerPush: push}, BytesPushedPerImage: 1 << 20}
		c.Name = c.Config.Name()
		return c
	}
	// cache off: 2 -> 4 scales, 4 -> 8 queues; cache max at 8 pushes
	// longer but is another group.
	got := pushQueueing([]*Cell{mk(8, "off", 1100, 2.4), mk(2, "off", 500, 1.0), mk(4, "off", 950, 1.1), mk(8, "max", 700, 4)})
	if len(got) != 1 || !strings.HasPrefix(got[0], mk(4, "off", 0, 0).Name+" -> "+mk(8, "off", 0, 0).Name) {
		t.Errorf("diagnoses %q, want the one of w4 -> w8 with cache off", got)
	}
	// A batch of 3 caps both at 3 builds at once: 4 -> 8 workers adds
	// none, so nothing queued on account of them.
	b3 := func(w int, iph, push float64) *Cell {
		c := mk(w, "off", iph, push)
		c.Config.Batch = 3
		c.Name = c.Config.Name()
		return c
	}
	if got := pushQueueing([]*Cell{b3(4, 1000, 1.0), b3(8, 1000, 2.0)}); len(got) != 0 {
		t.Errorf("batch 3 at 4 and 8 workers: diagnosed %q, want nothing", got)
	}
}
