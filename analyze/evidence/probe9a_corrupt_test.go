package evidence

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/input"
)

// editRecords rewrites the records of dir's records.jsonl whose kind is
// kind with edit.
func editRecords(t *testing.T, dir, kind string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, RecordsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m["kind"] == kind {
			edit(m)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(append(b, '\n'))
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadRefusesCorruptKnobsAndPhases: a record whose knobs no flag
// could give (workers 0, a negative batch, an unknown cache mode or
// strategy), an image phase longer than its whole trial, or more cached
// steps than steps is a corrupted record: bad input naming the records
// file and the key, not an analysis that printed a median exec of
// 1.39e+296h, a cached-step share of 1250%, or a report that failed
// naming no file.
func TestLoadRefusesCorruptKnobsAndPhases(t *testing.T) {
	first := func(m map[string]any) bool { r, _ := m["trial"].(float64); return r == 1 }
	for _, tt := range []struct {
		name, kind, want string
		edit             func(map[string]any)
	}{
		{"workers 0", "trial", "has workers 0", func(m map[string]any) { m["workers"] = 0 }},
		{"batch -2", "trial", "has batch -2", func(m map[string]any) { m["batch"] = -2 }},
		{"cache weird", "trial", `cache_mode "weird"`, func(m map[string]any) { m["cache_mode"] = "weird" }},
		{"strategy", "trial", `strategy "five-phase"`, func(m map[string]any) { m["strategy"] = "five-phase" }},
		{"exec 1e300", "image", "has exec_s 1e+300, longer than its trial's", func(m map[string]any) {
			if first(m) {
				m["exec_s"] = 1e300
			}
		}},
		{"layer push", "image", "has layer_push_s 1e+06", func(m map[string]any) {
			if first(m) {
				m["layer_push_s"] = 1e6
			}
		}},
		{"cached steps", "image", "cached_steps 50 of total_steps 4", func(m map[string]any) { m["cached_steps"], m["total_steps"] = 50, 4 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRun(t, dir, conditionCells("")[:2], instances, 0.004, nil, false)
			editRecords(t, dir, tt.kind, tt.edit)
			_, err := Load(dir)
			if err == nil || !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), RecordsFile) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: %v; want bad input naming %s and %q", err, RecordsFile, tt.want)
			}
		})
	}
	// The unedited run loads.
	dir := t.TempDir()
	writeRun(t, dir, conditionCells("")[:2], instances, 0.004, nil, false)
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
}
