package sweep

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestRunInfoRoundTrip(t *testing.T) {
	dir := t.TempDir()
	g := DefaultGrid()
	g.Batches = []int{15, 0}
	g.Registry = []string{"20MiB/s", Direct}
	info := RunInfo{
		ID:              "20260102T030405Z",
		Machine:         Machine{Hostname: "h", CPUModel: "cpu", Cores: 2, MemoryBytes: 8 << 30, DiskPath: dir, DiskFreeBytes: 1 << 40, Kernel: "Linux 6.1", OS: "linux", Arch: "amd64"},
		BuildKitVersion: "v0.34.2", Version: "(devel)", Commit: "abc", Modified: true, GoVersion: "go1.26.8",
		Grid: g, Seed: g.Seed, Adaptive: true, InitialReps: 3, Alpha: 0.05, BudgetSeconds: 900, PerImageSeconds: 4,
		Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CommandLine: []string{"buildtune", "sweep", "--budget", "15m"}, Workload: "swtbench-small",
	}
	if err := WriteRunInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRunInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, info) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, info)
	}
	data, _ := os.ReadFile(filepath.Join(dir, RunInfoFile))
	if !strings.Contains(string(data), `"batch": [`) || !strings.Contains(string(data), `"stream"`) {
		t.Errorf("run.json grid is not in the grid file's form:\n%s", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want run.json alone (no temporary file left)", len(entries))
	}
	if _, err := ReadRunInfo(t.TempDir()); err == nil {
		t.Error("ReadRunInfo of an empty folder succeeded")
	}
}

func TestCollectMachine(t *testing.T) {
	dir := t.TempDir()
	m := CollectMachine(dir)
	if m.Cores != runtime.NumCPU() || m.OS != runtime.GOOS || m.Arch != runtime.GOARCH || m.DiskPath != dir {
		t.Errorf("machine %+v", m)
	}
	if runtime.GOOS == "linux" {
		if m.MemoryBytes <= 0 || m.Kernel == "" || !strings.HasPrefix(m.Kernel, "Linux ") || m.DiskFreeBytes <= 0 {
			t.Errorf("machine %+v: want memory, kernel and free disk on Linux (warnings %q)", m, m.Warnings)
		}
	}
	m = CollectMachine(filepath.Join(dir, "missing"))
	if len(m.Warnings) == 0 || !strings.Contains(strings.Join(m.Warnings, "\n"), "free disk") {
		t.Errorf("a missing folder gave no free-disk warning: %q", m.Warnings)
	}
}

func TestProcField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpuinfo")
	data := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n\nprocessor\t: 1\nmodel name\t: other\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err := procField(path, "model name"); err != nil || v != "Intel(R) Xeon(R) CPU @ 2.20GHz" {
		t.Errorf("procField = %q, %v", v, err)
	}
	if v, err := procField(path, "Model", "vendor_id"); err != nil || v != "GenuineIntel" {
		t.Errorf("procField fallback key = %q, %v", v, err)
	}
	if _, err := procField(path, "MemTotal"); err == nil || !strings.Contains(err.Error(), "no MemTotal line") {
		t.Errorf("procField missing key = %v", err)
	}
	for in, want := range map[string]int64{"16315644 kB": 16315644 * 1024, "42": 42} {
		if got, err := parseKB(in); err != nil || got != want {
			t.Errorf("parseKB(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseKB("12 MB"); err == nil {
		t.Error("parseKB(12 MB) succeeded")
	}
}
