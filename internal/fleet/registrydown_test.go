package fleet

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// TestRegistryDown: a failure to push the base images is the
// infrastructure's (exit 3) when the registry answered a server error or
// 429, or the connection failed; a refusal of the request (401, 404) or a
// local error is not.
func TestRegistryDown(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("pushing fixture base images: %w", err) }
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"503", wrap(&transport.Error{StatusCode: http.StatusServiceUnavailable}), true},
		{"502", wrap(&transport.Error{StatusCode: http.StatusBadGateway}), true},
		{"429", wrap(&transport.Error{StatusCode: http.StatusTooManyRequests}), true},
		{"refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), true},
		{"reset", wrap(syscall.ECONNRESET), true},
		{"401", wrap(&transport.Error{StatusCode: http.StatusUnauthorized}), false},
		{"404", wrap(&transport.Error{StatusCode: http.StatusNotFound}), false},
		{"local", wrap(errors.New("profile: layer too large")), false},
	} {
		if got := registryDown(tc.err); got != tc.want {
			t.Errorf("%s: registryDown = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRegistryRefused: a 401 or 403 on the base image pushes is the
// registry refusing the credentials (bad input, with a --docker-auth
// hint), not the registry down and not a build that failed.
func TestRegistryRefused(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("pushing fixture base images: %w", err) }
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"401", wrap(&transport.Error{StatusCode: http.StatusUnauthorized}), true},
		{"403", wrap(&transport.Error{StatusCode: http.StatusForbidden}), true},
		{"404", wrap(&transport.Error{StatusCode: http.StatusNotFound}), false},
		{"503", wrap(&transport.Error{StatusCode: http.StatusServiceUnavailable}), false},
		{"local", wrap(errors.New("profile: layer too large")), false},
	} {
		if got := registryRefused(tc.err); got != tc.want {
			t.Errorf("%s: registryRefused = %v, want %v", tc.name, got, tc.want)
		}
	}
}
