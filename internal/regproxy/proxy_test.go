package regproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/input"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is a real in-process registry that counts the requests
// reaching it and times the request bodies it receives.
type testRegistry struct {
	addr     string
	requests atomic.Int64

	mu          sync.Mutex
	first, last time.Time // first and last request body bytes received
	received    int64     // request body bytes received
}

// uploadWindow returns the request body bytes the registry received and
// the time from the first to the last of them: the link as it saw it,
// without the client's setup before or the registry's digest check after.
func (r *testRegistry) uploadWindow() (int64, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.received, r.last.Sub(r.first)
}

// resetWindow forgets the request bodies received so far.
func (r *testRegistry) resetWindow() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.first, r.last, r.received = time.Time{}, time.Time{}, 0
}

type timedBody struct {
	io.ReadCloser
	r *testRegistry
}

func (b timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		now := time.Now()
		b.r.mu.Lock()
		if b.r.first.IsZero() {
			b.r.first = now
		}
		b.r.last = now
		b.r.received += int64(n)
		b.r.mu.Unlock()
	}
	return n, err
}

// newRegistry starts go-containerregistry's registry, answering upload
// Locations as absolute URLs naming the Host it was addressed by, as
// distribution does, so that a proxy which failed to rewrite them would
// send clients around it (and the request counts would disagree).
func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if req.Body != nil {
			req.Body = timedBody{req.Body, r}
		}
		reg.ServeHTTP(absoluteLocation{w, req.Host}, req)
	}))
	t.Cleanup(srv.Close)
	r.addr = strings.TrimPrefix(srv.URL, "http://")
	return r
}

type absoluteLocation struct {
	http.ResponseWriter
	host string
}

func (w absoluteLocation) WriteHeader(code int) {
	if loc := w.Header().Get("Location"); strings.HasPrefix(loc, "/") {
		w.Header().Set("Location", "http://"+w.host+loc)
	}
	w.ResponseWriter.WriteHeader(code)
}

func startProxy(t *testing.T, upstream string, s Settings) (*Proxy, string) {
	t.Helper()
	p, err := New(upstream, s)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := p.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, addr
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPushPullThroughProxy(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	p, addr := startProxy(t, reg.addr, Settings{})

	img, err := random.Image(256<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(addr+"/test/img:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatalf("pushing through the proxy: %v", err)
	}
	got, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("pulling through the proxy: %v", err)
	}
	want, _ := img.Digest()
	if d, _ := got.Digest(); d != want {
		t.Errorf("pulled digest %v, pushed %v", d, want)
	}
	// Read every layer back and compare it with what was pushed.
	pushedLayers, _ := img.Layers()
	pulledLayers, err := got.Layers()
	if err != nil || len(pulledLayers) != len(pushedLayers) {
		t.Fatalf("pulled %d layers, %v; pushed %d", len(pulledLayers), err, len(pushedLayers))
	}
	for i, l := range pulledLayers {
		if !bytes.Equal(readAll(t, l), readAll(t, pushedLayers[i])) {
			t.Errorf("layer %d pulled differs from the one pushed", i)
		}
	}
	desc, err := remote.Head(ref, remote.WithContext(ctx))
	if err != nil || desc.Digest != want {
		t.Errorf("HEAD through the proxy: %v, %v; want digest %v", desc, err, want)
	}

	// A range request on a blob.
	layers, _ := img.Layers()
	blob := readAll(t, layers[0])
	ld, _ := layers[0].Digest()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/test/img/blobs/"+ld.String(), nil)
	req.Header.Set("Range", "bytes=10-99")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, blob[10:100]) {
		t.Errorf("range request: status %d, %d bytes, want 206 and blob[10:100]", resp.StatusCode, len(part))
	}

	st := p.Stats()
	if n := reg.requests.Load(); st.Requests != n {
		t.Errorf("proxy saw %d requests, registry %d: some went around the proxy", st.Requests, n)
	}
	var size int64
	for _, l := range layers {
		s, _ := l.Size()
		size += s
	}
	if st.BytesUp < size || st.BytesDown < size {
		t.Errorf("bytes up %d, down %d; want both at least the %d bytes of layers", st.BytesUp, st.BytesDown, size)
	}
	if st.Errors != 0 || st.Drops != 0 || st.UpstreamErrors != 0 {
		t.Errorf("stats %+v: want no faults", st)
	}
	t.Logf("stats: %+v", st)
}

func TestLatency(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	const latency = 20 * time.Millisecond
	p, addr := startProxy(t, reg.addr, Settings{Latency: latency})

	img, _ := random.Image(1024, 2)
	ref, _ := name.ParseReference(addr+"/test/img:1", name.Insecure)
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatalf("pushing through the proxy: %v", err)
	}
	pushed := p.Stats().Requests
	if pushed == 0 || pushed != reg.requests.Load() {
		t.Errorf("proxy counted %d requests, registry saw %d", pushed, reg.requests.Load())
	}

	// Sequential requests each wait out the latency.
	start := time.Now()
	for range 5 {
		if _, err := remote.Head(ref, remote.WithContext(ctx)); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	n := p.Stats().Requests - pushed
	if n < 5 || elapsed < time.Duration(n)*latency {
		t.Errorf("%d sequential requests took %v; want at least %v", n, elapsed, time.Duration(n)*latency)
	}
	t.Logf("%d requests to push, %d sequential requests in %v at latency %v", pushed, n, elapsed, latency)
}

func TestRewriteHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("Location", "http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=1")
	h.Set("Content-Location", "https://127.0.0.1:5000/v2/a")
	h.Add("Link", `<http://127.0.0.1:5000/v2/_catalog?n=2&last=b>; rel="next"`)
	h.Add("Link", `</v2/_catalog?n=2&last=c>; rel="next", <http://storage:9000/x>; rel="other"`)
	rewriteHeaders(h, "127.0.0.1:5000", "127.0.0.1:6000")
	want := http.Header{
		"Location":         {"http://127.0.0.1:6000/v2/a/blobs/uploads/x?_state=1"},
		"Content-Location": {"https://127.0.0.1:5000/v2/a"}, // not plain HTTP: not ours
		"Link": {
			`<http://127.0.0.1:6000/v2/_catalog?n=2&last=b>; rel="next"`,
			`</v2/_catalog?n=2&last=c>; rel="next", <http://storage:9000/x>; rel="other"`,
		},
	}
	for k, v := range want {
		if got := h.Values(k); fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// Bandwidth.

const testCap = 4 << 20 // 4 MiB/s

func randomBlob(t *testing.T, n int, seed uint64) v1.Layer {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	l := static.NewLayer(b, types.OCILayer)
	if _, err := l.Digest(); err != nil { // hash now, not while timing
		t.Fatal(err)
	}
	return l
}

func readAll(t *testing.T, l v1.Layer) []byte {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pushDirect puts blobs in the registry without the proxy.
func pushDirect(t *testing.T, ctx context.Context, reg *testRegistry, repo string, layers ...v1.Layer) {
	t.Helper()
	r, err := name.NewRepository(reg.addr+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		if err := remote.WriteLayer(r, l, remote.WithContext(ctx)); err != nil {
			t.Fatal(err)
		}
	}
}

// transfer is one download as its client saw it.
type transfer struct {
	n             int64     // body bytes
	headers, last time.Time // response headers, and the last body byte, received
}

// download GETs a blob through the proxy and checks its digest.
func download(ctx context.Context, addr, repo string, l v1.Layer) (transfer, error) {
	var tr transfer
	d, _ := l.Digest()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/"+repo+"/blobs/"+d.String(), nil)
	if err != nil {
		return tr, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return tr, err
	}
	defer resp.Body.Close()
	tr.headers = time.Now()
	if resp.StatusCode != http.StatusOK {
		return tr, fmt.Errorf("GET %s: %s", d, resp.Status)
	}
	h := sha256.New()
	tr.n, err = io.Copy(h, resp.Body)
	tr.last = time.Now()
	if err != nil {
		return tr, err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != d.String() {
		return tr, fmt.Errorf("GET %s: got digest %s", d, got)
	}
	return tr, nil
}

// checkRate asserts that n bytes in elapsed ran at the cap within 10%,
// after taking off what a full bucket lets through at once.
func checkRate(t *testing.T, what string, n int64, elapsed time.Duration, limit int64) {
	t.Helper()
	_, burst := budget(limit)
	got := float64(n-int64(burst)) / elapsed.Seconds()
	dev := got/float64(limit) - 1
	t.Logf("%s: %d bytes in %v: %.0f B/s, %+.1f%% off the cap of %s", what, n, elapsed.Round(time.Millisecond), got, 100*dev, input.FormatBandwidth(limit))
	if math.Abs(dev) > 0.10 {
		t.Errorf("%s: %.0f B/s, more than 10%% off the cap of %d B/s", what, got, limit)
	}
}

func TestBandwidthUpload(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	p, addr := startProxy(t, reg.addr, Settings{BandwidthBytesPerSec: testCap})
	layer := randomBlob(t, 6<<20, 1)
	repo, _ := name.NewRepository(addr+"/test/up", name.Insecure)

	start := time.Now()
	if err := remote.WriteLayer(repo, layer, remote.WithContext(ctx)); err != nil {
		t.Fatalf("uploading through the proxy: %v", err)
	}
	elapsed := time.Since(start)
	n, window := reg.uploadWindow()
	t.Logf("the whole push took %v", elapsed.Round(time.Millisecond))
	checkRate(t, "one 6 MiB upload, as the registry received it", n, window, testCap)
	if up := p.Stats().BytesUp; up != n {
		t.Errorf("stats count %d bytes up, the registry received %d", up, n)
	}
}

func TestBandwidthSharedByConnections(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	layers := make([]v1.Layer, 4)
	for i := range layers {
		layers[i] = randomBlob(t, 3<<19, uint64(10+i)) // 1.5 MiB each, 6 MiB in all
	}
	pushDirect(t, ctx, reg, "test/down", layers...)
	p, addr := startProxy(t, reg.addr, Settings{BandwidthBytesPerSec: testCap})

	var (
		wg   sync.WaitGroup
		trs  = make([]transfer, len(layers))
		errs = make([]error, len(layers))
	)
	start := time.Now()
	for i, l := range layers {
		wg.Go(func() { trs[i], errs[i] = download(ctx, addr, "test/down", l) })
	}
	wg.Wait()
	var (
		total       int64
		first, last = trs[0].headers, trs[0].last
		ends        []time.Duration
	)
	for i, tr := range trs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		total += tr.n
		if tr.headers.Before(first) {
			first = tr.headers
		}
		if tr.last.After(last) {
			last = tr.last
		}
		ends = append(ends, tr.last.Sub(start).Round(time.Millisecond))
	}
	t.Logf("the downloads ended after %v", ends)
	checkRate(t, "4 concurrent 1.5 MiB downloads together", total, last.Sub(first), testCap)
	if st := p.Stats(); st.BytesDown != total {
		t.Errorf("stats count %d bytes down, clients read %d", st.BytesDown, total)
	}
}

// Uploads and downloads have a budget each: running together, both go at
// the cap.
func TestBandwidthDirectionsSeparate(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	down := randomBlob(t, 3<<20, 20)
	pushDirect(t, ctx, reg, "test/both", down)
	_, addr := startProxy(t, reg.addr, Settings{BandwidthBytesPerSec: testCap})
	up := randomBlob(t, 3<<20, 21)
	repo, _ := name.NewRepository(addr+"/test/both", name.Insecure)

	reg.resetWindow() // forget the direct push

	start := time.Now()
	var (
		wg             sync.WaitGroup
		upErr, downErr error
		tr             transfer
	)
	wg.Go(func() { upErr = remote.WriteLayer(repo, up, remote.WithContext(ctx)) })
	wg.Go(func() { tr, downErr = download(ctx, addr, "test/both", down) })
	wg.Wait()
	if upErr != nil || downErr != nil {
		t.Fatalf("upload: %v; download: %v", upErr, downErr)
	}
	n, window := reg.uploadWindow()
	checkRate(t, "3 MiB upload alongside a download", n, window, testCap)
	checkRate(t, "3 MiB download alongside an upload", tr.n, tr.last.Sub(tr.headers), testCap)
	// Were the two sharing one budget, 6 MiB at 4 MiB/s would take 1.5 s.
	if elapsed := time.Since(start); elapsed > 1200*time.Millisecond {
		t.Errorf("3 MiB each way took %v; want about 0.75 s", elapsed)
	}
}

// Faults.

// outcome makes one HEAD request through the proxy and names its outcome:
// the status code, or "drop" when the connection died without a response.
func outcome(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return "drop", nil
	}
	resp.Body.Close()
	return fmt.Sprint(resp.StatusCode), nil
}

// outcomes makes n sequential HEAD requests through the proxy on fresh
// connections, so that no client retries a dropped one behind our back.
func outcomes(t *testing.T, ctx context.Context, addr string, n int) []string {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	out := make([]string, n)
	for i := range out {
		var err error
		if out[i], err = outcome(ctx, c, "http://"+addr+"/v2/"); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func count(out []string) map[string]int {
	m := map[string]int{}
	for _, o := range out {
		m[o]++
	}
	return m
}

func TestErrorRate(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	p, addr := startProxy(t, reg.addr, Settings{ErrorRate: 0.2, Seed: 1})

	// Keep-alive connections: an error is an answer, not a failure to retry.
	c := &http.Client{Transport: &http.Transport{}}
	const n = 500
	out := make([]string, n)
	for i := range out {
		var err error
		if out[i], err = outcome(ctx, c, "http://"+addr+"/v2/"); err != nil {
			t.Fatal(err)
		}
	}
	m := count(out)
	injected := m["429"] + m["503"]
	frac := float64(injected) / n
	t.Logf("error rate 0.2 over %d HEADs: %v, fraction %.3f", n, m, frac)
	if math.Abs(frac-0.2) > 0.06 { // 3.4 standard deviations of a binomial(500, 0.2)
		t.Errorf("%d of %d requests answered 429 or 503 (%.3f); want 0.2±0.06", injected, n, frac)
	}
	if m["200"] != n-injected {
		t.Errorf("outcomes %v: want only 200, 429 and 503", m)
	}
	if half := float64(m["429"]) / float64(injected); half < 0.35 || half > 0.65 {
		t.Errorf("%d of %d errors were 429; want about half", m["429"], injected)
	}
	st := p.Stats()
	if st.Errors != int64(injected) || st.Requests != n {
		t.Errorf("stats %+v: want %d requests, %d errors", st, n, injected)
	}
	if fwd := reg.requests.Load(); fwd != int64(n-injected) {
		t.Errorf("registry saw %d requests, want the %d not answered by the proxy", fwd, n-injected)
	}
}

func TestErrorStatusFixed(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	_, addr := startProxy(t, reg.addr, Settings{ErrorRate: 0.5, ErrorStatus: 503, Seed: 2})
	m := count(outcomes(t, ctx, addr, 40))
	if m["429"] != 0 || m["503"] == 0 || m["503"]+m["200"] != 40 {
		t.Errorf("error status 503: outcomes %v", m)
	}
}

func TestDropRate(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	p, addr := startProxy(t, reg.addr, Settings{DropRate: 0.1, Seed: 3})
	const n = 500
	m := count(outcomes(t, ctx, addr, n))
	frac := float64(m["drop"]) / n
	t.Logf("drop rate 0.1 over %d HEADs: %v, fraction %.3f", n, m, frac)
	if math.Abs(frac-0.1) > 0.06 {
		t.Errorf("%d of %d requests failed (%.3f); want 0.1±0.06", m["drop"], n, frac)
	}
	if m["200"] != n-m["drop"] {
		t.Errorf("outcomes %v: want only 200 and drops", m)
	}
	if st := p.Stats(); st.Drops != int64(m["drop"]) {
		t.Errorf("stats count %d drops, clients saw %d", st.Drops, m["drop"])
	}
	if fwd := reg.requests.Load(); fwd != int64(n-m["drop"]) {
		t.Errorf("registry saw %d requests, want the %d not dropped", fwd, n-m["drop"])
	}
}

func TestSeedReproducible(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	run := func(seed int64) string {
		p, addr := startProxy(t, reg.addr, Settings{ErrorRate: 0.3, DropRate: 0.1, Seed: seed})
		defer p.Close()
		return strings.Join(outcomes(t, ctx, addr, 60), " ")
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("seed 7 twice gave different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same faults: %s", a)
	}
}

// Closing the proxy ends a transfer held back by the bandwidth cap.
func TestCloseEndsThrottledTransfer(t *testing.T) {
	ctx := testContext(t)
	reg := newRegistry(t)
	l := randomBlob(t, 1<<20, 30)
	pushDirect(t, ctx, reg, "test/slow", l)
	p, addr := startProxy(t, reg.addr, Settings{BandwidthBytesPerSec: 64 << 10}) // 16 s for 1 MiB
	d, _ := l.Digest()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/test/slow/blobs/"+d.String(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil {
		t.Errorf("read the rest (%d bytes) after Close without an error", n)
	}
	if e := time.Since(start); e > 5*time.Second {
		t.Errorf("transfer ended %v after Close", e)
	}
}
