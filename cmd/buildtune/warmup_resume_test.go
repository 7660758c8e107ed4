package main

import (
	"testing"

	"github.com/buildtune/buildtune/sweep"
)

// TestStartedWarmup: a resume keeps the sweep's --warmup: run.json's
// warmup, else the command line's --warmup=VALUE (run.json written
// before it was kept), else the default.
func TestStartedWarmup(t *testing.T) {
	no, yes := false, true
	for _, tc := range []struct {
		info sweep.RunInfo
		want bool
	}{
		{sweep.RunInfo{Warmup: &no, CommandLine: []string{"buildtune", "sweep"}}, false},
		{sweep.RunInfo{Warmup: &yes, CommandLine: []string{"buildtune", "sweep", "--warmup=false"}}, true},
		{sweep.RunInfo{CommandLine: []string{"buildtune", "sweep", "--warmup=false", "--reps", "2"}}, false},
		{sweep.RunInfo{CommandLine: []string{"buildtune", "sweep", "--warmup=0"}}, false},
		{sweep.RunInfo{CommandLine: []string{"buildtune", "sweep", "--warmup=true"}}, true},
		{sweep.RunInfo{CommandLine: []string{"buildtune", "sweep"}}, true},
		{sweep.RunInfo{}, true},
	} {
		if got := startedWarmup(tc.info); got != tc.want {
			t.Errorf("startedWarmup(%+v) = %v, want %v", tc.info, got, tc.want)
		}
	}
}
