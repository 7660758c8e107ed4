// Package workload describes what a fleet build builds, independent of where
// it came from: instances, and per build strategy the ordered builds
// (phases) each instance needs, as templates over the instance's names. The
// fixtures package produces one for the SWT-Bench-shaped default; a real CI
// runner describes the real SWT-Bench images the same way. The sweep and the
// production build turn it into engine.Requests.
package workload

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/input"
)

// Strategy names.
const (
	// Single builds each instance's image in one Dockerfile build.
	Single = "single"
	// ThreePhase builds the builder image once, then a base image per
	// instance, then a thin assembly per instance.
	ThreePhase = "three-phase"
)

// Strategies lists the strategy names.
var Strategies = []string{Single, ThreePhase}

// ParseStrategy checks a strategy name.
func ParseStrategy(s string) (string, error) {
	for _, v := range Strategies {
		if strings.EqualFold(strings.TrimSpace(s), v) {
			return v, nil
		}
	}
	return "", fmt.Errorf("strategy %q: want one of %s", s, strings.Join(Strategies, ", "))
}

// Instance is one task instance, e.g. django__django-11099.
type Instance struct {
	ID   string `json:"id"`
	Repo string `json:"repo"` // "django"
	Org  string `json:"org"`  // "django" (the part before "__")
	Name string `json:"name"` // "django-11099"
}

// ParseInstance splits an SWT-Bench id "{org}__{name}"; Repo is the
// repository name, the part of Name before its last "-".
func ParseInstance(id string) (Instance, error) {
	id = strings.TrimSpace(id)
	org, name, ok := strings.Cut(id, "__")
	if !ok || org == "" || name == "" || strings.ContainsAny(id, " /:\t") {
		return Instance{}, fmt.Errorf("instance id %s: want {org}__{repo}-{number}", input.Quote(id))
	}
	repo := name
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		repo = name[:i]
	}
	inst := Instance{ID: id, Org: org, Repo: repo, Name: name}
	// The id names the instance's images (Vars.Slug in every tag and
	// reference): one that cannot would fail every build of it, after
	// the stack has started, as "could not parse reference".
	slug := VarsFor(inst, "", "").Slug
	if !slugRE.MatchString(slug) {
		return Instance{}, fmt.Errorf("instance id %s: its image name %s is not one (want {org}__{repo}-{number} of letters, digits and single ., _ or - between them)",
			input.Quote(id), input.Quote(slug))
	}
	if len(slug) > MaxSlug {
		return Instance{}, fmt.Errorf("instance id %s: %d characters, too long for its image name to fit in the %d-character tag buildcache-source-minimal-{{.Slug}}: want at most %d",
			input.Quote(id), len(id), maxTag, MaxSlug-len(slugOverhead)+len("__"))
	}
	return inst, nil
}

// slugOverhead is what VarsFor adds to an instance's org and name in its
// image name (Vars.Slug), "__" taking the place of "_1776_".
const slugOverhead = "sweb.eval.x86_64._1776_"

// maxTag is the longest tag an image reference may carry.
const maxTag = 128

// MaxSlug is the longest image name (Vars.Slug) of an instance: the real
// registry cache ref's tag, buildcache-source-minimal-{{.Slug}}, must fit
// in a tag's 128 characters (the final tag, {{.SDKSha7}}-{{.Slug}}-source-minimal,
// allows 105).
const MaxSlug = maxTag - len("buildcache-source-minimal-")

// slugRE is a path component of an image reference (the distribution
// grammar), which an instance's image name must be.
var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)

// Vars are the names a template may use.
type Vars struct {
	ID       string // django__django-11099
	Org      string // django
	Repo     string // django
	Name     string // django-11099
	Slug     string // sweb.eval.x86_64.django_1776_django-11099 (lower-cased)
	Registry string // 127.0.0.1:5000 (may carry a namespace path: 127.0.0.1:5000/u3)
	// BaseRegistry is where base images come from: 127.0.0.1:5000.
	BaseRegistry string
	SDKSha       string // full SDK sha
	SDKSha7      string // first 7 characters
	// Base is the instance\'s base image: Workload.BaseImage expanded.
	Base string
}

// InstanceFromBase returns the SWE-bench instance id that a base image
// reference names (the inverse of Vars.Slug, lower-cased as it is), as the real script's manifest lines give it
// (docker.io/swebench/sweb.eval.x86_64.django_1776_django-11099:latest ->
// django__django-11099), or "" when the reference is not of that form.
func InstanceFromBase(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	name := ref[strings.LastIndexByte(ref, '/')+1:]
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	rest, ok := strings.CutPrefix(name, "sweb.eval.")
	if !ok {
		return ""
	}
	if _, rest, ok = strings.Cut(rest, "."); !ok { // the architecture, x86_64
		return ""
	}
	repo, num, ok := strings.Cut(rest, "_1776_")
	if !ok || repo == "" || num == "" {
		return ""
	}
	return repo + "__" + num
}

// VarsFor returns the template variables for inst (zero Instance for shared phases).
func VarsFor(inst Instance, registry, sdkSha string) Vars {
	v := Vars{ID: inst.ID, Org: inst.Org, Repo: inst.Repo, Name: inst.Name, Registry: registry, BaseRegistry: registry, SDKSha: sdkSha}
	if inst.ID != "" {
		v.Slug = strings.ToLower("sweb.eval.x86_64." + inst.Org + "_1776_" + inst.Name)
	}
	v.SDKSha7 = sdkSha
	if len(sdkSha) > 7 {
		v.SDKSha7 = sdkSha[:7]
	}
	return v
}

// Phase is one Dockerfile build; string fields are text/template templates
// over Vars.
type Phase struct {
	Name           string            `json:"name"`
	ContextDir     string            `json:"context_dir"`
	DockerfileDir  string            `json:"dockerfile_dir,omitempty"`
	DockerfileName string            `json:"dockerfile_name,omitempty"`
	Target         string            `json:"target,omitempty"`
	BuildArgs      map[string]string `json:"build_args,omitempty"`
	// Tags are pushed; the first one is the image's name in records.
	Tags []string `json:"tags"`
	// CacheFrom are registry cache refs imported.
	CacheFrom []string `json:"cache_from,omitempty"`
	// CacheTo is the registry cache ref exported to when caching is on.
	CacheTo string `json:"cache_to,omitempty"`
}

// Plan is the builds of one strategy.
type Plan struct {
	// Shared phases run once per trial before any instance.
	Shared []Phase `json:"shared,omitempty"`
	// PerInstance phases run in order for every instance.
	PerInstance []Phase `json:"per_instance"`
}

// Workload is the whole description.
type Workload struct {
	// Name labels the workload in records (a profile name, "swtbench", ...).
	Name     string `json:"name"`
	Registry string `json:"registry"`
	// BaseRegistry is where base images are pulled from; "" = Registry.
	// Sweeps push each unit of trials under its own namespace of Registry
	// (so a cold trial finds no tags or cache refs) while bases stay put.
	BaseRegistry string          `json:"base_registry,omitempty"`
	SDKSha       string          `json:"sdk_sha"`
	Instances    []Instance      `json:"instances"`
	Plans        map[string]Plan `json:"plans"`
	// BaseImage is a template of the instance's base image reference,
	// available to the phases as {{.Base}}; may be empty.
	BaseImage string `json:"base_image,omitempty"`
	// Bases lists the base image reference of each instance, by id, for
	// checks; may be empty.
	Bases map[string]string `json:"bases,omitempty"`
}

// Strategies returns the workload's strategy names, sorted.
func (w *Workload) StrategyNames() []string {
	var out []string
	for k := range w.Plans {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NoCacheTo returns the name of the first phase of strategy's plan (shared
// phases first) without a cache_to, "" when every phase has one: under a
// cache mode other than off such a phase has nowhere to export its cache,
// and every build of it fails.
func (w *Workload) NoCacheTo(strategy string) (phase string, missing bool) {
	p, ok := w.Plans[strategy]
	if !ok {
		return "", false
	}
	for _, ph := range append(append([]Phase(nil), p.Shared...), p.PerInstance...) {
		if strings.TrimSpace(ph.CacheTo) == "" {
			return ph.Name, true
		}
	}
	return "", false
}

// Build is one request in a job, with the phase it came from.
type Build struct {
	Phase string
	engine.Request
}

// SharedBuilds returns the once-per-trial builds of strategy.
func (w *Workload) SharedBuilds(strategy string, mode engine.CacheMode) ([]Build, error) {
	p, ok := w.Plans[strategy]
	if !ok {
		return nil, fmt.Errorf("strategy %q: workload %s has %s", strategy, w.Name, strings.Join(w.StrategyNames(), ", "))
	}
	return w.expand(p.Shared, Instance{ID: "", Name: ""}, "shared", mode)
}

// InstanceBuilds returns the ordered builds of one instance under strategy.
func (w *Workload) InstanceBuilds(strategy string, inst Instance, mode engine.CacheMode) ([]Build, error) {
	p, ok := w.Plans[strategy]
	if !ok {
		return nil, fmt.Errorf("strategy %q: workload %s has %s", strategy, w.Name, strings.Join(w.StrategyNames(), ", "))
	}
	return w.expand(p.PerInstance, inst, inst.ID, mode)
}

func (w *Workload) expand(phases []Phase, inst Instance, id string, mode engine.CacheMode) ([]Build, error) {
	vars := VarsFor(inst, w.Registry, w.SDKSha)
	if w.BaseRegistry != "" {
		vars.BaseRegistry = w.BaseRegistry
	}
	if w.BaseImage != "" && inst.ID != "" {
		base, err := Expand(w.BaseImage, vars)
		if err != nil {
			return nil, fmt.Errorf("base image: %w", err)
		}
		vars.Base = base
	}
	var out []Build
	for _, ph := range phases {
		req := engine.Request{
			ID:        id,
			Push:      true,
			CacheMode: mode,
			BuildArgs: map[string]string{},
		}
		if len(phases) > 1 || id == "shared" {
			req.ID = id + "/" + ph.Name
		}
		var err error
		expand := func(what, tmpl string) string {
			if err != nil {
				return ""
			}
			var s string
			s, err = Expand(tmpl, vars)
			if err != nil {
				err = fmt.Errorf("phase %s %s: %w", ph.Name, what, err)
			}
			return s
		}
		// A Dockerfile (or a context) per instance: "Dockerfile.{{.Repo}}".
		req.ContextDir = expand("context_dir", ph.ContextDir)
		req.DockerfileDir = expand("dockerfile_dir", ph.DockerfileDir)
		req.DockerfileName = expand("dockerfile_name", ph.DockerfileName)
		req.Target = expand("target", ph.Target)
		for k, v := range ph.BuildArgs {
			req.BuildArgs[k] = expand("build arg "+k, v)
		}
		for _, t := range ph.Tags {
			req.Tags = append(req.Tags, expand("tag", t))
		}
		for _, c := range ph.CacheFrom {
			req.CacheFrom = append(req.CacheFrom, expand("cache-from", c))
		}
		if mode != engine.CacheOff {
			req.CacheTo = expand("cache-to", ph.CacheTo)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Build{Phase: ph.Name, Request: req})
	}
	return out, nil
}

// Expand executes one template over vars; missing keys are an error.
func Expand(tmpl string, vars Vars) (string, error) {
	if !strings.Contains(tmpl, "{{") {
		return tmpl, nil
	}
	t, err := template.New("").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, vars); err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	return b.String(), nil
}
