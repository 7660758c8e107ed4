// Package workflow is the hand-off stage after a sweep: it writes chosen knob values (workers,
// batch size, cache mode) into a GitHub Actions workflow file, editing the values in place and
// leaving every other byte as it was, and renders the change as a reviewable unified diff.
//
// A knob is set in these forms and all of them change: an entry of an env map (workflow, job,
// job container or step level), the default of a workflow_dispatch (or workflow_call) input
// that such a value reads, an input passed to a called workflow or an action under the knob's
// own name (jobs.<id>.with: {max-workers: 8} for MAX_WORKERS, or a step's with:), and inside a run: script a shell
// assignment (MAX_WORKERS=4) or the default of a parameter expansion anywhere on a line
// (${MAX_WORKERS:-4}, ${MAX_WORKERS:=4}, ${MAX_WORKERS-4}; an empty default, set -u's
// ${MAX_WORKERS:-}, sets nothing and is left alone). The fallback of a ${{ }} expression is the
// literal after its last top-level ||, also inside fromJSON(...) or parentheses around the
// whole expression (${{ fromJSON(inputs.workers || '4') }}). Input names are matched in any
// case, as GitHub reads them. Values are located with yaml.v3
// node positions and rewritten as byte edits of the original text; the YAML is never
// re-serialised.
//
// Places that may set a knob but whose meaning is not clear are left as they are, with a
// warning naming the line and value: the env of a service container, an input of a called
// workflow whose name only suggests a knob (workers, batch-size, cache-mode), a literal
// command-line flag in a script (--batch-size 15, or --batch-size ${{ inputs.b || 15 }}), a literal that a condition picks on some
// runs (the '8' of ${{ github.event_name == 'schedule' && '8' || inputs.workers }}), a knob
// that one run: script gives different literals (the branches of an if or case, or one value
// per command), a literal knob flag in the args: of a Docker container action, and an env
// entry whose name only suggests a knob (BATCH_SIZE, NUM_WORKERS, CACHE_MODE).
//
// A fallback rewritten behind a configuration variable (${{ vars.BATCH || '15' }}) or a matrix
// value the job's matrix sets (${{ matrix.workers || 16 }}) is not the value where those are
// set: a warning names them. A knob set nowhere in a file that calls a reusable workflow or a
// local action names those calls, where it may be set; one named in a place that is not
// rewritten (an action's build-args) names that place. With Options.Job, a knob the job sets
// only in some steps while the workflow env sets it too is warned about: the other steps read
// the workflow's value. A choice input's default becomes the option holding the new value, as
// that option is written (OFF for off, '04' for 4).
//
// A file that names a knob only where no knob is read (another tool's CI file, such as GitLab
// CI's variables:, or a github-script's script) is refused with ErrNoKnobs naming that place,
// not with "not set anywhere"; so is a file whose knob reaches the build only through a flag
// given an input (--max-workers ${{ inputs.max-workers }}) or an input named like the knob
// that no knob value reads (a JavaScript action's max-workers).
//
// Scripts are read in the language of their shell (the step's shell:, else defaults.run.shell):
// bash, sh and cmd as above; pwsh and powershell also as $env:KNOB = N (and ??=). A script in
// another language (shell: python, node {0}, ...) is left as is, with a warning per line that
// names a knob. In a literal block script, the body of a here-document is rewritten only when
// its command appends it to $GITHUB_ENV or $GITHUB_OUTPUT (cat >> "$GITHUB_ENV" <<EOF); in any
// other here-document (a file, a payload) a knob assignment is data: warned about, left as is.
//
// An action's metadata (action.yml: runs: and no jobs:) is rewritten too: the env of a Docker
// action, the steps of a composite action, and the defaults of its top-level inputs:.
//
// Options.Step naming steps in more than one job, without Options.Job, is refused with
// ErrAmbiguous: the name does not say which build is meant.
//
// YAML anchors and aliases are followed. A value written once under an anchor and read via
// aliases is one place: it is rewritten once, and the summary names the aliases that read it.
// With Options.Job or Options.Step, a value to change that is also read via an alias by a job
// (or the workflow env) outside the limit is refused with ErrConflict rather than changed for
// them too: the limit is a promise that nothing outside it changes, so the user decides
// between rewriting without the limit and giving the limited job its own value. With or without
// a limit, a value to change that aliases also give to a setting that is not the knob
// (timeout-minutes: *workers, another input's default, another knob) is refused with
// ErrConflict: it cannot change without changing that setting too.
//
// A file GitHub would reject is refused with ErrSyntax: not YAML, more than one YAML document,
// or a mapping key given twice. An input read by two different knobs is refused with
// ErrConflict, since its default cannot hold both values.
package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The knob identifiers used in Change.Knob.
const (
	KnobWorkers = "workers"
	KnobBatch   = "batch"
	KnobCache   = "cache"
)

// CacheModes are the values the cache knob accepts.
var CacheModes = []string{"off", "min", "max"}

// ErrNoKnobs means the file (or the part of it selected by Options.Job/Step) sets none of the
// requested knobs.
var ErrNoKnobs = errors.New("no knobs found")

// ErrSyntax means the file is not YAML.
var ErrSyntax = errors.New("parsing workflow")

// ErrNotFound means Options.Job or Options.Step names no job or step of the file.
var ErrNotFound = errors.New("not found")

// ErrAmbiguous means Options.Step names steps in more than one job, and Options.Job does not
// say which job is meant.
var ErrAmbiguous = errors.New("ambiguous limit")

// ErrConflict means the file sets a knob in a way the rewrite cannot honour: one input feeds
// two knobs (it cannot hold both values), or, with Options.Job or Options.Step, a value to
// change is shared through a YAML anchor with places outside the limit.
var ErrConflict = errors.New("conflicting workflow")

// Knobs are the values to write; a nil field leaves that knob alone.
type Knobs struct {
	Workers, Batch *int
	Cache          *string
}

// KnobNames are the environment variable names that carry each knob. An empty list means the
// default name (see DefaultNames).
type KnobNames struct {
	Workers, Batch, Cache []string
}

// DefaultNames returns the names used by build-swtbench-images.yml.
func DefaultNames() KnobNames {
	return KnobNames{
		Workers: []string{"MAX_WORKERS"},
		Batch:   []string{"BUILD_BATCH_SIZE"},
		Cache:   []string{"OPENHANDS_BUILDKIT_CACHE_MODE"},
	}
}

func (n KnobNames) withDefaults() KnobNames {
	d := DefaultNames()
	if len(n.Workers) == 0 {
		n.Workers = d.Workers
	}
	if len(n.Batch) == 0 {
		n.Batch = d.Batch
	}
	if len(n.Cache) == 0 {
		n.Cache = d.Cache
	}
	return n
}

// Options limit and name the rewrite.
type Options struct {
	// Job limits the rewrite to one job id. Workflow-level env is then left alone, because it
	// is shared by every job.
	Job string
	// Step limits the rewrite to the steps whose name or id equals it (within Job if set).
	// Workflow- and job-level env are then left alone.
	Step string
	// Names maps knobs to variable names; empty lists take DefaultNames.
	Names KnobNames
}

// Change is one place where a requested knob is set. Places whose value already equals the new
// one are listed too (Old == New), so the caller can show every place.
type Change struct {
	Line int    // 1-based line in the source
	Path string // e.g. "jobs.build.env.MAX_WORKERS", "jobs.build.steps[2].run"
	Name string // the variable or input name set there
	Step string // the step's name or id, when the place is in a step
	Knob string // KnobWorkers, KnobBatch or KnobCache
	Old  string
	New  string
	// Shared is set when the place is read elsewhere via YAML aliases: the path of each alias
	// and its name, e.g. "jobs.test.env (*defaults)". The one place changes for all of them.
	Shared []string
}

// Changed reports whether the place gets a different value.
func (c Change) Changed() bool { return c.Old != c.New }

// Result is the rewritten file, every place the requested knobs are set, and warnings about
// places that set a knob in a form that cannot be rewritten (left as they are).
type Result struct {
	Output   []byte
	Changes  []Change
	Warnings []string
}

// OptionError means a new value is not among the options of a choice input that feeds the knob.
type OptionError struct {
	Input   string // input name
	Line    int    // line of the input's options
	Knob    string
	Value   string
	Options []string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("%s %q is not an option of choice input %q (line %d; options: %s)",
		e.Knob, e.Value, e.Input, e.Line, strings.Join(e.Options, ", "))
}

// knob is one requested knob: its identifier, names and new value.
type knob struct {
	id      string
	names   []string
	value   string
	numeric bool
}

func requested(k Knobs, names KnobNames) ([]knob, error) {
	var ks []knob
	if k.Workers != nil {
		if *k.Workers < 1 {
			return nil, fmt.Errorf("workers must be at least 1, got %d", *k.Workers)
		}
		ks = append(ks, knob{KnobWorkers, names.Workers, strconv.Itoa(*k.Workers), true})
	}
	if k.Batch != nil {
		if *k.Batch < 1 {
			return nil, fmt.Errorf("batch size must be at least 1, got %d", *k.Batch)
		}
		ks = append(ks, knob{KnobBatch, names.Batch, strconv.Itoa(*k.Batch), true})
	}
	if k.Cache != nil {
		if !slices.Contains(CacheModes, *k.Cache) {
			return nil, fmt.Errorf("cache mode %q is not one of %s", *k.Cache, strings.Join(CacheModes, ", "))
		}
		ks = append(ks, knob{KnobCache, names.Cache, *k.Cache, false})
	}
	if len(ks) == 0 {
		return nil, errors.New("no knob values to set")
	}
	seen := map[string]string{}
	for _, q := range ks {
		for _, n := range q.names {
			if prev, ok := seen[n]; ok && prev != q.id {
				return nil, fmt.Errorf("name %q is given for both %s and %s", n, prev, q.id)
			}
			seen[n] = q.id
		}
	}
	return ks, nil
}

// same reports whether an old literal already holds the new value, so that rewriting with the
// values already present leaves the bytes alone (numbers compare by value: "04" equals 4).
func (q knob) same(old string) bool {
	if old == q.value {
		return true
	}
	if q.numeric {
		a, err1 := strconv.Atoi(old)
		b, err2 := strconv.Atoi(q.value)
		return err1 == nil && err2 == nil && a == b
	}
	return false
}

// Rewrite writes the requested knob values into the workflow src and returns the new text with
// every place it found. Only the value bytes change.
func Rewrite(src []byte, k Knobs, o Options) (Result, error) {
	ks, err := requested(k, o.Names.withDefaults())
	if err != nil {
		return Result{}, err
	}
	doc, err := parse(src)
	if err != nil {
		return Result{}, err
	}
	const want = "want a GitHub Actions workflow (a mapping with on: and jobs:) or action (action.yml, with runs:)"
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return Result{}, fmt.Errorf("%w: the file is empty or only comments; %s", ErrNoKnobs, want)
	}
	if top := doc.Content[0]; top.Kind != yaml.MappingNode {
		kind := map[yaml.Kind]string{yaml.ScalarNode: "plain text", yaml.SequenceNode: "a list", yaml.AliasNode: "an alias"}[top.Kind]
		return Result{}, fmt.Errorf("%w: line %d: the top level is %s, not a mapping; %s", ErrSyntax, top.Line, kind, want)
	}
	root := doc.Content[0]
	ix, err := newIndex(root)
	if err != nil {
		return Result{}, err
	}
	rw := newRewriter(src, ks, ix)
	rw.scoped = o.Job != "" || o.Step != ""
	rw.scope = strings.TrimPrefix(scopeText(o), " in ")

	if err := rw.walk(root, o); err != nil {
		return Result{}, err
	}
	if err := rw.inputs(root); err != nil {
		return Result{}, err
	}
	if rw.conflict != nil {
		return Result{}, rw.conflict
	}
	if err := rw.aliasedElsewhere(); err != nil {
		return Result{}, err
	}
	if o.Job != "" || o.Step != "" {
		sharedInputs(rw, root, ks)
	}
	found := map[string]bool{}
	for _, c := range rw.changes {
		found[c.Knob] = true
	}
	if o.Job != "" && o.Step == "" && !isAction(root) {
		jobEnv(rw, root, o, ks, found)
	}
	var unset []knob
	for _, q := range ks {
		if !found[q.id] && !rw.mentioned[q.id] {
			unset = append(unset, q)
		}
	}
	if len(unset) > 0 && len(rw.calls) > 0 {
		// The build may run in a called workflow or a local action, which is another file:
		// that is where such a knob is set. Named first, so that a long refusal still
		// shows it.
		calls := rw.calls
		if len(calls) > 3 {
			calls = append(slices.Clone(calls[:3]), fmt.Sprintf("and %d more", len(rw.calls)-3))
		}
		rw.warnf(0, "a knob not set in this file may be set in a file it calls; rewrite that file instead (one file is rewritten at a time): %s", strings.Join(calls, "; "))
	}
	for _, q := range unset {
		where := " anywhere"
		if rw.scoped {
			where = scopeText(o)
			where += widerEnv(root, o, q)
		} else if line, path, name := namedAt(root, "", []knob{q}, notSetting, 0); line > 0 {
			// Set, but where the rewrite does not read (an action's build-args): saying it
			// is set nowhere would be false.
			rw.warnf(0, "%s: line %d: %s names %s, but not as a value this rewrite changes; left as is (change it by hand)", q.id, line, path, name)
			continue
		}
		rw.warnf(0, "%s: %s is not set%s", q.id, strings.Join(q.names, " or "), where)
	}
	if len(rw.changes) == 0 {
		if len(rw.mentioned) == 0 && !rw.scoped {
			// The knob's name is in the file, but nowhere a knob is read: another tool's CI
			// file (GitLab CI's variables:, CircleCI's environment:, a compose file), or a
			// place of a workflow that is not rewritten. Saying the knob is not set would be
			// false.
			if line, path, name := namedAt(root, "", ks, nil, 0); line > 0 {
				var missing []string
				for _, key := range []string{"on", "jobs"} {
					if mapGet(root, key) == nil {
						missing = append(missing, "no "+key+":")
					}
				}
				if !isAction(root) && len(missing) > 0 {
					return Result{}, fmt.Errorf("%w: line %d: %s sets %s, but the file is not a GitHub Actions workflow (%s) or action (no runs:), so nothing in it is read as a CI default; %s",
						ErrNoKnobs, line, path, name, strings.Join(missing, ", "), want)
				}
				return Result{}, fmt.Errorf("%w: line %d: %s names %s, but not as a value this rewrite changes (an env: entry, an input's default, a with: input, or an assignment in a run: script); change it by hand",
					ErrNoKnobs, line, path, name)
			}
		}
		if len(rw.warnings) > 0 {
			return Result{Warnings: rw.warnings}, fmt.Errorf("%w%s: %s", ErrNoKnobs, scopeText(o), strings.Join(rw.warnings, "; "))
		}
		return Result{}, fmt.Errorf("%w%s", ErrNoKnobs, scopeText(o))
	}
	if len(rw.vars) > 0 {
		rw.warnf(0, "%s: a configuration variable read before a rewritten fallback wins over it wherever the repository, environment or organization settings set it; change it there too if it is set",
			strings.Join(rw.vars, ", "))
	}
	if o.Job == "" && o.Step == "" {
		sharedNames(rw)
	}
	out, err := rw.apply()
	if err != nil {
		return Result{}, err
	}
	slices.SortStableFunc(rw.changes, func(a, b Change) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Path, b.Path)
	})
	return Result{Output: out, Changes: rw.changes, Warnings: rw.warnings}, nil
}

// jobEnv warns, for a rewrite limited to a job, about a knob found in the job's steps only
// while the workflow's env sets it too: the limit leaves that value alone, and the steps of the
// job that set no value of their own still read it.
func jobEnv(rw *rewriter, root *yaml.Node, o Options, ks []knob, found map[string]bool) {
	job := mapGet(mapGet(root, "jobs"), o.Job)
	if mapGet(job, "uses") != nil {
		return // a called workflow does not read the caller's env
	}
	for _, q := range ks {
		if !found[q.id] {
			continue
		}
		own := false
		for _, n := range q.names {
			if mapGet(mapGet(job, "env"), n) != nil || mapGet(mapGet(mapGet(job, "container"), "env"), n) != nil {
				own = true
			}
		}
		// Every step setting it itself reads no other value.
		steps := mapGet(job, "steps")
		if steps != nil && steps.Kind == yaml.SequenceNode {
			all := true
			for i := range steps.Content {
				sp := fmt.Sprintf("jobs.%s.steps[%d].", o.Job, i)
				if !slices.ContainsFunc(rw.changes, func(c Change) bool { return c.Knob == q.id && strings.HasPrefix(c.Path, sp) }) {
					all = false
				}
			}
			own = own || all
		}
		if own {
			continue
		}
		for _, n := range q.names {
			v := mapGet(mapGet(root, "env"), n)
			if v == nil || v.Kind != yaml.ScalarNode || q.same(v.Value) {
				continue
			}
			rw.warnf(0, "the workflow's env sets %s at line %d (%s), which a job limit leaves alone: the steps of job %q that set no %s of their own still read it (rewrite without the limit, or set it in the job's env)",
				n, v.Line, v.Value, o.Job, n)
			break
		}
	}
}

// widerEnv says where a knob not set within a job or step limit is set for it instead: in the
// workflow's env (or, under a step limit, the job's env), which the limit leaves alone.
func widerEnv(root *yaml.Node, o Options, q knob) string {
	for _, n := range q.names {
		if v := mapGet(mapGet(root, "env"), n); v != nil {
			return fmt.Sprintf(" (the workflow's env sets %s at line %d; a job or step limit leaves it alone, since every job reads it: rewrite without the limit to change it)", n, v.Line)
		}
		if o.Job == "" || o.Step == "" {
			continue
		}
		if v := mapGet(mapGet(mapGet(mapGet(root, "jobs"), o.Job), "env"), n); v != nil {
			return fmt.Sprintf(" (the env of job %q sets %s at line %d; a step limit leaves it alone, since every step of the job reads it: limit to the job only to change it)", o.Job, n, v.Line)
		}
	}
	return ""
}

func scopeText(o Options) string {
	switch {
	case o.Job != "" && o.Step != "":
		return fmt.Sprintf(" in step %q of job %q", o.Step, o.Job)
	case o.Job != "":
		return fmt.Sprintf(" in job %q", o.Job)
	case o.Step != "":
		return fmt.Sprintf(" in step %q", o.Step)
	}
	return ""
}

// walk visits the env maps and run scripts in scope.
func (rw *rewriter) walk(root *yaml.Node, o Options) error {
	if isAction(root) {
		return rw.walkAction(root, o)
	}
	if o.Job == "" && o.Step == "" {
		rw.env(mapGet(root, "env"), "env", "")
	}
	jobs := mapGet(root, "jobs")
	if jobs != nil && jobs.Kind != yaml.MappingNode {
		jobs = nil
	}
	var jobIDs, stepJobs []string
	jobMatched := false
	for i := 0; jobs != nil && i+1 < len(jobs.Content); i += 2 {
		id, job := jobs.Content[i].Value, resolve(jobs.Content[i+1])
		jobIDs = append(jobIDs, id)
		if o.Job != "" && id != o.Job {
			continue
		}
		jobMatched = true
		if job == nil || job.Kind != yaml.MappingNode {
			continue
		}
		rw.job = job
		jp := "jobs." + id
		if o.Step == "" {
			if o.Job != "" {
				rw.scopes = append(rw.scopes, jp)
			}
			rw.env(mapGet(job, "env"), jp+".env", "")
			rw.env(mapGet(mapGet(job, "container"), "env"), jp+".container.env", "")
			rw.services(mapGet(job, "services"), jp+".services")
			if uses := mapGet(job, "uses"); uses != nil {
				rw.with(mapGet(job, "with"), jp+".with", scalarValue(uses), "")
				call := fmt.Sprintf("line %d: %s calls %s", uses.Line, jp, scalarValue(uses))
				if !strings.HasPrefix(scalarValue(uses), "./") {
					call += " (another repository's workflow: its knobs reach it as with: inputs)"
				}
				rw.calls = append(rw.calls, call)
			}
		}
		if rw.steps(root, job, mapGet(job, "steps"), jp, o) {
			stepJobs = append(stepJobs, id)
		}
	}
	rw.job = nil
	if o.Job != "" && !jobMatched {
		return fmt.Errorf("job %q: %w (jobs: %s)", o.Job, ErrNotFound, strings.Join(jobIDs, ", "))
	}
	if o.Step != "" && len(stepJobs) == 0 {
		return fmt.Errorf("step %q%s: %w (a step is named by its name: or id:)", o.Step, scopeText(Options{Job: o.Job}), ErrNotFound)
	}
	if o.Step != "" && len(stepJobs) > 1 {
		alts := make([]string, len(stepJobs))
		for i, j := range stepJobs {
			alts[i] = "--job " + j
		}
		return fmt.Errorf("%w: step %q is a step of %d jobs (%s); which one is meant is not clear: limit it to one job as well (%s)",
			ErrAmbiguous, o.Step, len(stepJobs), strings.Join(stepJobs, ", "), strings.Join(alts, " or "))
	}
	return nil
}

// steps visits the steps (of a job, or of a composite action) in scope and reports whether
// one of them matched Options.Step.
func (rw *rewriter) steps(root, job, steps *yaml.Node, jp string, o Options) bool {
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return false
	}
	matched := false
	for si, step := range steps.Content {
		step = resolve(step)
		if step == nil || step.Kind != yaml.MappingNode {
			continue
		}
		name, sid := scalarValue(mapGet(step, "name")), scalarValue(mapGet(step, "id"))
		if o.Step != "" && o.Step != name && o.Step != sid {
			continue
		}
		matched = true
		label := name
		if label == "" {
			label = sid
		}
		sp := fmt.Sprintf("%s.steps[%d]", jp, si)
		if o.Step != "" {
			rw.scopes = append(rw.scopes, sp)
		}
		rw.env(mapGet(step, "env"), sp+".env", label)
		rw.run(mapGet(step, "run"), sp+".run", label, stepShell(step, job, root))
		if uses := mapGet(step, "uses"); uses != nil {
			rw.with(mapGet(step, "with"), sp+".with", scalarValue(uses), label)
			if strings.HasPrefix(scalarValue(uses), "./") {
				at := sp
				if label != "" {
					at += fmt.Sprintf(" (step %q)", label)
				}
				rw.calls = append(rw.calls, fmt.Sprintf("line %d: %s uses %s", uses.Line, at, scalarValue(uses)))
			}
		}
	}
	return matched
}

// isAction reports whether the file is an action's metadata (action.yml: runs:, no jobs:).
func isAction(root *yaml.Node) bool {
	runs := mapGet(root, "runs")
	return runs != nil && runs.Kind == yaml.MappingNode && mapGet(root, "jobs") == nil
}

// walkAction visits an action's metadata: the env of a Docker action (runs.env) and the steps
// of a composite action (runs.steps). Its inputs are declared at the top level.
func (rw *rewriter) walkAction(root *yaml.Node, o Options) error {
	if o.Job != "" {
		return fmt.Errorf("job %q: %w (the file is an action, which has no jobs; limit it with a step)", o.Job, ErrNotFound)
	}
	runs := mapGet(root, "runs")
	if o.Step == "" {
		rw.env(mapGet(runs, "env"), "runs.env", "")
	}
	if !rw.steps(root, nil, mapGet(runs, "steps"), "runs", o) && o.Step != "" {
		return fmt.Errorf("step %q: %w (a step is named by its name: or id:)", o.Step, ErrNotFound)
	}
	return nil
}

// mapGet returns the value of key in the mapping m, following aliases.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return resolve(m.Content[i+1])
		}
	}
	return nil
}

// mapGetFold returns the key and value of the entry of the mapping m whose key equals key in
// any case, as GitHub reads input names (inputs.Max_Workers reads the input max_workers).
func mapGetFold(m *yaml.Node, key string) (string, *yaml.Node) {
	if v := mapGet(m, key); v != nil {
		return key, v
	}
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return "", nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && strings.EqualFold(k.Value, key) {
			return k.Value, resolve(m.Content[i+1])
		}
	}
	return "", nil
}

func scalarValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// env handles an env: map.
func (rw *rewriter) env(m *yaml.Node, path, step string) {
	rw.envDepth(m, path, step, 0)
}

func (rw *rewriter) envDepth(m *yaml.Node, path, step string, depth int) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > 10 {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i], resolve(m.Content[i+1])
		if val == nil {
			continue
		}
		if key.Tag == "!!merge" { // <<: *base, or <<: [*a, *b]
			if val.Kind == yaml.SequenceNode {
				for _, c := range val.Content {
					rw.envDepth(c, path, step, depth+1)
				}
			} else {
				rw.envDepth(val, path, step, depth+1)
			}
			continue
		}
		q, ok := rw.byName[key.Value]
		if !ok {
			rw.envAlias(key, val, path)
			continue
		}
		rw.mentioned[q.id] = true
		p := path + "." + key.Value
		if val.Kind != yaml.ScalarNode {
			rw.warnf(val.Line, "%s: value is not a scalar; left as is", p)
			continue
		}
		rw.scalar(val, q, p, key.Value, step, true)
	}
}

// inputs rewrites the defaults of the inputs read by the knob values found so far: those of
// on.workflow_dispatch and on.workflow_call in a workflow, those of the top-level inputs: in
// an action.
func (rw *rewriter) inputs(root *yaml.Node) error {
	on := mapGet(root, "on")
	type decl struct{ path, where string }
	decls := []decl{{"on.workflow_dispatch.inputs", "workflow_dispatch"}, {"on.workflow_call.inputs", "workflow_call"}}
	where := "on.workflow_dispatch.inputs"
	switch dispatch, call := mapGet(on, "workflow_dispatch") != nil, mapGet(on, "workflow_call") != nil; {
	case call && dispatch:
		where = "on.workflow_dispatch.inputs or on.workflow_call.inputs"
	case call:
		where = "on.workflow_call.inputs"
	}
	if isAction(root) {
		decls, where = []decl{{"inputs", ""}}, "the action's inputs"
	}
	for _, ref := range rw.refs {
		declared := false
		for _, d := range decls {
			in := mapGet(root, "inputs")
			if d.where != "" {
				in = mapGet(mapGet(on, d.where), "inputs")
			}
			name, input := mapGetFold(in, ref.input)
			if input == nil {
				continue
			}
			declared = true
			path := d.path + "." + name
			if input.Kind != yaml.MappingNode {
				continue
			}
			q := ref.knob
			if opts := mapGet(input, "options"); opts != nil && opts.Kind == yaml.SequenceNode {
				var values []string
				for _, v := range opts.Content {
					values = append(values, v.Value)
				}
				// The default is written as the option that holds the new value is ('04' for
				// 4, OFF for off): a choice's default is one of its options.
				i := slices.IndexFunc(values, q.same)
				if i < 0 && !q.numeric {
					i = slices.IndexFunc(values, func(v string) bool { return strings.EqualFold(v, q.value) })
				}
				if i < 0 {
					return &OptionError{Input: ref.input, Line: opts.Line, Knob: ref.knob.id, Value: ref.knob.value, Options: values}
				}
				q.value = values[i]
			}
			def := mapGet(input, "default")
			if def == nil {
				rw.warnf(input.Line, "%s has no default; nothing to rewrite there", path)
				continue
			}
			if def.Kind != yaml.ScalarNode {
				rw.warnf(def.Line, "%s.default is not a scalar; left as is", path)
				continue
			}
			rw.scalar(def, q, path+".default", name, "", false)
		}
		if !declared {
			rw.warnf(ref.line, "%s reads inputs.%s, which is not declared under %s", ref.knob.names[0], ref.input, where)
		}
	}
	// An input named like a knob (max-workers for MAX_WORKERS) that no knob value reads, for a
	// knob found nowhere else: the action's code (a JavaScript or Docker action) or a called
	// workflow's caller reads it, so saying the knob is set nowhere would be false.
	for _, d := range decls {
		in := mapGet(root, "inputs")
		if d.where != "" {
			in = mapGet(mapGet(on, d.where), "inputs")
		}
		if in == nil || in.Kind != yaml.MappingNode || rw.scoped {
			continue
		}
		for i := 0; i+1 < len(in.Content); i += 2 {
			name := in.Content[i].Value
			if slices.ContainsFunc(rw.refs, func(r inputRef) bool { return strings.EqualFold(r.input, name) }) {
				continue
			}
			for _, q := range rw.knobs {
				if rw.mentioned[q.id] || !slices.ContainsFunc(q.names, func(n string) bool { return normName(n) == normName(name) }) {
					continue
				}
				rw.mentioned[q.id] = true
				def := "no default"
				if v := mapGet(in.Content[i+1], "default"); v != nil && v.Kind == yaml.ScalarNode {
					def = fmt.Sprintf("default %q", v.Value)
				}
				rw.warnf(in.Content[i].Line, "%s.%s (%s) is named like %s, but no knob value in this file reads it (the action's code or a caller does); left as is (change it by hand)",
					d.path, name, def, q.names[0])
			}
		}
	}
	return nil
}

// sharedNames warns when one variable is set in more than one job: the same name may be the
// setting of a different build there.
func sharedNames(rw *rewriter) {
	jobs := map[string][]string{}
	var names []string
	for _, c := range rw.changes {
		rest, ok := strings.CutPrefix(c.Path, "jobs.")
		if !ok || strings.HasPrefix(c.Path, "on.") {
			continue
		}
		job, _, _ := strings.Cut(rest, ".")
		if _, seen := jobs[c.Name]; !seen {
			names = append(names, c.Name)
		}
		if !slices.Contains(jobs[c.Name], job) {
			jobs[c.Name] = append(jobs[c.Name], job)
		}
	}
	for _, n := range names {
		if len(jobs[n]) > 1 {
			rw.warnf(0, "%s is set in jobs %s; if they are different builds, limit the rewrite with a job or step", n, strings.Join(jobs[n], ", "))
		}
	}
}

// sharedInputs warns, for a limited rewrite, when an input whose default changes is also read
// by places outside the limit: their value changes with it.
func sharedInputs(rw *rewriter, root *yaml.Node, ks []knob) {
	all := newRewriter(rw.src, ks, rw.ix)
	if all.walk(root, Options{}) != nil {
		return
	}
	for _, ref := range rw.refs {
		for _, other := range all.refs {
			if !strings.EqualFold(other.input, ref.input) {
				continue
			}
			var outside []string
			for _, p := range other.paths {
				if !slices.Contains(ref.paths, p) {
					outside = append(outside, p)
				}
			}
			if len(outside) > 0 {
				rw.warnf(0, "inputs.%s is also read outside the limit, by %s: its new default applies there too",
					ref.input, strings.Join(outside, ", "))
			}
		}
	}
}

// services warns about knobs set in the env of a job's service containers: those are other
// containers than the one the steps run in, so which value is meant is not clear.
func (rw *rewriter) services(m *yaml.Node, path string) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		name := m.Content[i].Value
		env := mapGet(m.Content[i+1], "env")
		if env == nil || env.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(env.Content); j += 2 {
			key, val := env.Content[j], resolve(env.Content[j+1])
			q, ok := rw.byName[key.Value]
			if !ok || val == nil {
				continue
			}
			rw.mentioned[q.id] = true
			line := val.Line
			rw.warnf(line, "%s.%s.env.%s: %q is the environment of service container %q, not of the steps; left as is (change it by hand if the service runs the build)",
				path, name, key.Value, val.Value, name)
		}
	}
}

// inputAliases are input names of a called workflow that probably carry a knob, but not by
// the knob's own name; they are warned about, not rewritten.
var inputAliases = map[string][]string{
	KnobWorkers: {"workers", "num_workers", "parallelism"},
	KnobBatch:   {"batch_size", "batch"},
	KnobCache:   {"cache_mode", "buildkit_cache_mode", "cache"},
}

// envAlias warns about an env entry whose name suggests a knob (BATCH_SIZE, CACHE_MODE,
// NUM_WORKERS) but is none of the knob's names: the build may read it, and it is left as is.
func (rw *rewriter) envAlias(key, val *yaml.Node, path string) {
	n := normName(key.Value)
	if n == "batch" || n == "cache" {
		return // too common for other purposes
	}
	for _, q := range rw.knobs {
		if slices.Contains(inputAliases[q.id], n) {
			rw.warnf(val.Line, "%s.%s: %q may be the %s, but only %s is rewritten; left as is (change it by hand if the build reads it)",
				path, key.Value, val.Value, knobNoun[q.id], strings.Join(q.names, " or "))
		}
	}
}

func normName(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }

// with handles the inputs passed to a called (reusable) workflow, jobs.<id>.with, or to an
// action, jobs.<id>.steps[i].with. An input named like a knob variable (max-workers for
// MAX_WORKERS, any case, - or _) is rewritten like an env value; an input whose name only
// suggests a knob is warned about.
func (rw *rewriter) with(m *yaml.Node, path, uses, step string) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i], resolve(m.Content[i+1])
		if val == nil {
			continue
		}
		p := path + "." + key.Value
		n := normName(key.Value)
		if n == "args" && val.Kind == yaml.ScalarNode {
			rw.argsFlags(val, p, uses)
			continue
		}
		var q knob
		exact := false
		for name, k := range rw.byName {
			if normName(name) == n {
				q, exact = k, true
				break
			}
		}
		if exact {
			rw.mentioned[q.id] = true
			if val.Kind != yaml.ScalarNode {
				rw.warnf(val.Line, "%s: value is not a scalar; left as is", p)
				continue
			}
			rw.scalar(val, q, p, key.Value, step, true)
			continue
		}
		called, that := "the called workflow", "that workflow"
		if strings.Contains(path, ".steps[") {
			called, that = "the action", "that action"
		}
		for _, k := range rw.knobs {
			if slices.Contains(inputAliases[k.id], n) {
				rw.mentioned[k.id] = true
				rw.warnf(val.Line, "%s: %q is passed to %s %s, where it probably sets the %s; left as is (change it here or in %s by hand)",
					p, val.Value, called, uses, knobNoun[k.id], that)
			}
		}
	}
}

// argsFlags warns about knob flags given a literal in the args: input of a Docker container
// action (with: {args: --max-workers 16}): the container's command line sets the knob there,
// in a form that is not rewritten.
func (rw *rewriter) argsFlags(val *yaml.Node, path, uses string) {
	for _, f := range literalFlags(val.Value) {
		for _, q := range rw.knobs {
			if q.id == knobFlags[f.flag] && !q.same(f.value) {
				rw.warnf(val.Line, "%s: --%s %s in the args of %s passes a literal %s to the container; left as is (change it by hand)",
					path, f.flag, f.value, uses, knobNoun[q.id])
			}
		}
	}
}

// notSetting are keys whose values may name a knob without setting it: a script reads it
// (a run: that set it was read already), a name or description mentions it, a condition tests it.
var notSetting = []string{"run", "name", "run-name", "description", "if"}

// namedAt finds the first place (in document order) where a name of one of the knobs ks
// appears as a mapping key or a word of a scalar (a script line), skipping the values of the
// keys in skip. It returns the line (of a block scalar, the line of the word), the path and
// the name; line 0 when there is none. It is asked of a file that is neither a workflow nor an
// action (skip nil), and of a workflow about a knob found in no place the rewrite reads (skip
// notSetting).
func namedAt(n *yaml.Node, path string, ks []knob, skip []string, depth int) (int, string, string) {
	if n == nil || depth > maxDepth {
		return 0, "", ""
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if slices.Contains(skip, k.Value) {
				continue
			}
			p := join(path, k.Value)
			for _, q := range ks {
				if slices.Contains(q.names, k.Value) {
					return k.Line, p, k.Value
				}
			}
			if line, fp, name := namedAt(v, p, ks, skip, depth+1); line > 0 {
				return line, fp, name
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if line, fp, name := namedAt(c, fmt.Sprintf("%s[%d]", path, i), ks, skip, depth+1); line > 0 {
				return line, fp, name
			}
		}
	case yaml.ScalarNode:
		for _, q := range ks {
			for _, name := range q.names {
				if !containsWord(n.Value, name) {
					continue
				}
				line := n.Line
				if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					for i, l := range strings.Split(n.Value, "\n") {
						if containsWord(l, name) {
							line = n.Line + 1 + i
							break
						}
					}
				}
				return line, path, name
			}
		}
	}
	return 0, "", ""
}

// containsWord reports whether name occurs in s not as part of a longer identifier.
func containsWord(s, name string) bool {
	ident := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for from := 0; ; {
		i := strings.Index(s[from:], name)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(name)
		if (i == 0 || !ident(s[i-1])) && (end == len(s) || !ident(s[end])) {
			return true
		}
		from = i + 1
	}
}
