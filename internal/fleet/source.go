package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// Source says what is built: the generated fixtures (the default), a
// workload file, or a one-Dockerfile workload (the shape of the real
// SWT-Bench agent image build on a CI runner). A sweep saves it in its
// folder so that a resume builds the same thing.
type Source struct {
	Workload   string            `json:"workload,omitempty"`
	Instances  string            `json:"instances,omitempty"`
	Dockerfile string            `json:"dockerfile,omitempty"`
	Context    string            `json:"context,omitempty"`
	Target     string            `json:"target,omitempty"`
	BaseImage  string            `json:"base_image,omitempty"`
	Tag        string            `json:"tag,omitempty"`
	CacheRef   string            `json:"cache_ref,omitempty"`
	BuildArgs  map[string]string `json:"build_args,omitempty"`
	DockerAuth bool              `json:"docker_auth,omitempty"`
}

// SourceFile is the name of a saved Source in a run folder.
const SourceFile = "source.json"

// Custom reports whether the source is a workload other than the fixtures.
func (s *Source) Custom() bool { return s.Workload != "" || s.Context != "" }

// Check validates the source (bad input) and makes its paths absolute.
func (s *Source) Check() error {
	if s.Workload != "" && s.Context != "" {
		return input.Errorf("--workload and --context", "give one of them")
	}
	if s.Context != "" && s.Tag == "" {
		return input.Errorf("--context", "a custom workload needs --tag (a template such as {{.Registry}}/img:{{.SDKSha7}}-{{.Slug}})")
	}
	if !s.Custom() && (s.Dockerfile != "" || s.Target != "" || s.BaseImage != "" || s.Tag != "" || s.CacheRef != "" || len(s.BuildArgs) > 0) {
		return input.Errorf("--dockerfile, --target, --base-image, --tag, --cache-ref and --build-arg", "they describe a custom workload: give --context too")
	}
	for _, p := range []*string{&s.Workload, &s.Instances, &s.Context, &s.Dockerfile} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return input.Errorf(*p, "%v", err)
			}
			*p = abs
		}
	}
	if s.Context != "" {
		if st, err := os.Stat(s.Context); err != nil || !st.IsDir() {
			return input.Errorf("--context "+s.Context, "not a folder; want the build context folder")
		}
		df := s.Dockerfile
		if df == "" {
			df = filepath.Join(s.Context, "Dockerfile")
		}
		if st, err := os.Stat(df); err != nil || st.IsDir() {
			return input.Errorf("--dockerfile "+df, "no such file; want the Dockerfile of the custom workload")
		}
		if err := workload.CheckTarget(df, s.Target); err != nil {
			return input.Errorf("--target "+s.Target, "%v", err)
		}
	}
	return s.checkTemplates()
}

// checkTemplates expands the templates of a custom workload for a probe
// instance, so that a bad template or an expansion that is no image
// reference is refused before anything starts.
func (s *Source) checkTemplates() error {
	vars := workload.VarsFor(probes[0], "127.0.0.1:5000", "0123456789abcdef0123456789abcdef01234567")
	refs := []struct{ flag, tmpl string }{{"--tag", s.Tag}, {"--cache-ref", s.CacheRef}, {"--base-image", s.BaseImage}}
	for _, r := range refs {
		if r.tmpl == "" {
			continue
		}
		v, err := workload.Expand(r.tmpl, vars)
		if err != nil {
			return input.Errorf(r.flag, "%v; want a template over %s", err, templateNames)
		}
		if err := workload.CheckRef(v); err != nil {
			return input.Errorf(r.flag, "%q expands to %q, which is not an image reference (%v); want lower-case [registry/]repository[:tag]", r.tmpl, v, err)
		}
		if r.flag == "--base-image" {
			vars.Base = v
		}
	}
	for k, v := range s.BuildArgs {
		if _, err := workload.Expand(v, vars); err != nil {
			return input.Errorf("--build-arg "+k, "%v; want a template over %s", err, templateNames)
		}
	}
	if s.Tag != "" {
		// A tag that names no instance gives every image one tag: the
		// second build overwrites the first's image, or is skipped as
		// already built.
		a, _ := workload.Expand(s.Tag, workload.VarsFor(probes[0], vars.Registry, vars.SDKSha))
		b, _ := workload.Expand(s.Tag, workload.VarsFor(probes[1], vars.Registry, vars.SDKSha))
		if a == b {
			return input.Errorf("--tag", "%q expands to %q for every instance; want a template that names the instance, with {{.ID}} or {{.Slug}}", s.Tag, a)
		}
	}
	return nil
}

// probes are two instances that differ in every name, for checking
// templates before the instances are known.
var probes = []workload.Instance{
	{ID: "org__repo-1", Org: "org", Repo: "repo", Name: "repo-1"},
	{ID: "other__lib-2", Org: "other", Repo: "lib", Name: "lib-2"},
}

// CheckInstances expands the source's templates for every instance it will
// build, so that an expansion that is no image reference for some real
// instance (an upper-case id in a repository path, a tag over 128
// characters), or two instances given one tag, is refused (bad input,
// naming the flag) before anything starts, not found by every build of
// that instance when it pushes. checkTemplates checks only probes.
func (s *Source) CheckInstances(insts []workload.Instance) error {
	switch {
	case s.Workload != "":
		w, err := workload.Load(s.Workload)
		if err != nil {
			return input.Bad("--workload", err)
		}
		w.Instances = insts
		if w.Registry == "" {
			w.Registry = "127.0.0.1:5000"
		}
		if w.SDKSha == "" {
			w.SDKSha = "0123456789abcdef0123456789abcdef01234567"
		}
		if err := w.Validate(); err != nil {
			return input.Bad("--workload "+s.Workload, err)
		}
	case s.Context != "":
		tags := map[string]string{}
		for _, in := range insts {
			vars := workload.VarsFor(in, "127.0.0.1:5000", "0123456789abcdef0123456789abcdef01234567")
			for _, r := range []struct{ flag, tmpl string }{{"--base-image", s.BaseImage}, {"--tag", s.Tag}, {"--cache-ref", s.CacheRef}} {
				if r.tmpl == "" {
					continue
				}
				v, err := workload.Expand(r.tmpl, vars)
				if err != nil {
					return input.Errorf(r.flag, "instance %s: %v; want a template over %s", in.ID, err, templateNames)
				}
				if err := workload.CheckRef(v); err != nil {
					return input.Errorf(r.flag, "%q expands to %q for instance %s, which is not an image reference (%v); want lower-case [registry/]repository[:tag], a tag of at most 128 characters", r.tmpl, v, in.ID, err)
				}
				switch r.flag {
				case "--base-image":
					vars.Base = v
				case "--tag":
					if prev, dup := tags[v]; dup {
						return input.Errorf("--tag", "%q gives instances %s and %s the same tag %s; want a template that names the instance, with {{.ID}} or {{.Slug}}", s.Tag, prev, in.ID, v)
					}
					tags[v] = in.ID
				}
			}
		}
	}
	return nil
}

const templateNames = "{{.ID}} {{.Org}} {{.Repo}} {{.Name}} {{.Slug}} {{.Registry}} {{.BaseRegistry}} {{.SDKSha}} {{.SDKSha7}} {{.Base}}"

// CheckCache refuses a cache mode that exports the registry cache for a
// one-Dockerfile workload without --cache-ref (bad input): every build
// would fail for want of a ref to export to.
//
// from names the input the mode came from, as the user gave it ("--cache
// max", "--grid FILE"); "" is "--cache-mode MODE".
func (s *Source) CheckCache(mode engine.CacheMode, from string) error {
	if s.Context != "" && s.CacheRef == "" && mode != engine.CacheOff && mode != "" {
		return input.Errorf(cmp.Or(from, "--cache-mode "+string(mode)), "cache mode %s exports the registry cache, and this custom workload has no --cache-ref to export to: give --cache-ref TEMPLATE, or cache mode off", mode)
	}
	return nil
}

// CheckStrategy refuses a strategy that the workload has no plan for (bad
// input, before anything starts): a one-Dockerfile workload (--context) has
// only single, a workload file the plans it names; the fixtures have all.
func (s *Source) CheckStrategy(strategy string) error {
	switch {
	case s.Workload != "":
		w, err := workload.Load(s.Workload)
		if err != nil {
			return input.Bad("--workload", err)
		}
		if _, ok := w.Plans[strategy]; !ok {
			return input.Errorf("--strategy "+strategy, "workload %s has no such plan; want %s", s.Workload, strings.Join(w.StrategyNames(), " or "))
		}
	case s.Context != "":
		if strategy != workload.Single {
			return input.Errorf("--strategy "+strategy, "a one-Dockerfile workload (--context) has one plan; want %s", workload.Single)
		}
	}
	return nil
}

// ParseBuildArgs turns KEY=VALUE items into a map (bad input otherwise).
func ParseBuildArgs(items []string) (map[string]string, error) {
	var out map[string]string
	for _, a := range items {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, input.Errorf("--build-arg", "%q: want KEY=VALUE", a)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out, nil
}

// Universe returns every instance the source can build.
func (s *Source) Universe() ([]workload.Instance, error) {
	switch {
	case s.Instances != "":
		insts, err := workload.LoadInstanceList(s.Instances)
		if err != nil {
			return nil, input.Bad("--instances", err)
		}
		return insts, nil
	case s.Workload != "":
		w, err := workload.Load(s.Workload)
		if err != nil {
			return nil, input.Bad("--workload", err)
		}
		if len(w.Instances) > 0 {
			return w.Instances, nil
		}
	}
	return fixtures.Instances()
}

// Prepare returns the workload ready to build insts against registry: for
// the fixtures it writes the build context under out and pushes the base
// images.
func (s *Source) Prepare(ctx context.Context, registry, out string, prof *fixtures.Profile, insts []workload.Instance, sha string) (*workload.Workload, error) {
	switch {
	case s.Workload != "":
		w, err := workload.Load(s.Workload)
		if err != nil {
			return nil, input.Bad("--workload", err)
		}
		w.Instances, w.SDKSha = insts, sha
		if w.Registry == "" {
			w.Registry = registry
		}
		if err := w.Validate(); err != nil {
			return nil, input.Bad("--workload "+s.Workload, err)
		}
		return w, nil
	case s.Context != "":
		w, err := workload.Simple(workload.SimpleOptions{Name: "custom:" + filepath.Base(s.Context), Instances: insts,
			Registry: registry, SDKSha: sha, BaseImage: s.BaseImage, ContextDir: s.Context, Dockerfile: s.Dockerfile,
			Target: s.Target, BuildArgs: s.BuildArgs, Tag: s.Tag, CacheRef: s.CacheRef})
		if err != nil {
			return nil, input.Bad("custom workload", err)
		}
		return w, nil
	}
	return fixtures.Prepare(ctx, fixtures.PrepareOptions{Registry: registry, ContextDir: filepath.Join(out, "context"),
		Profile: prof, Instances: insts, SDKSha: sha})
}

// attachAuth sends the Docker config's credentials (and its credential
// helpers) to every daemon when DockerAuth is set. Warnings of the config
// loader go to warn.
func (s *Source) attachAuth(daemons []*engine.BuildKit, warn io.Writer) {
	if !s.DockerAuth {
		return
	}
	cfg := config.LoadDefaultConfigFile(warn)
	for _, d := range daemons {
		d.Attach(authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
			AuthConfigProvider: authprovider.LoadAuthConfig(cfg),
		}))
	}
}

// Save writes the source to dir/source.json.
func (s *Source) Save(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding workload source: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, SourceFile), append(b, '\n'), 0o644)
}

// LoadSource reads dir/source.json; a folder without one is the fixtures.
func LoadSource(dir string) (*Source, error) {
	b, err := os.ReadFile(filepath.Join(dir, SourceFile))
	if os.IsNotExist(err) {
		return &Source{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workload source: %w", err)
	}
	var s Source
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SourceFile), err)
	}
	return &s, nil
}
