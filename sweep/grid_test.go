package sweep

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/sweep/record"
)

func TestCellName(t *testing.T) {
	tests := []struct {
		cell Cell
		want string
	}{
		{Cell{Workers: 4, Batch: 8, Cache: engine.CacheMin, Strategy: "single"}, "w4-b8-min-single"},
		{Cell{Workers: 4, Batch: 8, Cache: engine.CacheMin, Strategy: "single", Registry: Direct}, "w4-b8-min-single"},
		{Cell{Workers: 2, Batch: 0, Cache: engine.CacheOff, Strategy: "three-phase"}, "w2-stream-off-three-phase"},
		{Cell{Workers: 16, Batch: 50, Cache: engine.CacheMax, Strategy: "single", Registry: "20MiB/s"}, "w16-b50-max-single-bw20MiB/s"},
	}
	for _, tt := range tests {
		if got := tt.cell.Name(); got != tt.want {
			t.Errorf("%+v.Name() = %q, want %q", tt.cell, got, tt.want)
		}
	}
}

func TestCellConfig(t *testing.T) {
	c := Cell{Workers: 4, Batch: 0, Cache: engine.CacheMax, Strategy: "three-phase", Registry: "20MiB/s"}
	want := record.Config{Cell: "w4-stream-max-three-phase-bw20MiB/s", Workers: 4, Batch: 0, CacheMode: "max", Strategy: "three-phase", Registry: "20MiB/s"}
	if got := c.Config(); got != want {
		t.Errorf("Config() = %+v, want %+v", got, want)
	}
	c.Registry = Direct
	if got := c.Config().Registry; got != "" {
		t.Errorf("direct cell: Registry = %q, want empty", got)
	}
	tr := Trial{Cell: c, Temp: Warm, Rep: 3, Profile: "small"}
	cfg := tr.Config()
	if cfg.Temp != Warm || cfg.Rep != 3 || cfg.Profile != "small" || cfg.Cell != c.Name() {
		t.Errorf("Trial.Config() = %+v", cfg)
	}
}

func TestParsers(t *testing.T) {
	type parse func(string) (any, error)
	wrap := func(f any) parse {
		return func(s string) (any, error) {
			out := reflect.ValueOf(f).Call([]reflect.Value{reflect.ValueOf(s)})
			err, _ := out[1].Interface().(error)
			return out[0].Interface(), err
		}
	}
	tests := []struct {
		name    string
		parse   parse
		in      string
		want    any
		wantErr string // substring; "" = no error
	}{
		{"workers", wrap(ParseWorkers), "1,2,4", []int{1, 2, 4}, ""},
		{"workers spaces", wrap(ParseWorkers), " 1 , 16 ", []int{1, 16}, ""},
		{"workers zero", wrap(ParseWorkers), "0,2", nil, `workers "0": want a positive integer`},
		{"workers negative", wrap(ParseWorkers), "-1", nil, `workers "-1": want a positive integer`},
		{"workers word", wrap(ParseWorkers), "two", nil, `workers "two"`},
		{"workers empty item", wrap(ParseWorkers), "1,,2", nil, "item 2 is empty"},
		{"workers trailing comma", wrap(ParseWorkers), "1,", nil, "item 2 is empty"},
		{"workers empty", wrap(ParseWorkers), "", nil, "workers: empty list"},
		{"workers duplicate", wrap(ParseWorkers), "2,4,2", nil, "workers 2: listed twice"},
		{"batch", wrap(ParseBatches), "4,8,stream", []int{4, 8, 0}, ""},
		{"batch Stream", wrap(ParseBatches), "Stream", []int{0}, ""},
		{"batch zero", wrap(ParseBatches), "0", nil, `batch "0": want a positive integer or stream`},
		{"batch negative", wrap(ParseBatches), "-15", nil, `batch "-15"`},
		{"batch duplicate stream", wrap(ParseBatches), "stream,8,stream", nil, "batch stream: listed twice"},
		{"cache", wrap(ParseCacheModes), "off,min,max", []engine.CacheMode{"off", "min", "max"}, ""},
		{"cache case", wrap(ParseCacheModes), "MAX", []engine.CacheMode{"max"}, ""},
		{"cache unknown", wrap(ParseCacheModes), "off,inline", nil, `cache mode "inline": want one of off, min, max`},
		{"cache duplicate", wrap(ParseCacheModes), "min,min", nil, "cache min: listed twice"},
		{"strategy", wrap(ParseStrategies), "single,three-phase", []string{"single", "three-phase"}, ""},
		{"strategy unknown", wrap(ParseStrategies), "two-phase", nil, `strategy "two-phase": want one of single, three-phase`},
		{"temp", wrap(ParseTemps), "cold,warm", []string{"cold", "warm"}, ""},
		{"temp unknown", wrap(ParseTemps), "hot", nil, `temp "hot": want one of cold, warm`},
		{"bandwidth", wrap(ParseBandwidths), "20MiB/s,unlimited", []string{"20MiB/s", "unlimited"}, ""},
		{"bandwidth normalised", wrap(ParseBandwidths), "20971520B/s,0", []string{"20MiB/s", "unlimited"}, ""},
		{"bandwidth bits", wrap(ParseBandwidths), "20Mb/s", nil, `registry-bandwidth bandwidth "20Mb/s"`},
		{"bandwidth duplicate", wrap(ParseBandwidths), "20MiB/s,20971520B/s", nil, "registry-bandwidth 20MiB/s: listed twice"},
		{"bandwidth duplicate unlimited", wrap(ParseBandwidths), "unlimited,0", nil, "registry-bandwidth unlimited: listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parse(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Grid)
		want   []string // substrings of the error; none = valid
	}{
		{"default", func(*Grid) {}, nil},
		{"stream batch", func(g *Grid) { g.Batches = []int{0, 15} }, nil},
		{"warm", func(g *Grid) { g.Temps = []string{Cold, Warm} }, nil},
		{"empty grid", func(g *Grid) { *g = Grid{} }, []string{"workers: empty", "batch: empty", "cache: empty, want one or more of off, min, max",
			"strategy: empty", "temp: empty", "registry-bandwidth: empty", "reps 0: want 1 or more", "sample 0: want 1 or more"}},
		{"zero workers", func(g *Grid) { g.Workers = []int{0, 2} }, []string{"workers 0: want a positive integer"}},
		{"negative batch", func(g *Grid) { g.Batches = []int{-4} }, []string{"batch -4: want a positive integer"}},
		{"unknown cache", func(g *Grid) { g.Cache = []engine.CacheMode{"inline"} }, []string{`cache "inline": want one of off, min, max`}},
		{"unknown strategy", func(g *Grid) { g.Strategies = []string{"fast"} }, []string{`strategy "fast": want one of single, three-phase`}},
		{"warm only", func(g *Grid) { g.Temps = []string{Warm} }, []string{"a warm trial needs the cold trial before it"}},
		{"bad bandwidth", func(g *Grid) { g.Registry = []string{"fast"} }, []string{`registry-bandwidth: bandwidth "fast"`}},
		{"reps", func(g *Grid) { g.Reps = -1 }, []string{"reps -1: want 1 or more"}},
		{"sample", func(g *Grid) { g.Sample = 0 }, []string{"sample 0: want 1 or more instances"}},
		{"duplicates", func(g *Grid) {
			g.Workers = []int{2, 2}
			g.Batches = []int{0, 0}
			g.Cache = []engine.CacheMode{"off", "off"}
			g.Strategies = []string{"single", "single"}
			g.Registry = []string{"unlimited", ""}
		}, []string{"workers 2: listed twice", "batch stream: listed twice", "cache off: listed twice", "strategy single: listed twice", "registry-bandwidth unlimited: listed twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := DefaultGrid()
			tt.modify(&g)
			err := g.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ge *GridError
			if !errors.As(err, &ge) {
				t.Fatalf("Validate() = %v, want a *GridError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
			if len(ge.Problems) != len(tt.want) {
				t.Errorf("Validate() found %d problems %q, want %d", len(ge.Problems), ge.Problems, len(tt.want))
			}
		})
	}
}

func TestCells(t *testing.T) {
	g := Grid{Workers: []int{1, 4}, Batches: []int{8, 0}, Cache: []engine.CacheMode{"off", "max"},
		Strategies: []string{"single", "three-phase"}, Registry: []string{"unlimited", "20971520B/s"}}
	cells := g.Cells()
	if len(cells) != 32 {
		t.Fatalf("%d cells, want 32", len(cells))
	}
	if got, want := cells[0].Name(), "w1-b8-off-single"; got != want {
		t.Errorf("first cell %s, want %s", got, want)
	}
	if got, want := cells[1].Name(), "w1-b8-off-single-bw20MiB/s"; got != want {
		t.Errorf("second cell %s, want %s (registry varies fastest, labels normalised)", got, want)
	}
	if got, want := cells[31].Name(), "w4-stream-max-three-phase-bw20MiB/s"; got != want {
		t.Errorf("last cell %s, want %s", got, want)
	}
	seen := map[string]bool{}
	for _, c := range cells {
		if seen[c.Name()] {
			t.Errorf("cell %s twice", c.Name())
		}
		seen[c.Name()] = true
	}
	if !reflect.DeepEqual(cells, g.Cells()) {
		t.Error("Cells() is not stable")
	}
}

func TestParseGrid(t *testing.T) {
	def := DefaultGrid()
	tests := []struct {
		name    string
		yaml    string
		check   func(t *testing.T, g Grid)
		wantErr []string
	}{
		{"empty file is the default", "", func(t *testing.T, g Grid) {
			if !reflect.DeepEqual(g, def) {
				t.Errorf("got %+v, want the default %+v", g, def)
			}
		}, nil},
		{"lists", `
workers: [1, 2, 4]
batch: [4, 8, stream]
cache: [off, min, max]
strategy: [single, three-phase]
temp: [cold, warm]
registry-bandwidth: [20MiB/s, unlimited]
reps: 4
sample: 12
seed: 7
profile: small
`, func(t *testing.T, g Grid) {
			want := Grid{Workers: []int{1, 2, 4}, Batches: []int{4, 8, 0}, Cache: []engine.CacheMode{"off", "min", "max"},
				Strategies: []string{"single", "three-phase"}, Temps: []string{"cold", "warm"}, Registry: []string{"20MiB/s", "unlimited"},
				Reps: 4, Sample: 12, Seed: 7, Profile: "small"}
			if !reflect.DeepEqual(g, want) {
				t.Errorf("got %+v, want %+v", g, want)
			}
		}, nil},
		{"flag strings, other keys default", "workers: 1,2\nbatch: \"15,stream\"\ncache: 'off'\n", func(t *testing.T, g Grid) {
			if !reflect.DeepEqual(g.Workers, []int{1, 2}) || !reflect.DeepEqual(g.Batches, []int{15, 0}) ||
				!reflect.DeepEqual(g.Cache, []engine.CacheMode{"off"}) {
				t.Errorf("got %+v", g)
			}
			if g.Reps != def.Reps || g.Sample != def.Sample || !reflect.DeepEqual(g.Strategies, def.Strategies) {
				t.Errorf("absent keys did not keep the default: %+v", g)
			}
		}, nil},
		{"single number", "workers: 4\n", func(t *testing.T, g Grid) {
			if !reflect.DeepEqual(g.Workers, []int{4}) {
				t.Errorf("workers %v, want [4]", g.Workers)
			}
		}, nil},
		{"unquoted off alone", "cache: off\n", func(t *testing.T, g Grid) {
			if !reflect.DeepEqual(g.Cache, []engine.CacheMode{"off"}) {
				t.Errorf("cache %v, want [off]", g.Cache)
			}
		}, nil},
		{"cache on", "cache: [on]\n", nil, []string{`cache mode "on"`}},
		{"nested list", "workers: [[1]]\n", nil, []string{"grid key workers"}},
		{"unknown keys", "workers: [1]\nbatches: [4]\nwokers: 2\n", nil, []string{`unknown key "batches", "wokers"`, "known keys are workers, batch"}},
		{"duplicate key", "workers: [1]\nworkers: [2]\n", nil, []string{"workers"}},
		{"bad worker", "workers: [0]\n", nil, []string{`workers "0": want a positive integer`}},
		{"bad batch", "batch: [4, 2.5]\n", nil, []string{"grid key batch: item 2.5 is not an integer"}},
		{"bad cache", "cache: [off, inline]\n", nil, []string{`cache mode "inline"`}},
		{"empty list", "workers: []\n", nil, []string{"grid key workers: empty list"}},
		{"bad reps type", "reps: many\n", nil, []string{"grid key reps"}},
		{"invalid reps", "reps: 0\n", nil, []string{"reps 0: want 1 or more"}},
		{"not a mapping", "- 1\n- 2\n", nil, []string{"grid: want a mapping"}},
		{"bad yaml", "workers: [1, 2\n", nil, []string{"parsing YAML"}},
		{"second document", "workers: [1]\n---\nworkers: [8]\n", nil, []string{"line 2: a second YAML document", "one grid per file"}},
		{"trailing document marker", "workers: [2]\n---\n", func(t *testing.T, g Grid) {
			if !reflect.DeepEqual(g.Workers, []int{2}) {
				t.Errorf("workers %v, want [2]", g.Workers)
			}
		}, nil},
		{"reps not a number", "reps: abc\n", nil, []string{`grid key reps: "abc": want a whole number`}},
		{"configs of mappings", "configs:\n  - {workers: 2}\n", nil, []string{"grid key configs", "want a list of cells such as"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ParseGrid([]byte(tt.yaml))
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseGrid = %+v, want an error", g)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, g)
		})
	}
}

func TestLoadGrid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grid.yaml")
	if err := os.WriteFile(path, []byte("workers: [1]\nfoo: bar\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadGrid(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"foo"`) {
		t.Errorf("LoadGrid error = %v, want one naming the file and the key", err)
	}
	if _, err := LoadGrid(filepath.Join(dir, "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadGrid(missing) = %v, want a not-exist error", err)
	}
	// A relative profile is the grid file's neighbour, whatever the working
	// folder; an absolute one and the default stay as they are.
	for prof, want := range map[string]string{"small.yaml": filepath.Join(dir, "small.yaml"), "../p/x.yaml": filepath.Join(filepath.Dir(dir), "p", "x.yaml"),
		"/abs/p.yaml": "/abs/p.yaml", "default": "default"} {
		if err := os.WriteFile(path, []byte("profile: "+prof+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if g, err := LoadGrid(path); err != nil || g.Profile != want {
			t.Errorf("profile %s: LoadGrid = %q, %v; want %q", prof, g.Profile, err, want)
		}
	}
}

func TestGridJSONRoundTrip(t *testing.T) {
	g := Grid{Workers: []int{1, 4}, Batches: []int{15, 0}, Cache: []engine.CacheMode{"min"}, Strategies: []string{"three-phase"},
		Registry: []string{"20MiB/s"}, Temps: []string{"cold", "warm"}, Reps: 2, Sample: 3, Seed: -5, Profile: "p"}
	data, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"batch":[15,"stream"]`) || !strings.Contains(string(data), `"registry-bandwidth":["20MiB/s"]`) {
		t.Errorf("JSON %s does not use the grid file's forms", data)
	}
	var back Grid
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, g) {
		t.Errorf("round trip: got %+v, want %+v", back, g)
	}
	// The JSON is a valid grid file.
	fromYAML, err := ParseGrid(data)
	if err != nil || !reflect.DeepEqual(fromYAML, g) {
		t.Errorf("ParseGrid(JSON) = %+v, %v; want %+v", fromYAML, err, g)
	}
}

func TestEstimate(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	// One cell by hand: W=4 on 2 cores, B=3, sample 6, p=4s: 3 jobs run at
	// once using 3*1.33 cores of 2, so each takes 4*1.995 = 7.98s; a batch
	// is one round; two batches = 15.96s, + 2 barriers * 0.25 * 4s = 2s,
	// + 1s overhead = 18.96s.
	c := Cell{Workers: 4, Batch: 3, Cache: "off", Strategy: "single"}
	if got := trialSeconds(c, 6, 4, 2); !near(got, 18.96) {
		t.Errorf("trialSeconds(W4 B3) = %v, want 18.96", got)
	}
	// W=2, B=3: rounds of 2 then 1 job of 4*1.33 = 5.32s = 10.64s per
	// batch; 21.28 + 2 + 1.
	c.Workers = 2
	if got := trialSeconds(c, 6, 4, 2); !near(got, 24.28) {
		t.Errorf("trialSeconds(W2 B3) = %v, want 24.28", got)
	}
	// Stream, W=1, three-phase: 6*4 + 4 (shared builder) + 1, no barrier.
	c = Cell{Workers: 1, Batch: 0, Cache: "off", Strategy: "three-phase"}
	if got := trialSeconds(c, 6, 4, 2); !near(got, 29) {
		t.Errorf("trialSeconds(W1 stream three-phase) = %v, want 29", got)
	}

	g := DefaultGrid()
	est := Estimate(g, DefaultPerImageSeconds)
	// The model overestimates W=1 (it charges every image the full
	// per-image time of a 2-worker build), so the estimate sits above the
	// measured wall time of the default sweep (BENCHMARKS.md).
	if est < 8*time.Minute || est > 13*time.Minute {
		t.Errorf("default grid estimate %v, want about 10 minutes (the no-flag sweep's target)", est)
	}
	// 54 trials of 5 images; pinned so that a change of the model shows.
	if est.Round(time.Second) != 653*time.Second {
		t.Errorf("default grid estimate %v, want 10m53s", est)
	}
	g.Temps = []string{Cold, Warm}
	if got := Estimate(g, DefaultPerImageSeconds); got != 2*est {
		t.Errorf("with warm trials %v, want twice %v", got, est)
	}

	err := CheckBudget(DefaultGrid(), DefaultPerImageSeconds, 2, 5*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "10m53s") || !strings.Contains(err.Error(), "budget 5m0s") {
		t.Errorf("CheckBudget = %v, want an error stating the estimate and the budget", err)
	}
	if err := CheckBudget(DefaultGrid(), DefaultPerImageSeconds, 2, 15*time.Minute); err != nil {
		t.Errorf("CheckBudget(15m) = %v", err)
	}
	if err := CheckBudget(DefaultGrid(), DefaultPerImageSeconds, 2, 0); err != nil {
		t.Errorf("CheckBudget(no budget) = %v", err)
	}
}

// TestEqualMakespanIsMakespan: the estimate's closed form schedules equal
// jobs exactly as analyze.Makespan does, to the same float64.
func TestEqualMakespanIsMakespan(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 7, 12, 433} {
		for _, w := range []int{1, 2, 3, 4, 16, 1000} {
			for _, b := range []int{0, 1, 2, 3, 5, 15, 1000} {
				d := 2.3 * 1.33 / 2 * float64(w%3+1)
				ds := make([]float64, n)
				for i := range ds {
					ds[i] = d
				}
				if got, want := equalMakespan(n, d, w, b), analyze.Makespan(ds, w, b); got != want {
					t.Errorf("n %d workers %d batch %d: %v, want %v", n, w, b, got, want)
				}
			}
		}
	}
}

// TestHugeSampleRefusedCheaply: a sample or a worker count of 10^5 is
// estimated (and refused by the budget) without allocating or stepping
// through sample*workers; a sample beyond input.MaxCount is invalid.
func TestHugeSampleRefusedCheaply(t *testing.T) {
	g := DefaultGrid()
	g.Workers, g.Sample = []int{100_000}, 100_000
	start := time.Now()
	if err := CheckBudget(g, DefaultPerImageSeconds, EstimateCores, time.Hour); err == nil {
		t.Fatal("a 10^5-image sample fits an hour?")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the estimate took %v", d)
	}
	g.Sample = 2_000_000_000
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "sample 2000000000: want at most") {
		t.Errorf("Validate: %v, want the sample refused", err)
	}
}
