package fleet_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// TestDaemonPool runs on a private stack of two daemons: both get work,
// and when one is killed mid-run the set still completes on the survivor,
// with the daemon's leaving recorded as an event.
func TestDaemonPool(t *testing.T) {
	s := testenv.Stack(t, stack.Config{Daemons: 2})
	bks := testenv.Dial(t, s)
	all, err := fixtures.Instances()
	if err != nil {
		t.Fatal(err)
	}
	insts, err := fixtures.Sample(all, 4, 7)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := fixtures.LoadProfile("default")
	if err != nil {
		t.Fatal(err)
	}
	prof.TimeScale /= 10 // the plumbing is under test, not the timings
	e := &testenv.FleetEnv{Reg: s.Registry.Addr, BK: bks[0], Insts: insts, Prof: prof, CtxDir: filepath.Join(t.TempDir(), "context")}
	for _, b := range bks {
		e.Daemons = append(e.Daemons, b)
	}
	run := func(t *testing.T, ns string, sha string, onImage func(done int)) (record.Trial, *record.Set, error) {
		t.Helper()
		w := e.Workload(t, ns, sha)
		path := filepath.Join(t.TempDir(), "records.jsonl")
		out, err := record.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		tr, runErr := fleet.Run(context.Background(), fleet.Options{Workload: w, Instances: insts, Strategy: workload.Single,
			Cache: engine.CacheOff, Workers: 2, Daemons: e.Daemons, Attempts: 1, Out: out,
			OnImage: func(done, _ int, _ *record.Image) {
				if onImage != nil {
					onImage(done)
				}
			}})
		out.Close()
		set, err := record.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return tr, set, runErr
	}

	t.Run("both daemons get work", func(t *testing.T) {
		tr, set, err := run(t, "pool", fixtures.SDKSha(11, 0), nil)
		if err != nil || tr.Built != len(insts) {
			t.Fatalf("built %d of %d: %v", tr.Built, len(insts), err)
		}
		per := map[string]int{}
		for _, im := range set.Images {
			per[im.Daemon]++
		}
		for _, a := range s.Addrs() {
			if per[a] == 0 {
				t.Errorf("daemon %s built nothing: images per daemon %v", a, per)
			}
		}
		t.Logf("images per daemon: %v", per)
	})

	t.Run("a daemon killed mid-run", func(t *testing.T) {
		victim := s.Daemons[1]
		var once sync.Once
		tr, set, err := run(t, "pool-kill", fixtures.SDKSha(11, 1), func(done int) {
			if done >= 2 {
				once.Do(victim.Kill)
			}
		})
		if err != nil {
			t.Fatalf("run with a daemon killed: %v", err)
		}
		if !victim.Exited() {
			t.Fatal("the daemon was not killed")
		}
		if tr.Built != len(insts) || tr.Failed != 0 {
			t.Fatalf("built %d failed %d of %d, want all built on the survivor", tr.Built, tr.Failed, len(insts))
		}
		var left []string
		for _, ev := range set.Events {
			if ev.Type == record.EventDaemon {
				left = append(left, ev.Message)
			}
		}
		if len(left) != 1 || !strings.Contains(left[0], "daemon 1 ("+victim.Addr+") left the pool") {
			t.Fatalf("daemon events %q, want one: daemon 1 (%s) left the pool", left, victim.Addr)
		}
		built := map[string]bool{}
		for _, im := range set.Images {
			if im.Status == record.StatusBuilt {
				built[im.Instance] = true
			}
		}
		if len(built) != len(insts) {
			t.Fatalf("%d instances with a built record, want %d", len(built), len(insts))
		}
		t.Log(left[0])
	})
}
