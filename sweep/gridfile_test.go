package sweep

import (
	"path/filepath"
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
