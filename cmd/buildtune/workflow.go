package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/buildtune/buildtune/analyze/evidence"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workflow"
	"github.com/buildtune/buildtune/reports"
	"github.com/buildtune/buildtune/sweep/record"
)

// rewriteWorkflow shows (or applies) the recommendation as CI defaults.
func (c *cli) rewriteWorkflow(path string, src []byte, rec evidence.Recommendation, o workflow.Options, write bool, format string) error {
	cfg := rec.Recommended.Config
	workers, batch, cache := cfg.Workers, cfg.Batch, cfg.CacheMode
	var header []string
	if batch == 0 {
		batch = max(rec.Images, 1)
		header = append(header, fmt.Sprintf("stream recommended: the real script has no stream mode; one batch holding every image (%d) is a stream", batch))
	}
	k := workflow.Knobs{Workers: &workers, Batch: &batch, Cache: &cache}
	if format == "env" {
		env := workflow.Env(k, workflow.DefaultNames())
		fmt.Fprint(c.stdout, env)
		if out := os.Getenv("GITHUB_OUTPUT"); out != "" {
			f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return fmt.Errorf("writing $GITHUB_OUTPUT: %w", err)
			}
			defer f.Close()
			if _, err := f.WriteString(env); err != nil {
				return fmt.Errorf("writing $GITHUB_OUTPUT: %w", err)
			}
		}
		return nil
	}
	res, err := workflow.Rewrite(src, k, o)
	if err != nil {
		if errors.Is(err, workflow.ErrNoKnobs) || errors.Is(err, workflow.ErrNotFound) || errors.Is(err, workflow.ErrSyntax) {
			return input.Bad("--workflow "+path, err)
		}
		var oe *workflow.OptionError
		if errors.As(err, &oe) {
			return input.Bad("--workflow "+path, err)
		}
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	header = append(header, fmt.Sprintf("recommended: %s (predicted %s)", rec.Recommended.Name, reports.FormatSeconds(rec.Recommended.PredictedS.Median)))
	header = append(header, workflow.Summary(res.Changes)...)
	header = append(header, res.Warnings...)
	if !write {
		fmt.Fprint(c.stdout, workflow.Diff(filepath.Base(path), src, res.Output, header))
		return nil
	}
	if err := record.WriteAtomic(path, res.Output); err != nil {
		return err
	}
	for _, h := range header {
		fmt.Fprintln(c.stdout, h)
	}
	fmt.Fprintf(c.stdout, "wrote %s\n", path)
	return nil
}
