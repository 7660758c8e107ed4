package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)

func str(s string) *string { return &s }

func built(id string, buildSec float64) Output {
	return Output{
		BaseImage: "docker.io/swebench/sweb.eval.x86_64." + id + ":latest", Tags: []string{"ghcr.io/x:" + id},
		LogPath: "logs/" + id + ".log", Status: StatusBuilt, AttemptCount: 1,
		StartedAt: t0, FinishedAt: t0.Add(time.Duration(buildSec) * time.Second),
		DurationSeconds: buildSec, BuildSeconds: buildSec, Instance: id,
	}
}

func skipped(id string) Output {
	o := built(id, 0)
	o.Status, o.SkipReason = StatusSkipped, str("remote_image_exists")
	return o
}

func failed(id, msg string) Output {
	o := built(id, 0)
	o.Status, o.Error, o.Tags = StatusFailed, str(msg), nil
	return o
}

func TestMarshalLine(t *testing.T) {
	o := built("django__django-11099", 12.5)
	o.StartedAt = t0.Add(1500 * time.Microsecond)
	o.Shard = "1/3"
	line, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"base_image":"docker.io/swebench/sweb.eval.x86_64.django__django-11099:latest",` +
		`"tags":["ghcr.io/x:django__django-11099"],"error":null,"log_path":"logs/django__django-11099.log",` +
		`"status":"built","skip_reason":null,"attempt_count":1,"duration_seconds":12.5,` +
		`"remote_check_seconds":0,"build_seconds":12.5,"post_build_seconds":0,"sdk_cache_import_seconds":0,` +
		`"sdk_cache_import_miss_count":0,"sdk_cache_export_seconds":0,"sdk_image_export_seconds":0,` +
		`"sdk_push_layers_seconds":0,"sdk_export_manifest_seconds":0,"sdk_cached_step_count":0,` +
		`"instance":"django__django-11099","shard":"1/3",` +
		`"started_at":"2026-03-13T00:00:00.001500Z","finished_at":"2026-03-13T00:00:12.000000Z"}`
	if string(line) != want {
		t.Errorf("line\n got %s\nwant %s", line, want)
	}
	line, _ = json.Marshal(failed("a", "boom"))
	if !bytes.Contains(line, []byte(`"tags":[],"error":"boom"`)) {
		t.Errorf("failed line %s: want empty tags and the error", line)
	}
	line, _ = json.Marshal(Output{Instance: "a", Status: StatusBuilt})
	if !bytes.Contains(line, []byte(`"started_at":null,"finished_at":null`)) {
		t.Errorf("zero times %s: want null", line)
	}
}

func writeAll(t *testing.T, path string, outs ...Output) {
	t.Helper()
	w, _, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripAndGrep(t *testing.T) {
	path := filepath.Join(t.TempDir(), ManifestFile)
	outs := []Output{built("a", 10), skipped("b"), failed("c", "exit 1"), built("d", 20), built("e", 30)}
	outs[0].SDKCacheImportMissCount, outs[0].SDKPushLayersSeconds, outs[0].SkipReason = 1, 2.25, nil
	outs[2].Tags = []string{}
	writeAll(t, path, outs...)
	got, torn, err := Read(path)
	if err != nil || torn {
		t.Fatalf("Read: torn=%v err=%v", torn, err)
	}
	if !reflect.DeepEqual(got, outs) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, outs)
	}
	data, _ := os.ReadFile(path)
	// The real workflow's grep: built and skipped lines carry error null.
	if n := bytes.Count(data, []byte(`"error":null`)); n != 4 {
		t.Errorf(`"error":null on %d lines, want 4 (3 built + 1 skipped)`, n)
	}
	if n := bytes.Count(data, []byte(`"status":"built"`)); n != 3 {
		t.Errorf(`"status":"built" on %d lines, want 3`, n)
	}
}

func TestReadRealScriptLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), ManifestFile)
	lines := `{"time":"2026-03-13T00:00:32.1+00:00","base_image":"b","tags":["t"],"error":null,"log_path":null,"status":"skipped_remote_exists","skip_reason":"remote_image_exists","attempt_count":1,"started_at":"2026-03-13T00:00:31+00:00","finished_at":"2026-03-13T00:00:32.5+00:00","build_seconds":null,"sdk_build_context_seconds":2.0}
{"time":"2026-03-13T00:00:00+00:00","base_image":"old-ok","tags":["t"],"error":null,"log_path":"l"}
{"time":"2026-03-13T00:00:00+00:00","base_image":"old-bad","tags":[],"error":"Exception('x')","log_path":null}
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("read %d lines, want 3", len(got))
	}
	if got[0].Status != StatusSkipped || got[0].Key() != "b" || *got[0].SkipReason != "remote_image_exists" ||
		!got[0].StartedAt.Equal(t0.Add(31*time.Second)) || !got[0].FinishedAt.Equal(t0.Add(32500*time.Millisecond)) {
		t.Errorf("skipped line: %+v", got[0])
	}
	if got[1].Status != StatusBuilt || got[2].Status != StatusFailed {
		t.Errorf("statuses inferred %q, %q; want built, failed", got[1].Status, got[2].Status)
	}
}

func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ManifestFile)
	writeAll(t, path, built("a", 1), built("b", 2))
	partial := `{"base_image":"c","ta`
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(partial)
	f.Close()

	got, torn, err := Read(path)
	if err != nil || !torn || len(got) != 2 {
		t.Fatalf("torn read: %d lines torn=%v err=%v; want 2, true, nil", len(got), torn, err)
	}
	w, cut, err := Create(path)
	if err != nil || cut != int64(len(partial)) {
		t.Fatalf("Create cut %d err=%v; want %d", cut, err, len(partial))
	}
	if err := w.Write(built("c", 3)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, torn, err = Read(path)
	if err != nil || torn || len(got) != 3 || got[2].Instance != "c" {
		t.Fatalf("after repair: %d lines torn=%v err=%v", len(got), torn, err)
	}

	// A complete line missing only its newline is kept.
	data, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.TrimSuffix(data, []byte("\n")), 0o644)
	if got, torn, _ := Read(path); torn || len(got) != 3 {
		t.Fatalf("unterminated complete line: %d lines torn=%v; want 3, false", len(got), torn)
	}
	w, cut, err = Create(path)
	if err != nil || cut != 0 {
		t.Fatalf("Create on unterminated complete line: cut %d err=%v; want 0", cut, err)
	}
	w.Write(built("d", 4))
	w.Close()
	if got, _, err := Read(path); err != nil || len(got) != 4 {
		t.Fatalf("after terminating: %d lines err=%v; want 4", len(got), err)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	good, _ := json.Marshal(built("a", 1))
	for _, tc := range []struct {
		name, content, want string
	}{
		{"malformed middle", string(good) + "\n{oops\n" + string(good) + "\n", ":2: "},
		{"malformed terminated last", string(good) + "\n{oops\n", ":2: "},
		{"unknown status", string(good) + "\n" + `{"instance":"x","status":"done"}` + "\n", `:2: output "x": unknown status "done"`},
		{"built with error", `{"instance":"x","status":"built","error":"e"}` + "\n", `:1: output "x": status built with an error`},
		{"failed without error", `{"instance":"x","status":"failed","error":null}`, `:1: output "x": status failed without an error`},
		{"bad time", `{"instance":"x","status":"built","started_at":"yesterday"}` + "\n", ":1: started_at: "},
		// Lines of another shape named Go's types ("cannot unmarshal array
		// into Go value of type struct { *manifest.plain; ... }").
		{"array line", string(good) + "\n[1]\n" + string(good) + "\n", ":2: a JSON array, not an object; want one JSON object per line"},
		{"string line", `"built"` + "\n", ":1: a JSON string, not an object"},
		{"number field", `{"instance":"x","status":"built","attempt_count":"two"}` + "\n", ":1: attempt_count: a JSON string, want a number"},
		{"list field", `{"instance":"x","status":"built","tags":"r/x:1"}` + "\n", ":1: tags: a JSON string, want a list"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".jsonl")
		os.WriteFile(path, []byte(tc.content), 0o644)
		_, _, err := Read(path)
		if err == nil || !strings.Contains(err.Error(), path+tc.want) {
			t.Errorf("%s: err %v, want it to contain %q", tc.name, err, path+tc.want)
		}
	}
	if _, _, err := Read(filepath.Join(dir, "none.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

func TestWriteRejects(t *testing.T) {
	w, _, err := Create(filepath.Join(t.TempDir(), ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	bad := []Output{
		{Instance: "a", Status: "ok"},
		{Instance: "a", Status: StatusFailed},
		{Instance: "a", Status: StatusSkipped, Error: str("x")},
		{Status: StatusBuilt},
	}
	for _, o := range bad {
		if err := w.Write(o); err == nil {
			t.Errorf("Write(%+v) accepted", o)
		}
	}
}

func TestConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), ManifestFile)
	w, _, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if err := w.Write(built(fmt.Sprintf("r__%d-%d", g, i), float64(i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	w.Close()
	got, torn, err := Read(path)
	if err != nil || torn || len(got) != 200 || len(Latest(got)) != 200 {
		t.Fatalf("concurrent: %d lines torn=%v err=%v; want 200 distinct", len(got), torn, err)
	}
}

func TestLatest(t *testing.T) {
	a1, b, a2 := failed("a", "x"), built("b", 1), built("a", 2)
	noInst := built("", 3)
	noInst.BaseImage = "base-z"
	got := Latest([]Output{a1, b, noInst, a2, noInst})
	want := []Output{b, a2, noInst}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Latest = %+v, want %+v", got, want)
	}
}
