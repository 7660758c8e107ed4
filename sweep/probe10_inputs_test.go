package sweep

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/input"
)

// TestResumeRefusesOtherRunsRecords: a resume finds its finished trials
// by index, so the records of another run in the folder (another sweep's
// joined to these, a build's records.jsonl copied over them) passed for
// this sweep's: trials of the same index were skipped as done though this
// sweep never ran them ("nothing left to build" over a build's records),
// and the new records were appended to another run's. Each is bad input
// naming the records and both runs, before any trial runs or any record
// is written.
func TestResumeRefusesOtherRunsRecords(t *testing.T) {
	opts, first := interruptedSweep(t, 3)
	path := filepath.Join(opts.OutDir, RecordsFile)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	id := first.runs[0].Run
	if id == "" || !bytes.Contains(orig, []byte(`"run":"`+id+`"`)) {
		t.Fatalf("records do not name the run %q", id)
	}
	other := bytes.ReplaceAll(orig, []byte(`"run":"`+id+`"`), []byte(`"run":"20250101T000000Z"`))
	for _, tc := range []struct {
		name    string
		records []byte
	}{
		{"another run's records", other},
		{"another run's records joined after", append(append([]byte{}, orig...), other...)},
		{"another run's records joined before", append(append([]byte{}, other...), orig...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.records, 0o644); err != nil {
				t.Fatal(err)
			}
			r := &fakeRunner{clock: first.clock, sample: first.sample}
			ro := opts
			ro.Resume, ro.Grid = true, Grid{}
			_, err := Run(context.Background(), ro, r)
			if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "20250101T000000Z") || !strings.Contains(err.Error(), RecordsFile) {
				t.Errorf("resume: %v; want bad input naming %s and the other run", err, RecordsFile)
			}
			if len(r.indexes()) > 0 {
				t.Errorf("resume ran trials %v", r.indexes())
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, tc.records) {
				t.Errorf("resume changed the records")
			}
		})
	}
	// The sweep's own records still resume.
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	ro := opts
	ro.Resume, ro.Grid = true, Grid{}
	if _, err := Run(context.Background(), ro, &fakeRunner{clock: first.clock, sample: first.sample}); err != nil {
		t.Errorf("resume of its own records: %v", err)
	}
}

// TestCheckNewOutDirBuild: a new sweep's --out naming a build's folder
// without records (a merge's output, the real script's manifest, a shard
// that drew no instances and wrote an empty records.jsonl) was taken, and
// the sweep's run.json and records joined the build's manifest. It is bad
// input naming the build's file; an empty folder, or one with other
// files, is still a new sweep's.
func TestCheckNewOutDirBuild(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"merge", map[string]string{"manifest.jsonl": "{}\n", "build-summary.json": "{}"}, "already holds a build (manifest.jsonl)"},
		{"real script", map[string]string{"manifest.jsonl": "{}\n"}, "already holds a build (manifest.jsonl)"},
		{"empty shard", map[string]string{"manifest.jsonl": "", "records.jsonl": "", "build-summary.json": "{}"}, "already holds a build (manifest.jsonl)"},
		{"summary only", map[string]string{"build-summary.json": "{}"}, "already holds a build (build-summary.json)"},
		{"other files", map[string]string{"notes.txt": "x"}, ""},
		{"empty", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := CheckNewOutDir(dir)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%v; want it taken", err)
			case tc.want != "" && (!errors.Is(err, input.ErrBad) || !bytes.Contains([]byte(err.Error()), []byte(tc.want))):
				t.Errorf("%v; want bad input with %q", err, tc.want)
			}
		})
	}
}
