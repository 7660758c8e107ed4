package main

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/sweep"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestSweepFailuresExitOne: a sweep whose builds failed says how many, in
// how many trials, and where their errors are (exit 1, as the README
// promises for every command whose builds failed); an interrupted trial's
// failures do not count, a trial superseded by its resumed run is the
// resumed one, and a sweep without failures says nothing.
func TestSweepFailuresExitOne(t *testing.T) {
	dir := t.TempDir()
	trial := func(i, failed int, extra string) string {
		return `{"v":1,"kind":"trial","run":"r1","trial":` + strconv.Itoa(i) + `,"cell":"w1-stream-off-single","workers":1,"cache_mode":"off","strategy":"single","temp":"cold",` +
			`"start":"2026-11-28T01:00:00Z","end":"2026-11-28T01:01:00Z","wall_s":60,"images":2,"built":` + strconv.Itoa(2-failed) + `,"failed":` + strconv.Itoa(failed) + extra + `}` + "\n"
	}
	write := func(lines ...string) {
		if err := os.WriteFile(filepath.Join(dir, sweep.RecordsFile), []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(trial(0, 0, ""), trial(1, 0, ""))
	if msg := sweepFailures(dir); msg != "" {
		t.Errorf("no failures: %q", msg)
	}
	write(trial(0, 1, ""), trial(1, 2, ""), trial(2, 2, `,"interrupted":true`))
	msg := sweepFailures(dir)
	for _, want := range []string{"3 images failed to build in 2 of 2 trials", filepath.Join(dir, sweep.RecordsFile)} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	// Trial 1 resumed and built both: only trial 0's failure is left.
	write(trial(0, 1, ""), trial(1, 2, ""), trial(1, 0, ""))
	if msg := sweepFailures(dir); !strings.Contains(msg, "1 image failed to build in 1 of 2 trials") {
		t.Errorf("after a resumed trial: %q", msg)
	}
	if code := (&cli{stdout: io.Discard, stderr: io.Discard}).exit(&failedError{msg}); code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
}

// writeSweepRecords writes recs (records of package record) as dir's
// records file, replacing any there.
func writeSweepRecords(t *testing.T, dir string, recs ...any) {
	t.Helper()
	w, err := record.Create(filepath.Join(dir, sweep.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
