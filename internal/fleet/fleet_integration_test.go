package fleet_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func runFleet(t *testing.T, e *testenv.FleetEnv, w *workload.Workload, strategy string, mode engine.CacheMode, out *record.Writer) record.Trial {
	t.Helper()
	tr, err := fleet.Run(context.Background(), fleet.Options{Workload: w, Instances: e.Insts, Strategy: strategy,
		Cache: mode, Workers: 2, Daemons: e.Daemons, Attempts: 1, Out: out,
		Config: record.Config{Workers: 2, CacheMode: string(mode), Strategy: strategy}})
	if err != nil {
		t.Fatalf("%s/%s: %v", strategy, mode, err)
	}
	return tr
}

func expand(t *testing.T, tmpl string, w *workload.Workload, inst workload.Instance) string {
	t.Helper()
	v := workload.VarsFor(inst, w.Registry, w.SDKSha)
	v.BaseRegistry = w.BaseRegistry
	s, err := workload.Expand(tmpl, v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func headOK(ref string) bool {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return false
	}
	_, err = remote.Head(r)
	return err == nil
}

// TestFleetModesAndStrategies builds 3 fixture images with each cache mode
// and both strategies on the real stack and checks what landed in the
// registry: the tags, their platform, the base layers inside them, and the
// cache refs (present for min and max, absent for off).
func TestFleetModesAndStrategies(t *testing.T) {
	e := testenv.Fleet(t, 3, nil, stack.Config{})
	for _, strategy := range workload.Strategies {
		for _, mode := range engine.CacheModes {
			ns := fmt.Sprintf("%s-%s", strategy, mode)
			// Each combination starts cold, so that its own steps run.
			if _, err := e.BK.Prune(context.Background(), 0, true); err != nil {
				t.Fatal(err)
			}
			w := e.Workload(t, ns, fixtures.SDKSha(1, 0))
			tr := runFleet(t, e, w, strategy, mode, nil)
			if tr.Built != 3 || tr.Failed != 0 {
				t.Fatalf("%s: built %d failed %d", ns, tr.Built, tr.Failed)
			}
			if tr.TotalSteps == 0 || tr.ExecSeconds <= 0 || tr.ImageExportSeconds <= 0 {
				t.Errorf("%s: no timings from the status stream: %+v", ns, tr)
			}
			if mode != engine.CacheOff && tr.CacheExportSeconds <= 0 {
				t.Errorf("%s: no cache export time", ns)
			}
			for _, inst := range e.Insts {
				tag := expand(t, fixtures.FinalTagTemplate, w, inst)
				ref, err := name.ParseReference(tag, name.Insecure)
				if err != nil {
					t.Fatal(err)
				}
				img, err := remote.Image(ref)
				if err != nil {
					t.Fatalf("%s: final tag %s: %v", ns, tag, err)
				}
				cf, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				if cf.OS != "linux" || cf.Architecture != "amd64" {
					t.Errorf("%s: %s is %s/%s", ns, tag, cf.OS, cf.Architecture)
				}
				baseRef, _ := name.ParseReference(fixtures.BaseRef(e.Reg, inst), name.Insecure)
				base, err := remote.Image(baseRef)
				if err != nil {
					t.Fatal(err)
				}
				bl, _ := base.Layers()
				il, _ := img.Layers()
				var have []string
				for _, l := range il {
					d, _ := l.Digest()
					have = append(have, d.String())
				}
				for _, l := range bl {
					d, _ := l.Digest()
					if !slices.Contains(have, d.String()) {
						t.Errorf("%s: %s lacks base layer %s", ns, tag, d)
					}
				}
				if len(il) <= len(bl) {
					t.Errorf("%s: %s has %d layers, base has %d", ns, tag, len(il), len(bl))
				}
				cacheTmpl := fixtures.CacheRefTemplate
				if strategy == workload.ThreePhase {
					cacheTmpl = fixtures.AssemblyCacheRefTemplate
				}
				cache := expand(t, cacheTmpl, w, inst)
				if got, want := headOK(cache), mode != engine.CacheOff; got != want {
					t.Errorf("%s: cache ref %s exists=%v, want %v", ns, cache, got, want)
				}
			}
		}
	}
}

// TestCacheImportAfterPrune: after emptying BuildKit's cache (prune --all),
// a rebuild with registry cache import reports cached steps; without the
// registry cache (mode off) it reports none of the expensive ones.
func TestCacheImportAfterPrune(t *testing.T) {
	e := testenv.Fleet(t, 2, nil, stack.Config{})
	for _, mode := range []engine.CacheMode{engine.CacheMax, engine.CacheOff} {
		w := e.Workload(t, "prune-"+string(mode), fixtures.SDKSha(2, 0))
		runFleet(t, e, w, workload.Single, mode, nil)
		if _, err := e.BK.Prune(context.Background(), 0, true); err != nil {
			t.Fatal(err)
		}
		if du, _ := e.BK.DiskUsage(context.Background()); du != 0 {
			t.Logf("disk after prune --all: %d", du)
		}
		// A new SDK sha: new tags, the same cache refs.
		w.SDKSha = fixtures.SDKSha(2, 1)
		tr := runFleet(t, e, w, workload.Single, mode, nil)
		switch mode {
		case engine.CacheMax:
			if tr.CachedSteps == 0 || tr.CacheImportSeconds <= 0 {
				t.Errorf("max: rebuild after prune cached %d of %d steps, import %.3fs; want cached steps", tr.CachedSteps, tr.TotalSteps, tr.CacheImportSeconds)
			}
		case engine.CacheOff:
			if tr.CachedSteps >= tr.TotalSteps/2 {
				t.Errorf("off: rebuild after prune cached %d of %d steps; want few", tr.CachedSteps, tr.TotalSteps)
			}
		}
		t.Logf("%s: rebuild after prune: cached %d of %d steps", mode, tr.CachedSteps, tr.TotalSteps)
	}
}

// TestArgPosition: with the SDK-sha ARG after the install steps, a new SDK
// sha on a warm builder keeps them cached; moved before them, it makes them
// miss (the 0-of-414 apt layers of the real pipeline).
func TestArgPosition(t *testing.T) {
	cached := map[string]int{}
	for _, pos := range []string{fixtures.ArgAfter, fixtures.ArgBefore} {
		prof, err := fixtures.LoadProfile("default")
		if err != nil {
			t.Fatal(err)
		}
		prof.ArgPosition = pos
		e := testenv.Fleet(t, 2, prof, stack.Config{})
		w := e.Workload(t, "arg-"+pos, fixtures.SDKSha(3, 0))
		runFleet(t, e, w, workload.Single, engine.CacheOff, nil)
		w.SDKSha = fixtures.SDKSha(3, 1)
		tr := runFleet(t, e, w, workload.Single, engine.CacheOff, nil)
		cached[pos] = tr.CachedSteps
		t.Logf("arg %s: second SDK sha cached %d of %d steps, exec %.2fs", pos, tr.CachedSteps, tr.TotalSteps, tr.ExecSeconds)
	}
	// Two images, each with the apt, npm and settings steps: at least 2 x 2
	// more cached steps when the ARG comes after them.
	if cached[fixtures.ArgAfter] < cached[fixtures.ArgBefore]+4 {
		t.Errorf("cached steps: after=%d before=%d; the ARG before the installs should make them miss", cached[fixtures.ArgAfter], cached[fixtures.ArgBefore])
	}
}

// TestFailedBuildGoesOn: an instance whose base image is missing fails as a
// build error, is recorded, and the other images are built.
func TestFailedBuildGoesOn(t *testing.T) {
	e := testenv.Fleet(t, 3, nil, stack.Config{})
	w := e.Workload(t, "fail", fixtures.SDKSha(4, 0))
	ghost := workload.Instance{ID: "ghost__ghost-1", Org: "ghost", Repo: "ghost", Name: "ghost-1"}
	insts := append([]workload.Instance{ghost}, e.Insts...)
	path := filepath.Join(t.TempDir(), "records.jsonl")
	out, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := fleet.Run(context.Background(), fleet.Options{Workload: w, Instances: insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 2, Daemons: e.Daemons, Attempts: 2, Out: out})
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	if tr.Built != 3 || tr.Failed != 1 || tr.InfraFailed != 0 {
		t.Fatalf("built %d failed %d infra %d, want 3, 1, 0", tr.Built, tr.Failed, tr.InfraFailed)
	}
	set, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var failed []record.Image
	for _, im := range set.Images {
		if im.Status == record.StatusFailed {
			failed = append(failed, im)
		}
	}
	if len(failed) != 1 || failed[0].Instance != ghost.ID || failed[0].ErrClass != engine.ErrBuild || failed[0].Attempts != 2 || failed[0].Error == "" {
		t.Fatalf("failed records: %+v", failed)
	}
}

// TestCustomWorkloadFile builds the example workload file (the form a real
// CI runner describes the real images in) on the fixture base images.
func TestCustomWorkloadFile(t *testing.T) {
	e := testenv.Fleet(t, 2, nil, stack.Config{})
	w, err := workload.Load(filepath.Join(testenv.Root(t), "testdata", "workload.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.PushBases(context.Background(), e.Reg, w.Instances, e.Prof); err != nil {
		t.Fatal(err)
	}
	w.Registry, w.BaseRegistry, w.SDKSha = e.Reg+"/custom-file", e.Reg, fixtures.SDKSha(5, 0)
	tr, err := fleet.Run(context.Background(), fleet.Options{Workload: w, Instances: w.Instances, Strategy: workload.Single,
		Cache: engine.CacheMin, Workers: 2, Daemons: e.Daemons, Attempts: 1})
	if err != nil || tr.Built != 2 {
		t.Fatalf("built %d: %v (%s)", tr.Built, err, tr.Error)
	}
	for _, inst := range w.Instances {
		if !headOK(expand(t, "{{.Registry}}/custom/agent:{{.SDKSha7}}-{{.Slug}}", w, inst)) {
			t.Errorf("%s: tag missing", inst.ID)
		}
		if !headOK(expand(t, "{{.Registry}}/custom/agent:cache-{{.Slug}}", w, inst)) {
			t.Errorf("%s: cache ref missing", inst.ID)
		}
	}
}

// TestFleetOnDistribution: the same builds against Debian's docker-registry
// (the CNCF distribution server): images pushed, cache exported and
// imported after prune --all.
func TestFleetOnDistribution(t *testing.T) {
	e := testenv.Fleet(t, 2, nil, stack.Config{Registry: stack.RegistryDistribution})
	w := e.Workload(t, "dist", fixtures.SDKSha(6, 0))
	tr := runFleet(t, e, w, workload.Single, engine.CacheMax, nil)
	if tr.Built != 2 || tr.CacheExportSeconds <= 0 {
		t.Fatalf("built %d, cache export %.3fs", tr.Built, tr.CacheExportSeconds)
	}
	for _, inst := range e.Insts {
		if !headOK(expand(t, fixtures.FinalTagTemplate, w, inst)) || !headOK(expand(t, fixtures.CacheRefTemplate, w, inst)) {
			t.Errorf("%s: tag or cache ref missing on distribution", inst.ID)
		}
	}
	if _, err := e.BK.Prune(context.Background(), 0, true); err != nil {
		t.Fatal(err)
	}
	w.SDKSha = fixtures.SDKSha(6, 1)
	tr = runFleet(t, e, w, workload.Single, engine.CacheMax, nil)
	if tr.CachedSteps == 0 {
		t.Errorf("after prune --all, cache import from distribution gave no cached steps (of %d)", tr.TotalSteps)
	}
}

// TestPrunePolicy: with a threshold every daemon passes, the real script's
// prune runs between batches (never after the last, never in a stream)
// and each one is recorded as an event with its time.
func TestPrunePolicy(t *testing.T) {
	e := testenv.Fleet(t, 3, nil, stack.Config{})
	w := e.Workload(t, "prune-policy", fixtures.SDKSha(10, 0))
	path := filepath.Join(t.TempDir(), "records.jsonl")
	out, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := fleet.Run(context.Background(), fleet.Options{Workload: w, Instances: e.Insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 1, Batch: 1, Daemons: e.Daemons, Attempts: 1, Out: out,
		Prune: fleet.PrunePolicy{ThresholdBytes: 1, KeepBytes: 0}})
	out.Close()
	if err != nil || tr.Built != 3 {
		t.Fatalf("built %d: %v", tr.Built, err)
	}
	if tr.Prunes != 2 || tr.PruneSeconds <= 0 {
		t.Errorf("prunes %d (%.3fs), want 2: between 3 batches of 1", tr.Prunes, tr.PruneSeconds)
	}
	set, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range set.Events {
		if ev.Type == "prune" && ev.Bytes > 0 && ev.Seconds > 0 {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d prune events with freed bytes and a time, want 2", n)
	}
}
