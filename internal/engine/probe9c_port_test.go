package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/engine"
)

// TestProbe9cTCPPort: a tcp:// address whose port no daemon can listen
// on (0, above 65535) passed ValidateAddr, was dialled, and its failure
// was taken for a daemon that does not answer (exit 3). It is an
// *AddrError naming the port, before any connection.
func TestProbe9cTCPPort(t *testing.T) {
	for _, addr := range []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:65536", "tcp://127.0.0.1:99999", "tcp://[::1]:123456"} {
		err := engine.ValidateAddr(addr, engine.DialOptions{})
		var ae *engine.AddrError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "port") {
			t.Errorf("ValidateAddr(%q) = %v; want an *AddrError naming the port", addr, err)
		}
	}
	for _, addr := range []string{"tcp://127.0.0.1:1", "tcp://127.0.0.1:65535", "tcp://[::1]:1234", "tcp://:1234", "tcp://buildkitd.example:1234"} {
		if err := engine.ValidateAddr(addr, engine.DialOptions{}); err != nil {
			t.Errorf("ValidateAddr(%q) = %v; want it accepted", addr, err)
		}
	}
}
