// Package regproxy supplies registry conditions for sweeps: an in-process
// HTTP reverse proxy put in front of a registry (the OCI distribution API
// over plain HTTP) so that the BuildKit daemons pushing through it see a
// capped shared link, added latency, throttling answers (429, 503) and
// dropped connections. It exists to reproduce or refute the claim that
// registry contention slows a fleet build, with the conditions a sweep
// varies named by Settings and recorded by Settings.Label.
package regproxy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/buildtune/buildtune/internal/input"
)

// Settings are the registry conditions imposed by a Proxy. The zero value
// forwards everything untouched ("direct").
type Settings struct {
	// BandwidthBytesPerSec caps the link between the proxy's clients and
	// the registry, in bytes per second; 0 is unlimited. The cap applies
	// to each direction separately (uploads share one budget, downloads
	// another), each shared by all connections, like the two directions
	// of a full-duplex uplink. Only bodies count; headers are free. Each
	// budget is a token bucket holding 1/20 s of traffic, so an idle link
	// passes that much at once before the cap takes hold.
	BandwidthBytesPerSec int64
	// Latency is added to every request before it is forwarded (or
	// answered with an injected fault): one delay per request, not per
	// round trip of the transfer.
	Latency time.Duration
	// ErrorRate is the fraction of requests answered 429 or 503 by the
	// proxy without reaching the registry.
	ErrorRate float64
	// ErrorStatus picks the injected status: 429, 503, or 0 for an even
	// split between the two.
	ErrorStatus int
	// DropRate is the fraction of requests whose connection is closed
	// abruptly (reset) without any response. Go clients, BuildKit's among
	// them, retry an idempotent request (GET, HEAD) on their own when a
	// reused keep-alive connection dies this way, so fewer drops surface
	// as errors than are injected; Stats counts the injected ones.
	DropRate float64
	// Seed seeds the fault decisions: for a given seed the proxy makes the
	// same sequence of decisions, one per request in arrival order. Zero
	// is a seed like any other.
	Seed int64
}

// MaxLatency is the most latency a proxy adds to a request: a build makes
// hundreds of requests one after another, so an hour each (a typo for a
// millisecond figure) would hang it for weeks rather than emulate a link.
const MaxLatency = time.Minute

// Validate reports settings that cannot be imposed.
func (s Settings) Validate() error {
	var errs []error
	if s.BandwidthBytesPerSec < 0 {
		errs = append(errs, fmt.Errorf("bandwidth %d B/s: want 0 (unlimited) or more", s.BandwidthBytesPerSec))
	}
	if s.Latency < 0 || s.Latency > MaxLatency {
		errs = append(errs, fmt.Errorf("latency %v: want 0 or more, at most %v per request", s.Latency, MaxLatency))
	}
	if !isFraction(s.ErrorRate) {
		errs = append(errs, fmt.Errorf("error rate %v: want a fraction from 0 to 1", s.ErrorRate))
	}
	if !isFraction(s.DropRate) {
		errs = append(errs, fmt.Errorf("drop rate %v: want a fraction from 0 to 1", s.DropRate))
	}
	if isFraction(s.ErrorRate) && isFraction(s.DropRate) && s.ErrorRate+s.DropRate > 1 {
		errs = append(errs, fmt.Errorf("error rate %v plus drop rate %v: want at most 1 together", s.ErrorRate, s.DropRate))
	}
	switch s.ErrorStatus {
	case 0, 429, 503:
	default:
		errs = append(errs, fmt.Errorf("error status %d: want 429, 503 or 0 (both)", s.ErrorStatus))
	}
	return errors.Join(errs...)
}

func isFraction(f float64) bool { return f >= 0 && f <= 1 } // false for NaN

// Label is a short, stable name of the conditions for records: "direct"
// when nothing is imposed, otherwise the non-zero settings in a fixed
// order, e.g. "bw=20MiB/s,latency=20ms,errors=0.05,drops=0.01". The seed is
// left out: repetitions of one condition may use different seeds. Label's
// output is accepted by ParseSettings.
func (s Settings) Label() string {
	var parts []string
	if s.BandwidthBytesPerSec != 0 {
		parts = append(parts, "bw="+input.FormatBandwidth(s.BandwidthBytesPerSec))
	}
	if s.Latency != 0 {
		parts = append(parts, "latency="+s.Latency.String())
	}
	if s.ErrorRate != 0 {
		parts = append(parts, "errors="+formatFloat(s.ErrorRate))
	}
	if s.ErrorStatus != 0 {
		parts = append(parts, "status="+strconv.Itoa(s.ErrorStatus))
	}
	if s.DropRate != 0 {
		parts = append(parts, "drops="+formatFloat(s.DropRate))
	}
	if len(parts) == 0 {
		return "direct"
	}
	return strings.Join(parts, ",")
}

// String is Label with the seed appended when it is not zero; ParseSettings
// turns it back into the same Settings.
func (s Settings) String() string {
	if s.Seed == 0 {
		return s.Label()
	}
	if s.Label() == "direct" {
		return "seed=" + strconv.FormatInt(s.Seed, 10)
	}
	return s.Label() + ",seed=" + strconv.FormatInt(s.Seed, 10)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// ParseSettings parses comma-separated key=value pairs, the form Label and
// String write: bw (or bandwidth), latency, errors, status, drops, seed, as
// in "latency=20ms,errors=0.05,drops=0.01,bw=20MiB/s". "" and "direct" are
// the zero Settings. The result is validated.
func ParseSettings(str string) (Settings, error) {
	var s Settings
	str = strings.TrimSpace(str)
	if str == "" || str == "direct" {
		return s, nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(str, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || key == "" {
			return Settings{}, fmt.Errorf("registry settings %q: %q: want key=value", str, part)
		}
		if key == "bandwidth" {
			key = "bw"
		}
		if seen[key] {
			return Settings{}, fmt.Errorf("registry settings %q: %s given twice", str, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "bw":
			s.BandwidthBytesPerSec, err = input.Bandwidth(val)
		case "latency":
			s.Latency, err = time.ParseDuration(val)
			if err != nil {
				err = fmt.Errorf("latency %q: want a duration like 20ms: %w", val, err)
			}
		case "errors":
			s.ErrorRate, err = parseFraction("error rate", val)
		case "status":
			s.ErrorStatus, err = strconv.Atoi(val)
			if err != nil {
				err = fmt.Errorf("error status %q: want 429, 503 or 0 (both)", val)
			}
		case "drops":
			s.DropRate, err = parseFraction("drop rate", val)
		case "seed":
			s.Seed, err = strconv.ParseInt(val, 10, 64)
			if err != nil {
				err = fmt.Errorf("seed %q: want an integer", val)
			}
		default:
			err = fmt.Errorf("unknown key %q: want bw, latency, errors, status, drops or seed", key)
		}
		if err != nil {
			return Settings{}, fmt.Errorf("registry settings %q: %w", str, err)
		}
	}
	if err := s.Validate(); err != nil {
		return Settings{}, fmt.Errorf("registry settings %q: %w", str, err)
	}
	return s, nil
}

func parseFraction(what, val string) (float64, error) {
	f, err := strconv.ParseFloat(val, 64)
	if err != nil || !isFraction(f) {
		return 0, fmt.Errorf("%s %q: want a fraction from 0 to 1", what, val)
	}
	return f, nil
}

// Bandwidth units, SI (powers of 1000) and binary (powers of 1024).
