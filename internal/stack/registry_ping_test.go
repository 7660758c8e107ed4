package stack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPingServerError: a registry answering GET /v2/ with a server error
// (a proxy in front of a registry that is down) is unreachable, an
// infrastructure failure; 404 (not a registry) is not.
func TestPingServerError(t *testing.T) {
	for _, tc := range []struct {
		status int
		down   bool
	}{{http.StatusServiceUnavailable, true}, {http.StatusBadGateway, true}, {http.StatusNotFound, false}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tc.status) }))
		err := External(strings.TrimPrefix(srv.URL, "http://")).Ping(context.Background())
		srv.Close()
		if err == nil || errors.Is(err, ErrUnreachable) != tc.down {
			t.Errorf("GET /v2/ answered %d: %v (unreachable: %v), want unreachable %v", tc.status, err, errors.Is(err, ErrUnreachable), tc.down)
		}
	}
}
