package sweep

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// RunInfoFile is the name of the run description in a sweep's folder.
const RunInfoFile = "run.json"

// RecordsFile is the name of the records file in a sweep's folder.
const RecordsFile = "records.jsonl"

// RunInfo describes one sweep: where it ran, with what, and how it was
// planned. Run writes it to OutDir/run.json before the first trial; a
// resumed sweep reads its grid and adaptive settings back from it.
type RunInfo struct {
	// ID names the run in records ("run" key): the start time, UTC.
	ID      string  `json:"id"`
	Machine Machine `json:"machine"`
	// BuildKitVersion is filled by the caller (the daemon's version).
	BuildKitVersion string `json:"buildkit_version,omitempty"`
	// Buildtune's module version, VCS commit and whether the tree was
	// modified, from the binary's build info.
	Version   string `json:"buildtune_version"`
	Commit    string `json:"git_commit,omitempty"`
	Modified  bool   `json:"git_modified,omitempty"`
	GoVersion string `json:"go_version"`
	Grid      Grid   `json:"grid"`
	Seed      int64  `json:"seed"`
	// Adaptive settings; zero for a fixed sweep.
	Adaptive    bool    `json:"adaptive,omitempty"`
	InitialReps int     `json:"initial_reps,omitempty"`
	Alpha       float64 `json:"alpha,omitempty"`
	// EquivalenceMargin ends an adaptive sweep's measuring of cells
	// shown equivalent within it (see Options.EquivalenceMargin).
	EquivalenceMargin float64 `json:"equivalence,omitempty"`
	// MaxReps is the most reps an adaptive sweep gives a cell (see
	// Options.MaxReps); 0 in a sweep started before it was kept: no cap.
	MaxReps       int     `json:"max_reps,omitempty"`
	BudgetSeconds float64 `json:"budget_s,omitempty"`
	// PerImageSeconds is the per-image time the estimates assumed.
	PerImageSeconds float64   `json:"per_image_s,omitempty"`
	Start           time.Time `json:"start"`
	// CommandLine is filled by the caller (os.Args of the command).
	CommandLine []string `json:"command_line,omitempty"`
	// Workload names the workload (its profile or source), filled by the caller.
	Workload string `json:"workload,omitempty"`
	// ProfileDigest is the SHA-256 of the fixture profile as the sweep
	// read it (fixtures.Profile.Digest), filled by the caller: a resume
	// whose profile file has changed since would mix two workloads under
	// one profile name in the records.
	ProfileDigest string `json:"profile_digest,omitempty"`
	// Instances is the instance list the sweep draws its sample from
	// (--instances FILE, or a workload file's instances), filled by the
	// caller when the sweep starts; nil for the SWT-Bench ids of the
	// fixtures. The evidence commands predict the full build of this list
	// by default, and the file may be gone, moved or edited by then: its
	// ids are kept here.
	Instances *InstanceList `json:"instance_list,omitempty"`
	// Stack is what the builds ran on and the prune policy, filled by the
	// caller; nil in runs recorded before it was kept.
	Stack *StackInfo `json:"stack,omitempty"`
	// Warmup says whether the sweep runs a warm-up trial (--warmup),
	// filled by the caller, so that a resume keeps the choice; nil in runs
	// recorded before it was kept.
	Warmup *bool `json:"warmup,omitempty"`
}

// StackInfo is the BuildKit and registry set-up a sweep ran on, and its
// prune policy, as the command resolved them.
type StackInfo struct {
	// Source says where the daemons came from, as the command printed it
	// ("private stack", "stack runs/stack", "--buildkit-addr ...").
	Source string `json:"source"`
	// Private says the sweep started the stack itself (so the settings
	// below shaped it).
	Private bool `json:"private"`
	// RegistryKind is the registry's kind ("embedded", "distribution",
	// "external").
	RegistryKind string `json:"registry_kind,omitempty"`
	// Daemons is the number of BuildKit daemons.
	Daemons int `json:"daemons"`
	// MaxParallelism and RegistryConcurrency are a private stack's
	// buildkitd settings (0: BuildKit's defaults).
	MaxParallelism      int `json:"max_parallelism,omitempty"`
	RegistryConcurrency int `json:"registry_concurrency,omitempty"`
	// PruneThresholdBytes and PruneKeepBytes are the prune policy (0: no
	// prunes).
	PruneThresholdBytes int64 `json:"prune_threshold_bytes,omitempty"`
	PruneKeepBytes      int64 `json:"prune_keep_bytes,omitempty"`
}

// InstanceList is the instance list a sweep draws its sample from, as it
// was when the sweep started.
type InstanceList struct {
	// Source is the list's file (an absolute path), to name it in output.
	Source string `json:"source"`
	// IDs are its instance ids, in the file's order.
	IDs []string `json:"ids"`
}

// Machine is what the sweep ran on.
type Machine struct {
	Hostname string `json:"hostname,omitempty"`
	CPUModel string `json:"cpu_model,omitempty"`
	// Cores is the number of CPUs the process may use.
	Cores       int   `json:"cores"`
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	// DiskPath and DiskFreeBytes: free space (for unprivileged users) of
	// the file system holding the sweep's folder.
	DiskPath      string `json:"disk_path,omitempty"`
	DiskFreeBytes int64  `json:"disk_free_bytes,omitempty"`
	// Kernel is uname's system, release, version and machine.
	Kernel string `json:"kernel,omitempty"`
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	// Warnings say which facts could not be read, and why.
	Warnings []string `json:"warnings,omitempty"`
}

// CollectMachine reads the facts of this machine: CPU model
// (/proc/cpuinfo), cores, memory (/proc/meminfo), kernel (uname), and the
// free disk space of the file system holding dir (statfs; skipped if dir is
// empty). A fact it cannot read is left zero and explained in Warnings.
func CollectMachine(dir string) Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	warn := func(format string, args ...any) { m.Warnings = append(m.Warnings, fmt.Sprintf(format, args...)) }
	if h, err := os.Hostname(); err == nil {
		m.Hostname = h
	} else {
		warn("hostname: %v", err)
	}
	if v, err := procField("/proc/cpuinfo", "model name", "Model", "cpu model", "Processor"); err == nil {
		m.CPUModel = v
	} else {
		warn("cpu model: %v", err)
	}
	if v, err := procField("/proc/meminfo", "MemTotal"); err == nil {
		m.MemoryBytes, err = parseKB(v)
		if err != nil {
			warn("memory: %v", err)
		}
	} else {
		warn("memory: %v", err)
	}
	if k, err := kernel(); err == nil {
		m.Kernel = k
	} else {
		warn("kernel: %v", err)
	}
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		m.DiskPath = dir
		if free, err := diskFree(dir); err == nil {
			m.DiskFreeBytes = free
		} else {
			warn("free disk of %s: %v", dir, err)
		}
	}
	return m
}

// procField returns the value of the first line of a /proc file whose key
// (before the colon) is one of keys, trying keys in order.
func procField(path string, keys ...string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	found := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, dup := found[k]; !dup {
			found[k] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	for _, k := range keys {
		if v, ok := found[k]; ok && v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s has no %s line", path, strings.Join(keys, " or "))
}

// parseKB parses a /proc/meminfo value like "16315644 kB" into bytes.
func parseKB(v string) (int64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(v), " ")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("meminfo value %q: %w", v, err)
	}
	switch strings.TrimSpace(unit) {
	case "kB":
		return n * 1024, nil
	case "":
		return n, nil
	}
	return 0, fmt.Errorf("meminfo value %q: unknown unit", v)
}

// BuildVersion returns buildtune's module version and, when the binary was
// built with VCS stamping, the commit and whether the tree was modified.
func BuildVersion() (version, commit string, modified bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", "", false
	}
	version = bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return version, commit, modified
}

// WriteRunInfo writes info to dir/run.json, replacing it atomically.
func WriteRunInfo(dir string, info RunInfo) error {
	return record.WriteJSONAtomic(filepath.Join(dir, RunInfoFile), info)
}

// ReadRunInfo reads dir/run.json.
func ReadRunInfo(dir string) (RunInfo, error) {
	path := filepath.Join(dir, RunInfoFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return RunInfo{}, fmt.Errorf("reading run info: %w", err)
	}
	var info RunInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return RunInfo{}, fmt.Errorf("parsing %s: %w", path, err)
	}
	return info, nil
}

// checkPlan checks the settings of run.json a resume plans with (a file
// edited by hand, or damaged): an initial_reps of -1 made an adaptive
// resume double its target reps for ever, an alpha of 7 dropped every
// cell, a negative per_image_s gave negative estimates. Zero is the
// default of each.
func (info RunInfo) checkPlan() error {
	bad := func(v float64) bool { return v < 0 || math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(info.PerImageSeconds):
		return fmt.Errorf("per_image_s %v: want a number of seconds >= 0", info.PerImageSeconds)
	case bad(info.BudgetSeconds):
		return fmt.Errorf("budget_s %v: want a number of seconds >= 0", info.BudgetSeconds)
	case !info.Adaptive:
		return nil
	case info.InitialReps < 0:
		return fmt.Errorf("initial_reps %d: want 1 or more (0: the default, %d)", info.InitialReps, DefaultInitialReps)
	case info.MaxReps < 0:
		return fmt.Errorf("max_reps %d: want 1 or more (0: no cap)", info.MaxReps)
	case bad(info.Alpha) || info.Alpha >= 1:
		return fmt.Errorf("alpha %v: want a significance level between 0 and 1 (0: the default)", info.Alpha)
	case bad(info.EquivalenceMargin) || info.EquivalenceMargin >= 1:
		return fmt.Errorf("equivalence %v: want a margin between 0 and 1 (0: the default)", info.EquivalenceMargin)
	}
	return nil
}

// runInfoExists reports whether dir holds a run.json.
func runInfoExists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, RunInfoFile))
	return !errors.Is(err, os.ErrNotExist)
}

// CheckNewOutDir refuses, as bad input (input.ErrBad), a folder for a new
// sweep that already holds one (run.json) or holds records (a build's or an
// earlier run's records.jsonl). Callers check it before anything writes into
// the folder (the fixtures' build context, source.json), so that a wrong
// --out leaves what is recorded there as it was.
func CheckNewOutDir(dir string) error {
	if runInfoExists(dir) {
		return input.Errorf(dir, "already holds a sweep (%s): resume it with --resume %s, or choose another folder", RunInfoFile, dir)
	}
	if st, err := os.Stat(filepath.Join(dir, RecordsFile)); err == nil && st.Size() > 0 {
		return input.Errorf(dir, "already holds records (%s): choose another folder", RecordsFile)
	}
	// A build's folder without records (a merge's, the real script's, a
	// shard that drew no instances) was taken: the sweep's run.json and
	// records joined its manifest, and the folder passed for a sweep and a
	// build at once (a later merge into it was refused, validate read it
	// as the sweep).
	for _, name := range buildFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return input.Errorf(dir, "already holds a build (%s): choose another folder", name)
		}
	}
	return nil
}

// buildFiles are the files of a build's folder (manifest.ManifestFile and
// manifest.SummaryFile, named here as the sweep does not read them).
var buildFiles = []string{"manifest.jsonl", "build-summary.json"}
