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
