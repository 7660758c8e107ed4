package reports

import "testing"

// TestThroughputSeriesCappedByBatch: the throughput chart's batched
// series carry their batch size, where their USL curve stops (no worker
// count runs more builds at once than a batch holds).
func TestThroughputSeriesCappedByBatch(t *testing.T) {
	a := editedRun(t, func(l []byte) [][]byte { return [][]byte{l} })
	d := throughputChart(a)
	if len(d.Series) == 0 {
		t.Fatal("no series")
	}
	for _, s := range d.Series {
		if s.MaxWorkers != 3 {
			t.Errorf("series %q: max workers %d, want the batch, 3", s.Name, s.MaxWorkers)
		}
	}
}
