package fullbuild

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/internal/shard"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
)

// Plan returns the instances this build is responsible for, in build order.
// With a shard (Count > 0) only that shard's instances are kept, chosen by
// shard.Select (balanced with durations, round robin without). With
// durations the order is longest expected first (shard.Order, LPT);
// without, it is the input order.
func Plan(insts []workload.Instance, spec shard.Spec, durations map[string]float64) []workload.Instance {
	byID := make(map[string]workload.Instance, len(insts))
	ids := make([]string, 0, len(insts))
	for _, in := range insts {
		if _, dup := byID[in.ID]; dup {
			continue
		}
		byID[in.ID] = in
		ids = append(ids, in.ID)
	}
	keep := ids
	if spec.Count > 0 {
		keep = shard.Select(ids, spec, durations)
	}
	if len(durations) > 0 {
		keep = shard.Order(keep, durations)
	} else if spec.Count > 0 {
		// Back to input order: Select deals sorted ids.
		in := make(map[string]bool, len(keep))
		for _, id := range keep {
			in[id] = true
		}
		keep = keep[:0:0]
		for _, id := range ids {
			if in[id] {
				keep = append(keep, id)
			}
		}
	}
	out := make([]workload.Instance, len(keep))
	for i, id := range keep {
		out[i] = byID[id]
	}
	return out
}

// Done reports whether a manifest line finishes its image for a resume:
// built or skipped because its tag exists. Failed images are rebuilt.
func Done(o manifest.Output) bool {
	return o.Status == manifest.StatusBuilt || o.Status == manifest.StatusSkipped
}

// Pending splits plan against the lines of an earlier manifest: todo are the
// instances still to build (failed or missing, in plan order), done the
// latest line of every planned instance that needs no build again.
func Pending(plan []workload.Instance, prior []manifest.Output) (todo []workload.Instance, done []manifest.Output) {
	latest := map[string]manifest.Output{}
	for _, o := range manifest.Latest(prior) {
		latest[o.Key()] = o
	}
	for _, in := range plan {
		if o, ok := latest[in.ID]; ok && Done(o) {
			done = append(done, o)
			continue
		}
		todo = append(todo, in)
	}
	return todo, done
}

// LoadDurations reads the expected build seconds of each instance from an
// earlier build: a folder holding manifest.jsonl (preferred) or
// records.jsonl, or one of those files. Only built images count. Anything
// unreadable, or without a single built image, is bad input.
func LoadDurations(path string) (map[string]float64, error) {
	const what = "--durations-from"
	// want is what the flag takes, said after any problem with what it got.
	const want = "want an earlier build's folder, its manifest.jsonl or its records.jsonl"
	fi, err := os.Stat(path)
	if err != nil {
		return nil, input.Errorf(what, "%v; %s", err, want)
	}
	file := path
	if fi.IsDir() {
		file = ""
		for _, name := range []string{manifest.ManifestFile, "records.jsonl"} {
			if _, err := os.Stat(filepath.Join(path, name)); err == nil {
				file = filepath.Join(path, name)
				break
			}
		}
		if file == "" {
			return nil, input.Errorf(what, "%s holds neither %s nor records.jsonl", path, manifest.ManifestFile)
		}
	}
	isRecords, err := sniffRecords(file)
	if err != nil {
		return nil, input.Errorf(what, "%v; %s", err, want)
	}
	var d map[string]float64
	if isRecords {
		d, err = recordDurations(file)
	} else {
		d, err = manifestDurations(file)
	}
	if err != nil {
		return nil, input.Errorf(what, "%v; %s", err, want)
	}
	if len(d) == 0 {
		return nil, input.Errorf(what, "%s has no built image to take durations from", file)
	}
	return d, nil
}

// sniffRecords reports whether the first line of file is a buildtune
// record (it has a "kind") rather than a manifest line.
func sniffRecords(file string) (bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return false, fmt.Errorf("reading %s: %w", file, err)
		}
		return false, fmt.Errorf("%s is empty", file)
	}
	var probe struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
		return false, fmt.Errorf("%s:1: %w", file, err)
	}
	return probe.Kind != "", nil
}

func manifestDurations(file string) (map[string]float64, error) {
	outs, _, err := manifest.Read(file)
	if err != nil {
		return nil, err
	}
	d := map[string]float64{}
	for _, o := range manifest.Latest(outs) {
		id := o.Instance
		if id == "" {
			// A line of the real script names no instance: its base
			// image does (sweb.eval.x86_64.django_1776_django-11099).
			id = workload.InstanceFromBase(o.BaseImage)
		}
		if o.Status != manifest.StatusBuilt || id == "" {
			continue
		}
		s := o.BuildSeconds
		if s <= 0 {
			s = o.DurationSeconds
		}
		d[id] = s
	}
	return d, nil
}

// recordDurations sums the built phases of each instance in its latest
// trial.
func recordDurations(file string) (map[string]float64, error) {
	set, err := record.ReadFile(file)
	if err != nil {
		return nil, err
	}
	type key struct {
		trial int
		id    string
	}
	sums := map[key]float64{}
	lastTrial := map[string]int{}
	for _, im := range set.Images {
		if im.Instance == "" || im.Status != record.StatusBuilt {
			continue
		}
		sums[key{im.Trial, im.Instance}] += im.WallSeconds
		if t, ok := lastTrial[im.Instance]; !ok || im.Trial > t {
			lastTrial[im.Instance] = im.Trial
		}
	}
	d := make(map[string]float64, len(lastTrial))
	for id, t := range lastTrial {
		d[id] = sums[key{t, id}]
	}
	return d, nil
}
