package regproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Proxy is a reverse proxy in front of one registry that imposes Settings
// on everything passing through it. It is an http.Handler; Start serves it
// on a loopback listener of its own.
type Proxy struct {
	upstream string // host:port
	target   *url.URL
	settings Settings
	rp       *httputil.ReverseProxy
	tr       *http.Transport

	// up and down are the shared budgets of each direction; nil when the
	// bandwidth is unlimited. chunk is the most bytes passed per wait.
	up, down *rate.Limiter
	chunk    int

	rngMu sync.Mutex
	rng   *rand.Rand

	requests, bytesUp, bytesDown, errors, drops, upstreamErrors atomic.Int64

	srvMu  sync.Mutex
	srv    *http.Server
	addr   string
	closed bool
	served chan struct{}
}

// Stats are a Proxy's counters since New.
type Stats struct {
	// Requests counts every request received, faults included.
	Requests int64
	// BytesUp counts request body bytes forwarded to the registry.
	BytesUp int64
	// BytesDown counts response body bytes passed back to clients.
	BytesDown int64
	// Errors counts requests answered 429 or 503 by the proxy.
	Errors int64
	// Drops counts connections closed without a response.
	Drops int64
	// UpstreamErrors counts requests the registry could not be reached
	// for (answered 502 Bad Gateway).
	UpstreamErrors int64
}

// maxChunk is the largest amount of body passed per wait for bandwidth.
const maxChunk = 32 << 10

// budget returns, for a cap of bps bytes per second, the most bytes passed
// per wait (chunk) and the token bucket's depth (burst): 1/20 s of traffic.
// A bucket of one 32 KiB chunk would hold only 1.5 ms at 20 MiB/s, so a
// proxy goroutine scheduled late on a busy machine (BuildKit daemons
// saturating the cores) would lose its share for good and the link would
// run below its cap; 50 ms lets it catch up, while over any window the
// bytes passed stay below burst + bps×window.
func budget(bps int64) (chunk, burst int) {
	b := max(1, bps/20)
	return int(min(maxChunk, b)), int(min(b, math.MaxInt32))
}

var discardLog = log.New(io.Discard, "", 0)

// New returns a proxy for the registry at upstream (host:port, plain HTTP)
// imposing s. It does not listen until Start.
func New(upstream string, s Settings) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		return nil, fmt.Errorf("registry address %q: want host:port: %w", upstream, err)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("registry settings: %w", err)
	}
	p := &Proxy{
		upstream: upstream,
		target:   &url.URL{Scheme: "http", Host: upstream},
		settings: s,
		rng:      rand.New(rand.NewPCG(uint64(s.Seed), 0x7265_6770_726f_7879)), // "regproxy"
	}
	if bps := s.BandwidthBytesPerSec; bps > 0 {
		var burst int
		p.chunk, burst = budget(bps)
		p.up = rate.NewLimiter(rate.Limit(bps), burst)
		p.down = rate.NewLimiter(rate.Limit(bps), burst)
	}
	p.tr = &http.Transport{
		Proxy: nil, // library code reads no environment (HTTP_PROXY)
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256, // a fleet pushes in parallel
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // pass bodies through as they are
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      p.tr,
		FlushInterval:  -1, // flush every write: stream blobs, do not batch them
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
		ErrorLog:       discardLog,
	}
	return p, nil
}

// Start serves the proxy on addr ("127.0.0.1:0" if empty) and returns the
// host:port it listens on, for clients to use in place of the registry's.
func (p *Proxy) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	p.srvMu.Lock()
	defer p.srvMu.Unlock()
	switch {
	case p.closed:
		return "", errors.New("starting registry proxy: already closed")
	case p.srv != nil:
		return "", fmt.Errorf("starting registry proxy: already listening on %s", p.addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("starting registry proxy: %w", err)
	}
	p.addr = ln.Addr().String()
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          discardLog,
	}
	p.served = make(chan struct{})
	go func() {
		defer close(p.served)
		p.srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return p.addr, nil
}

// Close stops listening and closes all connections, in-flight transfers
// included. It is safe to call more than once.
func (p *Proxy) Close() error {
	p.srvMu.Lock()
	defer p.srvMu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var err error
	if p.srv != nil {
		err = p.srv.Close()
		<-p.served
	}
	p.tr.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("closing registry proxy: %w", err)
	}
	return nil
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Requests:       p.requests.Load(),
		BytesUp:        p.bytesUp.Load(),
		BytesDown:      p.bytesDown.Load(),
		Errors:         p.errors.Load(),
		Drops:          p.drops.Load(),
		UpstreamErrors: p.upstreamErrors.Load(),
	}
}

// Settings returns the conditions the proxy imposes.
func (p *Proxy) Settings() Settings { return p.settings }

// inHostKey carries the Host a client addressed the proxy by, so that
// Location headers can send it back there.
type inHostKey struct{}

// ServeHTTP imposes the settings on one request: decide its fault, wait
// out the latency, then drop it, answer it with an error, or forward it.
// Drops need a connection that can be hijacked (HTTP/1); otherwise the
// handler aborts, which also ends the exchange without a response.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	drop, status := p.decide()
	if d := p.settings.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return // the client is gone
		}
	}
	switch {
	case drop:
		p.drops.Add(1)
		dropConn(w)
	case status != 0:
		p.errors.Add(1)
		writeError(w, status)
	default:
		host := r.Host
		if host == "" {
			host = p.addr
		}
		p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), inHostKey{}, host)))
	}
}

// decide draws the fault of one request: one uniform number per request,
// split as [0, drop) drop, [drop, drop+error) error, 429 in the first half
// of the error band and 503 in the second unless the status is fixed.
func (p *Proxy) decide() (drop bool, status int) {
	s := p.settings
	if s.DropRate == 0 && s.ErrorRate == 0 {
		return false, 0
	}
	p.rngMu.Lock()
	u := p.rng.Float64()
	p.rngMu.Unlock()
	switch {
	case u < s.DropRate:
		return true, 0
	case u < s.DropRate+s.ErrorRate:
		if s.ErrorStatus != 0 {
			return false, s.ErrorStatus
		}
		if u-s.DropRate < s.ErrorRate/2 {
			return false, http.StatusTooManyRequests
		}
		return false, http.StatusServiceUnavailable
	}
	return false, 0
}

// dropConn closes the client connection abruptly: a reset, no response.
func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST rather than FIN, like a middlebox giving up
	}
	conn.Close()
}

// writeError answers with an OCI distribution error body, as a registry
// refusing the request would.
func writeError(w http.ResponseWriter, status int) {
	code := "TOOMANYREQUESTS"
	if status == http.StatusServiceUnavailable {
		code = "UNAVAILABLE"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"injected by regproxy"}]}`+"\n", code)
}

func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.target) // also sets Host to the upstream's, as a client of it would
	if pr.Out.Body != nil && pr.Out.Body != http.NoBody {
		pr.Out.Body = p.meter(pr.Out.Context(), pr.Out.Body, p.up, &p.bytesUp)
	}
}

func (p *Proxy) modifyResponse(resp *http.Response) error {
	ctx := resp.Request.Context()
	if host, _ := ctx.Value(inHostKey{}).(string); host != "" {
		rewriteHeaders(resp.Header, p.upstream, host)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols { // an upgraded body must stay a ReadWriteCloser
		resp.Body = p.meter(ctx, resp.Body, p.down, &p.bytesDown)
	}
	return nil
}

func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() == nil { // not merely the client going away
		p.upstreamErrors.Add(1)
	}
	w.WriteHeader(http.StatusBadGateway)
}

// rewriteHeaders points URLs the registry gave for itself (upload
// Locations, pagination Links) at the proxy, so clients stay behind it.
// Relative URLs, and URLs of other hosts (a redirect to blob storage), are
// left alone.
func rewriteHeaders(h http.Header, upstream, proxy string) {
	for _, key := range []string{"Location", "Content-Location"} {
		vs := h.Values(key)
		for i, v := range vs {
			vs[i] = rewriteURL(v, upstream, proxy)
		}
	}
	links := h.Values("Link")
	for i, v := range links {
		var b strings.Builder
		for {
			start := strings.IndexByte(v, '<')
			if start < 0 {
				break
			}
			end := strings.IndexByte(v[start+1:], '>')
			if end < 0 {
				break
			}
			end += start + 1
			b.WriteString(v[:start+1])
			b.WriteString(rewriteURL(v[start+1:end], upstream, proxy))
			v = v[end:]
		}
		b.WriteString(v)
		links[i] = b.String()
	}
}

func rewriteURL(v, upstream, proxy string) string {
	u, err := url.Parse(v)
	if err != nil || !strings.EqualFold(u.Host, upstream) || (u.Scheme != "http" && u.Scheme != "") {
		return v
	}
	u.Host = proxy
	return u.String()
}

// meter wraps a body to count the bytes passing and, when lim is set, to
// pass them no faster than it allows.
func (p *Proxy) meter(ctx context.Context, rc io.ReadCloser, lim *rate.Limiter, n *atomic.Int64) io.ReadCloser {
	return &meteredBody{rc: rc, ctx: ctx, lim: lim, chunk: p.chunk, n: n}
}

type meteredBody struct {
	rc    io.ReadCloser
	ctx   context.Context
	lim   *rate.Limiter
	chunk int
	n     *atomic.Int64
}

// Read reads at most one chunk, then waits for as many tokens as it got:
// tokens are spent on bytes that exist, and a short read costs little.
func (b *meteredBody) Read(buf []byte) (int, error) {
	if b.lim != nil && len(buf) > b.chunk {
		buf = buf[:b.chunk]
	}
	n, err := b.rc.Read(buf)
	if n > 0 && b.lim != nil {
		if werr := b.lim.WaitN(b.ctx, n); werr != nil {
			return 0, fmt.Errorf("waiting for bandwidth: %w", werr)
		}
	}
	b.n.Add(int64(n))
	return n, err
}

func (b *meteredBody) Close() error { return b.rc.Close() }
