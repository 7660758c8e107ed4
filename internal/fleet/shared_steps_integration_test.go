package fleet_test

import (
	"context"
	"path/filepath"
	"sort"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestSharedStepsCountOnce builds 6 fixture images cold with 2 workers in
// one stream, cache off, on one daemon. Their builder stage is the same for
// every image: the first two build it together, and the later ones find it
// done. A later build that starts while another still holds that stage
// gets the stage's history in its own status stream, as run (not cached)
// and with the times of the build that ran it; before the reducer cut that
// out, those images reported 0 cached steps and more exec seconds than
// their whole wall. Each image's steps must fit in its wall, and every
// image started after the first one ended must have the stage cached.
func TestSharedStepsCountOnce(t *testing.T) {
	e := testenv.Fleet(t, 6, nil, stack.Config{})
	if _, err := e.BK.Prune(context.Background(), 0, true); err != nil {
		t.Fatal(err)
	}
	w := e.Workload(t, "shared", fixtures.SDKSha(5, 0))
	path := filepath.Join(t.TempDir(), "records.jsonl")
	out, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := record.Config{Workers: 2, CacheMode: string(engine.CacheOff), Strategy: workload.Single}
	tr, err := fleet.Run(context.Background(), fleet.Options{Workload: w, Instances: e.Insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 2, Daemons: e.Daemons, Attempts: 1, Out: out, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if tr.Built != 6 {
		t.Fatalf("built %d of 6", tr.Built)
	}
	set, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ims := set.Images
	if len(ims) != 6 {
		t.Fatalf("%d image records, want 6", len(ims))
	}
	sort.Slice(ims, func(i, j int) bool { return ims[i].Start.Before(ims[j].Start) })
	firstEnd := ims[0].End
	for _, im := range ims[1:] {
		if im.End.Before(firstEnd) {
			firstEnd = im.End
		}
	}
	later := 0
	for _, im := range ims {
		// 50 ms: the daemon's clock and the client's, sampled apart.
		if im.StepSeconds > im.WallSeconds+0.05 || im.ExecSeconds > im.WallSeconds+0.05 {
			t.Errorf("%s: steps %.2fs, exec %.2fs in a wall of %.2fs: another build's steps counted", im.Instance, im.StepSeconds, im.ExecSeconds, im.WallSeconds)
		}
		if im.Start.After(firstEnd) {
			later++
			if im.CachedSteps == 0 {
				t.Errorf("%s: started after the first image ended, 0 of %d steps cached: the shared builder stage counted as run", im.Instance, im.TotalSteps)
			}
		}
	}
	for _, im := range ims {
		t.Logf("%s %s %s cached %d exec %.2f wall %.2f", im.Instance, im.Start.Format("05.000"), im.End.Format("05.000"), im.CachedSteps, im.ExecSeconds, im.WallSeconds)
	}
	if later < 3 {
		t.Errorf("only %d images started after the first ended; want the 4 of the later waves", later)
	}
}
