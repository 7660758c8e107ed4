package record

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sample() (Image, Trial, Event) {
	ts := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cfg := Config{Cell: "w2-b4-min-single", Workers: 2, Batch: 4, CacheMode: "min", Strategy: "single", Temp: "cold", Rep: 1}
	img := Image{Trial: 3, Config: cfg, Instance: "django__django-11099", Phase: "image", Status: StatusBuilt, Attempts: 1,
		Cost: Cost{ID: "django__django-11099", Start: ts, End: ts.Add(2 * time.Second), WallSeconds: 2, ExecSeconds: 1.25,
			CachedSteps: 3, TotalSteps: 9, ImageBytes: 1 << 20, Digest: "sha256:00"}}
	tr := Trial{Trial: 3, Config: cfg, Start: ts, End: ts.Add(time.Minute), WallSeconds: 60, Images: 4, Built: 4, ImagesPerHour: 240}
	ev := Event{Trial: 3, Time: ts, Type: "prune", Seconds: 1.5, Bytes: 42}
	return img, tr, ev
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records.jsonl")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	img, tr, ev := sample()
	for _, r := range []any{&img, &tr, &ev} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	set, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Images) != 1 || len(set.Trials) != 1 || len(set.Events) != 1 || set.Torn {
		t.Fatalf("read %d/%d/%d torn=%v", len(set.Images), len(set.Trials), len(set.Events), set.Torn)
	}
	if !reflect.DeepEqual(set.Images[0], img) {
		t.Errorf("image: got %+v\nwant %+v", set.Images[0], img)
	}
	if !reflect.DeepEqual(set.Trials[0], tr) {
		t.Errorf("trial: got %+v\nwant %+v", set.Trials[0], tr)
	}
	if !reflect.DeepEqual(set.Events[0], ev) {
		t.Errorf("event: got %+v\nwant %+v", set.Events[0], ev)
	}
}

// TestTornTail: a crash mid-write leaves a partial last line; reading
// tolerates it and reopening for append cuts it, keeping every whole record.
func TestTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records.jsonl")
	w, _ := Create(path)
	img, tr, _ := sample()
	w.Write(&img)
	w.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"v":1,"kind":"trial","trial":3,"wor`)
	f.Close()
	set, err := ReadFile(path)
	if err != nil || !set.Torn || len(set.Images) != 1 {
		t.Fatalf("torn read: err=%v torn=%v images=%d", err, set != nil && set.Torn, len(set.Images))
	}
	w, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(&tr)
	w.Close()
	set, err = ReadFile(path)
	if err != nil || set.Torn || len(set.Images) != 1 || len(set.Trials) != 1 {
		t.Fatalf("after repair: err=%v torn=%v images=%d trials=%d", err, set.Torn, len(set.Images), len(set.Trials))
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad middle line", "{\"v\":1,\"kind\":\"event\"}\nnot json\n{\"v\":1,\"kind\":\"event\"}\n", "line 2"},
		{"newer version", "{\"v\":99,\"kind\":\"image\"}\n", "version 99"},
		{"unknown kind", "{\"v\":1,\"kind\":\"banana\"}\n", "unknown record kind"},
		{"wrong type", "{\"v\":1,\"kind\":\"trial\",\"workers\":\"two\"}\n", "trial record"},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
}

func TestWriteRejectsOtherTypes(t *testing.T) {
	w, _ := Create(filepath.Join(t.TempDir(), "r.jsonl"))
	defer w.Close()
	if err := w.Write(42); err == nil {
		t.Error("writing an int succeeded")
	}
}

// FuzzRead: any input either parses or gives an error; never panics, and
// what parses re-encodes to records that parse the same.
func FuzzRead(f *testing.F) {
	img, tr, ev := sample()
	var buf bytes.Buffer
	w := &Writer{}
	_ = w
	for _, r := range []any{&img, &tr, &ev} {
		path := filepath.Join(f.TempDir(), "seed.jsonl")
		ww, _ := Create(path)
		ww.Write(r)
		ww.Close()
		b, _ := os.ReadFile(path)
		buf.Write(b)
		f.Add(b)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()-7])
	f.Add([]byte("{\"v\":1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "r.jsonl")
		ww, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range set.Images {
			ww.Write(&set.Images[i])
		}
		for i := range set.Trials {
			ww.Write(&set.Trials[i])
		}
		for i := range set.Events {
			ww.Write(&set.Events[i])
		}
		ww.Close()
		again, err := ReadFile(path)
		if err != nil {
			t.Fatalf("re-reading written records: %v", err)
		}
		if len(again.Images) != len(set.Images) || len(again.Trials) != len(set.Trials) || len(again.Events) != len(set.Events) {
			t.Fatalf("counts changed on round trip")
		}
	})
}

// TestReadRefusesNegativeNumbers: a negative duration, count or byte
// total is a corrupt record, refused with the field's name.
func TestReadRefusesNegativeNumbers(t *testing.T) {
	for _, line := range []string{
		`{"v":1,"kind":"trial","trial":1,"workers":2,"batch":2,"cache_mode":"off","wall_s":10,"images":2,"built":2,"images_per_hour":-5}`,
		`{"v":1,"kind":"image","trial":1,"workers":2,"batch":2,"cache_mode":"off","instance":"a__b-1","phase":"single","status":"built","wall_s":-1}`,
		`{"v":1,"kind":"trial","trial":-3,"workers":2,"batch":2,"cache_mode":"off","wall_s":10}`,
	} {
		_, err := Read(strings.NewReader(line + "\n"))
		if err == nil || !strings.Contains(err.Error(), "want a number >= 0") {
			t.Errorf("Read(%s) = %v, want a refusal naming the field", line, err)
		}
	}
	ok := `{"v":1,"kind":"trial","trial":1,"workers":2,"batch":2,"cache_mode":"off","wall_s":10,"images":2,"built":2,"images_per_hour":720}`
	if _, err := Read(strings.NewReader(ok + "\n")); err != nil {
		t.Errorf("a sound trial record refused: %v", err)
	}
}

// TestRemoteCheckSecondsCompatible: remote_check_s is optional. A record
// written before it existed reads as 0, a record without a check writes no
// key (the line an older buildtune wrote), a check round-trips, and a
// negative one is refused by name.
func TestRemoteCheckSecondsCompatible(t *testing.T) {
	old := `{"v":1,"kind":"image","trial":1,"workers":2,"batch":0,"cache_mode":"off","instance":"a__b-1","phase":"single","status":"built","pool_wait_s":0.5,"wall_s":3}`
	set, err := Read(strings.NewReader(old + "\n"))
	if err != nil || len(set.Images) != 1 || set.Images[0].RemoteCheckSeconds != 0 || set.Images[0].PoolWaitSeconds != 0.5 {
		t.Fatalf("old record: %v %+v", err, set)
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(&Image{Instance: "a__b-1", Status: StatusBuilt})
	w.Write(&Image{Instance: "a__b-2", Status: StatusSkipped, RemoteCheckSeconds: 0.25})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || strings.Contains(lines[0], "remote_check_s") || !strings.Contains(lines[1], `"remote_check_s":0.25`) {
		t.Fatalf("written:\n%s\nwant no remote_check_s without a check, 0.25 with one", data)
	}
	set, err = ReadFile(path)
	if err != nil || len(set.Images) != 2 || set.Images[1].RemoteCheckSeconds != 0.25 {
		t.Fatalf("round trip: %v %+v", err, set)
	}
	bad := strings.Replace(old, `"pool_wait_s":0.5`, `"pool_wait_s":0.5,"remote_check_s":-1`, 1)
	if _, err := Read(strings.NewReader(bad + "\n")); err == nil || !strings.Contains(err.Error(), "remote_check_s") {
		t.Errorf("negative remote_check_s: %v, want a refusal naming it", err)
	}
}
