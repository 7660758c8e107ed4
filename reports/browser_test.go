package reports

// A look at report.html in a real browser (make test-long): headless
// Chromium opens the file from disk, and the test checks that the page logs
// no errors, fetches nothing but itself, and lays out every chart with a
// size. It saves a screenshot for a human to look at.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/buildtune/buildtune/internal/testenv"
)

// browserNames are the headless browsers the test looks for on PATH, after
// $BUILDTUNE_BROWSER. Debian's chromium-headless-shell installs
// /usr/bin/chromium-headless-shell.
var browserNames = []string{"chromium-headless-shell", "chromium", "chromium-browser", "headless_shell", "google-chrome"}

// ScreenshotCopy is where the test also copies the screenshot.
const screenshotCopy = "/tmp/report-screenshot.png"

func findBrowser() string {
	if b := os.Getenv("BUILDTUNE_BROWSER"); b != "" {
		return b
	}
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

func TestReportInBrowser(t *testing.T) {
	if !testenv.Long() {
		t.Skip("long: set BUILDTUNE_LONG=1 (make test-long)")
	}
	bin := findBrowser()
	if bin == "" {
		t.Skipf("no headless browser: install Debian's chromium-headless-shell (apt-get install chromium-headless-shell), or set BUILDTUNE_BROWSER; looked for %s on PATH", strings.Join(browserNames, ", "))
	}
	dir := t.TempDir()
	if _, err := Write(dir, sampleData()); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(dir, "report.html")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var (
		mu       sync.Mutex
		problems []string
		requests []string
	)
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			switch ev.Type {
			case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console."+string(ev.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log "+string(ev.Entry.Level)+": "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		}
	})
	if err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	type box struct {
		Label  string  `json:"label"`
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("%s opening %s: %v", bin, page, err)
	}
	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]box](`Array.from(document.querySelectorAll("svg")).map(s => {
		const r = s.getBoundingClientRect();
		return {label: s.getAttribute("aria-label") || "", width: r.width, height: r.height};
	})`))
	if err != nil {
		t.Fatalf("measuring the charts: %v", err)
	}
	figures, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("figure").length`))
	if err != nil {
		t.Fatalf("counting figures: %v", err)
	}
	// Tables scroll sideways when they are wider than the page; at a
	// 1280-px window none should have to.
	clipped, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table"))
		.filter(t => t.scrollWidth > t.clientWidth + 1)
		.map(t => t.querySelector("th") ? Array.from(t.querySelectorAll("th")).map(h => h.textContent).join("|") : "table")`))
	if err != nil {
		t.Fatalf("measuring the tables: %v", err)
	}
	for _, c := range clipped {
		t.Errorf("table %q is wider than the page at 1280 px: its right end is hidden behind a scroll bar", c)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// Let late events (a deferred console message) arrive.
	time.Sleep(200 * time.Millisecond)

	out := filepath.Join(t.TempDir(), "report-screenshot.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(screenshotCopy, shot, 0o644); err != nil {
		t.Logf("copying the screenshot to %s: %v", screenshotCopy, err)
	}
	t.Logf("screenshot of %s (%d KiB): %s, copied to %s", page, len(shot)>>10, out, screenshotCopy)

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser: %s", p)
	}
	for _, u := range requests {
		if u != page {
			t.Errorf("the report fetched %s; want no request but the page itself (%s)", u, page)
		}
	}
	if len(boxes) == 0 || len(boxes) != figures {
		t.Errorf("%d <svg> charts in %d figures; want one chart per figure and at least one", len(boxes), figures)
	}
	for _, b := range boxes {
		if !(b.Width > 0 && b.Height > 0) {
			t.Errorf("chart %q laid out at %.0fx%.0f px; want a non-zero width and height", b.Label, b.Width, b.Height)
		}
	}
}
