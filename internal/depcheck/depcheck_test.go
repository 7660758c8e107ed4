package depcheck

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/buildtune/buildtune/"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// list returns every package of the module with its imports and deps.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "github.com/buildtune/buildtune/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, mod)] = p
	}
	return pkgs
}

// forbidden says which imports (by prefix, in Deps: direct or not) each
// package may never have.
var forbidden = map[string][]string{
	// The records format is a leaf: the standard library only.
	"sweep/record": {"github.com/", "golang.org/", "google.golang.org/", "gonum.org/", "go.", "sigs.k8s.io/"},
	// Statistics, models and reports read records; they never build.
	"analyze":          {"github.com/moby/buildkit", "google.golang.org/grpc", mod + "internal/", mod + "sweep", mod + "fixtures", mod + "reports"},
	"analyze/model":    {"github.com/moby/buildkit", "google.golang.org/grpc", mod + "internal/", mod + "sweep", mod + "fixtures", mod + "reports"},
	"analyze/evidence": {"github.com/moby/buildkit", "google.golang.org/grpc", mod + "internal/engine", mod + "internal/fleet", mod + "internal/stack", mod + "internal/regproxy", mod + "sweep\x00", mod + "fixtures", mod + "reports"},
	"reports":          {"github.com/moby/buildkit", "google.golang.org/grpc", mod + "internal/engine", mod + "internal/fleet", mod + "internal/stack", mod + "internal/regproxy", mod + "sweep\x00", mod + "fixtures"},
	"reports/plot":     {"github.com/moby/buildkit", "google.golang.org/grpc", mod + "internal/", mod + "sweep", mod + "analyze", mod + "fixtures"},
	// Lower layers never reach up.
	"internal/engine": {mod + "internal/fleet", mod + "sweep\x00", mod + "analyze", mod + "reports", mod + "fixtures"},
	"fixtures":        {mod + "internal/fleet", mod + "sweep\x00", mod + "analyze", mod + "reports"},
	"internal/fleet":  {mod + "sweep\x00", mod + "analyze", mod + "reports"},
	"sweep":           {mod + "reports"},
}

// matches reports whether dep is forbidden by rule; a rule ending in \x00
// names exactly one package.
func matches(dep, rule string) bool {
	if exact, ok := strings.CutSuffix(rule, "\x00"); ok {
		return dep == exact
	}
	return strings.HasPrefix(dep, rule)
}

func TestImportsFlowOneWay(t *testing.T) {
	pkgs := list(t)
	for name, rules := range forbidden {
		p, ok := pkgs[name]
		if !ok {
			t.Errorf("package %s is gone: update this test with the new map", name)
			continue
		}
		for _, dep := range p.Deps {
			for _, r := range rules {
				if matches(dep, r) {
					t.Errorf("%s depends on %s (forbidden: %q)", name, dep, strings.TrimSuffix(r, "\x00"))
				}
			}
		}
	}
}

// TestOnlyPlotImportsGonumPlot: reports/plot is the one importer of
// gonum/plot.
func TestOnlyPlotImportsGonumPlot(t *testing.T) {
	for name, p := range list(t) {
		if strings.HasPrefix(name, "reports/plot") {
			continue
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "gonum.org/v1/plot") {
				t.Errorf("%s imports %s: only reports/plot may", name, imp)
			}
		}
	}
}
