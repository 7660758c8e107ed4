package fullbuild

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
)

// folderState is a build folder as a SIGKILL at one moment leaves it: its
// folders and every file's bytes.
type folderState struct {
	dirs  map[string]bool
	files map[string][]byte
}

func snapshot(t *testing.T, dir string) folderState {
	t.Helper()
	s := folderState{dirs: map[string]bool{}, files: map[string][]byte{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			s.dirs[p] = true
			return nil
		}
		b, err := os.ReadFile(p)
		s.files[p] = b
		return err
	})
	if err != nil {
		t.Fatalf("snapshot of %s: %v", dir, err)
	}
	return s
}

// restore puts dir back as s: what was written since (the end of a run
// that a SIGKILL would not have let run) is removed or rewritten.
func (s folderState) restore(t *testing.T, dir string) {
	t.Helper()
	var now []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		now = append(now, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(now))) // children first
	for _, p := range now {
		if !s.dirs[p] && s.files[p] == nil {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	for p := range s.dirs {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, b := range s.files {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := snapshot(t, dir); !reflect.DeepEqual(got, s) {
		t.Fatalf("%s is not as the kill left it after the restore", dir)
	}
}

// killedRun is what a test measures of one run: its building time (the
// set-up the run's first summary reports, then from OnStart to the end of
// its last image), and its Result.
type killedRun struct {
	building time.Duration
	// startTotal counts the images of the run's first summary.
	startTotal int
	res        *Result
}

// TestResumeAfterKillKeepsWall: a build killed (SIGKILL: the folder as it
// was at that moment, no final summary) before its first image, resumed
// and killed again after its first image, then resumed to its end: the
// final summary's wall is at least every run's building time measured
// here (each earlier run's as its last summary update left it), and
// images_per_hour is the built images over that wall. Without the summary
// kept up to date as images finish, the killed runs' building would be
// lost and the throughput inflated.
func TestResumeAfterKillKeepsWall(t *testing.T) {
	testenv.Buildkitd(t)
	s := testenv.Stack(t, stack.Config{})
	all, err := fixtures.Instances()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := fixtures.Sample(all, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := fixtures.LoadProfile("default")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	mpath := filepath.Join(out, manifest.ManifestFile)

	// run builds into out with one worker (one image in flight, so the
	// folder is still at the moment OnImage runs). kill, if set, is asked
	// at OnStart (done 0) and after each image whether to kill the run
	// there: the folder is taken as it is, the run is stopped, and the
	// folder is put back as taken.
	run := func(kill func(done int) bool) killedRun {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var (
			mu       sync.Mutex
			onStart  time.Time
			setup    time.Duration
			total    int
			killed   *folderState
			killedAt int
		)
		before := len(manifestOf(t, mpath))
		stop := func(done int) {
			if killed == nil && kill != nil && kill(done) {
				st := snapshot(t, out)
				killed, killedAt = &st, done
				cancel()
			}
		}
		res, err := Run(ctx, Options{
			Setup: fleet.Setup{Stack: stack.Use{BuildkitAddrs: s.Addrs(), Registry: s.Registry.Addr}, Profile: prof,
				Instances: plan, SDKSha: fixtures.SDKSha(7, 0), Out: out},
			Strategy: workload.Single, Cache: "off", Workers: 1, Attempts: 1, SkipExisting: true, Version: "test",
			OnStart: func(env *fleet.Env, r *Result) {
				mu.Lock()
				defer mu.Unlock()
				onStart = time.Now()
				// What this run spent before building, as its first
				// summary says (the earlier runs' wall taken off).
				setup = time.Duration((r.Summary.WallSeconds - r.PriorWallSeconds) * float64(time.Second))
				total = r.Summary.Total
				stop(0)
			},
			OnImage: func(done, total int, o manifest.Output) {
				mu.Lock()
				defer mu.Unlock()
				stop(done)
			},
		})
		mu.Lock()
		defer mu.Unlock()
		if killed != nil {
			killed.restore(t, out)
			t.Logf("killed at %d images done (run: %v)", killedAt, err)
		} else if err != nil {
			t.Fatalf("run: %v", err)
		}
		// The run's building ends with the last image it finished: the
		// manifest's lines after those of the runs before.
		lines, _, rerr := manifest.Read(mpath)
		if rerr != nil {
			t.Fatal(rerr)
		}
		building := setup
		var last time.Time
		for _, l := range lines[before:] {
			if l.FinishedAt.After(last) {
				last = l.FinishedAt
			}
		}
		if !last.IsZero() {
			building += last.Sub(onStart)
		}
		return killedRun{building: building, startTotal: total, res: res}
	}
	summary := func() manifest.Summary {
		t.Helper()
		sum, err := manifest.ReadSummary(filepath.Join(out, manifest.SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}

	// Run 1: killed once the stack is ready, before any image.
	r1 := run(func(done int) bool { return done == 0 })
	if n := len(manifestOf(t, mpath)); n != 0 {
		t.Fatalf("run 1 killed before its first image left %d lines", n)
	}
	s1 := summary()
	if s1.WallSeconds < r1.building.Seconds() || s1.Total != 0 || s1.Planned != 3 {
		t.Fatalf("run 1's summary after the kill: wall %.3fs total %d planned %d; want at least its set-up %.3fs, 0 of 3 done",
			s1.WallSeconds, s1.Total, s1.Planned, r1.building.Seconds())
	}

	// Run 2: resumes run 1 (no image done, the same build), killed after
	// its first image.
	r2 := run(func(done int) bool { return done == 1 })
	if r2.res.PriorWallSeconds != s1.WallSeconds {
		t.Errorf("run 2 counted %.6fs of earlier runs, want run 1's %.6fs", r2.res.PriorWallSeconds, s1.WallSeconds)
	}
	s2 := summary()
	if s2.Total != 1 || len(manifestOf(t, mpath)) != 1 {
		t.Errorf("run 2 killed after its first image: summary of %d images, manifest of %d lines; want 1 and 1", s2.Total, len(manifestOf(t, mpath)))
	}
	// The killed run's summary was updated as its image finished: its
	// wall holds run 1's and run 2's building up to that image.
	if want := s1.WallSeconds + r2.building.Seconds(); s2.WallSeconds < want {
		t.Errorf("run 2's summary after the kill: wall %.3fs, want at least %.3fs (run 1 %.3fs + run 2 %.3fs up to its image)",
			s2.WallSeconds, want, s1.WallSeconds, r2.building.Seconds())
	}

	// Run 3: resumes run 2 to the end.
	r3 := run(nil)
	if r3.res.Resumed != 1 || r3.startTotal != 1 || r3.res.PriorWallSeconds != s2.WallSeconds {
		t.Errorf("run 3: %d resumed, %d images in its first summary, %.6fs of earlier runs; want 1, 1 and run 2's summary's %.6fs",
			r3.res.Resumed, r3.startTotal, r3.res.PriorWallSeconds, s2.WallSeconds)
	}
	final := summary()
	if !reflect.DeepEqual(final, r3.res.Summary) {
		t.Errorf("the summary on disk is not the result's:\n%+v\n%+v", final, r3.res.Summary)
	}
	if final.Total != 3 || final.Built+final.Skipped != 3 || final.Failed != 0 || final.Built == 0 {
		t.Fatalf("final summary: %d images, %d built, %d skipped, %d failed; want 3 done, some built", final.Total, final.Built, final.Skipped, final.Failed)
	}
	sumBuilding := r1.building + r2.building + r3.building
	if final.WallSeconds < sumBuilding.Seconds() {
		t.Errorf("final wall %.3fs, want at least the runs' building %.3fs (%.3fs + %.3fs + %.3fs)",
			final.WallSeconds, sumBuilding.Seconds(), r1.building.Seconds(), r2.building.Seconds(), r3.building.Seconds())
	}
	if want := float64(final.Built) / (final.WallSeconds / 3600); math.Abs(final.ImagesPerHour-want) > 1e-9*want {
		t.Errorf("final images_per_hour %v, want %d built over %.3fs = %v", final.ImagesPerHour, final.Built, final.WallSeconds, want)
	}
	t.Logf("RESULT wall %.3fs for runs building %.3fs + %.3fs + %.3fs; %.1f images/hour",
		final.WallSeconds, r1.building.Seconds(), r2.building.Seconds(), r3.building.Seconds(), final.ImagesPerHour)
}

// manifestOf reads the lines of a manifest (none when it is missing).
func manifestOf(t *testing.T, path string) []manifest.Output {
	t.Helper()
	outs, _, err := manifest.Read(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return outs
}

// TestSummarizerKeepsUp: the summary a running build keeps on disk adds
// the earlier runs' wall and prunes to its own, counts the lines and
// prunes so far, and has images_per_hour over that wall; the periodic
// update rewrites it without any image finishing; a failed update is
// warned about once.
func TestSummarizerKeepsUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, manifest.SummaryFile)
	prev := &manifest.Summary{WallSeconds: 3600, Prunes: 2, PruneSeconds: 5, Versions: manifest.Versions{Buildkit: "v0"}}
	start := time.Now().Add(-time.Hour)
	s := &summarizer{path: path, start: start, planned: 3, inPlan: map[string]bool{"a__a-1": true, "b__b-2": true, "c__c-3": true}, prev: prev,
		extra: manifest.SummaryExtra{Settings: manifest.Settings{Workers: 2}}}
	s.add(manifest.Output{Instance: "a__a-1", Status: manifest.StatusBuilt, BuildSeconds: 9})
	s.add(manifest.Output{Instance: "z__z-9", Status: manifest.StatusBuilt}) // not planned
	s.pruned(1.5)
	before := time.Now()
	got, err := s.write()
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := 3600+before.Sub(start).Seconds(), 3600+time.Since(start).Seconds()
	if got.WallSeconds < lo || got.WallSeconds > hi || got.Total != 1 || got.Built != 1 || got.Planned != 3 ||
		got.Prunes != 3 || got.PruneSeconds != 6.5 || got.Versions.Buildkit != "v0" {
		t.Errorf("summary %+v; want wall in [%.3f, %.3f], 1 of 3 built, 3 prunes (6.5s), buildkit v0", got, lo, hi)
	}
	if want := 1 / (got.WallSeconds / 3600); math.Abs(got.ImagesPerHour-want) > 1e-9 {
		t.Errorf("images_per_hour %v, want %v", got.ImagesPerHour, want)
	}
	if disk, err := manifest.ReadSummary(path); err != nil || !reflect.DeepEqual(disk, got) {
		t.Errorf("on disk: %+v %v; want %+v", disk, err, got)
	}

	// The periodic update: the summary's wall grows with no image done.
	stop := s.every(time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if disk, err := manifest.ReadSummary(path); err == nil && disk.WallSeconds > got.WallSeconds {
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatal("the summary was not updated within 10s by a 1ms periodic update")
		}
		time.Sleep(time.Millisecond)
	}
	stop()

	// A failed update: warned once, the build goes on.
	var warn bytes.Buffer
	bad := &summarizer{path: filepath.Join(dir, "missing", manifest.SummaryFile), start: start, warn: &warn}
	bad.refresh()
	bad.refresh()
	if n := strings.Count(warn.String(), "warning: updating the build summary"); n != 1 {
		t.Errorf("warned %d times, want once:\n%s", n, warn.String())
	}
}
