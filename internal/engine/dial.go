package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/connhelper"

	// BuildKit's connection helpers, registered as in buildctl, so that
	// docker-container://, kube-pod://, nerdctl-container://,
	// podman-container:// and ssh:// addresses resolve.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/nerdctlcontainer"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
)

// DialOptions are the TLS settings of a connection to buildkitd, with the
// meaning of buildctl's flags of the same names. All empty = no TLS.
type DialOptions struct {
	// CACert is the CA certificate that signed the daemon's certificate
	// (--tlscacert). It is required when any TLS option is given.
	CACert string
	// Cert and Key are the client certificate and its key (--tlscert,
	// --tlskey), for a daemon that verifies its clients; both or neither.
	Cert, Key string
	// ServerName is the name checked against the daemon's certificate
	// (--tlsservername); "" = the host of the address.
	ServerName string
}

// TLS reports whether any TLS option is set.
func (o DialOptions) TLS() bool {
	return o.CACert != "" || o.Cert != "" || o.Key != "" || o.ServerName != ""
}

// helperSchemes are served by BuildKit's connection helpers.
var helperSchemes = []string{"docker-container", "kube-pod", "nerdctl-container", "podman-container", "ssh"}

// Schemes are the address schemes DialWith accepts, as in buildctl
// (npipe, Windows only, is left out).
var Schemes = append([]string{"unix", "tcp"}, helperSchemes...)

// AddrError is bad connection input found before any connection is made:
// an address that cannot be used, or a TLS option that is wrong. Callers
// treat it as bad input, not as an unreachable daemon.
type AddrError struct {
	// Addr is the daemon address as given.
	Addr string
	// Flag names the TLS option at fault ("--tlscert"); "" = the address.
	Flag string
	// Err says what is wrong; its text names Flag and the file, if any.
	Err error
}

func (e *AddrError) Error() string {
	return fmt.Sprintf("buildkit address %q: %v", e.Addr, e.Err)
}

func (e *AddrError) Unwrap() error { return e.Err }

// ValidateAddr checks addr and o without connecting: the scheme must be
// one of Schemes and the address well formed, TLS options need a tcp://
// address and --tlscacert, --tlscert and --tlskey come as a pair, and
// every TLS file must exist and load (the CA as PEM, the certificate with
// its key). Any problem is an *AddrError.
func ValidateAddr(addr string, o DialOptions) error {
	bad := func(flag string, err error) error { return &AddrError{Addr: addr, Flag: flag, Err: err} }
	if addr == "" {
		return bad("", errors.New("is empty"))
	}
	u, err := url.Parse(addr)
	if err != nil {
		return bad("", fmt.Errorf("parsing it: %w", err))
	}
	switch u.Scheme {
	case "unix":
		if u.Path == "" && u.Opaque == "" {
			return bad("", errors.New("has no socket path (want unix:///path/buildkitd.sock)"))
		}
		// A path that exists but is no socket (a folder, a regular file,
		// a typo naming the daemon's state folder) never answers: bad
		// input, not a daemon that is down. A path that does not exist
		// may be a daemon not started yet, and is left to the dial.
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket == 0 {
			what := "a regular file"
			if fi.IsDir() {
				what = "a folder"
			}
			return bad("", fmt.Errorf("%s is %s, not a socket (want unix:///path/buildkitd.sock)", p, what))
		}
	case "tcp":
		_, port, err := net.SplitHostPort(u.Host)
		if err != nil || port == "" {
			return bad("", errors.New("has no host:port (want tcp://host:port)"))
		}
		// A port that no daemon can listen on (0, 99999, a name) was
		// dialled, and its failure taken for a daemon that is down
		// (exit 3).
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("", fmt.Errorf("port %q: want tcp://host:port with a port from 1 to 65535", port))
		}

	default:
		if !isHelperScheme(u.Scheme) {
			return bad("", fmt.Errorf("unknown scheme %q; accepted: %s", u.Scheme, strings.Join(Schemes, ", ")))
		}
		// The helpers parse the address without connecting.
		if _, err := connhelper.GetConnectionHelper(addr); err != nil {
			return bad("", err)
		}
	}
	if !o.TLS() {
		return nil
	}
	if u.Scheme != "tcp" {
		return bad("", fmt.Errorf("TLS options need a tcp:// address, not %s://", u.Scheme))
	}
	if o.CACert == "" {
		return bad("--tlscacert", errors.New("--tlscacert is required with the other TLS options"))
	}
	if (o.Cert == "") != (o.Key == "") {
		return bad("--tlscert", errors.New("--tlscert and --tlskey must be given together"))
	}
	for _, f := range []struct{ flag, path string }{{"--tlscacert", o.CACert}, {"--tlscert", o.Cert}, {"--tlskey", o.Key}} {
		if f.path == "" {
			continue
		}
		st, err := os.Stat(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return bad(f.flag, fmt.Errorf("%s file %s does not exist", f.flag, f.path))
		case err != nil:
			return bad(f.flag, fmt.Errorf("%s file: %w", f.flag, err))
		case st.IsDir():
			return bad(f.flag, fmt.Errorf("%s %s is a folder, not a file", f.flag, f.path))
		}
	}
	// Load them as BuildKit's client will, so that a damaged or mismatched
	// file is bad input rather than a connection failure.
	ca, err := os.ReadFile(o.CACert)
	if err != nil {
		return bad("--tlscacert", fmt.Errorf("--tlscacert file: %w", err))
	}
	if !x509.NewCertPool().AppendCertsFromPEM(ca) {
		return bad("--tlscacert", fmt.Errorf("--tlscacert %s holds no PEM certificate", o.CACert))
	}
	if o.Cert != "" {
		if _, err := tls.LoadX509KeyPair(o.Cert, o.Key); err != nil {
			return bad("--tlscert", fmt.Errorf("loading --tlscert %s with --tlskey %s: %w", o.Cert, o.Key, err))
		}
	}
	return nil
}

func isHelperScheme(s string) bool {
	for _, h := range helperSchemes {
		if s == h {
			return true
		}
	}
	return false
}

// DialWith connects to the buildkitd at addr with the TLS options o and
// checks that it answers by listing its workers, like Dial. Bad input is
// an *AddrError, found before any connection; an unreachable or refusing
// daemon is an infra *BuildError naming addr, within DialTimeout.
func DialWith(ctx context.Context, addr string, o DialOptions) (*BuildKit, error) {
	if err := ValidateAddr(addr, o); err != nil {
		return nil, err
	}
	var opts []client.ClientOpt
	if o.TLS() {
		serverName := o.ServerName
		if serverName == "" {
			u, _ := url.Parse(addr) // checked by ValidateAddr
			serverName = u.Hostname()
		}
		opts = append(opts, client.WithServerConfig(serverName, o.CACert))
		if o.Cert != "" {
			opts = append(opts, client.WithCredentials(o.Cert, o.Key))
		}
	}
	c, err := client.New(ctx, addr, opts...)
	if err != nil {
		return nil, &BuildError{Class: ErrInfra, Err: fmt.Errorf("connecting to buildkitd at %s: %w", addr, err)}
	}
	b := &BuildKit{addr: addr, c: c}
	if err := b.Ping(ctx, DialTimeout); err != nil {
		c.Close()
		if aerr := tlsMismatch(addr, err, o); aerr != nil {
			return nil, aerr
		}
		return nil, withTLSHint(err, o)
	}
	return b, nil
}

// tlsMismatch is the *AddrError (bad input) for a first call that failed
// because the TLS options do not fit the daemon, which no retry mends: its
// certificate is not signed by --tlscacert or not issued for the name
// checked (--tlsservername, else the address's host), or it speaks no TLS
// at all. nil for any other failure.
func tlsMismatch(addr string, err error, o DialOptions) error {
	if !o.TLS() {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return &AddrError{Addr: addr, Flag: "--tlscacert", Err: fmt.Errorf("the daemon does not speak TLS; drop --tlscacert, --tlscert, --tlskey and --tlsservername for it (%v)", err)}
	case strings.Contains(msg, "x509: certificate signed by unknown authority") || strings.Contains(msg, "x509: certificate is not trusted"):
		return &AddrError{Addr: addr, Flag: "--tlscacert", Err: fmt.Errorf("the daemon's certificate is not signed by --tlscacert %s (%v)", o.CACert, err)}
	case strings.Contains(msg, "x509: certificate is valid for") || strings.Contains(msg, "x509: cannot validate certificate for"):
		name := o.ServerName
		flag := "--tlsservername"
		if name == "" {
			u, _ := url.Parse(addr)
			name, flag = u.Hostname(), "--tlsservername (default: the address's host)"
		}
		return &AddrError{Addr: addr, Flag: "--tlsservername", Err: fmt.Errorf("the daemon's certificate is not issued for %q, the name %s checks (%v)", name, flag, err)}
	}
	return nil
}

// withTLSHint adds to a failed first call the likely reason when the
// daemon closed the connection during or right after the TLS handshake:
// with TLS 1.3 a refused client certificate shows on the client only as
// "remote error: tls: certificate required", a broken pipe or an EOF.
func withTLSHint(err error, o DialOptions) error {
	var be *BuildError
	if !errors.As(err, &be) {
		return err
	}
	msg := err.Error()
	closed := false
	for _, s := range []string{"remote error: tls", "broken pipe", "connection reset", "EOF"} {
		if strings.Contains(msg, s) {
			closed = true
		}
	}
	switch {
	case !closed:
		return err
	case o.CACert != "" && o.Cert == "":
		return &BuildError{ID: be.ID, Class: be.Class, Err: fmt.Errorf("%w (the daemon may require a client certificate: --tlscert, --tlskey)", be.Err)}
	case o.CACert != "":
		return &BuildError{ID: be.ID, Class: be.Class, Err: fmt.Errorf("%w (the daemon may have refused the client certificate %s: is it signed by the daemon's --tlscacert?)", be.Err, o.Cert)}
	default:
		return &BuildError{ID: be.ID, Class: be.Class, Err: fmt.Errorf("%w (the daemon may require TLS: --tlscacert, --tlscert, --tlskey)", be.Err)}
	}
}
