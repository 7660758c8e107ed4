package sweep

import "testing"

// TestNamespaces: a cold trial gets a fresh registry namespace every time
// it runs (a resumed sweep reruns a unit from scratch), and the warm trial
// after it gets the cold trial's.
func TestNamespaces(t *testing.T) {
	r := &StackRunner{}
	cold1 := r.namespace(Trial{Unit: 3, Temp: Cold})
	warm1 := r.namespace(Trial{Unit: 3, Temp: Warm})
	other := r.namespace(Trial{Unit: 4, Temp: Cold})
	cold2 := r.namespace(Trial{Unit: 3, Temp: Cold})
	warm2 := r.namespace(Trial{Unit: 3, Temp: Warm})
	if warm1 != cold1 || warm2 != cold2 {
		t.Errorf("warm trials %s, %s do not reuse their cold trials' %s, %s", warm1, warm2, cold1, cold2)
	}
	if cold2 == cold1 || other == cold1 {
		t.Errorf("namespaces not fresh: %s %s %s", cold1, cold2, other)
	}
}
