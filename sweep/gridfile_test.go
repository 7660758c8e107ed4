package sweep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGridFileExample keeps testdata/grid-small.yaml loadable and valid.
func TestGridFileExample(t *testing.T) {
	g, err := LoadGrid(filepath.Join("..", "testdata", "grid-small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(g.Cells()) != 8 || g.Reps != 2 || g.Sample != 2 || g.Batches[1] != 0 {
		t.Errorf("grid %+v", g)
	}
}

// TestGridFileConfigsAndDimensions: a grid file with explicit cells and a
// dimension is refused naming both (the dimension was dropped without a
// word); configs alone, or dimensions alone, load.
func TestGridFileConfigsAndDimensions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, y string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, err := LoadGrid(write("both.yaml", "workers: [1, 2]\ncache: off\nconfigs: [\"workers=4\"]\n"))
	if err == nil || !strings.Contains(err.Error(), "configs and workers, cache") {
		t.Errorf("configs with workers and cache: %v, want refused naming them", err)
	}
	if g, err := LoadGrid(write("configs.yaml", "configs: [\"workers=4\"]\nreps: 2\n")); err != nil || len(g.Cells()) != 1 {
		t.Errorf("configs alone: %v, %v", g.Cells(), err)
	}
	if _, err := LoadGrid(write("dims.yaml", "workers: [1, 2]\n")); err != nil {
		t.Errorf("dimensions alone: %v", err)
	}
}

// TestGridFileNoValue: a grid file key given no value (`reps:`,
// `profile: ~`, `configs:`) or an empty list of cells decoded to nothing
// and kept the default without a word, so the sweep ran the default
// reps, profile or the cross product instead of what the file seemed to
// ask for. Each is refused naming the key; a key left out still keeps
// the default.
func TestGridFileNoValue(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, yaml, want string }{
		{"reps null", "workers: [1]\nreps:\n", "grid key reps: no value"},
		{"sample null", "sample: ~\n", "grid key sample: no value"},
		{"seed null", "seed: null\n", "grid key seed: no value"},
		{"profile null", "profile:\n", "grid key profile: no value"},
		{"configs null", "configs:\n", "grid key configs: "},
		{"configs empty", "configs: []\n", "grid key configs: empty list"},
		{"workers null", "workers: ~\n", "grid key workers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			g, err := LoadGrid(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: %v (grid %+v); want one line with %q", tc.yaml, err, g, tc.want)
			}
		})
	}
	p := filepath.Join(dir, "left-out.yaml")
	if err := os.WriteFile(p, []byte("workers: [1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if g, err := LoadGrid(p); err != nil || g.Reps != DefaultGrid().Reps {
		t.Errorf("keys left out: %+v, %v; want the default reps", g, err)
	}
}
