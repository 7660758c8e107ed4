package workflow

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func ptr[T any](v T) *T { return &v }

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with testdata/golden/name, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, Diff(name, want, got, nil))
	}
}

func report(r Result) []byte {
	var b bytes.Buffer
	for _, l := range Summary(r.Changes) {
		b.WriteString(l + "\n")
	}
	for _, w := range r.Warnings {
		b.WriteString("warning: " + w + "\n")
	}
	return b.Bytes()
}

var tuned = Knobs{Workers: ptr(16), Batch: ptr(40), Cache: ptr("min")}

func TestRewriteGolden(t *testing.T) {
	tests := []struct {
		name, file string
		k          Knobs
		o          Options
	}{
		{name: "full", file: "build-swtbench-images.yml", k: tuned},
		{name: "job", file: "build-swtbench-images.yml", k: tuned, o: Options{Job: "build-and-push"}},
		{name: "step", file: "build-swtbench-images.yml", k: tuned, o: Options{Step: "Build and push images"}},
		{name: "step-id", file: "build-swtbench-images.yml", k: Knobs{Batch: ptr(40)}, o: Options{Job: "build-and-push", Step: "build"}},
		{name: "eval-job", file: "build-swtbench-images.yml", k: Knobs{Batch: ptr(25)}, o: Options{Job: "eval-images"}},
		{name: "variants", file: "variants.yml", k: tuned},
		// DATASET reads inputs.dataset, whose default is not a number: a warning.
		{name: "names", file: "build-swtbench-images.yml", k: Knobs{Workers: ptr(8)},
			o: Options{Names: KnobNames{Workers: []string{"MAX_WORKERS", "DATASET"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := readFile(t, tt.file)
			r, err := Rewrite(src, tt.k, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".yml", r.Output)
			golden(t, tt.name+".txt", report(r))
			checkOnlyValuesChanged(t, src, r)
		})
	}
}

// checkOnlyValuesChanged checks that the output has the same lines as the input and that every
// differing line is a line of a change.
func checkOnlyValuesChanged(t *testing.T, src []byte, r Result) {
	t.Helper()
	a, b := strings.Split(string(src), "\n"), strings.Split(string(r.Output), "\n")
	if len(a) != len(b) {
		t.Fatalf("line count changed: %d -> %d", len(a), len(b))
	}
	lines := map[int]bool{}
	for _, c := range r.Changes {
		if c.Changed() {
			lines[c.Line] = true
		}
	}
	for i := range a {
		if a[i] != b[i] && !lines[i+1] {
			t.Errorf("line %d changed but no change names it:\n-%s\n+%s", i+1, a[i], b[i])
		}
	}
}

func TestRewriteLimits(t *testing.T) {
	src := readFile(t, "build-swtbench-images.yml")
	r, err := Rewrite(src, tuned, Options{Job: "build-and-push"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Changes {
		if strings.HasPrefix(c.Path, "jobs.eval-images") || strings.HasPrefix(c.Path, "env.") {
			t.Errorf("--job build-and-push changed %s", c.Path)
		}
	}
	if !bytes.Contains(r.Output, []byte("BUILD_BATCH_SIZE: 50 # batch size of the eval")) {
		t.Error("the eval job's batch size changed")
	}
	full, err := Rewrite(src, Knobs{Batch: ptr(40)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(full.Warnings, "\n"), "BUILD_BATCH_SIZE is set in jobs build-and-push, eval-images") {
		t.Errorf("no warning about a name shared by two jobs: %q", full.Warnings)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		file string
		k    Knobs
		o    Options
	}{
		{"build-swtbench-images.yml", Knobs{Workers: ptr(4), Batch: ptr(15), Cache: ptr("max")}, Options{Job: "build-and-push"}},
		{"build-swtbench-images.yml", Knobs{Workers: ptr(4), Cache: ptr("max")}, Options{}},
		{"build-swtbench-images.yml", Knobs{Batch: ptr(50)}, Options{Job: "eval-images"}},
		{"variants.yml", Knobs{Workers: ptr(4), Batch: ptr(15), Cache: ptr("off")}, Options{}},
	}
	for _, tt := range tests {
		src := readFile(t, tt.file)
		r, err := Rewrite(src, tt.k, tt.o)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if !bytes.Equal(r.Output, src) {
			t.Errorf("%s: rewriting with the present values changed it:\n%s", tt.file, Diff(tt.file, src, r.Output, nil))
		}
		for _, c := range r.Changes {
			if c.Changed() {
				t.Errorf("%s: %s reported as changed %s -> %s", tt.file, c.Path, c.Old, c.New)
			}
		}
		// There and back again.
		var other Knobs // the same knobs with other values
		if tt.k.Workers != nil {
			other.Workers = tuned.Workers
		}
		if tt.k.Batch != nil {
			other.Batch = tuned.Batch
		}
		if tt.k.Cache != nil {
			other.Cache = tuned.Cache
		}
		there, err := Rewrite(src, other, tt.o)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Rewrite(there.Output, tt.k, tt.o)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Output, src) {
			t.Errorf("%s: rewrite and rewrite back differ:\n%s", tt.file, Diff(tt.file, src, back.Output, nil))
		}
	}
}

func TestRewriteForms(t *testing.T) {
	tests := []struct {
		name, src, want string
		k               Knobs
	}{
		{"plain", "env:\n  MAX_WORKERS: 4\n", "env:\n  MAX_WORKERS: 12\n", Knobs{Workers: ptr(12)}},
		{"double", "env:\n  MAX_WORKERS: \"4\" # c\n", "env:\n  MAX_WORKERS: \"12\" # c\n", Knobs{Workers: ptr(12)}},
		{"single", "env:\n  MAX_WORKERS: '4'\n", "env:\n  MAX_WORKERS: '12'\n", Knobs{Workers: ptr(12)}},
		{"crlf", "env:\r\n  MAX_WORKERS: 4\r\njobs:\r\n  a:\r\n    steps:\r\n      - run: |\r\n          MAX_WORKERS=4\r\n",
			"env:\r\n  MAX_WORKERS: 12\r\njobs:\r\n  a:\r\n    steps:\r\n      - run: |\r\n          MAX_WORKERS=12\r\n", Knobs{Workers: ptr(12)}},
		{"unicode before value", "env: {é: ü, MAX_WORKERS: 4}\n", "env: {é: ü, MAX_WORKERS: 12}\n", Knobs{Workers: ptr(12)}},
		{"github.event.inputs bare fallback",
			"on:\n  workflow_dispatch:\n    inputs:\n      w:\n        default: 4\nenv:\n  MAX_WORKERS: ${{ github.event.inputs.w || 4 }}\n",
			"on:\n  workflow_dispatch:\n    inputs:\n      w:\n        default: 12\nenv:\n  MAX_WORKERS: ${{ github.event.inputs.w || 12 }}\n", Knobs{Workers: ptr(12)}},
		{"cache into bare fallback gets quotes", "env:\n  OPENHANDS_BUILDKIT_CACHE_MODE: ${{ vars.C || 0 }}\n",
			"env:\n  OPENHANDS_BUILDKIT_CACHE_MODE: ${{ vars.C || 'min' }}\n", Knobs{Cache: ptr("min")}},
		{"export", "jobs:\n  a:\n    steps:\n      - run: |\n          export BUILD_BATCH_SIZE=15\n          ./b --batch 15\n",
			"jobs:\n  a:\n    steps:\n      - run: |\n          export BUILD_BATCH_SIZE=433\n          ./b --batch 15\n", Knobs{Batch: ptr(433)}},
		{"bash default", "jobs:\n  a:\n    steps:\n      - run: |\n          MAX_WORKERS=\"${MAX_WORKERS:-4}\"\n",
			"jobs:\n  a:\n    steps:\n      - run: |\n          MAX_WORKERS=\"${MAX_WORKERS:-7}\"\n", Knobs{Workers: ptr(7)}},
		{"zero padded is unchanged", "env:\n  MAX_WORKERS: 04\n", "env:\n  MAX_WORKERS: 04\n", Knobs{Workers: ptr(4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Rewrite([]byte(tt.src), tt.k, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Output) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", r.Output, tt.want)
			}
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	src := readFile(t, "build-swtbench-images.yml")
	choice := []byte("on:\n  workflow_dispatch:\n    inputs:\n      cache-mode:\n        type: choice\n        options: [off, max]\n        default: max\n" +
		"env:\n  OPENHANDS_BUILDKIT_CACHE_MODE: ${{ inputs.cache-mode || 'max' }}\n")
	tests := []struct {
		name     string
		src      []byte
		k        Knobs
		o        Options
		is       error
		contains string
	}{
		{name: "no knobs", src: []byte("name: x\njobs:\n  a:\n    steps:\n      - run: make\n"), k: tuned, is: ErrNoKnobs},
		{name: "empty", src: []byte(""), k: tuned, is: ErrNoKnobs},
		{name: "knob only in a form left alone", src: []byte("env:\n  MAX_WORKERS: ${{ vars.W }}\n"), k: tuned, is: ErrNoKnobs, contains: "no literal fallback"},
		{name: "broken yaml", src: []byte("env:\n  MAX_WORKERS: 4\n   BAD: [\n"), k: tuned, contains: "line"},
		{name: "job not found", src: src, k: tuned, o: Options{Job: "nope"}, is: ErrNotFound, contains: "build-and-push, eval-images"},
		{name: "step not found", src: src, k: tuned, o: Options{Step: "nope"}, is: ErrNotFound},
		{name: "step not in job", src: src, k: tuned, o: Options{Job: "eval-images", Step: "build"}, is: ErrNotFound},
		{name: "knob not in job", src: src, k: Knobs{Workers: ptr(3)}, o: Options{Job: "eval-images"}, is: ErrNoKnobs, contains: `in job "eval-images"`},
		{name: "no values", src: src, k: Knobs{}, contains: "no knob values"},
		{name: "bad cache mode", src: src, k: Knobs{Cache: ptr("fast")}, contains: `"fast"`},
		{name: "zero workers", src: src, k: Knobs{Workers: ptr(0)}, contains: "at least 1"},
		{name: "one name two knobs", src: src, k: tuned, o: Options{Names: KnobNames{Batch: []string{"MAX_WORKERS"}}}, contains: "both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Rewrite(tt.src, tt.k, tt.o)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
		})
	}

	t.Run("value not in choice options", func(t *testing.T) {
		_, err := Rewrite(choice, Knobs{Cache: ptr("min")}, Options{})
		var oe *OptionError
		if !errors.As(err, &oe) {
			t.Fatalf("error %v is not an *OptionError", err)
		}
		if oe.Input != "cache-mode" || oe.Value != "min" || oe.Line != 6 || strings.Join(oe.Options, ",") != "off,max" {
			t.Errorf("unexpected %+v", *oe)
		}
		if want := `cache "min" is not an option of choice input "cache-mode" (line 6; options: off, max)`; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		if _, err := Rewrite(choice, Knobs{Cache: ptr("off")}, Options{}); err != nil {
			t.Errorf("an option of the choice: %v", err)
		}
	})
}

func TestEnv(t *testing.T) {
	golden(t, "env.txt", []byte(Env(tuned, KnobNames{})))
	got := Env(Knobs{Batch: ptr(433)}, KnobNames{Batch: []string{"BATCH", "OTHER"}})
	if got != "BATCH=433\n" {
		t.Errorf("Env = %q", got)
	}
}

func TestDiffGolden(t *testing.T) {
	src := readFile(t, "build-swtbench-images.yml")
	r, err := Rewrite(src, Knobs{Workers: ptr(16), Batch: ptr(433), Cache: ptr("off")}, Options{Job: "build-and-push"})
	if err != nil {
		t.Fatal(err)
	}
	header := append([]string{"buildtune: workers=16 batch=433 cache=off", "stream recommended: the real script has no stream mode; one batch holding every image (433) is a stream", ""},
		Summary(r.Changes)...)
	golden(t, "full.diff", []byte(Diff(".github/workflows/build-swtbench-images.yml", src, r.Output, header)))
}
