package input

import (
	"fmt"
	"slices"
	"strings"
)

// Config is one build configuration written as key=value pairs, the form
// of --config, --baseline, --base and --head:
// "workers=4,batch=15,cache=max,strategy=single".
type Config struct {
	Workers int
	// Batch is the batch size; 0 is stream.
	Batch    int
	Cache    string
	Strategy string
	// Registry is a bandwidth label ("" is direct, no cap).
	Registry string
}

// Knob values a Config accepts.
var (
	CacheModes = []string{"off", "min", "max"}
	Strategies = []string{"single", "three-phase"}
)

// ParseConfig parses a configuration. Keys are workers (required), batch
// (a number or stream; default stream), cache (or cache_mode: off, min,
// max; default off), strategy (single, three-phase; default single) and
// registry-bandwidth (default unlimited). Errors are bad input naming the
// key and what was expected.
func ParseConfig(s string) (Config, error) {
	const what = "config"
	c := Config{Cache: "off", Strategy: "single"}
	if strings.TrimSpace(s) == "" {
		return c, Errorf(what, "empty, want workers=N[,batch=N|stream][,cache=off|min|max][,strategy=single|three-phase]")
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return c, Errorf(what, "%q: item %q is not key=value", s, part)
		}
		if k == "cache_mode" || k == "cache-mode" {
			k = "cache"
		}
		if seen[k] {
			return c, Errorf(what, "%q: key %s given twice", s, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "workers":
			c.Workers, err = PositiveInt(v)
		case "batch":
			c.Batch, err = Batch(v)
		case "cache":
			c.Cache, err = oneOf(v, CacheModes)
		case "strategy":
			c.Strategy, err = oneOf(v, Strategies)
		case "registry-bandwidth":
			var bps int64
			if bps, err = Bandwidth(v); err == nil && bps > 0 {
				c.Registry = FormatBandwidth(bps)
			}
		default:
			return c, Errorf(what, "%q: unknown key %q; known keys are workers, batch, cache (cache_mode), strategy, registry-bandwidth", s, k)
		}
		if err != nil {
			return c, Bad(what+" "+k, err)
		}
	}
	if !seen["workers"] {
		return c, Errorf(what, "%q: workers is missing; want workers=N", s)
	}
	return c, nil
}

// String writes the configuration the way ParseConfig reads it.
func (c Config) String() string {
	s := fmt.Sprintf("workers=%d,batch=%s,cache=%s,strategy=%s", c.Workers, BatchLabel(c.Batch), c.Cache, c.Strategy)
	if c.Registry != "" {
		s += ",registry-bandwidth=" + c.Registry
	}
	return s
}

func oneOf(v string, valid []string) (string, error) {
	l := strings.ToLower(v)
	if !slices.Contains(valid, l) {
		return "", fmt.Errorf("%q: want one of %s", v, strings.Join(valid, ", "))
	}
	return l, nil
}
