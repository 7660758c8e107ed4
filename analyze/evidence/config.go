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
	s := fmt.Sprintf("workers=%d,batch=%s,cache=%s,strategy=%s", c.Workers, input.BatchLabel(c.Batch), c.CacheMode, c.Strategy)
	if c.Registry != "" && c.Registry != "unlimited" {
		s += ",registry-bandwidth=" + c.Registry
	}
	return s
}

func configOf(rc record.Config) Config {
	c := Config{Workers: rc.Workers, Batch: max(rc.Batch, 0), CacheMode: rc.CacheMode, Strategy: rc.Strategy}
	// The record's registry key describes the registry conditions (a
	// proxy's settings, or "direct"); the cell's bandwidth dimension is
	// the "-bw" suffix of its name.
	if _, bw, ok := strings.Cut(rc.Cell, "-bw"); ok && bw != "unlimited" {
		c.Registry = bw
		// One spelling per cap: "12582912B/s" and "12MiB/s" are one cell.
		if n, err := input.Bandwidth(bw); err == nil && n > 0 {
			c.Registry = input.FormatBandwidth(n)
		}
	}
	if c.CacheMode == "" {
		c.CacheMode = "off"
	}
	if c.Strategy == "" {
		c.Strategy = "single"
	}
	return c
}

// ParseConfig parses a config such as
// "workers=4,batch=15,cache=max,strategy=single" (input.ParseConfig: the
// one parser of every --config, --baseline, --base and --head). Errors
// wrap input.ErrBad.
func ParseConfig(s string) (Config, error) {
	c, err := input.ParseConfig(s)
	if err != nil {
		return Config{}, err
	}
	reg := c.Registry
	if n, err := input.Bandwidth(reg); err == nil && n > 0 {
		reg = input.FormatBandwidth(n) // as configOf spells the cells' caps
	}
	return Config{Workers: c.Workers, Batch: c.Batch, CacheMode: c.Cache, Strategy: c.Strategy, Registry: reg}, nil
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
