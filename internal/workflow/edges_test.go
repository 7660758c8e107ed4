package workflow

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestRewriteEdges: workflow shapes found by running the rewrite on files it had not seen. Each
// output must parse, mean the same apart from the knobs, and differ from the source only on the
// lines of changed places; the diff with its places and warnings is kept in
// testdata/golden/unseen-NAME.diff.
func TestRewriteEdges(t *testing.T) {
	k := Knobs{Workers: ptr(7), Batch: ptr(23), Cache: ptr("min")}
	tests := []struct {
		name, file string
		k          *Knobs   // the knobs, when not k
		want       []string // in the output
		keep       []string // in the source, and still in the output
		warn       []string // in the warnings
		nowarn     []string // not in the warnings
	}{
		// The fallback of fromJSON(x || '16') (or of a parenthesised body) is the value on runs
		// without the input: it follows the input's default.
		{name: "fromjson", file: "fromjson.yml",
			want: []string{"default: 7\n", "MAX_WORKERS: ${{ fromJSON(inputs.max_workers || '7') }}", "BUILD_BATCH_SIZE: ${{ FromJson( vars.BATCH || 23 ) }}",
				"OPENHANDS_BUILDKIT_CACHE_MODE: ${{ (vars.CACHE_MODE || 'min') }}", `MAX_WORKERS="${{ fromJSON(inputs.max_workers || 7) }}" ./build.sh`},
			keep:   []string{"fromJSON(vars.TIMEOUT || '600')", "BUILD_BATCH_SIZE=${{ (vars.A || '1') && (vars.B || '50') }}"},
			warn:   []string{"line 19: jobs.build.steps[0].run: ${{ (vars.A || '1') && (vars.B || '50') }} has no literal fallback; left as is"},
			nowarn: []string{"line 11", "line 13", "line 14", "line 15", "line 18"}},
		// ${KNOB:-} gives no value (set -u's guard): neither rewritten nor warned about; a
		// default quoted inside a quoted expansion is rewritten without a warning that says
		// it is left as is.
		{name: "guards", file: "guards.yml",
			want: []string{"MAX_WORKERS: 7\n", `[[ -z "${MAX_WORKERS:-}" ]] && MAX_WORKERS=7`, `BUILD_BATCH_SIZE="${BUILD_BATCH_SIZE:-"23"}"`},
			keep: []string{`if [ -n "${OPENHANDS_BUILDKIT_CACHE_MODE:-}" ]`, `echo "${BUILD_BATCH_SIZE-}" "${OPENHANDS_BUILDKIT_CACHE_MODE:=}"`,
				"OPENHANDS_BUILDKIT_CACHE_MODE=${OPENHANDS_BUILDKIT_CACHE_MODE:-''}", "workers: ${MAX_WORKERS:-}"},
			nowarn: []string{"line 11", "line 12", "line 13", "line 14", "line 15", "line 19"}},
		// GitHub reads input names in any case.
		{name: "case-inputs", file: "case-inputs.yml", k: &Knobs{Workers: ptr(7), Batch: ptr(3)},
			want:   []string{"Max_Workers:\n        default: '7'", "options: ['3', '50']\n        default: '3'", "github.event.inputs.batch || '3'"},
			nowarn: []string{"not declared"}},
		// The args of a Docker container action carry literal knob flags: warned about.
		{name: "docker-args", file: "docker-args.yml",
			want: []string{"MAX_WORKERS: 7\n"},
			keep: []string{`args: --max-workers 16 --batch-size=50 --cache-mode "max"`},
			warn: []string{"line 11: jobs.build.steps[0].with.args: --max-workers 16 in the args of docker://ghcr.io/org/builder:latest passes a literal worker count",
				"--batch-size 50 in the args", "--cache-mode max in the args"}},
		// A value written as a block scalar of one line (a long expression folded onto its own
		// line) is rewritten on that line; one of several lines is warned about.
		{name: "block-values", file: "block-values.yml",
			want: []string{"default: >-\n          7\n", "  MAX_WORKERS: >-\n    ${{ github.event_name == 'workflow_dispatch' && inputs.max-workers || '7' }}\n",
				"  BUILD_BATCH_SIZE: |\n    23\n"},
			keep: []string{"OPENHANDS_BUILDKIT_CACHE_MODE: !!str max", "&& inputs.max-workers || '16' }}"},
			warn: []string{`line 18: jobs.b.env.MAX_WORKERS: multi-line, tagged or escaped value`}},
		// An anchored value read, through aliases, only where it sets the knob is rewritten once.
		{name: "anchors-knob-places", file: filepath.Join("..", "anchors", "knob-places.yml"),
			want: []string{"default: &w '7'", "x-knobs: &knobs\n  MAX_WORKERS: 7\n", "export BUILD_BATCH_SIZE=23\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := readFile(t, filepath.Join("unseen", tt.file))
			kk := k
			if tt.k != nil {
				kk = *tt.k
			}
			r, err := Rewrite(src, kk, Options{})
			if err != nil {
				t.Fatal(err)
			}
			out := string(r.Output)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.keep {
				if !strings.Contains(string(src), w) || !strings.Contains(out, w) {
					t.Errorf("%q is not kept:\n%s", w, out)
				}
			}
			ws := warningsText(r)
			for _, w := range tt.warn {
				if !strings.Contains(ws, w) {
					t.Errorf("warnings lack %q:\n%s", w, ws)
				}
			}
			for _, w := range tt.nowarn {
				if strings.Contains(ws, w) {
					t.Errorf("warnings hold %q:\n%s", w, ws)
				}
			}
			checkOnlyValuesChanged(t, src, r)
			sameMeaning(t, src, r.Output, r.Changes)
			golden(t, "unseen-"+tt.name+".diff", []byte(Diff(filepath.Base(tt.file), src, r.Output, append(Summary(r.Changes), r.Warnings...))))
		})
	}
}

// TestRewriteAnchorElsewhere: a knob's value that YAML aliases also give to another setting (a
// timeout, another input's default, another knob, an action's script) cannot change without
// changing that setting: ErrConflict naming it, and nothing is written.
func TestRewriteAnchorElsewhere(t *testing.T) {
	for file, want := range map[string]string{
		"timeout.yml":       "line 3: changing the worker count at env.MAX_WORKERS (16 -> 4) would also change what the YAML anchor &workers gives to jobs.build.timeout-minutes, not a setting of the worker count",
		"input.yml":         "line 5: changing the worker count at on.workflow_dispatch.inputs.max-workers.default (16 -> 4) would also change what the YAML anchor &n gives to on.workflow_dispatch.inputs.retries.default",
		"other-knob.yml":    "line 6: changing the worker count at jobs.build.env.MAX_WORKERS (16 -> 4) would also change what the YAML anchor &n gives to jobs.build.env.BUILD_BATCH_SIZE",
		"script.yml":        "line 7: changing the worker count at jobs.build.steps[0].run (16 -> 4) would also change what the YAML anchor &script gives to jobs.build.steps[1].with.script",
		"def-elsewhere.yml": "line 5: changing the worker count at jobs.build.env.MAX_WORKERS (16 -> 4) would also change what the YAML anchor &t gives to jobs.build.timeout-minutes",
	} {
		t.Run(file, func(t *testing.T) {
			src := readFile(t, filepath.Join("anchors", file))
			r, err := Rewrite(src, Knobs{Workers: ptr(4), Batch: ptr(3)}, Options{})
			if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want ErrConflict with %q", err, want)
			}
			if r.Output != nil {
				t.Error("output given with the error")
			}
		})
	}
}

// An input read but not declared is reported against the declarations the file has: a
// reusable workflow's are under on.workflow_call.inputs.
func TestRewriteUndeclaredInputWhere(t *testing.T) {
	for on, want := range map[string]string{
		"workflow_call: {inputs: {w: {default: 4}}}":                            "not declared under on.workflow_call.inputs\n",
		"workflow_dispatch: {inputs: {w: {default: 4}}}":                        "not declared under on.workflow_dispatch.inputs\n",
		"{workflow_call: {inputs: {w: {default: 4}}}, workflow_dispatch: null}": "not declared under on.workflow_dispatch.inputs or on.workflow_call.inputs\n",
	} {
		src := "on:\n  " + on + "\njobs:\n  a:\n    env:\n      BUILD_BATCH_SIZE: ${{ inputs.batch || 50 }}\n"
		r := rewriteOK(t, src, Knobs{Batch: ptr(3)}, Options{})
		if w := warningsText(r) + "\n"; !strings.Contains(w, "line 6: BUILD_BATCH_SIZE reads inputs.batch, which is "+want) {
			t.Errorf("on: %s: warnings\n%s\nlack %q", on, w, want)
		}
	}
}

// An env entry named like a knob but not by one of its names (BATCH_SIZE, NUM_WORKERS,
// CACHE_MODE) may be what the build reads: warned about, left as is; generic names are not.
func TestRewriteEnvAliasWarned(t *testing.T) {
	src := "on: push\nenv:\n  BATCH_SIZE: 50\n  NUM_WORKERS: 8\n  CACHE: true\njobs:\n  a:\n    env:\n      MAX_WORKERS: 16\n      cache-mode: max\n"
	r := rewriteOK(t, src, Knobs{Workers: ptr(4), Batch: ptr(3), Cache: ptr("off")}, Options{})
	if !strings.Contains(string(r.Output), "BATCH_SIZE: 50\n  NUM_WORKERS: 8\n") || !strings.Contains(string(r.Output), "MAX_WORKERS: 4\n") {
		t.Errorf("output:\n%s", r.Output)
	}
	w := warningsText(r)
	for _, s := range []string{
		`line 3: env.BATCH_SIZE: "50" may be the batch size, but only BUILD_BATCH_SIZE is rewritten; left as is`,
		`line 4: env.NUM_WORKERS: "8" may be the worker count, but only MAX_WORKERS is rewritten`,
		`line 10: jobs.a.env.cache-mode: "max" may be the cache mode, but only OPENHANDS_BUILDKIT_CACHE_MODE is rewritten`,
		"batch: BUILD_BATCH_SIZE is not set anywhere",
	} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}
	if strings.Contains(w, "env.CACHE:") {
		t.Errorf("a generic name is warned about:\n%s", w)
	}
}

// A file that does not parse as YAML is refused saying what was wanted, also when the YAML
// error names no line (bytes that are not UTF-8, control characters).
func TestRewriteNotYAMLSaysWhatIsWanted(t *testing.T) {
	for name, src := range map[string]string{
		"latin-1": "on: push\nenv:\n  MAX_WORKERS: \xe916\n",
		"binary":  "\x7fELF\x02\x01\x01\x00",
		"flow":    "on: push\njobs: [\n",
	} {
		_, err := Rewrite([]byte(src), Knobs{Workers: ptr(4)}, Options{})
		if !errors.Is(err, ErrSyntax) || !strings.HasSuffix(err.Error(), "; want "+wantYAML) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line of ErrSyntax ending in what is wanted", name, err)
		}
	}
}

// TestRewriteOtherEncodings: a workflow in UTF-16 (or UTF-32), or with a
// carriage return alone ending its lines, parsed (yaml.v3 takes both) but
// could not be edited in place by line: every knob was "a multi-line,
// tagged or escaped value" and the file was refused as having no knobs.
// Each is now one line of ErrSyntax saying what is wrong; CRLF files and
// a CR inside a CRLF line end still rewrite.
func TestRewriteOtherEncodings(t *testing.T) {
	src := "on: push\nenv:\n  MAX_WORKERS: 16\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: ./b\n"
	utf16 := func(bigEndian bool) string {
		out := []byte{0xff, 0xfe}
		if bigEndian {
			out = []byte{0xfe, 0xff}
		}
		for _, c := range []byte(src) {
			if bigEndian {
				out = append(out, 0, c)
			} else {
				out = append(out, c, 0)
			}
		}
		return string(out)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"utf-16le", utf16(false), "UTF-16 text"},
		{"utf-16be", utf16(true), "UTF-16 text"},
		{"cr only", strings.ReplaceAll(src, "\n", "\r"), "line 1 ends in a carriage return alone"},
		{"one cr", strings.Replace(src, "16\n", "16\r", 1), "line 3 ends in a carriage return alone"},
		{"cr at the end", strings.TrimSuffix(src, "\n") + "\r", "line 8 ends in a carriage return alone"},
	} {
		_, err := Rewrite([]byte(tc.src), Knobs{Workers: ptr(4)}, Options{})
		if !errors.Is(err, ErrSyntax) || errors.Is(err, ErrNoKnobs) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line of ErrSyntax with %q", tc.name, err, tc.want)
		}
	}
	for name, s := range map[string]string{"lf": src, "crlf": strings.ReplaceAll(src, "\n", "\r\n")} {
		r, err := Rewrite([]byte(s), Knobs{Workers: ptr(4)}, Options{})
		if err != nil || !strings.Contains(string(r.Output), "MAX_WORKERS: 4") {
			t.Errorf("%s: %v, want MAX_WORKERS rewritten", name, err)
		}
	}
}
