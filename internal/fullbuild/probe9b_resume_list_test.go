package fullbuild

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/shard"
	"github.com/buildtune/buildtune/internal/workload"
)

// TestResumeRefusesOtherList: shard 1/2 of the list {a, b, c} and of {a, b, c, d} hold the
// same images (a and c), so a folder of the first was resumed by the second as done, though
// the other shard of the second list is dealt differently (d is in neither build's shard 2/2
// of the first). The summary names the list the shards are dealt from; another list is bad
// input naming both, the folder untouched. The same ids in another order resume it.
func TestResumeRefusesOtherList(t *testing.T) {
	spec := shard.Spec{Index: 1, Count: 2}
	was := insts(t, "a__a-1", "b__b-1", "c__c-1")
	plan := Plan(was, spec, nil)
	out := t.TempDir()
	var text []byte
	for _, in := range plan {
		b, err := json.Marshal(manifest.Output{Instance: in.ID, Status: manifest.StatusBuilt, AttemptCount: 1, Shard: spec.String()})
		if err != nil {
			t.Fatal(err)
		}
		text = append(append(text, b...), '\n')
	}
	if err := os.WriteFile(filepath.Join(out, manifest.ManifestFile), text, 0o644); err != nil {
		t.Fatal(err)
	}
	settings := manifest.Settings{Workers: 1, CacheMode: "off", Strategy: "single", SDKSha: "aaaa", Shard: spec.String(), Instances: ListID(was)}
	sum := manifest.Summarize(nil, 0, manifest.SummaryExtra{Settings: settings})
	sum.Total, sum.Built, sum.Planned, sum.WallSeconds = len(plan), len(plan), len(plan), 60
	if err := manifest.WriteSummary(filepath.Join(out, manifest.SummaryFile), sum); err != nil {
		t.Fatal(err)
	}
	opts := func(list []workload.Instance) Options {
		return Options{Setup: fleet.Setup{Instances: list, SDKSha: "aaaa", Out: out}, Workers: 1, Cache: "off", Strategy: "single", Shard: spec}
	}

	before := snapshot(t, out)
	other := insts(t, "a__a-1", "b__b-1", "c__c-1", "d__d-1")
	if got := Plan(other, spec, nil); len(got) != len(plan) || got[0].ID != plan[0].ID || got[1].ID != plan[1].ID {
		t.Fatalf("the test's premise: shard 1/2 of both lists is the same, got %v and %v", got, plan)
	}
	_, err := Run(context.Background(), opts(other))
	if !errors.Is(err, input.ErrBad) || !strings.Contains(err.Error(), ListID(was)) || !strings.Contains(err.Error(), ListID(other)) {
		t.Fatalf("resume of shard 1/2 with another list: %v; want bad input naming both lists", err)
	}
	if after := snapshot(t, out); !reflect.DeepEqual(before, after) {
		t.Errorf("the refused resume changed the folder")
	}
	res, err := Run(context.Background(), opts(insts(t, "c__c-1", "a__a-1", "b__b-1")))
	if err != nil || res.Resumed != 2 {
		t.Fatalf("resume with the same ids in another order: %+v, %v; want 2 resumed", res, err)
	}
}
