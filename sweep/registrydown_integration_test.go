package sweep_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
)

// TestSweepRegistryDownIsInfra: the registry behind the proxy is gone
// (its address answers nothing) while the daemons still answer. With the
// registry's health check, the trial's first build that fails as
// infrastructure stops it as an infrastructure failure (the sweep exits
// 3 and can be resumed), instead of recording every image of every later
// trial as a failed build; without one, it is the failed builds it was.
func TestSweepRegistryDownIsInfra(t *testing.T) {
	e := testenv.Fleet(t, 2, nil, stack.Config{})
	w := e.Workload(t, "unused", fixtures.SDKSha(9, 0))
	// A loopback port nothing listens on: the registry has gone.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close()
	w.Registry = gone
	down := errors.New("registry " + gone + " does not answer")
	cell := sweep.Cell{Workers: 2, Batch: 0, Cache: engine.CacheOff, Strategy: workload.Single}
	trial := sweep.Trial{Index: 1, Unit: 1, Cell: cell, Rep: 1, Temp: sweep.Cold, SDKSha: fixtures.SDKSha(9, 1)}

	runner := &sweep.StackRunner{Workload: w, Instances: e.Insts, Daemons: e.Daemons, Registry: gone, Attempts: 1,
		Health: func(context.Context) error { return down }}
	if _, err := runner.RunTrial(context.Background(), trial, nil); !fleet.IsInfra(err) {
		t.Errorf("registry gone, health check failing: %v; want an infrastructure failure", err)
	}

	runner.Health = nil
	tr, err := runner.RunTrial(context.Background(), trial, nil)
	if err != nil && fleet.IsInfra(err) {
		t.Errorf("without a health check: %v; want failed builds, not an infrastructure failure", err)
	}
	if err == nil && tr.Failed == 0 {
		t.Errorf("without a health check: %+v; want the images failed", tr)
	}
}
