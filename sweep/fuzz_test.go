package sweep

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParseGrid: any grid file either parses or gives an error, never a
// panic; a grid that parses is valid, and writing it (as run.json does)
// and parsing that gives the same grid.
func FuzzParseGrid(f *testing.F) {
	for _, name := range []string{filepath.Join("..", "testdata", "grid-small.yaml")} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	def, _ := json.Marshal(DefaultGrid())
	f.Add(def)
	f.Add([]byte("workers: 4\nbatch: [3, stream]\ncache: [off, min, max]\n"))
	f.Add([]byte("configs: [\"workers=4,batch=15,cache=max\", \"workers=16,batch=50,cache=min\"]\nreps: 3\n"))
	f.Add([]byte("registry-bandwidth: 20MiB/s,unlimited\ntemp: cold,warm\nstrategy: [single, three-phase]\nprofile: x.yaml\nseed: -3\n"))
	f.Add([]byte("workers: [1, 1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGrid(data)
		if err != nil {
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("ParseGrid accepted an invalid grid: %v\n%s", err, data)
		}
		out, err := json.Marshal(g)
		if err != nil {
			t.Fatalf("marshalling %+v: %v", g, err)
		}
		again, err := ParseGrid(out)
		if err != nil {
			t.Fatalf("parsing the marshalled grid: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(g, again) {
			t.Fatalf("round trip changed the grid:\n%+v\n%+v\nvia %s", g, again, out)
		}
	})
}
