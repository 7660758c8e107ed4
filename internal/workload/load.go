package workload

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/google/go-containerregistry/pkg/name"
	yamlv3 "go.yaml.in/yaml/v3"
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

// ParseInstanceSubset parses an instance list, as ParseInstanceList does,
// whose ids pick among listed, the instances a workload file lists (from
// names it in errors): each is taken as the file gives it, with the org,
// repo and name its templates expand, and may be of any shape the file
// allows. An id the file does not list is an error naming its line.
func ParseInstanceSubset(data []byte, source string, listed []Instance, from string) ([]Instance, error) {
	byID := make(map[string]Instance, len(listed))
	byKey := make(map[string]string, len(listed))
	for _, in := range listed {
		byID[in.ID] = in
		byKey[strings.ToLower(in.ID)] = in.ID
	}
	var out []Instance
	seen := map[string]int{}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		id := strings.TrimSpace(sc.Text())
		if id == "" || strings.HasPrefix(id, "#") {
			continue
		}
		in, ok := byID[id]
		if !ok {
			hint := ""
			if other, ok := byKey[strings.ToLower(id)]; ok {
				hint = " (it lists " + other + ")"
			}
			return nil, fmt.Errorf("%s line %d: instance %s is not one of the %d instances of %s%s; want ids the workload file lists",
				source, n, input.Quote(id), len(listed), from, hint)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s line %d: instance %s repeats line %d", source, n, id, prev)
		}
		seen[id] = n
		out = append(out, in)
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
	if err := w.CheckFiles(w.Instances); err != nil {
		return nil, fmt.Errorf("workload %s: %w", path, err)
	}
	return w, nil
}

// CheckFiles checks that every phase's context folder and Dockerfile exist
// (folders resolved as Parse resolves them), and that its target is a stage
// of the Dockerfile. A phase whose context_dir, dockerfile_dir,
// dockerfile_name or target is a template is checked for each of insts (an
// instance's own Dockerfile, "Dockerfile.{{.Repo}}"); with no insts, only
// the phases that name one Dockerfile for all are.
func (w *Workload) CheckFiles(insts []Instance) error {
	checked := map[[3]string]bool{}
	check := func(r engine.Request) error {
		df := filepath.Join(cmp.Or(r.DockerfileDir, r.ContextDir), cmp.Or(r.DockerfileName, "Dockerfile"))
		key := [3]string{r.ContextDir, df, r.Target}
		if checked[key] {
			return nil
		}
		checked[key] = true
		if st, err := os.Stat(r.ContextDir); err != nil || !st.IsDir() {
			return fmt.Errorf("context_dir %s is not a folder; want the build context folder (relative to the workload file)", r.ContextDir)
		}
		if st, err := os.Stat(df); err != nil || st.IsDir() {
			return fmt.Errorf("Dockerfile %s: no such file; want dockerfile_dir and dockerfile_name (default: context_dir/Dockerfile) naming the phase's Dockerfile", df)
		}
		return CheckTarget(df, r.Target)
	}
	for _, name := range w.StrategyNames() {
		p := w.Plans[name]
		shared, err := w.SharedBuilds(name, engine.CacheOff)
		if err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
		}
		for _, b := range shared {
			if err := check(b.Request); err != nil {
				return fmt.Errorf("plan %s phase %q: %w", name, b.Phase, err)
			}
		}
		for i, ph := range p.PerInstance {
			if !strings.Contains(ph.ContextDir+ph.DockerfileDir+ph.DockerfileName+ph.Target, "{{") {
				r := engine.Request{ContextDir: ph.ContextDir, DockerfileDir: ph.DockerfileDir, DockerfileName: ph.DockerfileName, Target: ph.Target}
				if err := check(r); err != nil {
					return fmt.Errorf("plan %s phase %q: %w", name, ph.Name, err)
				}
				continue
			}
			for _, in := range insts {
				builds, err := w.InstanceBuilds(name, in, engine.CacheOff)
				if err != nil {
					return fmt.Errorf("plan %s: instance %s: %w", name, in.ID, err)
				}
				if err := check(builds[i].Request); err != nil {
					return fmt.Errorf("plan %s phase %q, instance %s: %w", name, ph.Name, in.ID, err)
				}
			}
		}
	}
	return nil
}

// Parse is Load on the file's contents: source names it in errors, and
// relative context and Dockerfile folders are taken relative to dir.
func Parse(data []byte, source, dir string) (*Workload, error) {
	path := source
	if line := secondDocument(data); line > 0 {
		return nil, fmt.Errorf("workload %s: line %d: a second YAML document (after ---); want one workload per file", path, line)
	}
	var w Workload
	if err := yaml.UnmarshalStrict(data, &w); err != nil {
		return nil, fmt.Errorf("workload %s: %w", path, err)
	}
	literalBuildArgs(data, &w)
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

// secondDocument returns the line of a second YAML document in data (after
// ---), 0 when there is none: the YAML-to-JSON conversion reads the first
// one only, and would drop the rest without a word. A --- with nothing
// after it is no document; YAML that does not parse is left to the
// decoder to report.
func secondDocument(data []byte) int {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); err != nil {
			return 0
		}
		empty := len(doc.Content) == 0 || doc.Content[0].Kind == yamlv3.ScalarNode && doc.Content[0].ShortTag() == "!!null"
		if n > 0 && !empty {
			return doc.Line
		}
	}
}

// literalBuildArgs sets the build args of w's phases to the text data gives
// them. Build args are strings, but the YAML-to-JSON conversion reads a
// scalar by YAML 1.1's types first: PYTHON_VERSION: 3.10 became "3.1", 010
// "8", yes and on "true", 0x1F "31", and a key N "false". A mapping that
// is not plain (a merge key) keeps the conversion's values.
func literalBuildArgs(data []byte, w *Workload) {
	type phase struct {
		BuildArgs yamlv3.Node `yaml:"build_args"`
	}
	var raw struct {
		Plans map[string]struct {
			Shared      []phase `yaml:"shared"`
			PerInstance []phase `yaml:"per_instance"`
		} `yaml:"plans"`
	}
	if err := yamlv3.Unmarshal(data, &raw); err != nil {
		return
	}
	literal := func(n *yamlv3.Node) (map[string]string, bool) {
		for n.Kind == yamlv3.AliasNode {
			n = n.Alias
		}
		if n.Kind != yamlv3.MappingNode {
			return nil, false
		}
		out := make(map[string]string, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			for v.Kind == yamlv3.AliasNode {
				v = v.Alias
			}
			if k.Kind != yamlv3.ScalarNode || k.Value == "<<" || v.Kind != yamlv3.ScalarNode {
				return nil, false
			}
			out[k.Value] = v.Value
			if v.ShortTag() == "!!null" {
				out[k.Value] = ""
			}
		}
		return out, true
	}
	for name, rp := range raw.Plans {
		p, ok := w.Plans[name]
		if !ok || len(rp.Shared) != len(p.Shared) || len(rp.PerInstance) != len(p.PerInstance) {
			continue
		}
		for _, l := range []struct {
			raw    []phase
			phases []Phase
		}{{rp.Shared, p.Shared}, {rp.PerInstance, p.PerInstance}} {
			for i := range l.raw {
				if args, ok := literal(&l.raw[i].BuildArgs); ok && len(args) == len(l.phases[i].BuildArgs) {
					l.phases[i].BuildArgs = args
				}
			}
		}
	}
}

// maxID is the longest instance id of a workload file, in bytes: a file
// name's limit.
const maxID = 255

// Validate checks that the workload can be built: instances, at least one
// plan, phases with a context and a tag, templates that parse and expand.
func (w *Workload) Validate() error {
	// A workload file need not name its registry or SDK commit (a sweep
	// or a build gives them): its templates are checked with stand-ins,
	// as a sweep's would expand.
	if w.Registry == "" || w.SDKSha == "" {
		c := *w
		c.Registry = cmp.Or(c.Registry, "127.0.0.1:5000")
		c.SDKSha = cmp.Or(c.SDKSha, "0123456789abcdef0123456789abcdef01234567")
		return c.validate()
	}
	return w.validate()
}

func (w *Workload) validate() error {
	// Each instance once: ids that differ only in case share the image tag.
	type listed struct {
		index int
		id    string
	}
	seen := map[string]listed{}
	for i, in := range w.Instances {
		// A workload file's ids need not be SWT-Bench's, but they name
		// records, manifest lines and log files: one line each, and a
		// length a file name can hold.
		if strings.ContainsFunc(in.ID, unicode.IsControl) || len(in.ID) > maxID {
			return fmt.Errorf("instances: id %q: want at most %d bytes with no control characters (tabs, line breaks)", in.ID, maxID)
		}
		key := strings.ToLower(in.ID)
		if prev, dup := seen[key]; dup {
			if prev.id == in.ID {
				return fmt.Errorf("instances[%d]: %s repeats instances[%d]: want each instance once", i, in.ID, prev.index)
			}
			return fmt.Errorf("instances: %s is listed twice (also as %s; ids that differ only in case name one image): want each instance once", in.ID, prev.id)
		}
		seen[key] = listed{i, in.ID}
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
		if err := p.checkNames(); err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
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
		shared, err := w.SharedBuilds(name, "max")
		if err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
		}
		if err := checkSharedRefs(shared); err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
		}
		if err := w.distinctTags(name); err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
		}
	}
	return nil
}

// checkNames refuses two phases of a plan with one name, or a phase without
// one beside others: a phase's name is its builds' id beside the instance's
// (records, trace files), and two builds of an instance with one id cannot
// be told apart.
func (p Plan) checkNames() error {
	type at struct {
		list string
		i    int
	}
	var all []at
	for i := range p.Shared {
		all = append(all, at{"shared", i})
	}
	for i := range p.PerInstance {
		all = append(all, at{"per_instance", i})
	}
	phase := func(a at) Phase {
		if a.list == "shared" {
			return p.Shared[a.i]
		}
		return p.PerInstance[a.i]
	}
	seen := map[string]at{}
	for _, a := range all {
		name := strings.TrimSpace(phase(a).Name)
		if name == "" {
			if len(all) == 1 {
				continue
			}
			return fmt.Errorf("%s[%d] has no name; want a name for each phase of a plan of several (the records name a build by it)", a.list, a.i)
		}
		if prev, dup := seen[name]; dup {
			return fmt.Errorf("%s[%d] and %s[%d] are both named %q; want each phase of a plan named once (the records name a build by it)", prev.list, prev.i, a.list, a.i, name)
		}
		seen[name] = a
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
					want := "a tag template that names the instance, such as {{.Slug}}"
					if in.Org == "" || in.Name == "" {
						// {{.Org}}, {{.Name}}, {{.Repo}} and {{.Slug}} come from an
						// id {org}__{name}, or from the org and name the file gives.
						want = fmt.Sprintf("{{.ID}} in the tag: instance %s is no id of the form {org}__{name} and the file gives it no org and name, so {{.Org}}, {{.Name}} and {{.Slug}} do not name it", in.ID)
					}
					return fmt.Errorf("instances %s and %s are both tagged %s (phase %s): want %s", prev.inst, in.ID, t, b.Phase, want)
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
		if err := CheckRef(base); err != nil {
			return bad("base image", base, err)
		}
	}
	for _, b := range builds {
		for _, t := range b.Request.Tags {
			if err := CheckRef(t); err != nil {
				return bad("phase "+b.Phase+" tag", t, err)
			}
		}
		for _, c := range append(append([]string(nil), b.Request.CacheFrom...), b.Request.CacheTo) {
			if c == "" {
				continue
			}
			if err := CheckRef(c); err != nil {
				return bad("phase "+b.Phase+" cache ref", c, err)
			}
		}
	}
	return nil
}

// tagRE is a tag of an image reference (the distribution grammar).
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// CheckRef checks that ref is an image reference as BuildKit parses it (the
// distribution grammar). go-containerregistry's parser checks the
// characters of a repository and a tag only: an empty path component
// ("r//img:x", from a template naming an empty {{.Org}}), one that ends in
// "-", or a tag that starts with "-" or "." passed it, and every build of
// such a reference failed when it pushed.
func CheckRef(ref string) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	for _, c := range strings.Split(r.Context().RepositoryStr(), "/") {
		if !slugRE.MatchString(c) {
			return fmt.Errorf("repository path component %q: want lower-case letters and digits, with single ., _, __ or -s between them", c)
		}
	}
	if t, ok := r.(name.Tag); ok && !tagRE.MatchString(t.TagStr()) {
		return fmt.Errorf("tag %q: want letters, digits, _, . and - not starting with . or -", t.TagStr())
	}
	return nil
}

// checkSharedRefs checks that the tags and cache refs of a plan's shared
// builds are image references: a shared phase is built once per trial, for
// no instance, and a template naming one ("{{.Registry}}/b:{{.Slug}}")
// expands to none, which fails every trial when it pushes.
func checkSharedRefs(builds []Build) error {
	for _, b := range builds {
		refs := append(append(append([]string(nil), b.Request.Tags...), b.Request.CacheFrom...), b.Request.CacheTo)
		for _, r := range refs {
			if r == "" {
				continue
			}
			if err := CheckRef(r); err != nil {
				return fmt.Errorf("shared phase %s: %s is not an image reference (%v): want lower-case [registry/]repository[:tag]; a shared phase is built once, for no instance, so {{.ID}}, {{.Org}}, {{.Repo}}, {{.Name}}, {{.Slug}} and {{.Base}} are empty in it",
					b.Phase, r, err)
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
