package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/shard"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/spf13/pflag"
)

// merge joins the build folders of CI matrix shards into one manifest and
// summary, checking that every instance was built by exactly one shard.
func (c *cli) merge(_ context.Context, args []string) error {
	var out, instances string
	fs := c.flags("merge")
	fs.StringVar(&out, "out", "", "folder for the merged manifest.jsonl and build-summary.json (default runs/<timestamp>-merged)")
	fs.StringVar(&instances, "instances", "", "instance id list, one per line: every one must be in exactly one shard (default: only duplicates are checked)")
	// Folders are positional, which c.parse refuses.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			c.usage(fs)
			return errHelp
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	dirs := fs.Args()
	if len(dirs) == 0 {
		return usagef("merge: want one or more shard build folders")
	}
	if err := checkFolderFlag(fs, "out", out); err != nil {
		return err
	}
	// An empty list (an unset variable in a CI script) is not the list left out: without it
	// the merge would not check that every instance was built.
	if err := emptyValues(fs, map[string]string{"instances": "a file of instance ids, one per line (leave the flag out to check duplicates only)"}); err != nil {
		return err
	}
	seen := map[string]string{} // a folder's real path -> as given
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, manifest.ManifestFile)); err != nil {
			return input.Errorf(d, "not a build folder: %v", err)
		}
		real, err := realPath(d)
		if err != nil {
			return input.Errorf(d, "not a build folder: %v", err)
		}
		if prev, ok := seen[real]; ok {
			return input.Errorf(d, "given twice (also as %s): want each shard folder once", prev)
		}
		seen[real] = d
	}
	if out != "" {
		if real, err := realPath(out); err == nil {
			if d, ok := seen[real]; ok {
				return input.Errorf("--out", "%s is the shard folder %s: want a new folder, the merge must not overwrite a shard", out, d)
			}
		}
		// A build's or a sweep's own folder (its records are there) is
		// not a merge's: its manifest and summary would be replaced. A
		// previous merge's folder holds only those two and may be redone.
		for _, own := range []string{"records.jsonl", "run.json"} {
			if _, err := os.Stat(filepath.Join(out, own)); err == nil {
				return input.Errorf("--out "+out, "holds %s: the folder of a build or a sweep, whose manifest the merge would overwrite; want a new folder (or a previous merge's)", own)
			}
		}
	}
	if err := sameBuildShards(dirs); err != nil {
		return err
	}
	var expected []string
	if instances != "" {
		insts, err := workload.LoadInstanceList(instances)
		if err != nil {
			return input.Bad("--instances", err)
		}
		for _, in := range insts {
			expected = append(expected, in.ID)
		}
	}
	if out == "" {
		out = defaultOut() + "-merged"
	}
	m, err := manifest.Merge(dirs, expected)
	var cov *manifest.CoverageError
	if err != nil && !errors.As(err, &cov) {
		return input.Bad("merge", err)
	}
	if werr := manifest.WriteMerged(out, m); werr != nil {
		// A folder the merge cannot write is the --out given (bad input, as
		// for build), not a shard that failed (exit 1).
		return input.Bad("--out "+out, werr)
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(c.stderr, "buildtune: warning: %s\n", w)
	}
	s := m.Summary
	// A previous merge's folder counts as the shards it joined.
	shards := max(len(s.Shards), len(dirs))
	fmt.Fprintf(c.stdout, "%d shards, %d images: %d built, %d skipped, %d failed; wall %.1fs\n",
		shards, s.Total, s.Built, s.Skipped, s.Failed, s.WallSeconds)
	fmt.Fprintf(c.stdout, "manifest: %s\nsummary: %s\n", filepath.Join(out, manifest.ManifestFile), filepath.Join(out, manifest.SummaryFile))
	if cov != nil {
		return &failedError{cov.Error()}
	}
	if s.Failed > 0 {
		return &failedError{fmt.Sprintf("%d of %d images failed%s", s.Failed, s.Total, failedNames(s.FailedImages))}
	}
	return nil
}

// realPath is the absolute path of p with symbolic links resolved, so
// that two names of one folder compare equal.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// sameBuildShards refuses (bad input, before anything is written) folders
// that are not the shards of one build, as their summaries say: another SDK
// commit's images, shards of matrices of other sizes, or shards mixed with
// a whole build (no --shard). Merged, they would pass for one build, and
// the check for a shard no folder holds would be skipped. A folder without
// a summary is left to the merge (which warns about it).
func sameBuildShards(dirs []string) error {
	type seen struct {
		dir      string
		spec     string
		sha      string
		workload string
		list     string
	}
	var first *seen
	holder := map[string]string{} // a shard spec -> the folder that holds it
	for _, d := range dirs {
		sum, err := manifest.ReadSummary(filepath.Join(d, manifest.SummaryFile))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return input.Errorf(d, "not a build folder: %v", err)
		}
		cur := seen{dir: d, spec: sum.Settings.Shard, sha: sum.Settings.SDKSha, workload: sum.Settings.Workload, list: sum.Settings.Instances}
		specs := []string{cur.spec}
		if len(sum.Shards) > 0 {
			// A previous merge's folder: of the matrix of the shards it
			// holds (its summary lists them), not a whole build.
			cur.spec = sum.Shards[0].Shard
			specs = specs[:0]
			for _, s := range sum.Shards {
				specs = append(specs, s.Shard)
			}
		}
		if cur.spec != "" {
			if _, err := shard.ParseSpec(cur.spec); err != nil {
				return input.Errorf(d, "its summary names shard %q: %v", cur.spec, err)
			}
		}
		// One shard in two folders (a job re-run into a new folder, an
		// artifact downloaded twice) is not two parts of the build: which
		// one counts is the user's choice, not the merge's.
		for _, spec := range specs {
			if spec == "" {
				continue
			}
			if prev, ok := holder[spec]; ok && prev != d {
				return input.Errorf(d, "holds shard %s, which %s holds too: want each shard of the build once (leave out the folder of the run that does not count)", spec, prev)
			}
			holder[spec] = d
		}
		if first == nil {
			first = &cur
			continue
		}
		if cur.sha != "" && first.sha != "" && cur.sha != first.sha {
			return input.Errorf(d, "images of SDK %s, while %s holds those of SDK %s: want the shards of one build", short(cur.sha), first.dir, short(first.sha))
		}
		if cur.workload != "" && first.workload != "" && cur.workload != first.workload {
			// Another fixture profile builds other images under the same tags.
			return input.Errorf(d, "images of %s, while %s holds those of %s: want the shards of one build (the same --profile)", cur.workload, first.dir, first.workload)
		}
		if cur.list != "" && first.list != "" && cur.list != first.list {
			// Shards dealt from other lists (another --instances file, --sample
			// or --seed on one runner) do not add up to one build: an image may
			// be in none of them although every shard is there.
			return input.Errorf(d, "shard of the instance list %s, while %s is of %s: want the shards of one build (the same --instances, --sample and --seed on every runner)", cur.list, first.dir, first.list)
		}
		switch {
		case (cur.spec == "") != (first.spec == ""):
			return input.Errorf(d, "%s, while %s is %s: want the shards of one build", shardLabel(cur.spec), first.dir, shardLabel(first.spec))
		case cur.spec != "":
			a, _ := shard.ParseSpec(cur.spec)
			b, _ := shard.ParseSpec(first.spec)
			if a.Count != b.Count {
				return input.Errorf(d, "shard %s, while %s is shard %s, of another matrix: want the shards of one build", cur.spec, first.dir, first.spec)
			}
		}
	}
	return nil
}

func shardLabel(spec string) string {
	if spec == "" {
		return "a whole build (no --shard)"
	}
	return "shard " + spec
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
