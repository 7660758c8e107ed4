package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workflow"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/reports"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/spf13/pflag"
)

// checkWorkflowFlags rejects the recommend flags that cannot go together or are given empty:
// --workflow "" (or --job "", --step ""), --json with --workflow, and --format env with
// --write. recommend calls it right after parsing its flags.
func checkWorkflowFlags(fs *pflag.FlagSet) error {
	value := func(name string) string {
		if f := fs.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	for _, name := range []string{"workflow", "job", "step"} {
		if fs.Changed(name) && value(name) == "" {
			what := map[string]string{"workflow": "a workflow file", "job": "a job id", "step": "a step name or id"}[name]
			return usagef("--%s: empty value; want %s", name, what)
		}
	}
	wf := value("workflow") != ""
	if wf && value("json") == "true" {
		return usagef("--json and --workflow: give one of them (--workflow prints a diff, or KEY=VALUE lines with --format env)")
	}
	if value("format") == "env" && value("write") == "true" {
		return usagef("--format env and --write: give one of them (--format env prints KEY=VALUE lines and writes no file; --write applies the diff)")
	}
	return nil
}

// rewriteWorkflow shows (or applies) the recommendation as CI defaults.
func (c *cli) rewriteWorkflow(path string, src []byte, rec evidence.Recommendation, o workflow.Options, write bool, format string) error {
	if format == "env" && write {
		return usagef("--format env and --write: give one of them (--format env prints KEY=VALUE lines and writes no file; --write applies the diff)")
	}
	cfg := rec.Recommended.Config
	workers, batch, cache := cfg.Workers, cfg.Batch, cfg.CacheMode
	// Without a confident recommendation the knobs are the best so far, a
	// lead for more reps: shown as such, and never written as the CI
	// defaults.
	var lead string
	var refuse error
	if !rec.Confident {
		why := "the evidence does not support one"
		if len(rec.Warnings) > 0 {
			why = strings.TrimRight(rec.Warnings[0], ". ")
		}
		lead = fmt.Sprintf("no confident recommendation: %s; the values below are the best so far, %s (predicted %s), a lead for more reps, not a decision",
			why, rec.Recommended.Name, reports.FormatSeconds(rec.Recommended.PredictedS.Median))
		if write {
			refuse = input.Errorf("--write", "no confident recommendation (%s): want more reps before the CI defaults are rewritten; without --write the diff shows the best so far", why)
		}
	}
	// The workflow's knobs are workers, batch and cache mode: the real script
	// builds each image in one pass, so a three-phase pick cannot be written
	// and its prediction is not what these knobs give.
	var strategyNote string
	if cfg.Strategy != "" && cfg.Strategy != workload.Single {
		strategyNote = fmt.Sprintf("strategy %s recommended: the workflow has no strategy knob (its build is %s), so these values alone do not give the predicted time; switch the build to %s by hand",
			cfg.Strategy, workload.Single, cfg.Strategy)
	}
	var header []string
	if strategyNote != "" {
		header = append(header, strategyNote)
	}
	if batch == 0 {
		batch = max(rec.Images, 1)
		header = append(header, fmt.Sprintf("stream recommended: the real script has no stream mode; one batch holding every image (%d) is a stream", batch))
	}
	k := workflow.Knobs{Workers: &workers, Batch: &batch, Cache: &cache}
	// The file is checked in every format: one without knobs is bad input for --format env too.
	res, err := workflow.Rewrite(src, k, o)
	if err != nil {
		var oe *workflow.OptionError
		if errors.Is(err, workflow.ErrNoKnobs) || errors.Is(err, workflow.ErrNotFound) || errors.Is(err, workflow.ErrSyntax) ||
			errors.Is(err, workflow.ErrConflict) || errors.Is(err, workflow.ErrAmbiguous) || errors.As(err, &oe) {
			return input.Bad("--workflow "+path, err)
		}
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	if refuse != nil {
		return refuse
	}
	if format == "env" {
		for _, note := range []string{lead, strategyNote} {
			if note != "" {
				fmt.Fprintf(c.stderr, "warning: %s\n", note)
			}
		}
		env := workflow.Env(k, workflow.DefaultNames())
		if out := os.Getenv("GITHUB_OUTPUT"); out != "" {
			if err := appendGitHubOutput(out, env); err != nil {
				return err
			}
		}
		fmt.Fprint(c.stdout, env)
		return nil
	}
	if lead != "" {
		header = append([]string{lead}, header...)
	} else {
		header = append(header, fmt.Sprintf("recommended: %s (predicted %s)", rec.Recommended.Name, reports.FormatSeconds(rec.Recommended.PredictedS.Median)))
	}
	header = append(header, workflow.Summary(res.Changes)...)
	header = append(header, res.Warnings...)
	if !write {
		fmt.Fprint(c.stdout, workflow.Diff(diffName(path), src, res.Output, header))
		return nil
	}
	if bytes.Equal(res.Output, src) {
		for _, h := range header {
			fmt.Fprintln(c.stdout, h)
		}
		fmt.Fprintf(c.stdout, "%s is already up to date; not written\n", path)
		return nil
	}
	if err := writeInPlace(path, res.Output); err != nil {
		return err
	}
	for _, h := range header {
		fmt.Fprintln(c.stdout, h)
	}
	fmt.Fprintf(c.stdout, "wrote %s\n", path)
	return nil
}

// diffName is the name the diff gives the workflow at path: the path as given when it is a
// relative one inside the working folder (.github/workflows/build.yml), so that patch -p1 or
// git apply run there applies the diff; otherwise (absolute, or ../) its base name.
func diffName(path string) string {
	if p := filepath.Clean(path); filepath.IsLocal(p) {
		return filepath.ToSlash(p)
	}
	return filepath.Base(path)
}

// appendGitHubOutput appends the KEY=VALUE lines to path, GitHub's $GITHUB_OUTPUT. Unlike
// $GITHUB_STEP_SUMMARY (a copy of the result for people, whose loss is a warning), these lines
// are the step's result for the steps after it: a file that cannot take them is bad input
// (exit 2) naming the variable and its path, never a silent step whose outputs are empty.
func appendGitHubOutput(path, text string) error {
	what := "$GITHUB_OUTPUT " + path
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return input.Errorf(what, "%v: want a file this step can append its KEY=VALUE lines to", input.PathCause(err))
	}
	// An earlier command may have left its output without a final newline (printf 'x=1'):
	// the lines start on their own, or the first would join that value.
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		if r, err := os.Open(path); err == nil {
			last := make([]byte, 1)
			if _, err := r.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
				text = "\n" + text
			}
			r.Close()
		}
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return input.Errorf(what, "%v: want a file this step can append its KEY=VALUE lines to", input.PathCause(err))
	}
	return nil
}

// writeInPlace replaces the file at path with data atomically, keeping what the file is: a
// symlink is followed and its target replaced (in the target's directory), the mode (and, where
// permitted, the owner) stays, and a file the user cannot write is refused as bad input.
func writeInPlace(path string, data []byte) (err error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return input.Bad("--workflow "+path, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return input.Bad("--workflow "+path, err)
	}
	if !fi.Mode().IsRegular() {
		return input.Errorf("--workflow "+path, "not a regular file (%s); want a workflow file to rewrite", fi.Mode().Type())
	}
	const wOK = 2 // W_OK of access(2)
	if fi.Mode().Perm()&0o222 == 0 || syscall.Access(real, wOK) != nil {
		return input.Errorf("--workflow "+path, "the file is read-only (mode %04o); want a file you can write, or leave out --write to print the diff", fi.Mode().Perm())
	}
	dir := filepath.Dir(real)
	if syscall.Access(dir, wOK|1) != nil { // W_OK|X_OK: the new file is created beside it
		return input.Errorf("--workflow "+path, "cannot create a file in %s, which replacing it atomically needs; want a writable folder, or leave out --write to print the diff", dir)
	}
	if err := record.WriteAtomicAs(real, data, fi); err != nil {
		return fmt.Errorf("--workflow %s: %w", path, err)
	}
	return nil
}
