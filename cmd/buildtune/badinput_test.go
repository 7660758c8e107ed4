package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buildtune/buildtune/fixtures"
)

// badInputFiles are the malformed inputs of TestBadInputs, written once
// into one folder and only read by the cases.
type badInputFiles struct {
	dir string
}

func (f badInputFiles) path(name string) string { return filepath.Join(f.dir, name) }

func newBadInputFiles(t *testing.T) badInputFiles {
	t.Helper()
	f := badInputFiles{dir: t.TempDir()}
	read := func(parts ...string) string {
		b, err := os.ReadFile(filepath.Join(append([]string{"..", ".."}, parts...)...))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	profile := read("fixtures", "profiles", "default.yaml")
	wl := read("testdata", "workload.yaml")
	replace := func(src, old, new string) string {
		t.Helper()
		if !strings.Contains(src, old) {
			t.Fatalf("fixture changed: %q not found", old)
		}
		return strings.Replace(src, old, new, 1)
	}
	files := map[string]string{
		// Grid files (sweep --grid).
		"grid-malformed.yaml":   "workers: [1, 2\n",
		"grid-list.yaml":        "- 1\n- 2\n",
		"grid-abc.yaml":         "workers: [abc]\n",
		"grid-dupkey.yaml":      "workers: [1]\nworkers: [2]\n",
		"grid-reps.yaml":        "reps: -1\n",
		"grid-float.yaml":       "reps: 2.5\n",
		"grid-warm.yaml":        "temp: [warm]\n",
		"grid-config.yaml":      "configs: [\"workers=0\"]\n",
		"grid-binary.yaml":      "\x00\x01\x02",
		"grid-binary.yaml-long": strings.Repeat("\x7fELF\x02\x01\x01\x00", 300),
		// Profiles (the format of fixtures/profiles/default.yaml).
		"prof-malformed.yaml": "name: x\ntime_scale: [1\n",
		"prof-prose.yaml":     strings.Repeat("not a profile but a long line of prose ", 40) + "\n",
		"prof-unknown.yaml":   replace(profile, "cpu_unit: 200\n", "cpu_unit: 200\ncolour: blue\n"),
		"prof-zero.yaml":      replace(profile, "time_scale: 0.01", "time_scale: 0"),
		"prof-arg.yaml":       replace(profile, "arg_position: after", "arg_position: middle"),
		"prof-bytes.yaml":     replace(profile, "    bytes: 4MiB", "    bytes: lots"),
		"prof-inf.yaml":       replace(profile, "time_scale: 0.01", "time_scale: .inf"),
		"prof-steps.yaml":     replace(profile, "steps:\n", "steps: [1, 2]\nsteps_was:\n"),
		"prof-twodocs.yaml":   profile + "---\nname: second\n",
		"prof-huge.yaml":      replace(profile, "    bytes: 4MiB", "    bytes: 100TiB"),
		// Workloads (the format of testdata/workload.yaml).
		"wl-malformed.yaml": "name: x\nplans: {single: {per_instance: [ {name: a\n",
		"wl-unknown.yaml":   replace(wl, "name: custom-example\n", "name: custom-example\ncolour: blue\n"),
		"wl-noplans.yaml":   "name: x\n",
		"wl-template.yaml":  replace(wl, "{{.Slug}}:latest", "{{.Nope}}:latest"),
		"wl-plan.yaml":      replace(wl, "  single:\n", "  double:\n"),
		// Instance lists.
		"ids-bad.txt":   "django__django-11099\nbad id here\n",
		"ids-dup.txt":   "django__django-11099\ndjango__django-11099\n",
		"ids-empty.txt": "# nothing\n",
		"ids-comma.txt": "django__django-11099,sympy__sympy-20590\n",
		"ids-long.txt":  "django__django-11099\nanorganization__" + strings.Repeat("a-very-long-repository", 4) + "-1\n",
		// A folder holding another run's records (no run.json).
		"recs/records.jsonl": `{"v":1,"kind":"image","instance":"django__django-11099","status":"built"}` + "\n",
		// Workflows.
		"wf-malformed.yml": "on: [push\njobs:\n",
		// Run folders: a newer schema, a foreign folder, a build folder.
		"newer/records.jsonl":     `{"v":99,"kind":"image","instance":"django__django-11099","status":"built"}` + "\n",
		"foreign/notes.txt":       "hello\n",
		"build/manifest.jsonl":    "",
		"custom/Dockerfile":       "FROM scratch\n",
		"empty/.keep-dir-created": "",
	}
	for name, content := range files {
		p := f.path(name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(f.path("empty/.keep-dir-created"))
	wf := read("internal", "workflow", "testdata", "build-swtbench-images.yml")
	if err := os.WriteFile(f.path("wf.yml"), []byte(wf), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBadInputs: bad input to every subcommand and file format exits 2
// with one line on stderr naming the input and what was expected, writes
// nothing to stdout, and leaves no partial output: the --out folder (or
// --state of stack up) is absent or empty, and a run folder given to the
// evidence commands is unchanged. Commands that would otherwise start
// work point at a missing buildkitd, so that a wrongly accepted input
// fails fast with a message the checks reject. The cases add to those of
// TestBadInput, TestBuildShardBadInput and TestEvidenceBadInput.
func TestBadInputs(t *testing.T) {
	f := newBadInputFiles(t)
	p := f.path
	run := copyRun(t) // a good sweep folder for the evidence commands
	const noBK = "/nonexistent/buildkitd"
	bk := []string{"--buildkitd", noBK}
	custom := []string{"--context", p("custom")}
	// with puts the command and its arguments before the common flags.
	with := func(common []string, args ...string) []string { return append(slices.Clone(args), common...) }

	tests := []struct {
		name string
		args []string
		// want are substrings of the one stderr line: the input and what
		// was expected of it.
		want []string
		// out: the command takes --out (appended, fresh); state: stack up's
		// --state (appended, fresh).
		out, state bool
		maxTime    time.Duration
	}{
		// Grid files.
		{name: "grid malformed", args: with(bk, "sweep", "--grid", p("grid-malformed.yaml")), want: []string{"--grid", "grid-malformed.yaml", "expected"}, out: true},
		{name: "grid not a mapping", args: with(bk, "sweep", "--grid", p("grid-list.yaml")), want: []string{"--grid", "grid-list.yaml", "want a mapping"}, out: true},
		{name: "grid workers not a number", args: with(bk, "sweep", "--grid", p("grid-abc.yaml")), want: []string{"grid-abc.yaml", `"abc"`, "positive integer"}, out: true},
		{name: "grid duplicate key", args: with(bk, "sweep", "--grid", p("grid-dupkey.yaml")), want: []string{"grid-dupkey.yaml", `"workers"`, "already set"}, out: true},
		{name: "grid negative reps", args: with(bk, "sweep", "--grid", p("grid-reps.yaml")), want: []string{"grid-reps.yaml", "reps -1", "1 or more"}, out: true},
		{name: "grid fractional reps", args: with(bk, "sweep", "--grid", p("grid-float.yaml")), want: []string{"grid-float.yaml", "reps", "2.5"}, out: true},
		{name: "grid warm without cold", args: with(bk, "sweep", "--grid", p("grid-warm.yaml")), want: []string{"grid-warm.yaml", "temp warm", "want cold"}, out: true},
		{name: "grid bad config cell", args: with(bk, "sweep", "--grid", p("grid-config.yaml")), want: []string{"grid-config.yaml", "configs", "positive integer"}, out: true},
		{name: "grid binary", args: with(bk, "sweep", "--grid", p("grid-binary.yaml")), want: []string{"grid-binary.yaml", "control characters"}, out: true},
		{name: "grid missing file", args: with(bk, "sweep", "--grid", p("grid-none.yaml")), want: []string{"--grid", "grid-none.yaml"}, out: true},

		// Profiles.
		{name: "profile prose", args: with(bk, "build", "--profile", p("prof-prose.yaml")), want: []string{"prof-prose.yaml", "the document", `"not a profile`, "…", "want a mapping"}, out: true},
		{name: "profile malformed", args: with(bk, "build", "--profile", p("prof-malformed.yaml")), want: []string{"--profile", "prof-malformed.yaml", "expected"}, out: true},
		{name: "profile unknown key", args: with(bk, "build", "--profile", p("prof-unknown.yaml")), want: []string{"prof-unknown.yaml", "colour", "unknown key", "want one of"}, out: true},
		{name: "profile zero time scale", args: with(bk, "sweep", "--profile", p("prof-zero.yaml")), want: []string{"prof-zero.yaml", "time_scale", "> 0"}, out: true},
		{name: "profile arg position", args: with(bk, "build", "--profile", p("prof-arg.yaml")), want: []string{"prof-arg.yaml", "arg_position", `"middle"`, "before or after"}, out: true},
		{name: "profile bad size", args: with(bk, "build", "--profile", p("prof-bytes.yaml")), want: []string{"prof-bytes.yaml", "steps.apt.bytes", `"lots"`, "MiB"}, out: true},
		{name: "profile infinite", args: with(bk, "sweep", "--profile", p("prof-inf.yaml")), want: []string{"--profile", "prof-inf.yaml", "Inf"}, out: true},
		{name: "profile steps not a mapping", args: with(bk, "build", "--profile", p("prof-steps.yaml")), want: []string{"prof-steps.yaml", "steps", "want a mapping"}, out: true},
		{name: "profile second document", args: with(bk, "sweep", "--profile", p("prof-twodocs.yaml")), want: []string{"--profile", "prof-twodocs.yaml", "second YAML document"}, out: true},
		{name: "profile huge layer", args: with(bk, "build", "--profile", p("prof-huge.yaml")), want: []string{"prof-huge.yaml", "steps.apt.bytes", "at most 4GiB"}, out: true},
		{name: "profile missing file", args: with(bk, "build", "--profile", p("prof-none.yaml")), want: []string{"--profile", "prof-none.yaml"}, out: true},

		// Workloads and instance lists.
		{name: "workload malformed", args: with(bk, "build", "--workload", p("wl-malformed.yaml")), want: []string{"--workload", "wl-malformed.yaml", "expected"}, out: true},
		{name: "workload unknown key", args: with(bk, "build", "--workload", p("wl-unknown.yaml")), want: []string{"--workload", "wl-unknown.yaml", `"colour"`}, out: true},
		{name: "workload without plans", args: with(bk, "sweep", "--workload", p("wl-noplans.yaml")), want: []string{"--workload", "wl-noplans.yaml", "no plans", "want"}, out: true},
		{name: "workload bad template", args: with(bk, "build", "--workload", p("wl-template.yaml")), want: []string{"--workload", "wl-template.yaml", "Nope"}, out: true},
		{name: "workload unknown plan", args: with(bk, "build", "--workload", p("wl-plan.yaml")), want: []string{"wl-plan.yaml", `"double"`, "single, three-phase"}, out: true},
		{name: "workload missing file", args: with(bk, "sweep", "--workload", p("wl-none.yaml")), want: []string{"--workload", "wl-none.yaml"}, out: true},
		{name: "instances bad id", args: with(bk, "build", "--instances", p("ids-bad.txt")), want: []string{"--instances", "ids-bad.txt", `"bad id here"`, "{org}__{repo}-{number}"}, out: true},
		{name: "instances duplicate", args: with(bk, "sweep", "--instances", p("ids-dup.txt")), want: []string{"--instances", "ids-dup.txt", "repeats line 1"}, out: true},
		{name: "instances comma list", args: with(bk, "sweep", "--instances", p("ids-comma.txt")), want: []string{"--instances", "ids-comma.txt", "line 1", "image name"}, out: true},
		{name: "instances id too long", args: with(bk, "build", "--instances", p("ids-long.txt")), want: []string{"--instances", "ids-long.txt", "line 2", "too long"}, out: true},
		{name: "instances none", args: with(bk, "build", "--instances", p("ids-empty.txt")), want: []string{"--instances", "ids-empty.txt", "no instance ids"}, out: true},

		// Numbers.
		{name: "workers 1e9", args: with(bk, "build", "--workers", "1e9"), want: []string{"--workers", `"1e9"`, "integer"}, out: true},
		{name: "workers overflow", args: with(bk, "sweep", "--workers", "99999999999999999999"), want: []string{"workers", "99999999999999999999", "positive integer"}, out: true},
		{name: "build sample 0", args: with(bk, "build", "--sample", "0"), want: []string{"--sample", "0", "want 1..433"}, out: true},
		{name: "build sample too large", args: with(bk, "build", "--sample", "100000"), want: []string{"--sample", "100000", "want 1..433"}, out: true},
		{name: "sweep reps -1", args: with(bk, "sweep", "--reps", "-1"), want: []string{"reps -1", "1 or more"}, out: true},
		{name: "sweep sample 0", args: with(bk, "sweep", "--sample", "0"), want: []string{"sample 0", "1 or more"}, out: true},
		{name: "build attempts 0", args: with(bk, "build", "--attempts", "0"), want: []string{"--attempts 0", "1 or more"}, out: true},
		{name: "build attempts huge", args: with(bk, "build", "--attempts", "99999999999"), want: []string{"--attempts 99999999999", "at most 100"}, out: true},
		{name: "sweep attempts 0", args: with(bk, "sweep", "--attempts", "0"), want: []string{"--attempts 0", "1 or more"}, out: true},
		{name: "max-parallelism -1", args: with(bk, "build", "--max-parallelism", "-1"), want: []string{"--max-parallelism -1", "0 (default) or more"}, out: true},
		{name: "registry-concurrency -1", args: with(bk, "build", "--registry-concurrency", "-1"), want: []string{"--registry-concurrency -1", "0 (default) or more"}, out: true},
		{name: "build daemons 0", args: with(bk, "build", "--daemons", "0"), want: []string{"--daemons 0", "1 or more"}, out: true},
		{name: "sweep daemons 0", args: with(bk, "sweep", "--daemons", "0"), want: []string{"--daemons 0", "1 or more"}, out: true},
		{name: "sweep alpha 2", args: with(bk, "sweep", "--alpha", "2"), want: []string{"--alpha 2", "between 0 and 1"}, out: true},
		{name: "sweep per-image negative", args: with(bk, "sweep", "--per-image-seconds", "-1"), want: []string{"--per-image-seconds -1", ">= 0"}, out: true},
		{name: "sweep error rate NaN", args: with(bk, "sweep", "--registry-error-rate", "NaN"), want: []string{"error rate NaN", "fraction"}, out: true},
		{name: "sweep drop rate negative", args: with(bk, "sweep", "--registry-drop-rate", "-0.1"), want: []string{"drop rate -0.1", "fraction"}, out: true},
		{name: "build error rate 1.5", args: with(bk, "build", "--registry-error-rate", "1.5"), want: []string{"--registry-error-rate", `"1.5"`, "between 0 and 1"}, out: true},
		{name: "seed not a number", args: with(bk, "sweep", "--seed", "abc"), want: []string{"--seed", `"abc"`, "integer"}, out: true},

		// Durations and sizes.
		{name: "latency unit", args: with(bk, "build", "--registry-latency", "5parsecs"), want: []string{"--registry-latency", `"5parsecs"`, "Go duration"}, out: true},
		{name: "build latency negative", args: with(bk, "build", "--registry-latency", "-1s"), want: []string{"--registry-latency", `"-1s"`, "positive"}, out: true},
		{name: "sweep latency negative", args: with(bk, "sweep", "--registry-latency", "-1s"), want: []string{"latency -1s", "0 or more"}, out: true},
		{name: "budget negative", args: with(bk, "sweep", "--budget", "-5m"), want: []string{"--budget -5m", "positive duration"}, out: true},
		{name: "budget not a duration", args: with(bk, "sweep", "--budget", "forever"), want: []string{"--budget", `"forever"`, "duration"}, out: true},
		{name: "prune keep negative", args: with(bk, "build", "--prune-keep", "-1GiB"), want: []string{"--prune-keep", `"-1GiB"`, "negative"}, out: true},
		{name: "cache and cache-mode", args: with(bk, "sweep", "--cache", "max", "--cache-mode", "off"), want: []string{"--cache and --cache-mode", "give one"}, out: true},
		{name: "build cache and cache-mode", args: with(bk, "build", "--cache", "max", "--cache-mode", "off"), want: []string{"--cache and --cache-mode", "give one"}, out: true},
		{name: "build cache bad", args: with(bk, "build", "--cache", "maxx"), want: []string{`--cache: cache mode "maxx"`, "off, min, max"}, out: true},
		{name: "cache mode once", args: with(bk, "sweep", "--cache", "maxx"), want: []string{`--cache: cache mode "maxx"`, "off, min, max"}, out: true},
		{name: "prune keep above threshold", args: with(bk, "sweep", "--prune-threshold", "1GiB", "--prune-keep", "2GiB"), want: []string{"--prune-keep", "2GiB", "less than --prune-threshold 1GiB"}, out: true},
		{name: "prune keep alone", args: with(bk, "build", "--prune-keep", "1GiB"), want: []string{"--prune-keep", "1GiB", "without --prune-threshold"}, out: true},
		{name: "prune threshold two dots", args: with(bk, "sweep", "--prune-threshold", "1.5.GiB"), want: []string{"--prune-threshold", `"1.5.GiB"`, "GiB"}, out: true},
		{name: "bandwidth negative", args: with(bk, "build", "--registry-bandwidth", "-5MiB/s"), want: []string{"--registry-bandwidth", `"-5MiB/s"`, "negative", "MiB/s"}, out: true},
		{name: "bandwidth exponent", args: with(bk, "sweep", "--registry-bandwidth", "1e400MiB/s"), want: []string{"--registry-bandwidth", `"1e400MiB/s"`, "unlimited"}, out: true},

		// Image references and templates.
		{name: "tag unknown field", args: with(bk, with(custom, "build", "--tag", "{{.Nope}}")...), want: []string{"--tag", "{{.Nope}}", "{{.Slug}}"}, out: true},
		{name: "tag unclosed", args: with(bk, with(custom, "sweep", "--tag", "{{.Registry")...), want: []string{"--tag", "{{.Registry", "unclosed", "{{.Slug}}"}, out: true},
		{name: "tag not a reference", args: with(bk, with(custom, "build", "--tag", "UPPER CASE:")...), want: []string{"--tag", `"UPPER CASE:"`, "image reference"}, out: true},
		{name: "base image not a reference", args: with(bk, with(custom, "build", "--tag", "x:{{.SDKSha7}}", "--base-image", "UPPER CASE:")...), want: []string{"--base-image", `"UPPER CASE:"`, "image reference"}, out: true},
		{name: "cache ref unknown field", args: with(bk, with(custom, "sweep", "--tag", "x:y", "--cache-ref", "{{.Nope}}")...), want: []string{"--cache-ref", "{{.Nope}}", "{{.Slug}}"}, out: true},
		{name: "build arg without =", args: with(bk, with(custom, "build", "--tag", "x:y", "--build-arg", "NOEQUALS")...), want: []string{"--build-arg", `"NOEQUALS"`, "KEY=VALUE"}, out: true},
		{name: "build arg template", args: with(bk, with(custom, "build", "--tag", "x:y", "--build-arg", "A={{.Nope}}")...), want: []string{"--build-arg A", "{{.Nope}}", "{{.Slug}}"}, out: true},
		{name: "tag without context", args: with(bk, "build", "--tag", "x:y"), want: []string{"--tag", "give --context"}, out: true},
		{name: "context without tag", args: with(bk, with(custom, "sweep")...), want: []string{"--context", "needs --tag"}, out: true},
		{name: "context missing", args: with(bk, "build", "--context", p("nowhere"), "--tag", "x:y"), want: []string{"--context", "nowhere", "want the build context folder"}, out: true},
		{name: "dockerfile missing", args: with(bk, with(custom, "build", "--tag", "x:y", "--dockerfile", p("custom/Nofile"))...), want: []string{"--dockerfile", "Nofile", "want the Dockerfile"}, out: true},

		// Addresses.
		{name: "buildkit addr http", args: with(bk, "build", "--buildkit-addr", "http://x"), want: []string{"--buildkit-addr", "http://x", `scheme "http"`, "unix, tcp"}, out: true},
		{name: "buildkit addr tcp without port", args: with(bk, "sweep", "--buildkit-addr", "tcp://127.0.0.1"), want: []string{"--buildkit-addr", "tcp://127.0.0.1", "host:port"}, out: true},
		{name: "registry ftp", args: with(bk, "build", "--registry", "ftp://x"), want: []string{"--registry", `"ftp://x"`, "without a scheme"}, out: true},
		{name: "registry with spaces", args: with(bk, "sweep", "--registry", "not a host"), want: []string{"--registry", `"not a host"`, "host:port"}, out: true},

		// Records of a newer schema; empty and foreign run folders.
		{name: "durations newer schema", args: with(bk, "build", "--durations-from", p("newer")), want: []string{"--durations-from", "version 99", "versions 1 to 1"}, out: true},
		{name: "validate newer schema", args: []string{"validate", run, p("newer")}, want: []string{"newer", "version 99"}},
		{name: "report newer schema", args: []string{"report", p("newer")}, want: []string{"newer", "version 99"}, out: true},
		{name: "plan newer schema", args: []string{"plan", p("newer"), "--deadline", "3h"}, want: []string{"newer", "version 99"}},
		{name: "resume empty folder", args: with(bk, "sweep", "--resume", p("empty")), want: []string{"--resume", p("empty"), "run.json"}},
		{name: "resume foreign folder", args: with(bk, "sweep", "--resume", p("foreign")), want: []string{"--resume", p("foreign"), "run.json"}},
		{name: "durations foreign folder", args: with(bk, "build", "--durations-from", p("foreign")), want: []string{"--durations-from", p("foreign"), "manifest.jsonl"}, out: true},
		{name: "report empty folder", args: []string{"report", p("empty")}, want: []string{p("empty"), "empty folder", "records.jsonl"}, out: true},
		{name: "plan foreign folder", args: []string{"plan", p("foreign"), "--deadline", "3h"}, want: []string{p("foreign"), "records.jsonl"}},
		{name: "validate foreign folder", args: []string{"validate", p("foreign"), run}, want: []string{p("foreign"), "records.jsonl"}},
		{name: "merge foreign folder", args: []string{"merge", p("foreign")}, want: []string{p("foreign"), "not a build folder"}, out: true},
		{name: "merge shard twice", args: []string{"merge", p("build"), p("build") + "/"}, want: []string{p("build"), "given twice"}, out: true},
		{name: "merge out is a shard", args: []string{"merge", "--out", p("build"), p("build")}, want: []string{"--out", "shard folder", "must not overwrite"}},
		{name: "merge binary instance list", args: []string{"merge", "--instances", p("grid-binary.yaml") + "-long", p("build")}, want: []string{"--instances", "instance id", "want {org}__{repo}-{number}"}, out: true},
		{name: "merge bad instance list", args: []string{"merge", "--instances", p("ids-bad.txt"), p("build")}, want: []string{"--instances", `"bad id here"`}, out: true},

		// Conflicting flags.
		{name: "workload and context", args: with(bk, with(custom, "build", "--workload", p("wl-noplans.yaml"), "--tag", "x:y")...), want: []string{"--workload and --context", "one of them"}, out: true},
		{name: "resume and workers", args: with(bk, "sweep", "--resume", run, "--workers", "4"), want: []string{"--resume", "--workers", "cannot change"}},
		{name: "sweep out holds a sweep", args: with(bk, "sweep", "--out", run), want: []string{"--out", run, "already holds a sweep", "--resume"}},
		{name: "sweep out holds records", args: with(bk, "sweep", "--out", p("recs")), want: []string{"--out", p("recs"), "already holds records"}},
		{name: "resume and out", args: with(bk, "sweep", "--resume", run, "--out", p("elsewhere")), want: []string{"--resume", "--out", "cannot change"}},
		{name: "config and workers", args: with(bk, "sweep", "--config", "workers=4", "--workers", "2"), want: []string{"--config and --workers", "one or the other"}, out: true},
		{name: "config unknown key", args: with(bk, "sweep", "--config", "workers=4,colour=red"), want: []string{"--config", `"colour"`, "workers, batch"}, out: true},
		{name: "config twice", args: with(bk, "sweep", "--config", "workers=4", "--config", "workers=4"), want: []string{"config workers=4", "listed twice"}, out: true},
		{name: "images and instances", args: []string{"recommend", run, "--images", "40", "--instances", p("ids-dup.txt")}, want: []string{"--images and --instances", "one of them"}},

		// Shards.
		{name: "shard count zero", args: with(bk, "build", "--shard", "5/0"), want: []string{"--shard", `"5/0"`, "1 <= i <= n"}, out: true},
		{name: "shard count too large", args: with(bk, "build", "--shard", "1/99999"), want: []string{"--shard", `"1/99999"`, "<= 1000"}, out: true},

		// The other commands.
		{name: "stack unknown action", args: []string{"stack", "sideways"}, want: []string{`"sideways"`, "up, down or status"}},
		{name: "stack up daemons 0", args: with(bk, "stack", "up", "--daemons", "0"), want: []string{"--daemons 0", "1 or more"}, state: true},
		{name: "stack up registry scheme", args: with(bk, "stack", "up", "--registry", "ftp://x"), want: []string{"--registry", "ftp://x"}, state: true},
		{name: "stack up missing buildkitd", args: with(bk, "stack", "up"), want: []string{noBK, "make setup"}, state: true},
		{name: "stack status argument", args: []string{"stack", "status", "extra"}, want: []string{"stack status", `"extra"`}},
		{name: "version argument", args: []string{"version", "extra"}, want: []string{"version", `"extra"`}},
		{name: "version unknown flag", args: []string{"version", "--json"}, want: []string{"version", "--json"}},
		{name: "analyze negative seed", args: []string{"analyze", run, "--seed", "-1"}, want: []string{"--seed", `"-1"`, "non-negative"}},
		{name: "analyze zero margin", args: []string{"analyze", run, "--equivalence", "0"}, want: []string{"--equivalence", `"0"`, "3%"}},
		{name: "recommend prune keep", args: []string{"recommend", run, "--prune-threshold", "1GiB", "--prune-keep", "1GiB"}, want: []string{"--prune-keep", "less than --prune-threshold"}},
		{name: "recommend format", args: []string{"recommend", run, "--format", "xml"}, want: []string{"--format", `"xml"`, "diff or env"}},
		{name: "recommend workflow malformed", args: []string{"recommend", run, "--workflow", p("wf-malformed.yml")}, want: []string{"--workflow", "wf-malformed.yml", "expected"}},
		{name: "recommend workflow job", args: []string{"recommend", run, "--workflow", p("wf.yml"), "--job", "nope"}, want: []string{"--workflow", `job "nope"`, "build-and-push"}},
		{name: "recommend workflow step", args: []string{"recommend", run, "--workflow", p("wf.yml"), "--step", "nope"}, want: []string{"--workflow", `step "nope"`, "name: or id:"}},
		{name: "recommend bad instance list", args: []string{"recommend", run, "--instances", p("ids-bad.txt")}, want: []string{"--instances", `"bad id here"`, "{org}__{repo}-{number}"}},
		{name: "plan negative cores", args: []string{"plan", run, "--cores", "-1", "--deadline", "3h"}, want: []string{"--cores", "-1", "positive"}},
		{name: "validate three folders", args: []string{"validate", run, run, run}, want: []string{"validate", "want 2 run folder(s), got 3"}},
		{name: "prove bad base", args: with(bk, "prove", "--base", "workers=x", "--head", "workers=4"), want: []string{"--base", `"x"`, "positive integer"}, out: true},
		{name: "prove equivalence", args: with(bk, "prove", "--head", "workers=16", "--equivalence", "200%"), want: []string{"--equivalence", "200%", "margin"}, out: true},
		{name: "prove images 0", args: with(bk, "prove", "--head", "workers=16", "--images", "0"), want: []string{"--images", "0", "positive"}, out: true},
		{name: "prove sweep flag", args: with(bk, "prove", "--head", "workers=16", "--workers", "3"), want: []string{"prove", "--workers"}, out: true},
		{name: "prove bad sweep input", args: with(bk, "prove", "--head", "workers=16", "--profile", p("prof-zero.yaml")), want: []string{"prof-zero.yaml", "time_scale"}, out: true},
	}
	runFiles := func() map[string]string {
		m := map[string]string{}
		entries, err := os.ReadDir(run)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(run, e.Name()))
			m[e.Name()] = string(b)
		}
		return m
	}
	before := runFiles()
	seen := map[string]bool{}
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			key := strings.Join(tt.args, "\x00")
			if seen[key] {
				t.Errorf("case %q repeats the arguments of another case", tt.name)
			}
			seen[key] = true
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				args := slices.Clone(tt.args)
				var fresh string
				switch {
				case tt.out:
					fresh = filepath.Join(t.TempDir(), "out")
					args = append(args, "--out", fresh)
				case tt.state:
					fresh = filepath.Join(t.TempDir(), "state")
					args = append(args, "--state", fresh)
				}
				r := runIn(t, args...)
				if r.code != exitUsage {
					t.Fatalf("buildtune %q: want exit %d\n%s", args, exitUsage, r)
				}
				lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
				if len(lines) != 1 || r.stderr == "" || !strings.HasSuffix(r.stderr, "\n") {
					t.Errorf("buildtune %q: want exactly one line on stderr, got %d:\n%s", args, len(lines), r.stderr)
				}
				msg := lines[0]
				if n := len([]rune(msg)); n > 420 {
					t.Errorf("buildtune %q: a %d-character message, want a short line", args, n)
				}
				if !strings.HasPrefix(msg, "buildtune: ") {
					t.Errorf("message %q does not start with \"buildtune: \"", msg)
				}
				for _, w := range tt.want {
					if !strings.Contains(msg, w) {
						t.Errorf("buildtune %q: message %q does not mention %q", args, msg, w)
					}
				}
				if r.stdout != "" {
					t.Errorf("buildtune %q wrote to stdout: %q", args, r.stdout)
				}
				if fresh != "" {
					if entries, err := os.ReadDir(fresh); err == nil && len(entries) > 0 {
						var names []string
						for _, e := range entries {
							names = append(names, e.Name())
						}
						t.Errorf("buildtune %q left partial output in %s: %v", args, fresh, names)
					}
				}
				limit := tt.maxTime
				if limit == 0 {
					limit = 10 * time.Second
				}
				if r.took > limit {
					t.Errorf("buildtune %q took %s, want under %s", args, r.took, limit)
				}
			})
		}
	})
	if len(tests) < 40 {
		t.Errorf("%d cases, want at least 40", len(tests))
	}
	after := runFiles()
	for name, b := range before {
		if after[name] != b {
			t.Errorf("bad input changed %s/%s", run, name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("bad input wrote %s/%s", run, name)
		}
	}
	if entries, _ := os.ReadDir(p("recs")); len(entries) != 1 {
		t.Errorf("bad input wrote into %s: %d entries, want only records.jsonl", p("recs"), len(entries))
	}
	for _, d := range []string{"newer", "foreign", "empty", "build"} {
		for _, out := range []string{"analysis.json", "report.md", "validation.json", "build-summary.json", "manifest.jsonl"} {
			if d == "build" && out == "manifest.jsonl" {
				continue
			}
			if _, err := os.Stat(filepath.Join(p(d), out)); err == nil {
				t.Errorf("bad input wrote %s", filepath.Join(p(d), out))
			}
		}
	}
}

// TestSweepResumeChangedProfile: a sweep records the digest of its profile; resuming it after
// the profile file was edited is bad input (exit 2, one line naming the folder and the profile)
// before anything starts, and the folder is left as it was. The same profile with other
// comments resumes (here: gets as far as the missing buildkitd).
func TestSweepResumeChangedProfile(t *testing.T) {
	dir := copyRun(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "profiles", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	prof := writeFile(t, "p.yaml", string(src))
	p, err := fixtures.LoadProfile(prof)
	if err != nil {
		t.Fatal(err)
	}
	runJSON := filepath.Join(dir, "run.json")
	var info map[string]any
	b, err := os.ReadFile(runJSON)
	if err != nil || json.Unmarshal(b, &info) != nil {
		t.Fatalf("run.json: %v", err)
	}
	info["grid"].(map[string]any)["profile"] = prof
	info["profile_digest"] = p.Digest()
	if b, err = json.Marshal(info); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(runJSON, b, 0o644); err != nil {
		t.Fatal(err)
	}
	files := func() map[string]string {
		m := map[string]string{}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			m[e.Name()] = string(b)
		}
		return m
	}
	before := files()

	// Comments only: the same profile.
	if err := os.WriteFile(prof, append([]byte("# a comment\n"), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "sweep", "--resume", dir, "--buildkitd", "/nonexistent/buildkitd")
	if strings.Contains(r.stderr, "has changed since the sweep started") {
		t.Errorf("a comment refused the resume as another profile: %s", r)
	}

	if err := os.WriteFile(prof, []byte(strings.Replace(string(src), "cpu_seconds: 103", "cpu_seconds: 50", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runIn(t, "sweep", "--resume", dir, "--buildkitd", "/nonexistent/buildkitd")
	if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stdout != "" {
		t.Fatalf("resume with an edited profile: want exit 2 and one line: %s", r)
	}
	for _, w := range []string{"--resume " + dir, prof, "has changed since the sweep started"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
	after := files()
	for name, b := range before {
		if after[name] != b {
			t.Errorf("the refused resume changed %s", name)
		}
	}
	if len(after) != len(before) {
		t.Errorf("the refused resume wrote into %s: %d entries, had %d", dir, len(after), len(before))
	}
}
