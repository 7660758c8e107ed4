package fleet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep/record"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// promptly bounds what must end at once (a canceled or timed-out check):
// far above the milliseconds it takes, far below the seconds of the
// waits it must not sit through.
const promptly = 2 * time.Second

// noRetry makes a check ask once: a 5xx is not asked again after
// go-containerregistry's 1s and 3s waits.
var noRetry = remote.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Steps: 1})

// regServer is a registry on loopback: GET /v2/ answers 200 (unless
// manifest answers it: ping true), every request for a manifest goes to
// manifest. It returns the registry's host:port. When the test ends, the
// context of every request still running ends (a handler that hangs
// returns), then the server closes.
func regServer(t *testing.T, ping bool, manifest http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" && !ping {
			w.WriteHeader(http.StatusOK)
			return
		}
		manifest(w, r)
	}))
	base, stop := context.WithCancel(context.Background())
	srv.Config.BaseContext = func(net.Listener) context.Context { return base }
	srv.Start()
	t.Cleanup(func() {
		stop()
		srv.Close()
	})
	return strings.TrimPrefix(srv.URL, "http://")
}

// answer answers every request with status.
func answer(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }
}

// present answers a manifest HEAD as a registry holding it.
func present(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("a", 64))
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
}

// hang answers no manifest request until the client goes away or the
// test ends (regServer); each request is sent to arrived (if not nil)
// first.
func hang(arrived chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/manifests/") {
			w.WriteHeader(http.StatusOK)
			return
		}
		if arrived != nil {
			select {
			case arrived <- struct{}{}:
			default:
			}
		}
		<-r.Context().Done()
	}
}

// checkWithin runs remoteCheck under a parent context ending after
// limit, so that a check that does not end by itself shows as
// interrupted instead of hanging the test.
func checkWithin(t *testing.T, limit time.Duration, tag string, timeout time.Duration, opts ...remote.Option) (checkResult, error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	t0 := time.Now()
	res, err := remoteCheck(ctx, tag, timeout, opts)
	return res, err, time.Since(t0)
}

var resultNames = map[checkResult]string{checkAbsent: "absent", checkFound: "found", checkFailed: "failed", checkInterrupted: "interrupted"}

// TestRemoteCheckAnswers: only a registry saying "not found" to the
// manifest request means not there; any other answer is a failed check
// whose error names the tag and says what the registry said.
func TestRemoteCheckAnswers(t *testing.T) {
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedHost := strings.TrimPrefix(refused.URL, "http://")
	refused.Close() // nothing listens there any more

	for _, c := range []struct {
		name string
		ping bool // the handler answers GET /v2/ too
		h    http.HandlerFunc
		host string // instead of a server
		want checkResult
		says string // in the error of a failed check
	}{
		{name: "present", h: present, want: checkFound},
		{name: "404", h: answer(http.StatusNotFound), want: checkAbsent},
		{name: "401", h: answer(http.StatusUnauthorized), want: checkFailed, says: "401"},
		{name: "403", h: answer(http.StatusForbidden), want: checkFailed, says: "403"},
		{name: "500", h: answer(http.StatusInternalServerError), want: checkFailed, says: "500"},
		{name: "503", h: answer(http.StatusServiceUnavailable), want: checkFailed, says: "503"},
		// A host whose /v2/ is not found is no registry: that says
		// nothing about the image.
		{name: "404 on /v2/", ping: true, h: answer(http.StatusNotFound), want: checkFailed, says: "404"},
		{name: "connection refused", host: refusedHost, want: checkFailed, says: "refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			host := c.host
			if host == "" {
				host = regServer(t, c.ping, c.h)
			}
			tag := host + "/ns/img:v1"
			res, err, _ := checkWithin(t, time.Minute, tag, 0, noRetry)
			if res != c.want {
				t.Fatalf("%s: %s (%v), want %s", tag, resultNames[res], err, resultNames[c.want])
			}
			if c.want != checkFailed {
				if err != nil {
					t.Errorf("%s: error %v, want none", resultNames[res], err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tag) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want one naming %s and saying %q", err, tag, c.says)
			}
		})
	}
}

// TestNotFoundCodes: the registry error codes for "not there" mean not
// there whatever the status; other codes, and a 404 on another request
// than the manifest's, do not.
func TestNotFoundCodes(t *testing.T) {
	manifest := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v2/ns/img/manifests/v1"}}
	ping := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v2/"}}
	diag := func(code transport.ErrorCode) []transport.Diagnostic { return []transport.Diagnostic{{Code: code}} }
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&transport.Error{StatusCode: http.StatusNotFound, Request: manifest}, true},
		{&transport.Error{StatusCode: http.StatusBadRequest, Request: manifest, Errors: diag(transport.ManifestUnknownErrorCode)}, true},
		{&transport.Error{StatusCode: http.StatusBadRequest, Request: manifest, Errors: diag(transport.NameUnknownErrorCode)}, true},
		{&transport.Error{StatusCode: http.StatusBadRequest, Request: manifest, Errors: diag("NOT_FOUND")}, true},
		{&transport.Error{StatusCode: http.StatusUnauthorized, Request: manifest, Errors: diag(transport.UnauthorizedErrorCode)}, false},
		{&transport.Error{StatusCode: http.StatusNotFound, Request: ping}, false},
		{&transport.Error{StatusCode: http.StatusServiceUnavailable, Request: manifest}, false},
		{errors.New("404 not found"), false},
	} {
		if got := notFound(c.err); got != c.want {
			t.Errorf("notFound(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestRemoteCheckCredentials: RemoteOptions reach the request: a
// registry asking for basic auth refuses the anonymous check (a failed
// check, not "not there") and finds the tag with the credentials given.
func TestRemoteCheckCredentials(t *testing.T) {
	host := regServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		present(w, r)
	})
	tag := host + "/ns/img:v1"
	if res, err, _ := checkWithin(t, time.Minute, tag, 0); res != checkFailed || err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("anonymous: %s (%v), want failed with a 401", resultNames[res], err)
	}
	auth := remote.WithAuth(&authn.Basic{Username: "ci", Password: "secret"})
	if res, err, _ := checkWithin(t, time.Minute, tag, 0, auth); res != checkFound {
		t.Errorf("with credentials: %s (%v), want found", resultNames[res], err)
	}
}

// TestRemoteCheckTimeout: a registry that accepts the request and never
// answers fails the check after RemoteCheckTimeout (a failed check, not
// an interrupt); so does one answering 503 while go-containerregistry
// waits to ask again (its waits do not watch the context: the check
// must not sit through them).
func TestRemoteCheckTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	slowRetry := remote.WithRetryBackoff(remote.Backoff{Duration: time.Minute, Steps: 2})
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
		opts []remote.Option
	}{
		{"hangs", hang(nil), nil},
		{"503 then a retry wait", answer(http.StatusServiceUnavailable), []remote.Option{slowRetry}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tag := regServer(t, false, c.h) + "/ns/img:v1"
			res, err, took := checkWithin(t, 30*time.Second, tag, timeout, c.opts...)
			if res != checkFailed || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), timeout.String()) {
				t.Fatalf("%s (%v), want a failed check: no answer within %s", resultNames[res], err, timeout)
			}
			if took > promptly {
				t.Errorf("took %s, want about the %s timeout", took, timeout)
			}
		})
	}
}

// TestRemoteCheckCanceled: ctx ending during a check ends it at once, as
// interrupted (not failed), while the registry hangs or while
// go-containerregistry waits to retry a 503.
func TestRemoteCheckCanceled(t *testing.T) {
	for _, c := range []struct {
		name string
		// h answers the check; it sends to arrived once the check is
		// where it must be canceled.
		h    func(arrived chan struct{}) http.HandlerFunc
		opts func(arrived chan struct{}) []remote.Option
	}{
		{name: "hangs", h: func(arrived chan struct{}) http.HandlerFunc { return hang(arrived) }},
		{name: "503 then a retry wait",
			h: func(chan struct{}) http.HandlerFunc { return answer(http.StatusServiceUnavailable) },
			// The client's transport says when the 503 is back: the
			// library then waits a minute before asking again.
			opts: func(arrived chan struct{}) []remote.Option {
				return []remote.Option{remote.WithRetryBackoff(remote.Backoff{Duration: time.Minute, Steps: 2}),
					remote.WithTransport(roundTripFunc(func(req *http.Request) (*http.Response, error) {
						resp, err := http.DefaultTransport.RoundTrip(req)
						if err == nil && resp.StatusCode == http.StatusServiceUnavailable {
							select {
							case arrived <- struct{}{}:
							default:
							}
						}
						return resp, err
					}))}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			tag := regServer(t, false, c.h(arrived)) + "/ns/img:v1"
			var opts []remote.Option
			if c.opts != nil {
				opts = c.opts(arrived)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type result struct {
				res checkResult
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := remoteCheck(ctx, tag, time.Minute, opts)
				done <- result{res, err}
			}()
			select {
			case <-arrived:
			case <-time.After(30 * time.Second):
				t.Fatal("the check never reached the registry")
			}
			cancel()
			t0 := time.Now()
			select {
			case got := <-done:
				if got.res != checkInterrupted || !errors.Is(got.err, context.Canceled) {
					t.Errorf("%s (%v), want interrupted by the cancel", resultNames[got.res], got.err)
				}
				if took := time.Since(t0); took > promptly {
					t.Errorf("ended %s after the cancel, want at once", took)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the check did not end after ctx was canceled")
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestCheckKey: the same refusal of two tags (another tag of a
// repository, another repository) is one key; another refusal is
// another key.
func TestCheckKey(t *testing.T) {
	statuses := map[string]int{"/v2/ns/img/manifests/v1": 401, "/v2/ns/img/manifests/v2": 401, "/v2/other/manifests/v1": 401, "/v2/ns/down/manifests/v1": 503}
	host := regServer(t, false, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(statuses[r.URL.Path]) })
	key := func(tag string) string {
		t.Helper()
		res, err, _ := checkWithin(t, time.Minute, tag, 0, noRetry)
		if res != checkFailed {
			t.Fatalf("%s: %s (%v), want failed", tag, resultNames[res], err)
		}
		return checkKey(tag, err)
	}
	a, b, c, d := key(host+"/ns/img:v1"), key(host+"/ns/img:v2"), key(host+"/other:v1"), key(host+"/ns/down:v1")
	if a != b || a != c {
		t.Errorf("one refusal, keys\n%s\n%s\n%s\nwant one", a, b, c)
	}
	if a == d {
		t.Errorf("401 and 503: one key %s, want two", a)
	}
	if !strings.Contains(a, "401") || !strings.Contains(d, "503") {
		t.Errorf("keys %q and %q, want them to keep the status", a, d)
	}
}

// checkRun runs fake builds of n instances whose final tags are in the
// registry at host, checking them first, and returns the trial and the
// events said and recorded.
func checkRun(t *testing.T, ctx context.Context, n int, host string, timeout time.Duration, opts ...remote.Option) (record.Trial, error, []*record.Event, *record.Set, []*fakeDaemon) {
	t.Helper()
	w, insts := fakeWorkload(n)
	w.Registry = host
	fs, ds := fakes(1)
	path := filepath.Join(t.TempDir(), "records.jsonl")
	out, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var said []*record.Event
	tr, runErr := Run(ctx, Options{Workload: w, Instances: insts, Strategy: workload.Single,
		Cache: engine.CacheOff, Workers: 4, Daemons: ds, Attempts: 1, SkipExisting: true, Out: out,
		RemoteCheckTimeout: timeout, RemoteOptions: opts,
		OnEvent: func(ev *record.Event) { mu.Lock(); said = append(said, ev); mu.Unlock() }})
	if err := out.Write(&tr); err != nil {
		t.Fatal(err)
	}
	out.Close()
	set, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return tr, runErr, said, set, fs
}

func checkEvents(evs []*record.Event) []*record.Event {
	var out []*record.Event
	for _, e := range evs {
		if e.Type == record.EventRemoteCheck {
			out = append(out, e)
		}
	}
	return out
}

// TestRunRemoteCheckRefused: a registry refusing every check (401 for
// some tags, 503 for others) does not stop the builds: every image is
// built, every failed check counted, and each distinct refusal said once,
// as it happens and in the records.
func TestRunRemoteCheckRefused(t *testing.T) {
	var heads atomic.Int32
	host := regServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		heads.Add(1)
		// fakeWorkload's tags are x:repo-N.
		if strings.HasSuffix(r.URL.Path, "-0") || strings.HasSuffix(r.URL.Path, "-1") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	const n = 12
	tr, err, said, set, fs := checkRun(t, context.Background(), n, host, 0, noRetry)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Built != n || tr.Skipped != 0 || tr.Failed != 0 || fs[0].builds != n {
		t.Errorf("built %d (daemon %d) skipped %d failed %d, want every one of %d built", tr.Built, fs[0].builds, tr.Skipped, tr.Failed, n)
	}
	if tr.RemoteCheckErrors != n || int(heads.Load()) != n {
		t.Errorf("%d failed checks counted of %d checks, want %d", tr.RemoteCheckErrors, heads.Load(), n)
	}
	evs := checkEvents(said)
	if len(evs) != 2 {
		t.Fatalf("%d events said, want 2 (one 401, one 503): %+v", len(evs), evs)
	}
	var msgs []string
	for _, e := range evs {
		msgs = append(msgs, e.Message)
		if e.Seconds <= 0 || e.Time.IsZero() || !strings.Contains(e.Message, host+"/x:repo-") || !strings.Contains(e.Message, "building it anyway") {
			t.Errorf("event %+v: want its check's time, and the tag checked", e)
		}
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "401") || !strings.Contains(all, "503") {
		t.Errorf("events say\n%s\nwant the 401 and the 503", all)
	}
	var recorded []*record.Event
	for i := range set.Events {
		recorded = append(recorded, &set.Events[i])
	}
	if got := checkEvents(recorded); len(got) != 2 {
		t.Errorf("%d events recorded, want 2", len(got))
	}
	if len(set.Trials) != 1 || set.Trials[0].RemoteCheckErrors != n {
		t.Errorf("trial records %+v, want one counting %d failed checks", set.Trials, n)
	}
	for _, img := range set.Images {
		if img.Status != record.StatusBuilt || img.RemoteCheckSeconds <= 0 {
			t.Errorf("%s: %s with a %.3fs check, want built after its check", img.Instance, img.Status, img.RemoteCheckSeconds)
		}
	}
}

// TestRunRemoteCheckAnonymousHint: a 401 to a check without credentials
// says the check was anonymous.
func TestRunRemoteCheckAnonymousHint(t *testing.T) {
	host := regServer(t, false, answer(http.StatusUnauthorized))
	tr, err, said, _, _ := checkRun(t, context.Background(), 3, host, 0)
	if err != nil {
		t.Fatal(err)
	}
	evs := checkEvents(said)
	if tr.Built != 3 || tr.RemoteCheckErrors != 3 || len(evs) != 1 || !strings.Contains(evs[0].Message, "anonymous") {
		t.Fatalf("built %d, %d failed checks, events %+v; want 3, 3 and one saying the check was anonymous", tr.Built, tr.RemoteCheckErrors, evs)
	}
}

// TestRunRemoteCheckNotFound: tags the registry does not have are built,
// silently: no failed check, no event.
func TestRunRemoteCheckNotFound(t *testing.T) {
	host := regServer(t, false, answer(http.StatusNotFound))
	tr, err, said, _, _ := checkRun(t, context.Background(), 3, host, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Built != 3 || tr.RemoteCheckErrors != 0 || len(checkEvents(said)) != 0 {
		t.Errorf("built %d, %d failed checks, %d events; want 3, 0, 0", tr.Built, tr.RemoteCheckErrors, len(checkEvents(said)))
	}
}

// TestRunRemoteCheckHangs: a registry that never answers costs each
// image its RemoteCheckTimeout, then it is built; one event says so.
func TestRunRemoteCheckHangs(t *testing.T) {
	const timeout = 100 * time.Millisecond
	host := regServer(t, false, hang(nil))
	tr, err, said, _, _ := checkRun(t, context.Background(), 4, host, timeout)
	if err != nil {
		t.Fatal(err)
	}
	evs := checkEvents(said)
	if tr.Built != 4 || tr.RemoteCheckErrors != 4 || len(evs) != 1 || !strings.Contains(evs[0].Message, "no answer within "+timeout.String()) {
		t.Fatalf("built %d, %d failed checks, events %+v; want 4, 4 and one saying no answer within %s", tr.Built, tr.RemoteCheckErrors, evs, timeout)
	}
}

// TestRunRemoteCheckCanceled: Ctrl-C while every check hangs ends the run
// at once, interrupted: nothing built, nothing recorded as failed, no
// failed check.
func TestRunRemoteCheckCanceled(t *testing.T) {
	arrived := make(chan struct{}, 1)
	host := regServer(t, false, hang(arrived))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	t0 := time.Now()
	tr, err, said, set, fs := checkRun(t, ctx, 4, host, time.Minute)
	if took := time.Since(t0); took > promptly {
		t.Errorf("run took %s, want it to end at the cancel", took)
	}
	if !errors.Is(err, context.Canceled) || !tr.Interrupted {
		t.Errorf("run error %v interrupted %v, want canceled", err, tr.Interrupted)
	}
	if tr.Built != 0 || tr.Failed != 0 || tr.RemoteCheckErrors != 0 || fs[0].builds != 0 || len(set.Images) != 0 || len(checkEvents(said)) != 0 {
		t.Errorf("built %d failed %d, %d failed checks, %d builds, %d image records, %d events; want none",
			tr.Built, tr.Failed, tr.RemoteCheckErrors, fs[0].builds, len(set.Images), len(checkEvents(said)))
	}
}
