package evidence

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// Config is one configuration of the build: the knobs a sweep varies.
type Config struct {
	Workers int `json:"workers"`
	// Batch is the batch size; 0 is stream.
	Batch     int    `json:"batch"`
	CacheMode string `json:"cache_mode"`
	Strategy  string `json:"strategy"`
	// Registry is the registry bandwidth label of a sweep cell ("" when
	// direct).
	Registry string `json:"registry,omitempty"`
}

// Name is the config's short label, as the sweep names its cells:
// "w4-b15-max-single", "w2-stream-off-three-phase".
func (c Config) Name() string {
	b := "stream"
	if c.Batch > 0 {
		b = "b" + strconv.Itoa(c.Batch)
	}
	name := fmt.Sprintf("w%d-%s-%s-%s", c.Workers, b, c.CacheMode, c.Strategy)
	if c.Registry != "" && c.Registry != "unlimited" {
		name += "-bw" + c.Registry
	}
	return name
}

// String writes the config the way ParseConfig reads it.
func (c Config) String() string {
	return fmt.Sprintf("workers=%d,batch=%s,cache=%s,strategy=%s", c.Workers, input.BatchLabel(c.Batch), c.CacheMode, c.Strategy)
}

func configOf(rc record.Config) Config {
	c := Config{Workers: rc.Workers, Batch: max(rc.Batch, 0), CacheMode: rc.CacheMode, Strategy: rc.Strategy}
	// The record's registry key describes the registry conditions (a
	// proxy's settings, or "direct"); the cell's bandwidth dimension is
	// the "-bw" suffix of its name.
	if _, bw, ok := strings.Cut(rc.Cell, "-bw"); ok && bw != "unlimited" {
		c.Registry = bw
	}
	if c.CacheMode == "" {
		c.CacheMode = "off"
	}
	if c.Strategy == "" {
		c.Strategy = "single"
	}
	return c
}

var (
	cacheModes = []string{"off", "min", "max"}
	strategies = []string{"single", "three-phase"}
)

// ParseConfig parses a config such as
// "workers=4,batch=15,cache=max,strategy=single". Keys are workers, batch
// (a number or "stream"), cache (or cache_mode: off, min, max) and strategy
// (single, three-phase); workers is required, the others default to batch
// stream, cache off and strategy single. Errors wrap input.ErrBad.
func ParseConfig(s string) (Config, error) {
	const what = "config"
	c := Config{CacheMode: "off", Strategy: "single"}
	if strings.TrimSpace(s) == "" {
		return c, input.Errorf(what, "empty, want workers=N[,batch=N|stream][,cache=off|min|max][,strategy=single|three-phase]")
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || k == "" {
			return c, input.Errorf(what, "%q: item %q is not key=value", s, part)
		}
		if k == "cache_mode" || k == "cache-mode" {
			k = "cache"
		}
		if seen[k] {
			return c, input.Errorf(what, "%q: key %s given twice", s, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "workers":
			c.Workers, err = input.PositiveInt(v)
		case "batch":
			c.Batch, err = input.Batch(v)
		case "cache":
			c.CacheMode, err = oneOf(v, cacheModes)
		case "strategy":
			c.Strategy, err = oneOf(v, strategies)
		default:
			return c, input.Errorf(what, "%q: unknown key %q; known keys are workers, batch, cache (cache_mode), strategy", s, k)
		}
		if err != nil {
			return c, input.Bad(what+" "+k, err)
		}
	}
	if !seen["workers"] {
		return c, input.Errorf(what, "%q: workers is missing; want workers=N", s)
	}
	return c, nil
}

func oneOf(v string, allowed []string) (string, error) {
	v = strings.ToLower(v)
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", fmt.Errorf("%q: want one of %s", v, strings.Join(allowed, ", "))
}
