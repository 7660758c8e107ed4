package fullbuild

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
)

// TestRunOutNotWritable: a build folder the build cannot write into (its
// logs/ not a folder, or, for a user other than root, a read-only folder or
// manifest) is bad input naming --out, found before the stack is
// connected; not exit 1 ("builds failed") once the stack is up and the
// first summary or log cannot be written.
func TestRunOutNotWritable(t *testing.T) {
	plan := insts(t, "a__a-1", "a__a-2")
	// One image of two done: a resume has one to build.
	line := func(t *testing.T) []byte {
		b, err := json.Marshal(manifest.Output{Instance: "a__a-1", Status: manifest.StatusBuilt, AttemptCount: 1,
			StartedAt: time.Now(), FinishedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return append(b, '\n')
	}
	for _, tc := range []struct {
		name     string
		nonRoot  bool
		prepare  func(t *testing.T, out string)
		wantText string
	}{
		{name: "logs is a file", prepare: func(t *testing.T, out string) {
			if err := os.WriteFile(filepath.Join(out, "logs"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, wantText: "logs is not a folder"},
		{name: "read-only folder", nonRoot: true, prepare: func(t *testing.T, out string) {
			if err := os.Chmod(out, 0o555); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(out, 0o755) })
		}, wantText: "cannot write in"},
		{name: "read-only manifest", nonRoot: true, prepare: func(t *testing.T, out string) {
			if err := os.Chmod(filepath.Join(out, manifest.ManifestFile), 0o444); err != nil {
				t.Fatal(err)
			}
		}, wantText: "cannot append to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.nonRoot && os.Geteuid() == 0 {
				t.Skip("root writes into read-only folders")
			}
			out := t.TempDir()
			if err := os.WriteFile(filepath.Join(out, manifest.ManifestFile), line(t), 0o644); err != nil {
				t.Fatal(err)
			}
			tc.prepare(t, out)
			_, err := Run(context.Background(), Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out}, Workers: 1})
			if !errors.Is(err, input.ErrBad) || !strings.HasPrefix(err.Error(), "--out "+out) || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("Run: %v; want bad input naming --out %s and %q", err, out, tc.wantText)
			}
		})
	}
}
