package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchImage is a fully populated image record, as a sweep writes one.
func benchImage(i int) *Image {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	id := fmt.Sprintf("django__django-%05d", i)
	return &Image{Run: "20261126T120000Z", Trial: i / 100, Instance: id, Phase: "single",
		Tag:    "127.0.0.1:5000/u1-abc/openhands/eval-agent-server:0123456-sweb.eval.x86_64.django_1776_django-" + id + "-source-minimal",
		Status: StatusBuilt, Attempts: 1, BatchIndex: i % 7, PoolWaitSeconds: 0.25,
		Config: Config{Cell: "w4-b15-max-single", Workers: 4, Batch: 15, CacheMode: "max", Strategy: "single", Profile: "default",
			Registry: "bw=20MiB/s", Daemons: 1, Temp: "cold", Rep: 3, BuildKitVersion: "v0.34.2", Host: "bench"},
		Cost: Cost{ID: id, Start: t0, End: t0.Add(2 * time.Second), WallSeconds: 2.01, QueueSeconds: 0.02, ExecSeconds: 1.4,
			StepSeconds: 1.6, ImageExportSeconds: 0.3, LayerPushSeconds: 0.2, CacheImportSeconds: 0.05, CacheExportSeconds: 0.14,
			CachedSteps: 12, TotalSteps: 15, ImageBytes: 15 << 20, Digest: "sha256:" + fmt.Sprintf("%064x", i)}}
}

// BenchmarkWriterImage appends one image record with record.Writer to a
// file in a temporary folder: encode, append, fsync. Target: under 10 ms
// per record, i.e. under 1% of the seconds-long build it records; the
// fsync dominates and depends on the disk, which is why every record is
// synced only once.
func BenchmarkWriterImage(b *testing.B) {
	w, err := Create(filepath.Join(b.TempDir(), "records.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	im := benchImage(1)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(im); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeImage is the encoding part of a write alone: json of one
// image record. Target: under 20 µs and 10 allocations per record.
func BenchmarkEncodeImage(b *testing.B) {
	im := benchImage(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(im); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead100k reads 100k records (99k images, 1k trials) from a
// buffer generated once. Target: under 3 s per op (a 100k-record file is
// a sweep far bigger than any real one; `buildtune report` reading it in
// a few seconds goes unnoticed), and allocations linear in the records.
func BenchmarkRead100k(b *testing.B) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range 100_000 {
		if i%100 == 99 {
			t := &Trial{V: Version, Kind: KindTrial, Trial: i / 100, Images: 99, Built: 99, WallSeconds: 60, ImagesPerHour: 5940}
			if err := enc.Encode(t); err != nil {
				b.Fatal(err)
			}
			continue
		}
		im := benchImage(i)
		im.V, im.Kind = Version, KindImage
		if err := enc.Encode(im); err != nil {
			b.Fatal(err)
		}
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		set, err := Read(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if len(set.Images)+len(set.Trials) != 100_000 {
			b.Fatalf("read %d images and %d trials, want 100000 records", len(set.Images), len(set.Trials))
		}
	}
}
