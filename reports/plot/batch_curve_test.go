package plot

import (
	"regexp"
	"testing"
)

// TestThroughputCurveStopsAtTheBatch: a batched series never runs more
// builds at once than its batch holds, so its USL curve ends there and
// its N*, beyond the batch, is not marked; a stream series' curve runs to
// the end of the axis.
func TestThroughputCurveStopsAtTheBatch(t *testing.T) {
	batched := ThroughputSeries{Name: "cache off, single, batch 2", MaxWorkers: 2,
		Medians: []WorkerInterval{{Workers: 1, ImagesPerHour: Interval{Median: 100}}, {Workers: 2, ImagesPerHour: Interval{Median: 180}}},
		USL:     &USL{Lambda: 100, Sigma: 0.05, Kappa: 0.1}}
	stream := ThroughputSeries{Name: "cache off, single, stream",
		Medians: []WorkerInterval{{Workers: 1, ImagesPerHour: Interval{Median: 100}}, {Workers: 4, ImagesPerHour: Interval{Median: 250}}},
		USL:     &USL{Lambda: 100, Sigma: 0.05, Kappa: 0.01}}
	for _, tc := range []struct {
		s    ThroughputSeries
		want float64
	}{{batched, 2}, {stream, 6}} {
		xys := tc.s.curve(6)
		if len(xys) < 2 {
			t.Fatalf("%s: %d curve points", tc.s.Name, len(xys))
		}
		if got := xys[len(xys)-1].X; got != tc.want {
			t.Errorf("%s: curve ends at %g builds at once, want %g", tc.s.Name, got, tc.want)
		}
	}
	// The batched series' N* (about 3.1) lies beyond its batch of 2: no
	// marker; the stream series' (about 9.7) is drawn.
	ch, err := Throughput(ThroughputData{Series: []ThroughputSeries{batched, stream}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := SVG(ch, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	labels := regexp.MustCompile(`>(N\*≈[^<]*)<`).FindAllSubmatch(b, -1)
	if len(labels) != 1 || string(labels[0][1]) != "N*≈9.75" {
		var got []string
		for _, l := range labels {
			got = append(got, string(l[1]))
		}
		t.Errorf("N* labels %q, want the stream series' alone", got)
	}
}
