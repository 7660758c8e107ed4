package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/buildtune/buildtune/fixtures"
	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/spf13/pflag"
)

// sourceFlags say what is built: the generated fixtures (default), a
// workload file, or a one-Dockerfile workload given by flags (the shape of
// the real SWT-Bench agent image build on a CI runner).
type sourceFlags struct {
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
	buildArgs  []string
}

const sourceFile = "source.json"

func (s *sourceFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.Workload, "workload", "", "workload file (YAML/JSON: instances, plans of phases with templates) instead of the fixtures")
	fs.StringVar(&s.Instances, "instances", "", "instance id list, one per line (default: the 433 SWT-Bench ids)")
	fs.StringVar(&s.Context, "context", "", "build context folder of a custom workload (instead of the fixtures)")
	fs.StringVar(&s.Dockerfile, "dockerfile", "", "Dockerfile of a custom workload (default CONTEXT/Dockerfile)")
	fs.StringVar(&s.Target, "target", "", "Dockerfile target stage of a custom workload")
	fs.StringVar(&s.BaseImage, "base-image", "", "base image template, passed as build arg BASE_IMAGE, e.g. docker.io/swebench/{{.Slug}}:latest")
	fs.StringVar(&s.Tag, "tag", "", "tag template of a custom workload, e.g. {{.Registry}}/eval-agent-server:{{.SDKSha7}}-{{.Slug}}-source-minimal")
	fs.StringVar(&s.CacheRef, "cache-ref", "", "registry cache ref template of a custom workload (imported, and exported unless cache mode is off)")
	fs.StringArrayVar(&s.buildArgs, "build-arg", nil, "KEY=VALUE build arg (value may be a template); repeatable")
	fs.BoolVar(&s.DockerAuth, "docker-auth", false, "send registry credentials from the Docker config file (~/.docker/config.json) to BuildKit")
}

// custom reports whether the flags describe a workload other than the fixtures.
func (s *sourceFlags) custom() bool { return s.Workload != "" || s.Context != "" }

// check validates the flags (bad input, exit 2).
func (s *sourceFlags) check() error {
	if s.Workload != "" && s.Context != "" {
		return usagef("--workload and --context: give one of them")
	}
	if s.Context != "" && s.Tag == "" {
		return usagef("--context: a custom workload needs --tag (a template such as {{.Registry}}/img:{{.SDKSha7}}-{{.Slug}})")
	}
	if !s.custom() && (s.Dockerfile != "" || s.Target != "" || s.BaseImage != "" || s.Tag != "" || s.CacheRef != "" || len(s.buildArgs) > 0) {
		return usagef("--dockerfile, --target, --base-image, --tag, --cache-ref and --build-arg describe a custom workload: give --context too")
	}
	for _, a := range s.buildArgs {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return usagef("--build-arg %q: want KEY=VALUE", a)
		}
		if s.BuildArgs == nil {
			s.BuildArgs = map[string]string{}
		}
		s.BuildArgs[k] = v
	}
	for _, p := range []*string{&s.Workload, &s.Instances, &s.Context, &s.Dockerfile} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return usagef("%s: %v", *p, err)
			}
			*p = abs
		}
	}
	return nil
}

// universe returns every instance the workload can build.
func (s *sourceFlags) universe() ([]workload.Instance, error) {
	switch {
	case s.Instances != "":
		insts, err := workload.LoadInstanceList(s.Instances)
		if err != nil {
			return nil, usagef("--instances: %v", err)
		}
		return insts, nil
	case s.Workload != "":
		w, err := workload.Load(s.Workload)
		if err != nil {
			return nil, usagef("--workload: %v", err)
		}
		if len(w.Instances) > 0 {
			return w.Instances, nil
		}
	}
	return fixtures.Instances()
}

// prepare returns the workload ready to build insts against registry:
// for the fixtures it writes the context and pushes the base images.
func (s *sourceFlags) prepare(ctx context.Context, registry, out string, prof *fixtures.Profile, insts []workload.Instance, sha string) (*workload.Workload, error) {
	switch {
	case s.Workload != "":
		w, err := workload.Load(s.Workload)
		if err != nil {
			return nil, usagef("--workload: %v", err)
		}
		w.Instances, w.SDKSha = insts, sha
		if w.Registry == "" {
			w.Registry = registry
		}
		return w, nil
	case s.Context != "":
		w, err := workload.Simple(workload.SimpleOptions{Name: "custom:" + filepath.Base(s.Context), Instances: insts,
			Registry: registry, SDKSha: sha, BaseImage: s.BaseImage, ContextDir: s.Context, Dockerfile: s.Dockerfile,
			Target: s.Target, BuildArgs: s.BuildArgs, Tag: s.Tag, CacheRef: s.CacheRef})
		if err != nil {
			return nil, usagef("custom workload: %v", err)
		}
		return w, nil
	}
	return fixtures.Prepare(ctx, fixtures.PrepareOptions{Registry: registry, ContextDir: filepath.Join(out, "context"),
		Profile: prof, Instances: insts, SDKSha: sha})
}

// attachAuth sends Docker config credentials to every daemon when asked.
func (s *sourceFlags) attachAuth(daemons []*engine.BuildKit) {
	if !s.DockerAuth {
		return
	}
	cfg := config.LoadDefaultConfigFile(os.Stderr)
	for _, d := range daemons {
		d.Attach(authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
			AuthConfigProvider: authprovider.LoadAuthConfig(cfg),
		}))
	}
}

func (s *sourceFlags) save(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding workload source: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, sourceFile), append(b, '\n'), 0o644)
}

func loadSource(dir string) (*sourceFlags, error) {
	b, err := os.ReadFile(filepath.Join(dir, sourceFile))
	if os.IsNotExist(err) {
		return &sourceFlags{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workload source: %w", err)
	}
	var s sourceFlags
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, sourceFile), err)
	}
	return &s, nil
}
