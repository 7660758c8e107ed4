package shard

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
		ok   bool
	}{
		{"1/1", Spec{1, 1}, true},
		{"2/3", Spec{2, 3}, true},
		{"3/3", Spec{3, 3}, true},
		{"1000/1000", Spec{1000, 1000}, true},
		{"3/2", Spec{}, false},
		{"0/2", Spec{}, false},
		{"x", Spec{}, false},
		{"1/0", Spec{}, false},
		{"", Spec{}, false},
		{"1/1001", Spec{}, false},
		{"+1/2", Spec{}, false},
		{"-1/2", Spec{}, false},
		{" 1/2", Spec{}, false},
		{"1/2/3", Spec{}, false},
		{"1/", Spec{}, false},
		{"/2", Spec{}, false},
	} {
		got, err := ParseSpec(tc.in)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("ParseSpec(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("Spec%v.String() = %q, want %q", got, got.String(), tc.in)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseSpec(%q) = %v, want an error", tc.in, got)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, fmt.Sprintf("%q", tc.in)) || !strings.Contains(msg, "want i/n with 1 <= i <= n") {
			t.Errorf("ParseSpec(%q) error %q: want the input and what was expected", tc.in, msg)
		}
	}
}

func TestRepo(t *testing.T) {
	for in, want := range map[string]string{
		"django__django-11099":         "django",
		"scikit-learn__scikit-learn-1": "scikit-learn",
		"noseparator":                  "",
		"a__b__c":                      "a",
	} {
		if got := Repo(in); got != want {
			t.Errorf("Repo(%q) = %q, want %q", in, got, want)
		}
	}
}

// profile: django {10, 30, 20} (median 20), sympy {100}; all four: median
// of 10, 20, 30, 100 = 25.
var profile = map[string]float64{
	"django__a": 10, "django__b": 30, "django__c": 20, "sympy__x": 100,
}

func TestExpectedFallback(t *testing.T) {
	ids := []string{"django__a", "django__new", "sympy__x", "sympy__new", "astropy__y", "noseparator"}
	want := map[string]float64{
		"django__a":   10,
		"django__new": 20, // django median
		"sympy__x":    100,
		"sympy__new":  100, // sympy median of one
		"astropy__y":  25,  // unknown repo: global median
		"noseparator": 25,
	}
	if got := Expected(ids, profile); !reflect.DeepEqual(got, want) {
		t.Errorf("Expected = %v, want %v", got, want)
	}
	// Even count in a repo: mean of the two middle values; bad values ignored.
	d := map[string]float64{"r__a": 10, "r__b": 30, "r__bad": math.NaN(), "r__neg": -1}
	got := Expected([]string{"r__z", "r__bad", "r__neg"}, d)
	if got["r__z"] != 20 || got["r__bad"] != 20 || got["r__neg"] != 20 {
		t.Errorf("even repo median: %v, want 20 each", got)
	}
	if got := Expected([]string{"r__a"}, nil); got["r__a"] != 0 {
		t.Errorf("no durations: %v, want 0", got)
	}
}

func TestOrder(t *testing.T) {
	ids := []string{"sympy__x", "django__new", "django__a", "django__b", "astropy__y", "django__c", "django__a"}
	// expected: x 100, b 30, y 25, c 20, new 20 (tie by id), a 10.
	want := []string{"sympy__x", "django__b", "astropy__y", "django__c", "django__new", "django__a"}
	if got := Order(ids, profile); !reflect.DeepEqual(got, want) {
		t.Errorf("Order = %v, want %v", got, want)
	}
	if got := Order([]string{"c", "a", "b"}, nil); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("Order without durations = %v, want sorted", got)
	}
}

func TestPartitionExamples(t *testing.T) {
	d := map[string]float64{"r__a": 8, "r__b": 7, "r__c": 6, "r__d": 5, "r__e": 4}
	for _, tc := range []struct {
		name string
		ids  []string
		n    int
		d    map[string]float64
		want [][]string
	}{
		// a->0; b->1 (0<8); c->1 (7<8); d->0 (8<13); e->0 (13=13, lower).
		{"lpt", []string{"r__e", "r__c", "r__a", "r__d", "r__b"}, 2, d, [][]string{{"r__a", "r__d", "r__e"}, {"r__b", "r__c"}}},
		{"round robin", []string{"c", "a", "b", "e", "d"}, 2, nil, [][]string{{"a", "c", "e"}, {"b", "d"}}},
		{"empty map is round robin", []string{"c", "a", "b"}, 3, map[string]float64{}, [][]string{{"a"}, {"b"}, {"c"}}},
		{"more shards than ids", []string{"b", "a"}, 3, nil, [][]string{{"a"}, {"b"}, nil}},
		// new gets the r median 7: a 8 (0), b 7 (1), new 7 (1: 7<8), c 6 (0: 8<14).
		{"fallback", []string{"r__a", "r__b", "r__c", "r__new"}, 2, map[string]float64{"r__a": 8, "r__b": 7, "r__c": 6}, [][]string{{"r__a", "r__c"}, {"r__b", "r__new"}}},
		{"duplicates dropped", []string{"b", "a", "b"}, 1, nil, [][]string{{"a", "b"}}},
		{"n zero", []string{"a"}, 0, nil, nil},
	} {
		if got := Partition(tc.ids, tc.n, tc.d); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Partition = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := Select([]string{"r__e", "r__c", "r__a", "r__d", "r__b"}, Spec{2, 2}, d); !reflect.DeepEqual(got, []string{"r__b", "r__c"}) {
		t.Errorf("Select 2/2 = %v", got)
	}
}

func randomCase(r *rand.Rand) ([]string, int, map[string]float64) {
	repos := []string{"django", "sympy", "astropy"}
	size := r.IntN(101)
	ids := make([]string, size)
	d := map[string]float64{}
	for i := range ids {
		ids[i] = fmt.Sprintf("%s__%d", repos[r.IntN(len(repos))], r.IntN(1000))
		if r.IntN(4) != 0 { // a quarter fall back to medians
			d[ids[i]] = float64(1 + r.IntN(600))
		}
	}
	return ids, 1 + r.IntN(10), d
}

func TestPartitionProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 500; trial++ {
		ids, n, d := randomCase(r)
		want := unique(ids)
		for _, durations := range []map[string]float64{nil, d} {
			shards := Partition(ids, n, durations)
			if len(shards) != n {
				t.Fatalf("trial %d: %d shards, want %d", trial, len(shards), n)
			}
			var union []string
			minSize, maxSize := len(ids), 0
			for _, s := range shards {
				union = append(union, s...)
				minSize, maxSize = min(minSize, len(s)), max(maxSize, len(s))
			}
			sort.Strings(union)
			if len(union) != len(want) || (len(want) > 0 && !reflect.DeepEqual(union, want)) {
				t.Fatalf("trial %d: union of shards %v, want each of %v once", trial, union, want)
			}
			if durations == nil && len(want) > 0 && maxSize-minSize > 1 {
				t.Fatalf("trial %d: round robin sizes %d..%d", trial, minSize, maxSize)
			}
			shuffled := append([]string(nil), ids...)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if again := Partition(shuffled, n, durations); !reflect.DeepEqual(again, shards) {
				t.Fatalf("trial %d: shuffled input gave %v, want %v", trial, again, shards)
			}
			for i := range shards {
				if got := Select(shuffled, Spec{i + 1, n}, durations); !reflect.DeepEqual(got, shards[i]) {
					t.Fatalf("trial %d: Select %d/%d = %v, want %v", trial, i+1, n, got, shards[i])
				}
			}
		}
	}
}

func loads(shards [][]string, exp map[string]float64) (maxLoad, total, maxItem float64) {
	for _, s := range shards {
		l := 0.0
		for _, id := range s {
			l += exp[id]
			total += exp[id]
			maxItem = max(maxItem, exp[id])
		}
		maxLoad = max(maxLoad, l)
	}
	return
}

// The simple bound max(total/n, max item)·4/3 only holds for LPT when no
// item exceeds a third of it (then load <= total/n + item); four equal items
// on three shards load 2 against a bound of 16/9. So it is checked where it
// applies, and LPT's own guarantee, (4/3 - 1/(3n))·OPT, on small cases
// against a brute-force optimum.
func TestPartitionBalance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	checked := 0
	for trial := 0; trial < 500; trial++ {
		ids, n, d := randomCase(r)
		exp := Expected(ids, d)
		maxLoad, total, maxItem := loads(Partition(ids, n, d), exp)
		lb := max(total/float64(n), maxItem)
		if maxItem <= lb/3 {
			checked++
			if maxLoad > lb*4/3+1e-9 {
				t.Fatalf("trial %d: max load %.1f > 4/3 · %.1f", trial, maxLoad, lb)
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d cases met the bound's condition", checked)
	}

	eq := map[string]float64{"r__a": 1, "r__b": 1, "r__c": 1, "r__d": 1}
	if m, _, _ := loads(Partition([]string{"r__a", "r__b", "r__c", "r__d"}, 3, eq), eq); m != 2 {
		t.Fatalf("four equal items on three shards: max load %v, want 2", m)
	}

	for trial := 0; trial < 300; trial++ {
		k, n := 1+r.IntN(8), 1+r.IntN(3)
		d := map[string]float64{}
		ids := make([]string, k)
		items := make([]float64, k)
		for i := range ids {
			ids[i] = fmt.Sprintf("r__%d", i)
			items[i] = float64(1 + r.IntN(20))
			d[ids[i]] = items[i]
		}
		got, _, _ := loads(Partition(ids, n, d), d)
		opt := bruteForce(items, make([]float64, n), 0)
		if bound := (4.0/3 - 1/(3*float64(n))) * opt; got > bound+1e-9 {
			t.Fatalf("items %v on %d: LPT %v > %v (OPT %v)", items, n, got, bound, opt)
		}
	}
}

func bruteForce(items, load []float64, i int) float64 {
	if i == len(items) {
		m := 0.0
		for _, l := range load {
			m = max(m, l)
		}
		return m
	}
	best := math.Inf(1)
	for s := range load {
		load[s] += items[i]
		best = min(best, bruteForce(items, load, i+1))
		load[s] -= items[i]
	}
	return best
}
