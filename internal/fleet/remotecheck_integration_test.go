package fleet_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// refuseHeads answers every HEAD of a manifest with 401 (a registry
// wanting credentials for the check) and sends the rest to the registry.
type refuseHeads struct{ heads atomic.Int32 }

func (rt *refuseHeads) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodHead && strings.Contains(req.URL.Path, "/manifests/") {
		rt.heads.Add(1)
		return &http.Response{StatusCode: http.StatusUnauthorized, Status: "401 Unauthorized", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestFleetRemoteCheckRefused: on the real stack, skip-existing checks
// refused with a 401 (through RemoteOptions' transport) do not stop the
// builds: both images are built by BuildKit and pushed, both failed checks
// are counted, and the refusal is said once, in the records too.
func TestFleetRemoteCheckRefused(t *testing.T) {
	e := testenv.Fleet(t, 2, nil, stack.Config{})
	w := e.Workload(t, "remote-check", fixtures.SDKSha(1, 0))
	rt := &refuseHeads{}
	out, err := record.Create(t.TempDir() + "/records.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var said []*record.Event
	tr, err := fleet.Run(context.Background(), fleet.Options{Workload: w, Instances: e.Insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 2, Daemons: e.Daemons, Attempts: 1, Out: out, SkipExisting: true,
		RemoteOptions: []remote.Option{remote.WithTransport(rt)},
		OnEvent: func(ev *record.Event) {
			if ev.Type == record.EventRemoteCheck {
				mu.Lock()
				said = append(said, ev)
				mu.Unlock()
			}
		}})
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	if tr.Built != 2 || tr.Skipped != 0 || tr.Failed != 0 {
		t.Fatalf("built %d skipped %d failed %d, want both built", tr.Built, tr.Skipped, tr.Failed)
	}
	if tr.RemoteCheckErrors != 2 || rt.heads.Load() != 2 {
		t.Errorf("%d failed checks of %d HEADs, want 2 of 2", tr.RemoteCheckErrors, rt.heads.Load())
	}
	if len(said) != 1 || !strings.Contains(said[0].Message, "401") {
		t.Errorf("events %+v, want one saying 401", said)
	}
	for _, inst := range e.Insts {
		if tag := expand(t, fixtures.FinalTagTemplate, w, inst); !headOK(tag) {
			t.Errorf("%s was not pushed", tag)
		}
	}
}
