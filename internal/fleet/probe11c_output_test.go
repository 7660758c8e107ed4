package fleet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestRunRecordsNotWritable: records.jsonl that can no longer be written
// (a full disk) stops the run as an infrastructure failure naming the
// image whose record was lost. The write error was dropped by RunBatches
// (only infrastructure errors stop it): the build went on, its records
// silently lost, and the command exited 0 or 1 ("builds failed").
func TestRunRecordsNotWritable(t *testing.T) {
	_, ds := fakes(1)
	w, insts := fakeWorkload(3)
	out, err := record.Create(filepath.Join(t.TempDir(), "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	out.Close() // every write fails from now on
	var images, stopped []string
	_, err = Run(context.Background(), Options{Workload: w, Instances: insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 1, Daemons: ds, Attempts: 1, Out: out,
		OnImage: func(_, _ int, rec *record.Image) {
			if rec != nil {
				images = append(images, rec.Instance)
			}
		},
		OnStopped: func(_, _ int, rec *record.Image) {
			if rec != nil {
				stopped = append(stopped, rec.Instance)
			}
		}})
	if !IsInfra(err) || !strings.Contains(err.Error(), "recording org__repo-0") {
		t.Fatalf("run with a records file that cannot be written: %v; want an infrastructure failure naming org__repo-0", err)
	}
	if len(images) > 0 || len(stopped) != 1 || stopped[0] != "org__repo-0" {
		t.Errorf("OnImage got %q, OnStopped %q; want only org__repo-0, stopped: an image whose record was lost gets no manifest line (the resume builds or skips it)", images, stopped)
	}
}

// TestOutputError: a file under --out that cannot be written while the
// workload is prepared (the fixtures' context: a "context" that is a file,
// a full disk) is bad input naming --out, or for a full disk an
// infrastructure failure; it was taken for a registry down (exit 3: a
// syscall.Errno has net.Error's methods) whatever the cause. A file
// elsewhere, and an error of no file, are left to the other checks.
func TestOutputError(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	pathErr := func(p string, errno syscall.Errno) error {
		return fmt.Errorf("writing fixture context: %w", &fs.PathError{Op: "mkdir", Path: p, Err: errno})
	}
	for _, tc := range []struct {
		name  string
		err   error
		want  string // "bad", "infra" or "" (not the output's)
		named string
	}{
		{"context is a file", pathErr(filepath.Join(out, "context"), syscall.ENOTDIR), "bad", "--out " + out},
		{"disk full", pathErr(filepath.Join(out, "context", "Dockerfile"), syscall.ENOSPC), "infra", "no space left"},
		{"the out folder itself", pathErr(out, syscall.EACCES), "bad", "--out " + out},
		{"elsewhere", pathErr("/bin/busybox", syscall.ENOENT), "", ""},
		{"a sibling with out as prefix", pathErr(out+"2/context", syscall.ENOTDIR), "", ""},
		{"no file", errors.New("pushing fixture base images: connection refused"), "", ""},
		{"already bad input", input.Bad("--workload", pathErr(filepath.Join(out, "w.yaml"), syscall.ENOENT)), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outputError(out, tc.err)
			switch tc.want {
			case "":
				if got != nil {
					t.Errorf("outputError = %v; want nil", got)
				}
			case "bad":
				if !errors.Is(got, input.ErrBad) || IsInfra(got) || !strings.Contains(got.Error(), tc.named) {
					t.Errorf("outputError = %v; want bad input naming %q", got, tc.named)
				}
			case "infra":
				if !IsInfra(got) || errors.Is(got, input.ErrBad) || !strings.Contains(got.Error(), tc.named) {
					t.Errorf("outputError = %v; want an infrastructure failure saying %q", got, tc.named)
				}
			}
		})
	}
}
