package testenv

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/workload"
)

// FleetEnv is a private stack with a sample of fixture instances, ready for
// fleet runs and sweeps.
type FleetEnv struct {
	Reg     string
	Daemons []fleet.Daemon
	BK      *engine.BuildKit
	Insts   []workload.Instance
	Prof    *fixtures.Profile
	CtxDir  string
}

// Fleet starts a private stack (cleaned up with t) and samples n fixture
// instances (seed 7). prof nil is the default profile.
func Fleet(t testing.TB, n int, prof *fixtures.Profile, cfg stack.Config) *FleetEnv {
	t.Helper()
	s := Stack(t, cfg)
	bks := Dial(t, s)
	all, err := fixtures.Instances()
	if err != nil {
		t.Fatal(err)
	}
	insts, err := fixtures.Sample(all, n, 7)
	if err != nil {
		t.Fatal(err)
	}
	if prof == nil {
		if prof, err = fixtures.LoadProfile("default"); err != nil {
			t.Fatal(err)
		}
	}
	e := &FleetEnv{Reg: s.Registry.Addr, BK: bks[0], Insts: insts, Prof: prof, CtxDir: filepath.Join(t.TempDir(), "context")}
	for _, b := range bks {
		e.Daemons = append(e.Daemons, b)
	}
	return e
}

// Workload prepares the fixtures and returns a workload pushing under ns.
func (e *FleetEnv) Workload(t testing.TB, ns, sha string) *workload.Workload {
	t.Helper()
	w, err := fixtures.Prepare(context.Background(), fixtures.PrepareOptions{Registry: e.Reg, ContextDir: e.CtxDir,
		Profile: e.Prof, Instances: e.Insts, SDKSha: sha})
	if err != nil {
		t.Fatal(err)
	}
	w.BaseRegistry = e.Reg
	w.Registry = e.Reg + "/" + ns
	return w
}
