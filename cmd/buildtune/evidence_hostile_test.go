package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvidenceOutIsAFile: an --out naming a file (or a path through one)
// is bad input, one line naming the flag, exit 2; it failed with exit 1
// after the whole analysis ran.
func TestEvidenceOutIsAFile(t *testing.T) {
	dir := copyRun(t)
	file := writeFile(t, "notes.txt", "hello\n")
	for _, args := range [][]string{
		{"analyze", dir, "--out", file},
		{"report", dir, "--out", filepath.Join(file, "report")},
	} {
		r := runIn(t, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--out") || !strings.Contains(r.stderr, "not a folder") ||
			strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%s --out FILE: want exit 2 and one line naming --out\n%s", args[0], r)
		}
	}
}

// TestAnalyzeWarmOnly: a run with only warm trials has nothing to decide
// from: bad input (exit 2), not "some builds failed" (exit 1).
func TestAnalyzeWarmOnly(t *testing.T) {
	dir := copyRun(t)
	path := filepath.Join(dir, "records.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var warm []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if bytes.Contains(line, []byte(`"temp":"warm"`)) {
			warm = append(warm, line...)
		}
	}
	if err := os.WriteFile(path, warm, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"analyze", "recommend", "report"} {
		if r := runIn(t, cmd, dir); r.code != exitUsage || !strings.Contains(r.stderr, dir) || !strings.Contains(r.stderr, "cold") {
			t.Errorf("%s of a warm-only run: want exit 2 naming the folder\n%s", cmd, r)
		}
	}
}

// TestMergeOutIsABuild: merging into the folder of another build replaced
// its manifest.jsonl and build-summary.json, losing what it recorded.
func TestMergeOutIsABuild(t *testing.T) {
	line := `{"base_image":"b","tags":["t"],"error":null,"log_path":"l","status":"built","skip_reason":null,"attempt_count":1,` +
		`"duration_seconds":2,"build_seconds":2,"instance":"django__django-1","started_at":"2026-11-27T15:59:55Z","finished_at":"2026-11-27T15:59:57Z"}` + "\n"
	shard, other := t.TempDir(), t.TempDir()
	for _, d := range []string{shard, other} {
		if err := os.WriteFile(filepath.Join(d, "manifest.jsonl"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(other, "records.jsonl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(other, "manifest.jsonl"))
	r := runIn(t, "merge", "--out", other, shard)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--out "+other) || !strings.Contains(r.stderr, "records.jsonl") {
		t.Errorf("merge --out BUILD: want exit 2 naming --out\n%s", r)
	}
	after, _ := os.ReadFile(filepath.Join(other, "manifest.jsonl"))
	if !bytes.Equal(before, after) {
		t.Error("merge --out BUILD rewrote the build's manifest.jsonl")
	}
	if _, err := os.Stat(filepath.Join(other, "build-summary.json")); err == nil {
		t.Error("merge --out BUILD wrote a build-summary.json into the build")
	}
	// A previous merge's folder may be merged into again.
	merged := filepath.Join(t.TempDir(), "merged")
	for range 2 {
		if r := runIn(t, "merge", "--out", merged, shard); r.code != exitOK {
			t.Errorf("merge into a new or a previous merge's folder: want exit 0\n%s", r)
		}
	}
}

// TestRecommendWarnsOfTornRun: a sweep interrupted mid-write (a torn last
// line) was recommended from without a word; recommend and plan now say
// so on stderr, and --json keeps stdout one JSON object.
func TestRecommendWarnsOfTornRun(t *testing.T) {
	dir := copyRun(t)
	f, err := os.OpenFile(filepath.Join(dir, "records.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"v":1,"kind":"image","trial":23,"cell":"w4-b3-off`)
	f.Close()
	for _, args := range [][]string{{"recommend", "--json", dir}, {"plan", "--runners", "2", dir}} {
		r := runIn(t, args...)
		if r.code != exitOK || !strings.Contains(r.stderr, "warning:") || !strings.Contains(r.stderr, "torn") {
			t.Errorf("%s of a torn run: want exit 0 and a warning about the torn line on stderr\n%s", args[0], r)
		}
		if args[1] == "--json" && !json.Valid([]byte(r.stdout)) {
			t.Errorf("recommend --json: stdout is not one JSON object:\n%s", r.stdout)
		}
	}
}
