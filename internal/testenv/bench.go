package testenv

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchOut is the folder the proof scenarios write their summaries to:
// BUILDTUNE_BENCH_OUT, relative to the module root unless absolute; ""
// when it is not set (the summary is only logged).
func BenchOut(t testing.TB) string {
	out := os.Getenv("BUILDTUNE_BENCH_OUT")
	if out == "" || filepath.IsAbs(out) {
		return out
	}
	return filepath.Join(Root(t), out)
}

// WriteSummary logs a scenario's Markdown summary md and, with BenchOut
// set, writes it to <out>/<date>-<scenario>.md.
func WriteSummary(t testing.TB, scenario, md string) {
	t.Helper()
	t.Log("\n" + md)
	out := BenchOut(t)
	if out == "" {
		return
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, time.Now().Format("2006-01-02")+"-"+scenario+".md")
	if err := os.WriteFile(path, []byte(md+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("summary written to %s", path)
}
