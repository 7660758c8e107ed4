package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// File names inside a run folder, as the sweep writes them.
const (
	RunInfoFile = "run.json"
	RecordsFile = "records.jsonl"
)

// Run is one run folder as read from disk.
type Run struct {
	// Dir is the folder.
	Dir string `json:"dir"`
	// Info is run.json, nil for a folder without one (a build folder).
	Info *RunInfo `json:"info,omitempty"`
	// Records are all records of records.jsonl; Selected are those that
	// count (record.Select: latest attempt, finished, no error, no infra
	// failure, not warm-up).
	Records  *record.Set `json:"-"`
	Selected *record.Set `json:"-"`
	// Source is the sweep's source.json: what a custom workload built
	// (--context, --dockerfile, --tag, ... or --workload FILE); nil for
	// the fixtures or a folder without one.
	Source *Source `json:"source,omitempty"`
	// Warnings say what was read with reservations (a torn last line).
	Warnings []string `json:"warnings,omitempty"`
}

// SourceFile is the name of the workload source a sweep writes beside
// run.json (internal/fleet.SourceFile).
const SourceFile = "source.json"

// Source is the workload source of a sweep, as source.json records it:
// a workload file, or a custom Dockerfile build, and the instance list.
// Every field is as the sweep was given it (templates unexpanded).
type Source struct {
	Workload   string            `json:"workload,omitempty"`
	Instances  string            `json:"instances,omitempty"`
	Dockerfile string            `json:"dockerfile,omitempty"`
	Context    string            `json:"context,omitempty"`
	Target     string            `json:"target,omitempty"`
	BaseImage  string            `json:"base_image,omitempty"`
	Tag        string            `json:"tag,omitempty"`
	CacheRef   string            `json:"cache_ref,omitempty"`
	BuildArgs  map[string]string `json:"build_args,omitempty"`
	DockerAuth bool              `json:"docker_auth,omitempty"`
}

// Custom says the source is a workload of the user's own (a workload
// file or a build context), not the fixtures.
func (s *Source) Custom() bool { return s != nil && (s.Workload != "" || s.Context != "") }

// RunInfo holds the fields of run.json the evidence needs.
type RunInfo struct {
	ID               string    `json:"id"`
	Machine          Machine   `json:"machine"`
	BuildKitVersion  string    `json:"buildkit_version,omitempty"`
	BuildtuneVersion string    `json:"buildtune_version,omitempty"`
	Commit           string    `json:"git_commit,omitempty"`
	Modified         bool      `json:"git_modified,omitempty"`
	GoVersion        string    `json:"go_version,omitempty"`
	Grid             Grid      `json:"grid"`
	Seed             int64     `json:"seed,omitempty"`
	Adaptive         bool      `json:"adaptive,omitempty"`
	InitialReps      int       `json:"initial_reps,omitempty"`
	Alpha            float64   `json:"alpha,omitempty"`
	BudgetSeconds    float64   `json:"budget_s,omitempty"`
	Start            time.Time `json:"start"`
	CommandLine      []string  `json:"command_line,omitempty"`
	Workload         string    `json:"workload,omitempty"`
	// ProfileDigest is the SHA-256 of the fixture profile the sweep read.
	ProfileDigest string `json:"profile_digest,omitempty"`
	// InstanceList is the instance list the sweep drew its sample from,
	// recorded when it started (nil for the SWT-Bench ids of the fixtures,
	// and for a sweep made before buildtune recorded it).
	InstanceList *InstanceList `json:"instance_list,omitempty"`
	// Stack is the BuildKit and registry set-up and the prune policy the
	// sweep ran with (nil for a sweep made before buildtune recorded it).
	Stack *StackInfo `json:"stack,omitempty"`
}

// StackInfo is the stack a sweep ran on and its prune policy, as run.json
// records them (see sweep.StackInfo).
type StackInfo struct {
	// Source says where the daemons came from ("private stack in ...",
	// "stack in runs/stack", "given daemons").
	Source string `json:"source"`
	// Private says the sweep started the stack itself.
	Private bool `json:"private"`
	// RegistryKind is "embedded", "distribution" or "external".
	RegistryKind string `json:"registry_kind,omitempty"`
	Daemons      int    `json:"daemons"`
	// A private stack's buildkitd settings (0: BuildKit's defaults).
	MaxParallelism      int `json:"max_parallelism,omitempty"`
	RegistryConcurrency int `json:"registry_concurrency,omitempty"`
	// The prune policy in bytes (0: no prunes).
	PruneThresholdBytes int64 `json:"prune_threshold_bytes,omitempty"`
	PruneKeepBytes      int64 `json:"prune_keep_bytes,omitempty"`
}

// InstanceList is the instance list a sweep drew its sample from
// (--instances FILE, or a workload file's instances), as run.json records
// it when the sweep starts: the file may be gone or changed since.
type InstanceList struct {
	// Source is the list's file as the sweep read it.
	Source string `json:"source"`
	// IDs are its instance ids, in the file's order.
	IDs []string `json:"ids"`
}

// describe names the list for output: "the 40 instances of set.txt".
func (l *InstanceList) describe() string {
	of := "the sweep's instance list"
	if l.Source != "" {
		of = filepath.Base(l.Source)
	}
	return fmt.Sprintf("the %s of %s", analyze.Plural(len(l.IDs), "instance"), of)
}

// Machine is what the run ran on.
type Machine struct {
	Hostname    string `json:"hostname,omitempty"`
	CPUModel    string `json:"cpu_model,omitempty"`
	Cores       int    `json:"cores"`
	MemoryBytes int64  `json:"memory_bytes,omitempty"`
	Kernel      string `json:"kernel,omitempty"`
	OS          string `json:"os,omitempty"`
	Arch        string `json:"arch,omitempty"`
}

// Grid is the sweep's grid as run.json writes it. Batch 0 is stream.
type Grid struct {
	Workers  []int    `json:"workers"`
	Batch    []int    `json:"batch"`
	Cache    []string `json:"cache"`
	Strategy []string `json:"strategy"`
	Temp     []string `json:"temp"`
	Registry []string `json:"registry_bandwidth,omitempty"`
	Reps     int      `json:"reps"`
	Sample   int      `json:"sample"`
	Seed     int64    `json:"seed"`
	Profile  string   `json:"profile,omitempty"`
	// Configs are the explicit cells of a sweep given --config (or a
	// grid file's configs) instead of the cross product, as
	// "workers=4,batch=15,cache=max,strategy=single".
	Configs []string `json:"configs,omitempty"`
}

// UnmarshalJSON reads the grid keys of run.json, where batch is a list of
// numbers and "stream" and the bandwidth key is "registry-bandwidth".
func (g *Grid) UnmarshalJSON(data []byte) error {
	var raw struct {
		Workers  []int             `json:"workers"`
		Batch    []json.RawMessage `json:"batch"`
		Cache    []string          `json:"cache"`
		Strategy []string          `json:"strategy"`
		Temp     []string          `json:"temp"`
		Registry []string          `json:"registry-bandwidth"`
		Registr2 []string          `json:"registry_bandwidth"`
		Reps     int               `json:"reps"`
		Sample   int               `json:"sample"`
		Seed     int64             `json:"seed"`
		Profile  string            `json:"profile"`
		Configs  []string          `json:"configs"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("grid: %w", err)
	}
	*g = Grid{Workers: raw.Workers, Cache: raw.Cache, Strategy: raw.Strategy, Temp: raw.Temp,
		Registry: raw.Registry, Reps: raw.Reps, Sample: raw.Sample, Seed: raw.Seed, Profile: raw.Profile, Configs: raw.Configs}
	if len(g.Registry) == 0 {
		g.Registry = raw.Registr2
	}
	for _, b := range raw.Batch {
		s := strings.Trim(string(b), `"`)
		if s == "stream" {
			g.Batch = append(g.Batch, 0)
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("grid batch %s: want a number or stream", b)
		}
		g.Batch = append(g.Batch, n)
	}
	return nil
}

const wantFolder = "want a buildtune run folder with records.jsonl (and run.json for a sweep)"

// Load reads a run folder: dir/run.json (optional: a build folder has
// none) and dir/records.jsonl. A folder that is missing, empty or not a
// run, records of a newer schema, or records without one trial that counts
// are bad input (errors wrapping input.ErrBad). A torn last line is a
// warning.
func Load(dir string) (*Run, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, input.Errorf(dir, "no such folder; %s", wantFolder)
	case errors.Is(err, syscall.ELOOP):
		return nil, input.Errorf(dir, "a symlink loop; %s", wantFolder)
	case err != nil:
		return nil, fmt.Errorf("reading run folder %s: %w", dir, err)
	case !st.IsDir():
		return nil, input.Errorf(dir, "not a folder; %s", wantFolder)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading run folder %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil, input.Errorf(dir, "empty folder; %s", wantFolder)
	}
	path := filepath.Join(dir, RecordsFile)
	if fi, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, input.Errorf(dir, "no %s: not a buildtune run folder; %s", RecordsFile, wantFolder)
	} else if err == nil && !fi.Mode().IsRegular() {
		// A device or a pipe (a link to /dev/zero) was read without end,
		// deaf to Ctrl-C, until the kernel killed the process.
		return nil, input.Errorf(dir, "%s is %s, not a file; %s", RecordsFile, fileKind(fi), wantFolder)
	}
	run := &Run{Dir: dir}
	info, err := readRunInfo(dir)
	if err != nil {
		return nil, err
	}
	run.Info = info
	if run.Source, err = readSource(dir); err != nil {
		return nil, err
	}
	set, err := record.ReadFile(path)
	if err != nil {
		return nil, input.Bad(dir, fmt.Errorf("reading records: %w", err))
	}
	if set.Torn {
		run.Warnings = append(run.Warnings, fmt.Sprintf("%s: the last line is torn (an interrupted write): ignored", path))
	}
	normalizeCells(set)
	run.Records = set
	if runs := record.Runs(set); len(runs) > 1 {
		about := "no run.json: the run ids are all there is to tell them apart"
		if info != nil {
			about = fmt.Sprintf("%s describes run %s only", RunInfoFile, input.Quote(info.ID))
		}
		run.Warnings = append(run.Warnings, fmt.Sprintf("%s holds the records of %d runs (%s): their trials are analysed together, as one sweep; %s",
			path, len(runs), quoteRuns(runs), about))
	}
	run.Selected = record.Select(set)
	if len(run.Selected.Trials) == 0 {
		return nil, input.Errorf(dir, "%d trial records, none that counts (finished, no error, no infra failure, not warm-up); want at least one", len(set.Trials))
	}
	// A trial that built images in no time (no wall_s, and no end after
	// its start), or at no throughput, is a corrupted record: taken as it is, its cell would rank on a
	// throughput of 0 (or of infinity) that no build had.
	for _, t := range run.Selected.Trials {
		// A wall_s of 0 with a start and an end is a build's trial that
		// did not write it: its wall time is End - Start (Validate).
		wallKnown := t.WallSeconds > 0 || t.End.After(t.Start)
		if t.Built > 0 && !(wallKnown && t.ImagesPerHour > 0) {
			return nil, input.Errorf(dir, "%s: trial %d (cell %s) built %d images with wall_s %v and images_per_hour %v; want both above 0 (a corrupted record)",
				RecordsFile, t.Trial, t.Cell, t.Built, t.WallSeconds, t.ImagesPerHour)
		}
		// images_per_hour is built / wall time: one that disagrees with
		// its own trial's images and wall time is a corrupted record (an
		// images_per_hour of 1e308 ranked its cell first and overflowed
		// the analysis to +Inf, which analysis.json cannot hold).
		if t.Built > 0 && t.WallSeconds > 0 {
			want := record.ImagesPerHour(t.Built, t.WallSeconds)
			if r := t.ImagesPerHour / want; !(r >= 1/1.01 && r <= 1.01) {
				return nil, input.Errorf(dir, "%s: trial %d (cell %s) has images_per_hour %v, but its %d built images in wall_s %v are %.6g; want images_per_hour = built * 3600 / wall_s (a corrupted record)",
					RecordsFile, t.Trial, t.Cell, t.ImagesPerHour, t.Built, t.WallSeconds, want)
			}
		}
	}
	// An image runs within its trial: one that took longer than its whole
	// trial is a corrupted record (a wall_s of 1e308 made every duration
	// of its cell's prediction overflow, printed as negative minutes).
	type trialKey struct {
		run   string
		trial int
	}
	walls := map[trialKey]float64{}
	for _, t := range run.Selected.Trials {
		walls[trialKey{t.Run, t.Trial}] = t.WallSeconds
	}
	for _, im := range run.Selected.Images {
		tw, ok := walls[trialKey{im.Run, im.Trial}]
		if ok && tw > 0 && im.WallSeconds > tw*1.01+1 {
			return nil, input.Errorf(dir, "%s: image %s of trial %d (cell %s) has wall_s %v, longer than its trial's %v; want at most the trial's wall time (a corrupted record)",
				RecordsFile, im.Instance, im.Trial, im.Cell, im.WallSeconds, tw)
		}
		// Each phase is a union of intervals (or one vertex) of the
		// image's own build, so it too lies within the trial: an exec_s
		// of 1e300 was printed as the cell's median exec of 1.39e+296h.
		if ok && tw > 0 {
			for _, ph := range []struct {
				key string
				s   float64
			}{{"queue_s", im.QueueSeconds}, {"exec_s", im.ExecSeconds}, {"step_s", im.StepSeconds}, {"image_export_s", im.ImageExportSeconds},
				{"layer_push_s", im.LayerPushSeconds}, {"cache_import_s", im.CacheImportSeconds}, {"cache_export_s", im.CacheExportSeconds}} {
				if ph.s > tw*1.01+1 {
					return nil, input.Errorf(dir, "%s: image %s of trial %d (cell %s) has %s %v, longer than its trial's wall_s %v; want at most the trial's wall time (a corrupted record)",
						RecordsFile, im.Instance, im.Trial, im.Cell, ph.key, ph.s, tw)
				}
			}
		}
		if im.CachedSteps > im.TotalSteps {
			return nil, input.Errorf(dir, "%s: image %s of trial %d (cell %s) has cached_steps %d of total_steps %d; want at most the total (a corrupted record)",
				RecordsFile, im.Instance, im.Trial, im.Cell, im.CachedSteps, im.TotalSteps)
		}
	}
	// The knobs of a trial are those of a configuration a flag could
	// give: a workers of 0 passed the analysis, and the report then
	// failed naming no file ("recommending: config: workers=0,...").
	for _, t := range run.Selected.Trials {
		var bad string
		switch {
		case t.Workers < 1:
			bad = fmt.Sprintf("workers %d; want at least 1", t.Workers)
		case t.Batch < 0:
			bad = fmt.Sprintf("batch %d; want 0 (stream) or more", t.Batch)
		case t.CacheMode != "" && !slices.Contains(input.CacheModes, t.CacheMode):
			bad = fmt.Sprintf("cache_mode %s; want one of %s", input.Quote(t.CacheMode), strings.Join(input.CacheModes, ", "))
		case t.Strategy != "" && !slices.Contains(input.Strategies, t.Strategy):
			bad = fmt.Sprintf("strategy %s; want one of %s", input.Quote(t.Strategy), strings.Join(input.Strategies, ", "))
		}
		if bad != "" {
			return nil, input.Errorf(dir, "%s: trial %d (cell %s) has %s (a corrupted record)", RecordsFile, t.Trial, t.Cell, bad)
		}
	}
	// The warm-up trials are left out by design: only the others are news.
	warmups := 0
	for _, t := range set.Trials {
		if t.Temp == record.TempWarmup {
			warmups++
		}
	}
	if n := len(set.Trials) - warmups - len(run.Selected.Trials); n > 0 {
		run.Warnings = append(run.Warnings, fmt.Sprintf("%d of %d measured trial records do not count (retried, interrupted or failed)", n, len(set.Trials)-warmups))
		run.Warnings = append(run.Warnings, UncountedCells(set, run.Selected)...)
	}
	if w := unsweptCells(info, set); w != "" {
		run.Warnings = append(run.Warnings, w)
	}
	return run, nil
}

// unsweptCells names the cells of the grid run.json records that have no
// trial record at all ("" when none): a sweep stopped before it reached
// them. Like a cell whose trials all failed, such a cell is in no table or
// knob verdict ("cache_mode: not varied" for a grid of three cache modes
// stopped in its first cells), and only the grid in the Method section
// would show that it was planned.
func unsweptCells(info *RunInfo, set *record.Set) string {
	if info == nil {
		return ""
	}
	g := info.Grid
	var planned []Config
	if len(g.Configs) > 0 {
		for _, s := range g.Configs {
			c, err := ParseConfig(s)
			if err != nil {
				return "" // not a grid this can expand: say nothing rather than guess
			}
			planned = append(planned, c)
		}
	} else {
		regs := g.Registry
		if len(regs) == 0 {
			regs = []string{""}
		}
		for _, w := range g.Workers {
			for _, b := range g.Batch {
				for _, cm := range g.Cache {
					for _, st := range g.Strategy {
						for _, r := range regs {
							planned = append(planned, Config{Workers: w, Batch: b, CacheMode: cm, Strategy: st, Registry: r})
						}
					}
				}
			}
		}
	}
	// A sweep runs every cell's rep 1 before any cell's rep 2 (and an
	// adaptive one its first round the same way): a cell with no record
	// beside cells with a second rep was not cut off by a stop, and a grid
	// that does not describe the records says nothing here.
	seen := map[string]bool{}
	for _, t := range set.Trials {
		if t.Temp == record.TempWarmup {
			continue
		}
		if t.Rep > 1 {
			return ""
		}
		seen[t.Cell] = true
	}
	var missing []string
	for _, c := range planned {
		if c.Registry == "unlimited" || c.Registry == "direct" {
			c.Registry = ""
		}
		name := canonicalCell(c.Name())
		if !seen[name] && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 || len(missing) == len(planned) {
		// None missing, or none found: a grid that does not name the
		// records' cells (another run's records) says nothing here.
		return ""
	}
	return fmt.Sprintf("%s of the sweep's grid %s no trial record: the sweep stopped before it ran %s (buildtune sweep --resume on this folder runs %s); %s in no table, knob verdict or prediction",
		analyze.Plural(len(missing), "cell"), map[bool]string{true: "has", false: "have"}[len(missing) == 1], listNames(missing),
		map[bool]string{true: "it", false: "them"}[len(missing) == 1], map[bool]string{true: "it is", false: "they are"}[len(missing) == 1])
}

// listNames writes at most 6 names, then how many more.
func listNames(names []string) string {
	if len(names) <= 6 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:6], ", "), len(names)-6)
}

// UncountedCells names each cell (at a temperature) with trial records
// in set but none that counts in sel (record.Select's output), and why: such a cell is in no table, knob verdict
// or recommendation, so without a word it reads as never swept (a cache
// mode every trial of which failed left "cache_mode: not varied" and "the
// only feasible candidate").
func UncountedCells(set, sel *record.Set) []string {
	type key struct{ cell, temp string }
	counted := map[key]bool{}
	for _, t := range sel.Trials {
		counted[key{t.Cell, t.Temp}] = true
	}
	type why struct {
		trials, infra, failed, errored, interrupted int
		first                                       string
	}
	var order []key
	whys := map[key]*why{}
	// The first error of a failed image, by run and trial.
	type trialKey struct {
		run   string
		trial int
	}
	firstErr := map[trialKey]string{}
	for _, im := range set.Images {
		k := trialKey{im.Run, im.Trial}
		if im.Error != "" && firstErr[k] == "" {
			firstErr[k] = im.Error
		}
	}
	// The latest record of each trial says how it ended (a resumed trial
	// is recorded again).
	last := map[trialKey]int{}
	for i, t := range set.Trials {
		last[trialKey{t.Run, t.Trial}] = i
	}
	for i, t := range set.Trials {
		k := key{t.Cell, t.Temp}
		if last[trialKey{t.Run, t.Trial}] != i || t.Temp == record.TempWarmup || counted[k] {
			continue
		}
		w := whys[k]
		if w == nil {
			w = &why{}
			whys[k] = w
			order = append(order, k)
		}
		w.trials++
		switch {
		case t.Interrupted:
			w.interrupted++
		case t.Error != "":
			w.errored++
			if w.first == "" {
				w.first = t.Error
			}
		case t.InfraFailed > 0:
			w.infra++
		default:
			w.failed++
		}
		if w.first == "" {
			w.first = firstErr[trialKey{t.Run, t.Trial}]
		}
	}
	var out []string
	for _, k := range order {
		w := whys[k]
		var parts []string
		for _, p := range []struct {
			n    int
			what string
		}{{w.infra, "with infrastructure failures"}, {w.errored, "that ended in an error"}, {w.interrupted, "interrupted"}, {w.failed, "that did not count"}} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", analyze.Plural(p.n, "trial"), p.what))
			}
		}
		temp := ""
		if k.temp != "" && k.temp != record.TempCold {
			temp = " " + k.temp
		}
		if w.interrupted == w.trials {
			// Cut off by a stop, not failed: its error is the stop's.
			out = append(out, fmt.Sprintf("cell %s%s has no trial that counts: %s; it is left out of every table, knob verdict and prediction until the sweep is resumed",
				k.cell, temp, strings.Join(parts, ", ")))
			continue
		}
		first := ""
		if w.first != "" {
			first = fmt.Sprintf(" (first error: %s)", w.first)
		}
		out = append(out, fmt.Sprintf("cell %s%s has no trial that counts: %s%s; it is left out of every table, knob verdict and prediction, as if it had not been swept",
			k.cell, temp, strings.Join(parts, ", "), first))
	}
	return out
}

func readRunInfo(dir string) (*RunInfo, error) {
	data, err := readRunFile(dir, RunInfoFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var info RunInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, input.Errorf(dir, "%s is not valid run info: %v", RunInfoFile, err)
	}
	// Every sweep writes its id and start; a run.json of another tool
	// (a package manifest, `{"name":"x"}`) decodes with both empty and
	// would be taken for a sweep with no grid.
	if info.ID == "" || info.Start.IsZero() {
		return nil, input.Errorf(dir, "%s has no run id or start time; want the run.json of a buildtune sweep", RunInfoFile)
	}
	return &info, nil
}

// maxRunFileBytes bounds run.json and source.json: a run.json with an
// instance list of 100000 ids is a few MiB.
const maxRunFileBytes = 64 << 20

// readRunFile reads dir/name, a small JSON file of a run folder: an error
// wrapping os.ErrNotExist when there is none. One that is not a regular
// file (a folder, a device, a pipe), a symlink loop, or larger than
// maxRunFileBytes is bad input naming the folder and the file: a run.json
// linked to /dev/zero was read until the kernel killed the process.
func readRunFile(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	// Stat before opening: opening a pipe waits for a writer.
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, unreadable(dir, name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, input.Errorf(dir, "%s is %s, not a file; want a JSON file", name, fileKind(fi))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unreadable(dir, name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRunFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxRunFileBytes {
		return nil, input.Errorf(dir, "%s is larger than %d MiB; want a JSON file as buildtune writes it", name, maxRunFileBytes>>20)
	}
	return data, nil
}

// fileKind names what a path that is not a regular file is.
func fileKind(fi os.FileInfo) string {
	switch m := fi.Mode(); {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a pipe"
	case m&os.ModeDevice != 0, m&os.ModeCharDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	default:
		return "not a regular file"
	}
}

// unreadable is the error of a run folder's JSON file that exists but
// cannot be read: a folder or a symlink loop in its place is bad input
// (exit 2) naming the folder and the file; any other error (a failing
// disk) is wrapped as it is.
func unreadable(dir, name string, err error) error {
	path := filepath.Join(dir, name)
	if st, serr := os.Stat(path); serr == nil && st.IsDir() {
		return input.Errorf(dir, "%s is a folder; want a JSON file", name)
	}
	if errors.Is(err, syscall.ELOOP) {
		return input.Errorf(dir, "%s is a symlink loop; want a JSON file", name)
	}
	return fmt.Errorf("reading %s: %w", path, err)
}

// readSource reads dir/source.json; nil when there is none (the fixtures,
// or a build folder).
func readSource(dir string) (*Source, error) {
	data, err := readRunFile(dir, SourceFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s Source
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, input.Errorf(dir, "%s is not a valid workload source: %v", SourceFile, err)
	}
	if s.Workload == "" && s.Instances == "" && s.Context == "" && s.Dockerfile == "" && s.Tag == "" {
		return nil, nil // the fixtures' source: nothing to tell
	}
	return &s, nil
}

// repoOf returns the repo of an instance id: the part before "__"
// ("django__django-11099" is "django"); the id itself when it has none.
func repoOf(id string) string {
	repo, _, _ := strings.Cut(id, "__")
	return repo
}

// quoteRuns lists run ids for a message ("" as "(none)"), at most 5.
func quoteRuns(runs []string) string {
	var s []string
	for i, r := range runs {
		if i == 5 {
			s = append(s, fmt.Sprintf("and %d more", len(runs)-5))
			break
		}
		if r == "" {
			r = "(none)"
		}
		s = append(s, r)
	}
	return strings.Join(s, ", ")
}

// canonicalCell spells a cell name's registry bandwidth ("-bw" suffix) the
// one way input.FormatBandwidth writes it, so that "-bw16777216B/s" and
// "-bw16MiB/s" name one cell; any other name is returned as it is.
func canonicalCell(name string) string {
	head, bw, ok := strings.Cut(name, "-bw")
	if !ok {
		return name
	}
	n, err := input.Bandwidth(bw)
	if err != nil || n <= 0 {
		return name
	}
	return head + "-bw" + input.FormatBandwidth(n)
}

// normalizeCells rewrites every record's cell name to its canonical
// spelling (canonicalCell) before the records are grouped into cells.
func normalizeCells(set *record.Set) {
	for i := range set.Trials {
		set.Trials[i].Cell = canonicalCell(set.Trials[i].Cell)
	}
	for i := range set.Images {
		set.Images[i].Cell = canonicalCell(set.Images[i].Cell)
	}
	for i := range set.Events {
		set.Events[i].Cell = canonicalCell(set.Events[i].Cell)
	}
}
