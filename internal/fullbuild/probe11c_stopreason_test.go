package fullbuild

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/manifest"
)

// TestProbe11cMarkdownSaysWhyStopped: the job page's summary of a run
// stopped before its end says why (interrupted, or the infrastructure
// failure: the daemon gone, the disk full), not only how many images are
// left: a CI user reading it could not tell a cancelled job from a lost
// daemon. The closing error's two parts stay one line.
func TestProbe11cMarkdownSaysWhyStopped(t *testing.T) {
	sum := manifest.Summarize([]manifest.Output{{Instance: "a__a-1", Status: manifest.StatusBuilt, BuildSeconds: 3}},
		time.Minute, manifest.SummaryExtra{Settings: manifest.Settings{Workers: 2, CacheMode: "off", Strategy: "single"}})
	daemon := fleet.Infra(errors.New("b__b-2: no buildkit daemon left in the pool;\nthe last: daemon 0 does not answer"))
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("building: %w", context.Canceled), "(interrupted)"},
		{daemon, "(infrastructure failure: b__b-2: no buildkit daemon left in the pool; the last: daemon 0 does not answer)"},
		{also(daemon, errors.New("writing build summary: no space left on device")), "then writing build summary"},
	} {
		r := &Result{Planned: 3, Summary: sum, StopReason: stopReason(tc.err)}
		md := Markdown(r)
		if !strings.Contains(md, "Stopped: 2 of 3 planned images not built yet** "+tc.want) && !strings.Contains(md, tc.want) {
			t.Errorf("%v: markdown lacks %q:\n%s", tc.err, tc.want, md)
		}
	}
	if got := also(fleet.Infra(errors.New("recording b__b-2: no space left on device")), errors.New("writing build summary")); strings.Contains(got.Error(), "\n") || !fleet.IsInfra(got) {
		t.Errorf("also = %q; want one error, still an infrastructure failure", got)
	}
	if stopReason(nil) != "" {
		t.Errorf("a run that ended has a stop reason")
	}
}
