package sweep

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
)

func planGrid(workers []int, temps []string, reps int, seed int64) Grid {
	return Grid{Workers: workers, Batches: []int{3, 0}, Cache: []engine.CacheMode{"off", "max"},
		Strategies: []string{"single"}, Registry: []string{Direct}, Temps: temps, Reps: reps, Sample: 4, Seed: seed, Profile: "p"}
}

func TestPlanCounts(t *testing.T) {
	for _, temps := range [][]string{{Cold}, {Cold, Warm}} {
		g := planGrid([]int{1, 2, 4}, temps, 3, 1)
		trials := Plan(g)
		cells := len(g.Cells())
		if want := cells * g.Reps * len(temps); len(trials) != want {
			t.Fatalf("temps %v: %d trials, want cells*reps*temps = %d", temps, len(trials), want)
		}
		units := map[[2]any]int{}
		for i, tr := range trials {
			if tr.Index != i+1 {
				t.Errorf("trial %d has Index %d", i+1, tr.Index)
			}
			if tr.Profile != "p" || tr.Round != 1 {
				t.Errorf("trial %d: profile %q round %d", tr.Index, tr.Profile, tr.Round)
			}
			if tr.Temp == Cold {
				units[[2]any{tr.Cell.Name(), tr.Rep}]++
			}
		}
		if len(units) != cells*g.Reps {
			t.Errorf("%d distinct (cell, rep) units, want %d", len(units), cells*g.Reps)
		}
		for u, n := range units {
			if n != 1 {
				t.Errorf("unit %v planned %d times", u, n)
			}
		}
	}
}

func TestPlanUnits(t *testing.T) {
	g := planGrid([]int{1, 2}, []string{Cold, Warm}, 2, 3)
	trials := Plan(g)
	sha := regexp.MustCompile(`^[0-9a-f]{40}$`)
	shas := map[string]bool{}
	for i := 0; i < len(trials); i += 2 {
		cold, warm := trials[i], trials[i+1]
		if cold.Temp != Cold || warm.Temp != Warm {
			t.Fatalf("trials %d, %d are %s, %s: want cold then warm", cold.Index, warm.Index, cold.Temp, warm.Temp)
		}
		if cold.Unit != warm.Unit || cold.Cell != warm.Cell || cold.Rep != warm.Rep {
			t.Errorf("warm trial %d is not the same unit as cold trial %d: %+v vs %+v", warm.Index, cold.Index, warm, cold)
		}
		if cold.Unit != i/2+1 {
			t.Errorf("trial %d: unit %d, want %d", cold.Index, cold.Unit, i/2+1)
		}
		for _, tr := range []Trial{cold, warm} {
			if !sha.MatchString(tr.SDKSha) {
				t.Errorf("trial %d: SDK sha %q is not 40 hex digits", tr.Index, tr.SDKSha)
			}
			if shas[tr.SDKSha] {
				t.Errorf("trial %d: SDK sha %s used twice", tr.Index, tr.SDKSha)
			}
			shas[tr.SDKSha] = true
		}
	}
}

func TestPlanInterleaved(t *testing.T) {
	// Every shape and seed: no two consecutive units of the same cell, and
	// the reps run round-robin (all rep r before any rep r+1).
	for _, workers := range [][]int{{1, 2}, {1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}} {
		for _, temps := range [][]string{{Cold}, {Cold, Warm}} {
			for seed := int64(0); seed < 200; seed++ {
				g := planGrid(workers, temps, 4, seed)
				trials := Plan(g)
				prevCell, prevRep, prevUnit := "", 0, 0
				for _, tr := range trials {
					if tr.Unit == prevUnit {
						continue
					}
					if tr.Cell.Name() == prevCell {
						t.Fatalf("workers %v temps %v seed %d: units %d and %d are both %s", workers, temps, seed, prevUnit, tr.Unit, prevCell)
					}
					if tr.Rep < prevRep {
						t.Fatalf("seed %d: unit %d is rep %d after rep %d", seed, tr.Unit, tr.Rep, prevRep)
					}
					prevCell, prevRep, prevUnit = tr.Cell.Name(), tr.Rep, tr.Unit
				}
			}
		}
	}
}

func TestPlanSingleCell(t *testing.T) {
	g := planGrid([]int{2}, []string{Cold}, 3, 1)
	g.Batches, g.Cache = []int{0}, []engine.CacheMode{"off"}
	trials := Plan(g)
	if len(trials) != 3 {
		t.Fatalf("%d trials, want 3", len(trials))
	}
	for i, tr := range trials {
		if tr.Rep != i+1 {
			t.Errorf("trial %d rep %d, want %d", tr.Index, tr.Rep, i+1)
		}
	}
}

func TestPlanDeterministic(t *testing.T) {
	g := planGrid([]int{1, 2, 4}, []string{Cold, Warm}, 3, 42)
	a, b := Plan(g), Plan(g)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Plan is not deterministic for a seed")
	}
	order := func(ts []Trial) []string {
		var out []string
		for _, tr := range ts {
			out = append(out, tr.Cell.Name())
		}
		return out
	}
	g2 := g
	g2.Seed = 43
	c := Plan(g2)
	if reflect.DeepEqual(order(a), order(c)) {
		t.Error("seeds 42 and 43 give the same order")
	}
	if a[0].SDKSha == c[0].SDKSha {
		t.Error("seeds 42 and 43 give the same SDK sha")
	}
	// Pinned: a resumed sweep must plan what the interrupted one planned,
	// whatever the Go version.
	g3 := planGrid([]int{1, 2}, []string{Cold}, 2, 1)
	want := []string{"w2-b3-max-single", "w2-b3-off-single", "w1-b3-off-single", "w1-stream-off-single",
		"w2-stream-off-single", "w1-stream-max-single", "w2-stream-max-single", "w1-b3-max-single",
		"w2-b3-max-single", "w2-stream-max-single", "w1-b3-off-single", "w1-stream-max-single",
		"w1-stream-off-single", "w2-stream-off-single", "w1-b3-max-single", "w2-b3-off-single"}
	if got := order(Plan(g3)); !reflect.DeepEqual(got, want) {
		t.Errorf("seed 1 order changed:\n got %q\nwant %q", got, want)
	}
}
