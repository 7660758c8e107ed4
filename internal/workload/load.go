package workload

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/yaml"
)

// ParseInstanceList parses one instance id per line; blank lines and lines
// starting with # are skipped. Duplicates are an error naming both lines;
// ids that differ only in case are duplicates, since they share the
// lower-cased image slug (VarsFor) and so the image tag.
func ParseInstanceList(data []byte, source string) ([]Instance, error) {
	var out []Instance
	type first struct {
		line int
		id   string
	}
	seen := map[string]first{}
	// A leading UTF-8 byte order mark (Notepad, PowerShell's Out-File) is
	// dropped, as CRLF line ends are: a list saved on Windows is the same list.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		inst, err := ParseInstance(line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", source, n, err)
		}
		key := VarsFor(inst, "", "").Slug
		if prev, dup := seen[key]; dup {
			if prev.id == inst.ID {
				return nil, fmt.Errorf("%s line %d: instance %s repeats line %d", source, n, inst.ID, prev.line)
			}
			return nil, fmt.Errorf("%s line %d: instance %s differs only in case from %s on line %d (both are image %s): want each instance once",
				source, n, inst.ID, prev.id, prev.line, key)
		}
		seen[key] = first{n, inst.ID}
		out = append(out, inst)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", source, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no instance ids", source)
	}
	return out, nil
}

// LoadInstanceList reads an instance list file.
func LoadInstanceList(path string) ([]Instance, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("instance list: %w", err)
	}
	return ParseInstanceList(data, path)
}

// Load reads a workload description (YAML or JSON, the Workload fields).
// Unknown keys are an error; relative context and Dockerfile folders are
// taken relative to the file, and each phase's context folder and
// Dockerfile must exist: a missing one would fail every build of the
// phase, after the stack has started, as the builds' errors.
func Load(path string) (*Workload, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	w, err := Parse(data, path, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	if err := w.checkFiles(); err != nil {
		return nil, fmt.Errorf("workload %s: %w", path, err)
	}
	return w, nil
}

// checkFiles checks that every phase's context folder and Dockerfile
// exist (folders resolved as Parse resolves them).
func (w *Workload) checkFiles() error {
	for _, name := range w.StrategyNames() {
		p := w.Plans[name]
		for _, ph := range append(append([]Phase(nil), p.Shared...), p.PerInstance...) {
			if st, err := os.Stat(ph.ContextDir); err != nil || !st.IsDir() {
				return fmt.Errorf("plan %s phase %q: context_dir %s is not a folder; want the build context folder (relative to the workload file)", name, ph.Name, ph.ContextDir)
			}
			df := filepath.Join(cmp.Or(ph.DockerfileDir, ph.ContextDir), cmp.Or(ph.DockerfileName, "Dockerfile"))
			if st, err := os.Stat(df); err != nil || st.IsDir() {
				return fmt.Errorf("plan %s phase %q: Dockerfile %s: no such file; want dockerfile_dir and dockerfile_name (default: context_dir/Dockerfile) naming the phase's Dockerfile", name, ph.Name, df)
			}
			if err := CheckTarget(df, ph.Target); err != nil {
				return fmt.Errorf("plan %s phase %q: %w", name, ph.Name, err)
			}
		}
	}
	return nil
}

// Parse is Load on the file's contents: source names it in errors, and
// relative context and Dockerfile folders are taken relative to dir.
func Parse(data []byte, source, dir string) (*Workload, error) {
	path := source
	var w Workload
	if err := yaml.UnmarshalStrict(data, &w); err != nil {
		return nil, fmt.Errorf("workload %s: %w", path, err)
	}
	for name, p := range w.Plans {
		for _, phases := range [][]Phase{p.Shared, p.PerInstance} {
			for i := range phases {
				if phases[i].ContextDir != "" && !filepath.IsAbs(phases[i].ContextDir) {
					phases[i].ContextDir = filepath.Join(dir, phases[i].ContextDir)
				}
				if phases[i].DockerfileDir != "" && !filepath.IsAbs(phases[i].DockerfileDir) {
					phases[i].DockerfileDir = filepath.Join(dir, phases[i].DockerfileDir)
				}
			}
		}
		w.Plans[name] = p
	}
	// An instance given by its id alone gets its org, repo and name from
	// the id, as in an instance list, so that templates naming them work.
	for i, in := range w.Instances {
		if strings.TrimSpace(in.ID) == "" {
			return nil, fmt.Errorf("workload %s: instances[%d]: id is empty; want an instance id such as django__django-11099", path, i)
		}
		if p, err := ParseInstance(in.ID); err == nil {
			w.Instances[i].Org = cmp.Or(in.Org, p.Org)
			w.Instances[i].Repo = cmp.Or(in.Repo, p.Repo)
			w.Instances[i].Name = cmp.Or(in.Name, p.Name)
		}
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("workload %s: %w", path, err)
	}
	return &w, nil
}

// maxID is the longest instance id of a workload file, in bytes: a file
// name's limit.
const maxID = 255

// Validate checks that the workload can be built: instances, at least one
// plan, phases with a context and a tag, templates that parse and expand.
func (w *Workload) Validate() error {
	// Each instance once: ids that differ only in case share the image tag.
	seen := map[string]string{}
	for _, in := range w.Instances {
		// A workload file's ids need not be SWT-Bench's, but they name
		// records, manifest lines and log files: one line each, and a
		// length a file name can hold.
		if strings.ContainsFunc(in.ID, unicode.IsControl) || len(in.ID) > maxID {
			return fmt.Errorf("instances: id %q: want at most %d bytes with no control characters (tabs, line breaks)", in.ID, maxID)
		}
		key := strings.ToLower(in.ID)
		if prev, dup := seen[key]; dup {
			return fmt.Errorf("instances: %s is listed twice (also as %s; ids that differ only in case name one image): want each instance once", in.ID, prev)
		}
		seen[key] = in.ID
	}
	if len(w.Plans) == 0 {
		return fmt.Errorf("no plans: want at least %q", Single)
	}
	for name, p := range w.Plans {
		if _, err := ParseStrategy(name); err != nil {
			return fmt.Errorf("plan %q: %w", name, err)
		}
		if len(p.PerInstance) == 0 {
			return fmt.Errorf("plan %s: no per_instance phases", name)
		}
		for _, ph := range append(append([]Phase(nil), p.Shared...), p.PerInstance...) {
			if ph.ContextDir == "" {
				return fmt.Errorf("plan %s phase %q: context_dir is empty", name, ph.Name)
			}
			if len(ph.Tags) == 0 {
				return fmt.Errorf("plan %s phase %q: no tags", name, ph.Name)
			}
		}
		probe := Instance{ID: "org__repo-1", Org: "org", Repo: "repo", Name: "repo-1"}
		if _, err := w.InstanceBuilds(name, probe, "max"); err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
		}
		if _, err := w.SharedBuilds(name, "max"); err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
		}
		if err := w.distinctTags(name); err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
		}
	}
	return nil
}

// distinctTags refuses a plan whose per-instance phases give two instances
// the same tag: the second build would overwrite the first's image, or be
// skipped as already built, and the run would report both as built.
func (w *Workload) distinctTags(plan string) error {
	type owner struct{ inst, phase string }
	seen := map[string]owner{}
	for _, in := range w.Instances {
		builds, err := w.InstanceBuilds(plan, in, "max")
		if err != nil {
			return fmt.Errorf("instance %s: %w", in.ID, err)
		}
		// The probe instance of Validate has a short, lower-case id; a
		// real one may make a template yield no reference (an upper-case
		// id in a repository path, a tag longer than 128 characters), and
		// every build of it would fail only when it pushes.
		if err := w.checkRefs(in, builds); err != nil {
			return err
		}
		for _, b := range builds {
			for _, t := range b.Request.Tags {
				if prev, dup := seen[t]; dup && prev.inst != in.ID {
					return fmt.Errorf("instances %s and %s are both tagged %s (phase %s): want a tag template that names the instance, such as {{.Slug}}", prev.inst, in.ID, t, b.Phase)
				}
				seen[t] = owner{in.ID, b.Phase}
			}
		}
	}
	return nil
}

// checkRefs checks that the base image, tags and cache refs of one
// instance's builds are image references.
func (w *Workload) checkRefs(in Instance, builds []Build) error {
	bad := func(what, ref string, err error) error {
		return fmt.Errorf("instance %s: %s %s is not an image reference (%v): want lower-case [registry/]repository[:tag], a tag of at most %d characters", in.ID, what, ref, err, maxTag)
	}
	if w.BaseImage != "" {
		vars := VarsFor(in, w.Registry, w.SDKSha)
		if w.BaseRegistry != "" {
			vars.BaseRegistry = w.BaseRegistry
		}
		base, err := Expand(w.BaseImage, vars)
		if err != nil {
			return fmt.Errorf("instance %s: base image: %w", in.ID, err)
		}
		if _, err := name.ParseReference(base); err != nil {
			return bad("base image", base, err)
		}
	}
	for _, b := range builds {
		for _, t := range b.Request.Tags {
			if _, err := name.ParseReference(t); err != nil {
				return bad("phase "+b.Phase+" tag", t, err)
			}
		}
		for _, c := range append(append([]string(nil), b.Request.CacheFrom...), b.Request.CacheTo) {
			if c == "" {
				continue
			}
			if _, err := name.ParseReference(c); err != nil {
				return bad("phase "+b.Phase+" cache ref", c, err)
			}
		}
	}
	return nil
}

// SimpleOptions describe a one-Dockerfile workload, the shape of the real
// SWT-Bench agent image build.
type SimpleOptions struct {
	Name      string
	Instances []Instance
	Registry  string
	SDKSha    string
	// BaseImage is the base image template (e.g.
	// "docker.io/swebench/{{.Slug}}:latest"), passed as build arg BASE_IMAGE
	// unless BuildArgs sets that.
	BaseImage  string
	ContextDir string
	// Dockerfile is the Dockerfile's path; "" = ContextDir/Dockerfile.
	Dockerfile string
	Target     string
	BuildArgs  map[string]string
	// Tag and CacheRef are templates; CacheRef "" disables cache export.
	Tag       string
	CacheRef  string
	CacheFrom []string
}

// Simple builds a single-strategy workload from SimpleOptions.
func Simple(o SimpleOptions) (*Workload, error) {
	if o.ContextDir == "" {
		return nil, fmt.Errorf("workload: context folder is empty")
	}
	if o.Tag == "" {
		return nil, fmt.Errorf("workload: tag template is empty")
	}
	args := map[string]string{}
	if o.BaseImage != "" {
		args["BASE_IMAGE"] = "{{.Base}}"
	}
	for k, v := range o.BuildArgs {
		args[k] = v
	}
	ph := Phase{Name: "image", ContextDir: o.ContextDir, Target: o.Target, BuildArgs: args, Tags: []string{o.Tag},
		CacheTo: o.CacheRef}
	if o.Dockerfile != "" {
		ph.DockerfileDir, ph.DockerfileName = filepath.Split(o.Dockerfile)
		if ph.DockerfileDir == "" {
			ph.DockerfileDir = "."
		}
	}
	if o.CacheRef != "" {
		ph.CacheFrom = append(ph.CacheFrom, o.CacheRef)
	}
	ph.CacheFrom = append(ph.CacheFrom, o.CacheFrom...)
	w := &Workload{Name: o.Name, Registry: o.Registry, SDKSha: o.SDKSha, Instances: o.Instances, BaseImage: o.BaseImage,
		Plans: map[string]Plan{Single: {PerInstance: []Phase{ph}}}}
	if w.Name == "" {
		w.Name = "custom"
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	return w, nil
}
