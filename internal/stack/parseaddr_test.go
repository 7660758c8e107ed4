package stack_test

import (
	"errors"
	"testing"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/stack"
)

func TestParseAddr(t *testing.T) {
	for _, tc := range []struct {
		in    string
		addr  string
		limit int
		bad   bool
	}{
		{in: "unix:///run/a.sock", addr: "unix:///run/a.sock"},
		{in: "unix:///run/a.sock@4", addr: "unix:///run/a.sock", limit: 4},
		{in: " tcp://10.0.0.2:1234@8 ", addr: "tcp://10.0.0.2:1234", limit: 8},
		{in: "tcp://10.0.0.2:1234@0", addr: "tcp://10.0.0.2:1234"},
		{in: "ssh://user@host", addr: "ssh://user@host"},
		{in: "ssh://user@host:22@3", addr: "ssh://user@host:22", limit: 3},
		{in: "kube-pod://buildkitd-0?namespace=ci@8", addr: "kube-pod://buildkitd-0?namespace=ci", limit: 8},
		{in: "tcp://h:1@-1", bad: true},
		{in: "tcp://h:1@", bad: true},
		{in: "tcp://h:1@+", bad: true},
	} {
		addr, limit, err := stack.ParseAddr(tc.in)
		if tc.bad {
			if err == nil || !errors.Is(err, input.ErrBad) {
				t.Errorf("ParseAddr(%q) = %q, %d, %v; want bad input", tc.in, addr, limit, err)
			}
			continue
		}
		if err != nil || addr != tc.addr || limit != tc.limit {
			t.Errorf("ParseAddr(%q) = %q, %d, %v; want %q, %d", tc.in, addr, limit, err, tc.addr, tc.limit)
		}
	}
}
