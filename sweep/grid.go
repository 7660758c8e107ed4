// Package sweep is the evidence generator of buildtune: it plans a grid of
// build settings (parallel workers x batch size x registry cache mode x build
// strategy x registry bandwidth), runs every cell as repeated, interleaved
// cold and warm trials through a TrialRunner with the same batch-and-barrier
// scheduling as the real build script, and appends one record per trial (and
// per dropped cell in an adaptive sweep) to OutDir/records.jsonl, resumable
// after an interruption. It neither drives BuildKit itself nor computes
// statistics beyond asking package analyze which cells to drop.
package sweep

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// Temperatures of a trial.
const (
	// Cold trials start from a reset stack: empty BuildKit cache, empty registry.
	Cold = "cold"
	// Warm trials follow the cold trial of the same unit with its state kept
	// and a new SDK sha, like the next CI run after an SDK bump.
	Warm = "warm"
)

// Temps lists the valid temperatures in their canonical order.
var Temps = []string{Cold, Warm}

// Direct is the registry label of a cell that talks to the registry without
// a bandwidth cap.
const Direct = "unlimited"

// Cell is one point of the grid: the settings a trial builds the sample with.
type Cell struct {
	Workers int
	// Batch is the batch size; 0 is stream (one pool, no barrier).
	Batch    int
	Cache    engine.CacheMode
	Strategy string
	// Registry is the registry bandwidth label; "" or "unlimited" is direct.
	Registry string
}

// Name is the cell's stable short label, like "w4-b8-min-single",
// "w2-stream-off-three-phase" or "w4-b8-max-single-bw20MiB/s".
func (c Cell) Name() string {
	b := "stream"
	if c.Batch > 0 {
		b = "b" + strconv.Itoa(c.Batch)
	}
	name := fmt.Sprintf("w%d-%s-%s-%s", c.Workers, b, c.Cache, c.Strategy)
	if !c.direct() {
		name += "-bw" + c.Registry
	}
	return name
}

func (c Cell) direct() bool { return c.Registry == "" || c.Registry == Direct }

// Config returns the record keys of the cell; the trial-level keys (temp,
// rep, profile) are filled by Trial.Config.
func (c Cell) Config() record.Config {
	cfg := record.Config{
		Cell:      c.Name(),
		Workers:   c.Workers,
		Batch:     c.Batch,
		CacheMode: string(c.Cache),
		Strategy:  c.Strategy,
	}
	if !c.direct() {
		cfg.Registry = c.Registry
	}
	return cfg
}

// Grid is the set of settings a sweep measures, and how often.
type Grid struct {
	Workers []int
	// Batches are batch sizes; 0 is stream.
	Batches    []int
	Cache      []engine.CacheMode
	Strategies []string
	// Registry are bandwidth labels as regproxy.FormatBandwidth writes them
	// ("unlimited" is direct).
	Registry []string
	// Temps says which temperatures are recorded: "cold", or "cold" and
	// "warm" (a warm trial needs the cold one before it).
	Temps []string
	// Reps is the number of units (cold trial, then warm trial) per cell.
	Reps int
	// Sample is the number of instances each trial builds.
	Sample int
	// Seed fixes the trial order, the SDK shas and the sample.
	Seed int64
	// Profile names the workload profile, for records.
	Profile string
	// Configs, when set, are the cells themselves instead of the cross
	// product of the dimensions (a paired proof: --config base --config
	// head). Their unset registry is direct.
	Configs []Cell
}

// ParseCell parses one explicit cell, "workers=4,batch=15,cache=max"
// (input.ParseConfig: batch may be stream; strategy defaults to single,
// cache to off, batch to stream, registry-bandwidth to unlimited).
func ParseCell(s string) (Cell, error) {
	c, err := input.ParseConfig(s)
	if err != nil {
		return Cell{}, err
	}
	reg := c.Registry
	if reg == "" {
		reg = Direct
	}
	return Cell{Workers: c.Workers, Batch: c.Batch, Cache: engine.CacheMode(c.Cache), Strategy: c.Strategy, Registry: reg}, nil
}

// String writes the cell the way ParseCell reads it.
func (c Cell) String() string {
	s := fmt.Sprintf("workers=%d,batch=%s,cache=%s,strategy=%s", c.Workers, input.BatchLabel(c.Batch), c.Cache, c.Strategy)
	if !c.direct() {
		s += ",registry-bandwidth=" + c.Registry
	}
	return s
}

// The numbers behind DefaultGrid and the estimate model.
const (
	// DefaultSample is the number of instances a default trial builds: a
	// batch of DefaultBatch and a partial one, as the real list ends in a
	// partial batch (433 = 28 x 15 + 13). It keeps `make demo` within 10
	// minutes on 2 cores (6 images took 10m33s with the warm-up trial).
	DefaultSample = 5
	// DefaultBatch is the default grid's batch size.
	DefaultBatch = 3
	// DefaultReps is the number of units per cell of a default sweep. It
	// is the smallest n at which analyze.Rank (two-sided Mann-Whitney,
	// Holm-corrected over the 8 comparisons of 9 cells) can call a cell
	// significantly worse at alpha 0.05: 6 vs 6 gives p >= 0.0022, times
	// 8 is 0.017. With 5 reps (p >= 0.0079, times 8 = 0.063) no ranking
	// of 9 cells can separate anything; more cells need more reps.
	DefaultReps = 6
	// DefaultPerImageSeconds is the time one instance's builds of the
	// default profile take alone (one worker): measured 13.5-14.5 s per
	// 6-image trial at W=1 in a default sweep on an idle 2-core machine
	// (2026-11-26), about 2.3 s per image.
	DefaultPerImageSeconds = 2.3
	// BuildCPUShare is the cores one build keeps busy on its own: the RUN
	// steps plus buildkitd's own work (layer compression, export). Fitted
	// to the same sweep: W=2 batches of 3 took 10.5 s where 2 images at
	// once would take 2.3 s each if a build used one core.
	BuildCPUShare = 1.33
	// DefaultSeed is the default grid's seed.
	DefaultSeed = 1
	// TrialOverheadSeconds is the fixed cost of a trial in the estimate:
	// resetting the cache for a cold trial (prune --all), starting the
	// registry proxy, writing records (about 1 s measured).
	TrialOverheadSeconds = 1.0
	// BarrierTailFactor is the estimate's allowance, in per-image times,
	// for the slowest job of a batch outlasting the others (the barrier
	// waits for it); images are never equally long.
	BarrierTailFactor = 0.25
	// EstimateCores is the core count Estimate assumes: the target
	// machine's 2 cores.
	EstimateCores = 2
)

// RunStepSeconds is the estimate's cost of one more RUN step (layer) in an
// image, besides its own CPU: starting its container and snapshotting and
// exporting its layer. Measured on the 2-core reference machine: a profile
// of 97 image RUN steps (apt in 64 layers, npm in 32, settings) with almost
// no hashing took about 50 s per image alone, where the default profile's 3
// take 2.3 s.
const RunStepSeconds = 0.5

// ProfilePerImageSeconds is the per-image time the estimates assume for the
// fixtures of profile p: DefaultPerImageSeconds, measured on the default
// profile, plus the RUN-step seconds p spends per image beyond the
// default's (its image steps' hashing here, and the builder's with
// builder_cache per-build) and RunStepSeconds for each RUN step beyond the
// default's. A lighter profile keeps DefaultPerImageSeconds: an image's
// fixed costs (its base pull, export and push) do not shrink with its work.
// Without it, a budget was checked against the default profile's 2.3 s
// whatever the profile: a time_scale of 1 (142 s of RUN steps per image)
// passed a budget it exceeded a hundred times over.
func ProfilePerImageSeconds(p *fixtures.Profile) float64 {
	if p == nil {
		return DefaultPerImageSeconds
	}
	def, err := fixtures.LoadProfile(fixtures.DefaultProfile)
	if err != nil {
		return DefaultPerImageSeconds
	}
	cpu, steps := imageWork(p)
	defCPU, defSteps := imageWork(def)
	extra := math.Max(0, cpu-defCPU) + RunStepSeconds*float64(max(0, steps-defSteps))
	if !(extra > 0) || math.IsInf(extra, 0) {
		return DefaultPerImageSeconds
	}
	return DefaultPerImageSeconds + extra
}

// imageWork is the seconds of hashing (at p's cpu_unit, on the reference
// machine) and the RUN steps each image of p runs when the builder stage
// is shared: apt, npm and settings, and the builder's with builder_cache
// per-build.
func imageWork(p *fixtures.Profile) (cpu float64, steps int) {
	st := []fixtures.Step{p.Steps.Apt, p.Steps.Npm, p.Steps.Settings}
	if p.BuilderCache == fixtures.BuilderPerBuild {
		st = append(st, p.Steps.Builder)
	}
	for _, s := range st {
		cpu += s.CPUSeconds * p.TimeScale
		steps += max(s.Layers, 1)
	}
	return cpu, steps
}

// DefaultGrid is the no-flag sweep. It is chosen to finish in about 10
// minutes on 2 cores (measured: BENCHMARKS.md; Estimate gives an upper
// bound) with enough reps for a significant ranking:
//
//   - workers 1, 2 (= cores) and 4 (oversubscribed, like W=16 on a larger
//     machine): the knob the real PR turned;
//   - cache off, min and max: the cache export cost (#540: 0, 11.7 and
//     22.4 s per image), the other knob of the PR;
//   - batch 3 (a barrier every 3 images, as B=15 in production): the
//     barrier loss of other batch sizes follows from measured per-image
//     times with analyze.Makespan / PredictMakespan;
//   - the single strategy, direct registry, cold trials only.
//
// That is 3 x 3 = 9 cells x 6 reps = 54 cold trials of 5 images (and one warm-up trial). Stream,
// three-phase, warm trials and registry caps are one flag away (--batch
// 3,stream --strategy single,three-phase --temp cold,warm
// --registry-bandwidth 20MiB/s,unlimited) and multiply the time: use
// --budget with them.
func DefaultGrid() Grid {
	return Grid{
		Workers:    []int{1, 2, 4},
		Batches:    []int{DefaultBatch},
		Cache:      []engine.CacheMode{engine.CacheOff, engine.CacheMin, engine.CacheMax},
		Strategies: []string{workload.Single},
		Registry:   []string{Direct},
		Temps:      []string{Cold},
		Reps:       DefaultReps,
		Sample:     DefaultSample,
		Seed:       DefaultSeed,
	}
}

// Cells returns the cartesian product of the grid's dimensions in a stable
// order: workers, then batch, cache, strategy and registry, each in the
// order given.
func (g Grid) Cells() []Cell {
	var cells []Cell
	if len(g.Configs) > 0 {
		for _, c := range g.Configs {
			c.Registry = normRegistry(c.Registry)
			cells = append(cells, c)
		}
		return cells
	}
	for _, w := range g.Workers {
		for _, b := range g.Batches {
			for _, c := range g.Cache {
				for _, s := range g.Strategies {
					for _, r := range g.Registry {
						cells = append(cells, Cell{Workers: w, Batch: b, Cache: c, Strategy: s, Registry: normRegistry(r)})
					}
				}
			}
		}
	}
	return cells
}

// HasWarm reports whether the grid records warm trials.
func (g Grid) HasWarm() bool { return slices.Contains(g.Temps, Warm) }

// GridError lists every problem Validate found.
type GridError struct {
	Problems []string
}

func (e *GridError) Error() string {
	return "invalid grid: " + strings.Join(e.Problems, "; ")
}

// Validate checks every dimension and names each bad value and what was
// expected. Batch 0 is stream; the text forms spell it "stream".
func (g Grid) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	checkInts := func(name string, vals []int, zeroOK bool) {
		if len(vals) == 0 {
			add("%s: empty, want at least one value", name)
		}
		seen := map[int]bool{}
		for _, v := range vals {
			switch {
			case v < 0 || (v == 0 && !zeroOK):
				add("%s %d: want a positive integer", name, v)
			case seen[v]:
				add("%s %s: listed twice", name, batchLabel(v, zeroOK))
			}
			seen[v] = true
		}
	}
	seenCell := map[string]bool{}
	for _, c := range g.Configs {
		switch {
		case c.Workers < 1 || c.Batch < 0 || !slices.Contains(engine.CacheModes, c.Cache) || !slices.Contains(workload.Strategies, c.Strategy):
			add("config %s: want workers >= 1, batch >= 0, cache one of %s, strategy one of %s", c.String(), joinModes(engine.CacheModes), strings.Join(workload.Strategies, ", "))
		case seenCell[c.Name()]:
			add("config %s: listed twice", c.String())
		}
		seenCell[c.Name()] = true
	}
	if len(g.Configs) > 0 {
		// Explicit cells replace the dimensions; fill them for the checks.
		g.Workers, g.Batches, g.Cache, g.Strategies, g.Registry = []int{1}, []int{0}, []engine.CacheMode{engine.CacheOff}, []string{workload.Single}, []string{Direct}
	}
	checkInts("workers", g.Workers, false)
	checkInts("batch", g.Batches, true)

	if len(g.Cache) == 0 {
		add("cache: empty, want one or more of %s", joinModes(engine.CacheModes))
	}
	seenCache := map[engine.CacheMode]bool{}
	for _, c := range g.Cache {
		switch {
		case !slices.Contains(engine.CacheModes, c):
			add("cache %q: want one of %s", c, joinModes(engine.CacheModes))
		case seenCache[c]:
			add("cache %s: listed twice", c)
		}
		seenCache[c] = true
	}

	checkNames := func(name string, vals, valid []string) {
		if len(vals) == 0 {
			add("%s: empty, want one or more of %s", name, strings.Join(valid, ", "))
		}
		seen := map[string]bool{}
		for _, v := range vals {
			switch {
			case !slices.Contains(valid, v):
				add("%s %q: want one of %s", name, v, strings.Join(valid, ", "))
			case seen[v]:
				add("%s %s: listed twice", name, v)
			}
			seen[v] = true
		}
	}
	checkNames("strategy", g.Strategies, workload.Strategies)
	checkNames("temp", g.Temps, Temps)
	if len(g.Temps) > 0 && !slices.Contains(g.Temps, Cold) {
		add("temp %s: a warm trial needs the cold trial before it; want cold or cold,warm", strings.Join(g.Temps, ","))
	}

	if len(g.Registry) == 0 {
		add("registry-bandwidth: empty, want unlimited or a bandwidth like 20MiB/s")
	}
	seenBW := map[string]bool{}
	for _, r := range g.Registry {
		label, err := NormalizeBandwidth(r)
		switch {
		case err != nil:
			add("registry-bandwidth: %v", err)
		case seenBW[label]:
			add("registry-bandwidth %s: listed twice", label)
		}
		seenBW[label] = true
	}

	if g.Reps < 1 {
		add("reps %d: want 1 or more", g.Reps)
	}
	switch {
	case g.Sample < 1:
		add("sample %d: want 1 or more instances", g.Sample)
	case g.Sample > input.MaxCount:
		add("sample %d: want at most %d instances", g.Sample, input.MaxCount)
	}
	if len(p) > 0 {
		return &GridError{Problems: p}
	}
	return nil
}

func batchLabel(v int, zeroIsStream bool) string {
	if v == 0 && zeroIsStream {
		return "stream"
	}
	return strconv.Itoa(v)
}

func joinModes(ms []engine.CacheMode) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

// ParseWorkers parses "--workers 1,2,4": positive integers.
func ParseWorkers(s string) ([]int, error) {
	return input.List("workers", s, input.PositiveInt, strconv.Itoa)
}

// ParseBatches parses "--batch 4,8,stream": positive integers, or "stream"
// (returned as 0: one continuous pool, no barrier).
func ParseBatches(s string) ([]int, error) {
	return input.List("batch", s, input.Batch, input.BatchLabel)
}

// ParseCacheModes parses "--cache off,min,max".
func ParseCacheModes(s string) ([]engine.CacheMode, error) {
	return input.List("cache", s, engine.ParseCacheMode, func(m engine.CacheMode) string { return string(m) })
}

// ParseStrategies parses "--strategy single,three-phase".
func ParseStrategies(s string) ([]string, error) {
	return input.List("strategy", s, workload.ParseStrategy, same)
}

// ParseTemps parses "--temp cold,warm".
func ParseTemps(s string) ([]string, error) {
	return input.List("temp", s, func(it string) (string, error) {
		v := strings.ToLower(it)
		if !slices.Contains(Temps, v) {
			return "", fmt.Errorf("%q: want one of %s", it, strings.Join(Temps, ", "))
		}
		return v, nil
	}, same)
}

// ParseBandwidths parses "--registry-bandwidth 20MiB/s,unlimited" and
// returns normalised labels.
func ParseBandwidths(s string) ([]string, error) {
	return input.List("registry-bandwidth", s, NormalizeBandwidth, same)
}

func same(s string) string { return s }

// NormalizeBandwidth returns the canonical label of a bandwidth: "" and
// "unlimited" (and "0") are "unlimited"; "20971520B/s" is "20MiB/s".
func NormalizeBandwidth(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return Direct, nil
	}
	bps, err := input.Bandwidth(s)
	if err != nil {
		return "", err
	}
	return input.FormatBandwidth(bps), nil
}

// normRegistry normalises a label that Validate accepted; an invalid one is
// kept as given.
func normRegistry(s string) string {
	label, err := NormalizeBandwidth(s)
	if err != nil {
		return s
	}
	return label
}

// The grid's keys, in files (YAML, run.json) as on the command line.
var gridKeys = []string{"workers", "batch", "cache", "strategy", "temp", "registry-bandwidth", "reps", "sample", "seed", "profile", "configs"}

func configStrings(cs []Cell) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

// MarshalJSON writes the grid with the same keys and value forms as a grid
// file: batch 0 is "stream".
func (g Grid) MarshalJSON() ([]byte, error) {
	batches := make([]any, len(g.Batches))
	for i, b := range g.Batches {
		if b == 0 {
			batches[i] = "stream"
		} else {
			batches[i] = b
		}
	}
	return json.Marshal(struct {
		Workers  []int              `json:"workers"`
		Batch    []any              `json:"batch"`
		Cache    []engine.CacheMode `json:"cache"`
		Strategy []string           `json:"strategy"`
		Temp     []string           `json:"temp"`
		Registry []string           `json:"registry-bandwidth"`
		Reps     int                `json:"reps"`
		Sample   int                `json:"sample"`
		Seed     int64              `json:"seed"`
		Profile  string             `json:"profile,omitempty"`
		Configs  []string           `json:"configs,omitempty"`
	}{g.Workers, batches, g.Cache, g.Strategies, g.Temps, g.Registry, g.Reps, g.Sample, g.Seed, g.Profile, configStrings(g.Configs)})
}

// UnmarshalJSON reads the keys of a grid file over the grid's current
// values: keys absent from data keep them. Unknown keys are an error naming
// them. Each dimension may be a list ([4, 8, stream]) or a comma-separated
// string ("4,8,stream"), parsed like the flag.
func (g *Grid) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("grid: want a mapping of %s: %w", strings.Join(gridKeys, ", "), err)
	}
	var unknown []string
	for k := range raw {
		if !slices.Contains(gridKeys, k) {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("grid: unknown key %s; known keys are %s", strings.Join(unknown, ", "), strings.Join(gridKeys, ", "))
	}
	out := *g
	for _, k := range gridKeys {
		v, ok := raw[k]
		if !ok {
			continue
		}
		var err error
		switch k {
		case "workers":
			err = parseDim(k, v, func(s string) (e error) { out.Workers, e = ParseWorkers(s); return e })
		case "batch":
			err = parseDim(k, v, func(s string) (e error) { out.Batches, e = ParseBatches(s); return e })
		case "cache":
			err = parseDim(k, v, func(s string) (e error) { out.Cache, e = ParseCacheModes(s); return e })
		case "strategy":
			err = parseDim(k, v, func(s string) (e error) { out.Strategies, e = ParseStrategies(s); return e })
		case "temp":
			err = parseDim(k, v, func(s string) (e error) { out.Temps, e = ParseTemps(s); return e })
		case "registry-bandwidth":
			err = parseDim(k, v, func(s string) (e error) { out.Registry, e = ParseBandwidths(s); return e })
		case "reps":
			err = decodeScalar(k, v, &out.Reps)
		case "sample":
			err = decodeScalar(k, v, &out.Sample)
		case "seed":
			err = decodeScalar(k, v, &out.Seed)
		case "profile":
			err = decodeScalar(k, v, &out.Profile)
		case "configs":
			var list []string
			if err = decodeScalar(k, v, &list); err == nil {
				if len(list) == 0 {
					return fmt.Errorf("grid key configs: empty list, want at least one cell such as \"workers=4,batch=15,cache=max\" (or leave the key out for the cross product)")
				}
				out.Configs = nil
				for _, item := range list {
					c, cerr := ParseCell(item)
					if cerr != nil {
						return fmt.Errorf("grid key configs: %w", cerr)
					}
					out.Configs = append(out.Configs, c)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	*g = out
	return nil
}

func decodeScalar(key string, v json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	if err := dec.Decode(dst); err != nil {
		want := map[string]string{"*int": "a whole number", "*int64": "a whole number", "*string": "a string",
			"*[]string": "a list of cells such as [\"workers=4,batch=15,cache=max\"]"}[fmt.Sprintf("%T", dst)]
		return fmt.Errorf("grid key %s: %s: want %s", key, v, cmp.Or(want, fmt.Sprintf("a %T", dst)))
	}
	return nil
}

// secondDocument returns the line of a second, non-empty YAML document in
// data (0 if there is none, or data is not YAML: the conversion reports that).
func secondDocument(data []byte) int {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); err != nil {
			return 0
		}
		empty := len(doc.Content) == 0 || doc.Content[0].Kind == yamlv3.ScalarNode && doc.Content[0].ShortTag() == "!!null"
		if i > 0 && !empty {
			return doc.Line
		}
	}
}

// parseDim turns a list or a comma-separated string into the flag form and
// hands it to parse.
func parseDim(key string, v json.RawMessage, parse func(string) error) error {
	var val any
	if err := json.Unmarshal(v, &val); err != nil {
		return fmt.Errorf("grid key %s: %w", key, err)
	}
	if s, ok := val.(string); ok {
		return parse(s) // the flag form: "4,8,stream"
	}
	items, ok := val.([]any)
	if !ok {
		items = []any{val} // one value: "workers: 4"
	}
	if len(items) == 0 {
		return fmt.Errorf("grid key %s: empty list, want at least one value", key)
	}
	strs := make([]string, len(items))
	for i, it := range items {
		switch x := it.(type) {
		case string:
			if strings.Contains(x, ",") {
				return fmt.Errorf("grid key %s: item %q holds a comma; list items one by one", key, x)
			}
			strs[i] = x
		case bool:
			// YAML 1.1 reads an unquoted off (and no) as false, on as
			// true: give the word back, so that "cache: [off, max]"
			// means what it says.
			strs[i] = map[bool]string{false: "off", true: "on"}[x]
		case float64:
			if x != math.Trunc(x) {
				return fmt.Errorf("grid key %s: item %v is not an integer", key, x)
			}
			strs[i] = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return fmt.Errorf("grid key %s: %s is neither a value, a list of values nor a comma-separated string", key, v)
		}
	}
	return parse(strings.Join(strs, ","))
}

// LoadGrid reads a YAML grid file with the flags' keys (workers, batch,
// cache, strategy, temp, registry-bandwidth, reps, sample, seed, profile)
// over DefaultGrid: keys absent from the file keep the default. Unknown and
// duplicate keys are errors. The result is validated.
func LoadGrid(path string) (Grid, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Grid{}, fmt.Errorf("reading grid: %w", err)
	}
	g, err := ParseGrid(data)
	if err == nil {
		err = configsAndDimensions(data)
	}
	if err == nil {
		err = keysWithoutValue(data)
	}
	if err != nil {
		return Grid{}, fmt.Errorf("grid file %s: %w", path, err)
	}
	// A profile file named in the grid is the grid file's neighbour, as a
	// workload file's folders are: the same file whatever the working
	// folder the sweep (or its --resume) runs in.
	if g.Profile != "" && g.Profile != "default" && !filepath.IsAbs(g.Profile) {
		g.Profile = filepath.Join(filepath.Dir(path), g.Profile)
	}
	return g, nil
}

// keysWithoutValue refuses a grid file key given no value (`reps:`,
// `profile: ~`, `configs:`): decoded as null, it kept the default without
// a word, and the sweep ran another grid than the file seemed to ask for.
// The dimensions' keys say it themselves (parseDim).
func keysWithoutValue(data []byte) error {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil // ParseGrid reports it
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(j, &keys) != nil {
		return nil
	}
	for _, k := range []string{"reps", "sample", "seed", "profile", "configs"} {
		if v, ok := keys[k]; ok && bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return fmt.Errorf("grid key %s: no value (null); want a value, or leave the key out for the default", k)
		}
	}
	return nil
}

// configsAndDimensions refuses a grid file that gives explicit cells
// (configs) and a dimension: the cells replace the dimensions, as --config
// refuses the dimensions' flags, so the file's dimensions would be dropped
// without a word. ParseGrid takes both, as run.json writes them (its
// dimensions are the defaults then).
func configsAndDimensions(data []byte) error {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil // ParseGrid reports it
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(j, &keys) != nil || keys["configs"] == nil {
		return nil
	}
	var both []string
	for _, k := range []string{"workers", "batch", "cache", "strategy", "registry-bandwidth"} {
		if _, ok := keys[k]; ok {
			both = append(both, k)
		}
	}
	if len(both) > 0 {
		return fmt.Errorf("configs and %s: explicit cells replace the grid's dimensions; give one or the other", strings.Join(both, ", "))
	}
	return nil
}

// ParseGrid is LoadGrid on the file's contents.
func ParseGrid(data []byte) (Grid, error) {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return Grid{}, fmt.Errorf("parsing YAML: %w", err)
	}
	// The conversion reads the first YAML document only: a second one
	// would be dropped without a word.
	if line := secondDocument(data); line > 0 {
		return Grid{}, fmt.Errorf("line %d: a second YAML document (after ---); want one grid per file", line)
	}
	g := DefaultGrid()
	if t := bytes.TrimSpace(j); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return g, nil
	}
	if err := json.Unmarshal(j, &g); err != nil {
		return Grid{}, err
	}
	if err := g.Validate(); err != nil {
		return Grid{}, err
	}
	return g, nil
}

// Estimate is the expected duration of the whole sweep of g on
// EstimateCores cores when one instance takes perImageSeconds on one idle
// worker. See EstimateOn for the model.
func Estimate(g Grid, perImageSeconds float64) time.Duration {
	return EstimateOn(g, perImageSeconds, EstimateCores)
}

// EstimateOn is Estimate on a machine with cores cores. The model, per
// trial of cell (W workers, batch B, sample n, per-image time p):
//
//   - CPU-bound builds share the cores: with k = min(W, B or n) jobs
//     running, each takes p' = p * max(1, k*BuildCPUShare/cores);
//   - the jobs are scheduled like the real script (analyze.Makespan of n
//     jobs of p' with W workers and batch B), so a partial last round of
//     a batch costs a whole round;
//   - each barrier adds BarrierTailFactor*p for the slowest image of the
//     batch (stream has no barrier);
//   - three-phase adds one p for the shared builder image, built alone;
//   - every trial adds TrialOverheadSeconds.
//
// Warm trials are estimated like cold ones (an upper bound: they hit the
// local cache). The sweep's estimate is the sum over all its trials.
func EstimateOn(g Grid, perImageSeconds float64, cores int) time.Duration {
	if cores < 1 {
		cores = 1
	}
	temps := len(g.Temps)
	if temps == 0 {
		temps = 1
	}
	var total float64
	for _, c := range g.Cells() {
		total += float64(g.Reps*temps) * trialSeconds(c, g.Sample, perImageSeconds, cores)
	}
	return seconds(total)
}

// trialSeconds is the model of one trial; see EstimateOn.
func trialSeconds(c Cell, sample int, p float64, cores int) float64 {
	if sample < 1 || c.Workers < 1 {
		return TrialOverheadSeconds
	}
	size := c.Batch
	if size <= 0 || size > sample {
		size = sample
	}
	k := min(c.Workers, size)
	pp := p * math.Max(1, float64(k)*BuildCPUShare/float64(cores))
	t := equalMakespan(sample, pp, c.Workers, c.Batch)
	if c.Batch > 0 {
		batches := (sample + c.Batch - 1) / c.Batch
		t += float64(batches) * BarrierTailFactor * p
	}
	if c.Strategy == workload.ThreePhase {
		t += p
	}
	return t + TrialOverheadSeconds
}

// equalMakespan is analyze.Makespan of n jobs of d seconds each, to the
// same float64, without a slice of n durations or n*workers steps: in a
// batch of s jobs the first min(s, workers) workers get ceil(s/workers)
// jobs or one fewer, so the batch lasts d added ceil(s/workers) times. A
// --sample or --workers of 10^5 is then no allocation of its size and no
// 10^10 steps before the budget check can refuse it.
func equalMakespan(n int, d float64, workers, batch int) float64 {
	if batch <= 0 || batch > n {
		batch = n
	}
	var total float64
	for start := 0; start < n; start += batch {
		s := min(batch, n-start)
		var busy float64
		for range (s + workers - 1) / workers {
			busy += d
		}
		total += busy
	}
	return total
}

// seconds converts an estimate in seconds to a duration, saturating at the
// longest duration: a huge per-image time (--per-image-seconds 1e308, or a
// run.json edited by hand) overflowed time.Duration into a negative
// estimate, which passed every budget check and showed a negative ETA.
func seconds(s float64) time.Duration {
	switch ns := math.Round(s * float64(time.Second)); {
	case math.IsNaN(ns) || ns <= 0:
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	default:
		return time.Duration(ns)
	}
}

// Seconds is seconds for the callers of the package: a figure in seconds
// from a flag or run.json as a duration, saturating instead of
// overflowing.
func Seconds(s float64) time.Duration { return seconds(s) }

// CheckBudget returns an error stating the estimate and the budget when the
// estimate of g exceeds budget (budget <= 0 is no limit).
func CheckBudget(g Grid, perImageSeconds float64, cores int, budget time.Duration) error {
	if budget <= 0 {
		return nil
	}
	est := EstimateOn(g, perImageSeconds, cores)
	if est > budget {
		return fmt.Errorf("grid needs about %v (%d trials at %.3gs per image on %d cores), more than the budget %v: shrink the grid, lower --reps or --sample, or drop --reps for an adaptive sweep",
			est.Round(time.Second), len(Plan(g)), perImageSeconds, cores, budget)
	}
	return nil
}

// CheckAdaptiveBudget is CheckBudget for an adaptive sweep, whose first
// round runs every cell initialReps times: the error says so, and does not
// suggest the reps an adaptive sweep has none of.
func CheckAdaptiveBudget(g Grid, initialReps int, perImageSeconds float64, cores int, budget time.Duration) error {
	if budget <= 0 {
		return nil
	}
	g.Reps = initialReps
	est := EstimateOn(g, perImageSeconds, cores)
	if est > budget {
		return fmt.Errorf("the adaptive sweep's round 1 (%d cells x %d reps) needs about %v (%d trials at %.3gs per image on %d cores), more than the budget %v: shrink the grid, lower --sample, or raise the budget",
			len(g.Cells()), initialReps, est.Round(time.Second), len(Plan(g)), perImageSeconds, cores, budget)
	}
	return nil
}

// GridFileSetsReps reports whether the grid file at path gives reps: a
// fixed number of reps, as --reps is, so that a --budget with it checks
// the grid rather than starting an adaptive sweep that would ignore them.
// A file that cannot be read or parsed says false (LoadGrid reports it).
func GridFileSetsReps(path string) bool { return GridFileSets(path, "reps") }

// GridFileSets reports whether the grid file at path gives key a value,
// so that a problem of that value is named as the file's rather than as a
// flag nobody gave. A file that cannot be read or parsed says false
// (LoadGrid reports it).
func GridFileSets(path, key string) bool {
	if path == "" {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return false
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(j, &keys) != nil {
		return false
	}
	v, ok := keys[key]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}
