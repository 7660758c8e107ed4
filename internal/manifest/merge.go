package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/buildtune/buildtune/internal/shard"
)

// CoverageError reports instances that no shard built (Missing) or that
// more than one shard built (Duplicated). A CLI exits 1 on it.
type CoverageError struct {
	Missing    []string
	Duplicated []string
	// MissingShards are the shards ("i/n") of a matrix that no folder
	// holds, when every folder names its shard of the same n.
	MissingShards []string
	// Incomplete names the folders whose build stopped before it had a
	// line for every image it planned, with how many it has.
	Incomplete []string
}

func (e *CoverageError) Error() string {
	var parts []string
	if len(e.MissingShards) > 0 {
		parts = append(parts, fmt.Sprintf("shard %s not given", strings.Join(e.MissingShards, ", ")))
	}
	if len(e.Incomplete) > 0 {
		parts = append(parts, fmt.Sprintf("stopped before the end: %s", strings.Join(e.Incomplete, ", ")))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d missing (%s)", len(e.Missing), listSome(e.Missing)))
	}
	if len(e.Duplicated) > 0 {
		parts = append(parts, fmt.Sprintf("%d in more than one shard (%s)", len(e.Duplicated), listSome(e.Duplicated)))
	}
	return "shard coverage: " + strings.Join(parts, ", ")
}

func listSome(ids []string) string {
	const most = 10
	if len(ids) <= most {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:most], ", ") + fmt.Sprintf(", and %d more", len(ids)-most)
}

// Merged is the build of every shard as one.
type Merged struct {
	// Outputs holds one line per image, by Key.
	Outputs []Output
	// Summary is over Outputs; its wall is the longest shard's wall and its
	// Shards lists the shards in the order given.
	Summary Summary
	// Warnings are things worth saying that do not fail the merge: a torn
	// tail, a shard without a summary, differing settings, unexpected
	// instances.
	Warnings []string
}

// Merge reads each folder's manifest.jsonl and build-summary.json (a
// missing summary is a warning; the shard's wall then comes from its
// timestamps). Within a shard only the last line of an image counts; an
// image found in two shards is duplicated, and an expected instance found in
// none is missing. If expected is nil only duplicates are checked. On a
// coverage problem Merge returns the full Merged together with a
// *CoverageError; for a duplicated image Outputs keeps the line that
// finished last. Other errors (an unreadable manifest) return no Merged.
func Merge(dirs []string, expected []string) (Merged, error) {
	if len(dirs) == 0 {
		return Merged{}, errors.New("merging shards: no shard folders")
	}
	var m Merged
	var cov CoverageError
	type found struct {
		out   Output
		shard int
	}
	byKey := map[string][]found{}
	var extra SummaryExtra
	haveSettings := false
	firstDir := "" // the folder whose settings the merged summary reports
	// The settings of the first shard without instances, for a merge of
	// such shards only.
	var empty *Summary
	emptyDir := ""
	var wall time.Duration
	var prevDup []string // images an earlier merge given here found in two shards
	for i, dir := range dirs {
		path := filepath.Join(dir, ManifestFile)
		outs, torn, err := Read(path)
		if err != nil {
			return Merged{}, fmt.Errorf("merging shard %s: %w", dir, err)
		}
		if torn {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: torn last line dropped", path))
		}
		outs = Latest(outs)
		info := ShardInfo{Dir: dir, Images: len(outs)}
		for _, o := range outs {
			byKey[o.Key()] = append(byKey[o.Key()], found{o, i})
			switch o.Status {
			case StatusBuilt:
				info.Built++
			case StatusFailed:
				info.Failed++
			}
			if info.Shard == "" {
				info.Shard = o.Shard
			}
		}
		info.TornTail = torn
		sum, err := ReadSummary(filepath.Join(dir, SummaryFile))
		var shardWall time.Duration
		switch {
		case errors.Is(err, os.ErrNotExist) && len(outs) == 0:
			// No line and no summary (written once building starts): a
			// build killed while its stack started. It holds none of
			// its shard's images, and names no shard: missingShards
			// names the one it should have held.
			cov.Incomplete = append(cov.Incomplete, fmt.Sprintf("%s (no image and no %s: its build stopped before building)", dir, SummaryFile))
		case errors.Is(err, os.ErrNotExist):
			shardWall = Span(outs)
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: no %s, wall taken from timestamps (%.0f s)", dir, SummaryFile, shardWall.Seconds()))
		case err != nil:
			return Merged{}, fmt.Errorf("merging shard %s: %w", dir, err)
		default:
			if sum.Planned > info.Images {
				cov.Incomplete = append(cov.Incomplete, fmt.Sprintf("%s (%d of %d images)", dir, info.Images, sum.Planned))
			}
			info.Planned = sum.Planned
			shardWall = time.Duration(sum.WallSeconds * float64(time.Second))
			extra.Prunes += sum.Prunes
			extra.PruneSeconds += sum.PruneSeconds
			if sum.Settings.Shard != "" {
				info.Shard = sum.Settings.Shard
			}
			st := sum.Settings
			st.Shard = ""
			if sum.Planned == 0 && len(outs) == 0 {
				// A shard that had no instances (more shards than
				// instances) built nothing with its settings, and never
				// asked BuildKit its version: they neither stand for the
				// build nor differ from it, unless no shard built anything.
				// So with a previous merge of such shards only (no line; a
				// merge records no planned count).
				if empty == nil {
					empty = &Summary{Settings: st, Versions: sum.Versions}
					emptyDir = dir
				}
			} else if !haveSettings {
				extra.Settings, extra.Versions, haveSettings, firstDir = st, sum.Versions, true, dir
			} else if d := settingsDiffer(st, sum.Versions, extra.Settings, extra.Versions); len(d[0]) > 0 {
				m.Warnings = append(m.Warnings, fmt.Sprintf("%s: %s, while %s, whose settings the merged summary reports, has %s",
					dir, strings.Join(d[0], ", "), firstDir, strings.Join(d[1], ", ")))
			}
		}
		info.WallSeconds = shardWall.Seconds()
		wall = max(wall, shardWall)
		if err == nil && len(sum.Shards) > 0 {
			// A previous merge's folder: it holds the shards it
			// lists (their specs count as given), not one shard
			// named by its first line. A shard of it that stopped
			// before its end still leaves the build incomplete.
			for _, si := range sum.Shards {
				if si.Planned > si.Images {
					cov.Incomplete = append(cov.Incomplete, fmt.Sprintf("%s (%d of %d images; in the merge %s)", si.Dir, si.Images, si.Planned, dir))
				}
			}
			m.Summary.Shards = append(m.Summary.Shards, sum.Shards...)
			prevDup = append(prevDup, sum.Duplicated...)
			continue
		}
		m.Summary.Shards = append(m.Summary.Shards, info)
	}

	if !haveSettings && empty != nil {
		extra.Settings, extra.Versions, firstDir = empty.Settings, empty.Versions, emptyDir
	}

	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fs := byKey[k]
		best := fs[0]
		for _, f := range fs[1:] {
			if !f.out.FinishedAt.Before(best.out.FinishedAt) {
				best = f
			}
		}
		if len(fs) > 1 || slices.Contains(prevDup, k) {
			cov.Duplicated = append(cov.Duplicated, k)
		}
		m.Outputs = append(m.Outputs, best.out)
	}
	if expected != nil {
		want := map[string]bool{}
		for _, id := range expected {
			want[id] = true
		}
		for id := range want {
			if _, ok := byKey[id]; !ok {
				cov.Missing = append(cov.Missing, id)
			}
		}
		sort.Strings(cov.Missing)
		var unexpected []string
		for _, k := range keys {
			if !want[k] {
				unexpected = append(unexpected, k)
			}
		}
		if len(unexpected) > 0 {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%d images not in the expected list (%s)", len(unexpected), listSome(unexpected)))
		}
	}

	var warn string
	cov.MissingShards, warn = missingShards(m.Summary.Shards)
	if warn != "" {
		m.Warnings = append(m.Warnings, warn)
	}

	shards := m.Summary.Shards
	m.Summary = Summarize(m.Outputs, wall, extra)
	m.Summary.Shards = shards
	m.Summary.Duplicated = cov.Duplicated
	if len(cov.Missing) > 0 || len(cov.Duplicated) > 0 || len(cov.MissingShards) > 0 || len(cov.Incomplete) > 0 {
		return m, &cov
	}
	return m, nil
}

// settingsDiffer names the settings and versions in which a shard (s, v) differs from the first
// one (fs, fv): the shard's values, then the first one's, as "workers 8" and "workers 4"; both
// empty when they are the same.
func settingsDiffer(s Settings, v Versions, fs Settings, fv Versions) [2][]string {
	var d [2][]string
	field := func(name, a, b string) {
		if a != b {
			d[0] = append(d[0], name+" "+label(a))
			d[1] = append(d[1], name+" "+label(b))
		}
	}
	field("workers", fmt.Sprint(s.Workers), fmt.Sprint(fs.Workers))
	batch := func(n int) string {
		if n == 0 {
			return "stream"
		}
		return fmt.Sprint(n)
	}
	field("batch", batch(s.Batch), batch(fs.Batch))
	field("cache_mode", s.CacheMode, fs.CacheMode)
	field("strategy", s.Strategy, fs.Strategy)
	field("sdk_sha", s.SDKSha, fs.SDKSha)
	field("workload", s.Workload, fs.Workload)
	field("buildtune", v.Buildtune, fv.Buildtune)
	field("buildkit", v.Buildkit, fv.Buildkit)
	return d
}

func label(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// missingShards returns the shards of the matrix that none of the folders
// holds, when every folder names its shard ("i/n") with the same n: without
// an expected list, that is what tells a merge that a shard's folder is
// missing. Folders of different matrices get a warning instead.
func missingShards(infos []ShardInfo) ([]string, string) {
	count := 0
	have := map[int]bool{}
	for _, info := range infos {
		if info.Shard == "" && info.Images == 0 && info.Planned == 0 {
			continue // a folder that says nothing of its shard (Merge names it stopped)
		}
		sp, err := shard.ParseSpec(info.Shard)
		if err != nil {
			return nil, "" // a folder that is not a shard: nothing to say
		}
		if count != 0 && sp.Count != count {
			return nil, fmt.Sprintf("%s is shard %s, of another matrix than %s", info.Dir, info.Shard, infos[0].Shard)
		}
		count = sp.Count
		have[sp.Index] = true
	}
	var missing []string
	for i := 1; i <= count; i++ {
		if !have[i] {
			missing = append(missing, shard.Spec{Index: i, Count: count}.String())
		}
	}
	return missing, ""
}

// Span is the time from the first start to the last finish of outs: a
// lower bound of the wall of the runs that wrote them.
func Span(outs []Output) time.Duration {
	var first, last time.Time
	for _, o := range outs {
		if !o.StartedAt.IsZero() && (first.IsZero() || o.StartedAt.Before(first)) {
			first = o.StartedAt
		}
		if o.FinishedAt.After(last) {
			last = o.FinishedAt
		}
	}
	if first.IsZero() || last.Before(first) {
		return 0
	}
	return last.Sub(first)
}

// WriteMerged writes m's manifest.jsonl and build-summary.json into dir,
// creating it, each atomically.
func WriteMerged(dir string, m Merged) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing merged build: %w", err)
	}
	var buf bytes.Buffer
	for _, o := range m.Outputs {
		line, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("encoding output %q: %w", o.Key(), err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if err := writeAtomic(filepath.Join(dir, ManifestFile), buf.Bytes()); err != nil {
		return err
	}
	return WriteSummary(filepath.Join(dir, SummaryFile), m.Summary)
}
