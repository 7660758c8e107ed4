package fullbuild

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
)

// TestRunRefusesMergeFolder: a merge's folder (its summary lists the folders it joined) given
// as a build's --out was "resumed": its summary was rewritten without the list of shards, and a
// records.jsonl added, so a later merge no longer took it for a merge, and merge --out refused
// to redo it (a build's folder). It is bad input naming --out, and the folder is left as it was.
func TestRunRefusesMergeFolder(t *testing.T) {
	plan := insts(t, "a__a-1", "b__b-2")
	settings := manifest.Settings{Workers: 2, CacheMode: "off", Strategy: workload.Single, SDKSha: "aaaa"}
	out := knobsFolder(t, plan, &settings)
	p := filepath.Join(out, manifest.SummaryFile)
	sum, err := manifest.ReadSummary(p)
	if err != nil {
		t.Fatal(err)
	}
	sum.Shards = []manifest.ShardInfo{{Dir: "w1", Images: 1, Built: 1}, {Dir: "w2", Images: 1, Built: 1}}
	if err := manifest.WriteSummary(p, sum); err != nil {
		t.Fatal(err)
	}
	before := testenv.Files(t, out)
	_, err = Run(context.Background(), Options{Setup: fleet.Setup{Instances: plan, SDKSha: "aaaa", Out: out},
		Workers: 2, Cache: engine.CacheOff, Strategy: workload.Single})
	if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), "--out "+out+": ") || !strings.Contains(err.Error(), "merge") {
		t.Errorf("Run into a merge's folder: %v; want bad input naming --out as a merge's folder", err)
	}
	if after := testenv.Files(t, out); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused folder changed:\nbefore %q\nafter  %q", before, after)
	}
}
