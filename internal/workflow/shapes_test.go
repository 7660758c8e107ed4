package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// sameMeaning checks that out parses and holds the same YAML as src except for the scalars at
// the paths of changed places: same kinds, styles, tags, keys and values everywhere else.
func sameMeaning(t *testing.T, src, out []byte, changes []Change) {
	t.Helper()
	var a, b yaml.Node
	if err := yaml.Unmarshal(src, &a); err != nil {
		t.Fatalf("source: %v", err)
	}
	if err := yaml.Unmarshal(out, &b); err != nil {
		t.Fatalf("the output is not YAML: %v", err)
	}
	var changed []string
	for _, c := range changes {
		if c.Changed() {
			changed = append(changed, c.Path)
		}
	}
	var walk func(x, y *yaml.Node, path string)
	walk = func(x, y *yaml.Node, path string) {
		if x.Kind != y.Kind || x.Style != y.Style || len(x.Content) != len(y.Content) || x.Anchor != y.Anchor {
			t.Errorf("%s: the node's shape changed", path)
			return
		}
		if x.Kind == yaml.ScalarNode && (x.Value != y.Value || x.Tag != y.Tag) && !slices.Contains(changed, path) {
			t.Errorf("%s: %q (%s) -> %q (%s), and no change names it", path, x.Value, x.Tag, y.Value, y.Tag)
		}
		if x.Kind == yaml.AliasNode {
			return
		}
		for i := range x.Content {
			p := path
			switch x.Kind {
			case yaml.MappingNode:
				if i%2 == 0 {
					p = join(path, x.Content[i].Value) + "#key"
				} else {
					p = join(path, x.Content[i-1].Value)
				}
			case yaml.SequenceNode:
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			walk(x.Content[i], y.Content[i], p)
		}
	}
	walk(&a, &b, "")
}

// TestRewriteShapes: workflows shaped unlike the real one. Each output must parse, mean the
// same apart from the knobs, and differ from the source only on the lines of changed places;
// the diff with its places and warnings is kept in testdata/golden/unseen-NAME.diff.
func TestRewriteShapes(t *testing.T) {
	k := Knobs{Workers: ptr(7), Batch: ptr(23), Cache: ptr("min")}
	tests := []struct {
		name, file string
		o          Options
		err        error    // the error wanted, nil for none
		want       []string // in the output (or the error)
		keep       []string // in the source, and still in the output
		warn       []string // in the warnings
	}{
		{name: "matrix", file: "matrix.yml",
			want: []string{"BUILD_BATCH_SIZE: ${{ matrix.batch || 23 }}"},
			keep: []string{"max-workers: 16   # big runner", "MAX_WORKERS: 16\n", "max-workers: 4\n", "MAX_WORKERS: ${{ matrix.max-workers }}"},
			warn: []string{"line 18: jobs.build.env.MAX_WORKERS: ${{ matrix.max-workers }} reads the matrix (the matrix gives 16 (line 13), 4 (line 16)): a matrix varies it on purpose; left as is"}},
		{name: "github-env", file: "github-env.yml",
			want: []string{`echo "MAX_WORKERS=7" >> $GITHUB_ENV`, `echo BUILD_BATCH_SIZE=23 >> "$GITHUB_ENV"`, `echo 'OPENHANDS_BUILDKIT_CACHE_MODE=min' >> "${GITHUB_ENV}"`},
			warn: []string{"line 12: jobs.build.steps[0].run: MAX_WORKERS=%s"}},
		{name: "block-scalars", file: "block-scalars.yml",
			want: []string{"run: >-\n          MAX_WORKERS=7\n          BUILD_BATCH_SIZE=23\n", `export MAX_WORKERS="${MAX_WORKERS:-7}"` + "\n\n          export OPENHANDS_BUILDKIT_CACHE_MODE='min'\n\n",
				"run: |4-\n              MAX_WORKERS=7 ./build.sh\n", "    MAX_WORKERS=7 ./indented.sh"}},
		{name: "flow-maps", file: "flow-maps.yml",
			want: []string{"{type: number, default: 7}}}}", `env: {MAX_WORKERS: "${{ inputs.max-workers || 7 }}", BUILD_BATCH_SIZE: 23}`,
				"OPENHANDS_BUILDKIT_CACHE_MODE: min,\n      BUILD_BATCH_SIZE: '23'\n", `run: "MAX_WORKERS=7 ./build.sh", env: {MAX_WORKERS: 7}}`}},
		{name: "quoting", file: "quoting.yml",
			want: []string{"default: \"7\"", "default: '23'", "MAX_WORKERS: '7'", "BUILD_BATCH_SIZE: \"23\"", "OPENHANDS_BUILDKIT_CACHE_MODE: 'min'",
				"BUILD_BATCH_SIZE: 23\n", "OPENHANDS_BUILDKIT_CACHE_MODE: min\n"}},
		{name: "crlf", file: "crlf.yml",
			want: []string{"default: \"7\"\r\n", "BUILD_BATCH_SIZE: 23 # per batch\r\n", "MAX_WORKERS=\"${{ inputs.max-workers || '7' }}\"\r\n", "CACHE_MODE=min\r\n"}},
		{name: "tabs", file: "tabs.yml",
			want: []string{"\tMAX_WORKERS=7\n", "\texport BUILD_BATCH_SIZE=${BUILD_BATCH_SIZE:-23}\n", "echo\t\"OPENHANDS_BUILDKIT_CACHE_MODE=min\""},
			keep: []string{"\tMAX_WORKERS=99\n"},
			warn: []string{"line 14: jobs.a.steps[0].run: MAX_WORKERS=99 is inside a here-document (<<-EOF, line 13) that is data"}},
		{name: "bom", file: "bom.yml",
			want: []string{"\ufeffenv: {MAX_WORKERS: 7, BUILD_BATCH_SIZE: 23}\n"}},
		{name: "comments", file: "comments.yml",
			want: []string{"default: '7' # four", "MAX_WORKERS: 7 # workers", "BUILD_BATCH_SIZE: 23    # batch, see #516", `"min" # cache #541`,
				"MAX_WORKERS=${{ inputs.max-workers || '7' }} # fallback 4", "BUILD_BATCH_SIZE=${{ inputs.batch || '23' }}  # ${{ inputs.batch || '99' }}"},
			keep: []string{"default: 15# not a comment"},
			warn: []string{`line 8: on.workflow_dispatch.inputs.batch.default: value "15# not a comment" is not a literal batch`}},
		{name: "dup-steps", file: "dup-steps.yml",
			want: []string{"MAX_WORKERS: 7\n        run: ./build-images.sh", "MAX_WORKERS: 7\n        run: ./build-eval.sh"},
			warn: []string{"MAX_WORKERS is set in jobs images, eval"}},
		{name: "dup-steps-step", file: "dup-steps.yml", o: Options{Step: "build"}, err: ErrAmbiguous,
			want: []string{`step "build" is a step of 2 jobs (images, eval)`, "--job images or --job eval"}},
		{name: "dup-steps-job-step", file: "dup-steps.yml", o: Options{Job: "eval", Step: "build"},
			want: []string{"MAX_WORKERS: 7\n        run: ./build-eval.sh"}, keep: []string{"MAX_WORKERS: 16\n"}},
		{name: "action", file: "action.yml",
			want: []string{"default: '7'", "default: 23", "default: min", "${{ inputs.cache-mode || 'min' }}"},
			keep: []string{"MAX_WORKERS: ${{ inputs.max-workers }}"}},
		{name: "action-step", file: "action.yml", o: Options{Step: "build"}, want: []string{"default: '7'"}},
		{name: "action-job", file: "action.yml", o: Options{Job: "build"}, err: ErrNotFound, want: []string{"an action, which has no jobs"}},
		{name: "docker-action", file: "docker-action.yml", want: []string{`workers: {default: "7"}`, "BUILD_BATCH_SIZE: 23"}},
		{name: "reusable", file: "reusable.yml",
			want: []string{"type: number\n        default: 7\n      build-batch-size:\n        type: number\n        default: 23\n", "workflow_dispatch:\n    inputs:\n      max-workers:\n        type: number\n        default: 7\n"}},
		{name: "heredoc", file: "heredoc.yml",
			want: []string{"<<EOF\n          MAX_WORKERS=7\n          BUILD_BATCH_SIZE=${{ inputs.batch || '23' }}\n          EOF", "MAX_WORKERS=7 ./build.sh"},
			keep: []string{`{"note": "MAX_WORKERS=99"}`, "cat <<EOT\n          MAX_WORKERS=99\n          EOT"},
			warn: []string{"line 16: jobs.a.steps[1].run: MAX_WORKERS=99 is inside a here-document (<<'JSON', line 15) that is data, not appended to $GITHUB_ENV or $GITHUB_OUTPUT; left as is",
				"line 19: jobs.a.steps[1].run: MAX_WORKERS=99 is inside a here-document (<<EOT, line 18)"}},
		{name: "heredoc-edges", file: "heredoc-edges.yml",
			want: []string{`echo "x <<EOF not a heredoc"; MAX_WORKERS=7`, "x=$(( y << z )); MAX_WORKERS=7", "<<EOF\n          MAX_WORKERS=7\n", "A\n          MAX_WORKERS=7\n          B", "MAX_WORKERS=7 # after",
				"'y' }} >> \"$GITHUB_ENV\"\n          BUILD_BATCH_SIZE=23\n"},
			keep: []string{"cat <<A; cat <<B >> $GITHUB_ENV\n          MAX_WORKERS=5\n", "WORKERS=${MAX_WORKERS:-7}\n            EOF\n          EOF"},
			warn: []string{"line 13: jobs.a.steps[0].run: MAX_WORKERS=5 is inside a here-document (<<A, line 12)", "line 18: jobs.a.steps[0].run: ${MAX_WORKERS:-7} is inside a here-document (<<EOF, line 17)"}},
		{name: "pwsh", file: "pwsh.yml",
			want: []string{"$env:MAX_WORKERS = 7\n", `$Env:BUILD_BATCH_SIZE="23"`, "$env:MAX_WORKERS ??= 7", "${env:BUILD_BATCH_SIZE} = '23'",
				`{ $env:MAX_WORKERS = "${{ github.event.inputs.w || '7' }}" }`, `"OPENHANDS_BUILDKIT_CACHE_MODE=min" | Out-File`},
			keep: []string{`os.environ["MAX_WORKERS"] = "16"` + "\n          MAX_WORKERS=16\n", "$env:MAX_WORKERS = 2 * 8", "# $env:MAX_WORKERS = 13", `"$env:MAX_WORKERS = 14"`, `("BUILD_BATCH_SIZE", "12")`},
			warn: []string{"line 16: jobs.win.steps[1].run: MAX_WORKERS appears in a python script (shell: python); left as is",
				"line 17: jobs.win.steps[1].run: MAX_WORKERS appears in a python script",
				"line 23: jobs.win.steps[2].run: $env:MAX_WORKERS = 2 * 8 is not a literal",
				"line 25: jobs.win.steps[2].run: BUILD_BATCH_SIZE is set with SetEnvironmentVariable; left as is"}},
		{name: "workflow-env", file: "workflow-env.yml",
			want: []string{"env:\n  MAX_WORKERS: 7\n  BUILD_BATCH_SIZE: 23\n  OPENHANDS_BUILDKIT_CACHE_MODE: min\n", "MAX_WORKERS: 7\n    steps:\n      - run: ./eval.sh"}},
		{name: "workflow-env-job", file: "workflow-env.yml", o: Options{Job: "a"}, err: ErrNoKnobs,
			want: []string{`MAX_WORKERS is not set in job "a" (the workflow's env sets MAX_WORKERS at line 4; a job or step limit leaves it alone`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := readFile(t, filepath.Join("unseen", tt.file))
			r, err := Rewrite(src, k, tt.o)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("error %v, want %v", err, tt.err)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
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
			checkOnlyValuesChanged(t, src, r)
			sameMeaning(t, src, r.Output, r.Changes)
			if bytes.Count(src, []byte("\r\n")) != bytes.Count(r.Output, []byte("\r\n")) || bytes.HasPrefix(src, utf8BOM) != bytes.HasPrefix(r.Output, utf8BOM) {
				t.Error("line endings or the byte order mark changed")
			}
			golden(t, "unseen-"+tt.name+".diff", []byte(Diff(tt.file, src, r.Output, append(Summary(r.Changes), r.Warnings...))))
		})
	}
}
