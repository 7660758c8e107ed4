package stack

import (
	"os"
	"slices"
	"testing"
)

// TestOwnProcesses: a private stack's processes are this process's
// children, a kept stack's are its state's pids, and given daemons' are
// not known.
func TestOwnProcesses(t *testing.T) {
	self := os.Getpid()
	for _, tc := range []struct {
		name string
		env  Env
		want []int
		ok   bool
	}{
		{"given daemons", Env{Source: "given daemons"}, nil, false},
		{"private", Env{Private: &Stack{}}, []int{self}, true},
		{"kept", Env{kept: []int{41, 42}}, []int{self, 41, 42}, true},
	} {
		got, ok := tc.env.OwnProcesses()
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
