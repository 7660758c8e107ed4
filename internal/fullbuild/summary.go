package fullbuild

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/buildtune/buildtune/internal/manifest"
)

// summaryEvery is how often a running build rewrites its summary between
// finished images, so that a run killed while its builds are in flight
// (SIGKILL, a lost runner: no final summary) loses at most this much of
// its wall.
const summaryEvery = 10 * time.Second

// summarizer writes build-summary.json over the latest line of every
// planned instance, and keeps it up to date while the build runs: when
// building starts, after each image's manifest line, every summaryEvery
// between them, and at the end. Each write is atomic (a temporary file and
// a rename). So the summary on disk always holds the wall of the run up to
// its last write (this run's clock, from its start, set-up included),
// plus the wall of the earlier runs into the folder, read from the summary
// they left: a resume after a kill counts the killed run's time up to its
// last write, at most summaryEvery short of the kill. The wall is measured,
// not reconstructed from the manifest's timestamps, which miss the set-up
// and the time of builds a kill cut short.
type summarizer struct {
	path    string
	start   time.Time
	planned int
	inPlan  map[string]bool
	// prev is the summary of the earlier runs into the folder (nil when
	// none counts): its wall and prunes add to this run's.
	prev *manifest.Summary
	// warn receives a failed update's warning (once); nil discards it.
	warn io.Writer

	mu sync.Mutex
	// extra holds this run's settings, versions and prunes so far.
	extra manifest.SummaryExtra
	// lines are the planned instances' manifest lines so far, in file order.
	lines  []manifest.Output
	warned bool
}

// load reads the planned instances' lines from the manifest at path.
func (s *summarizer) load(path string) error {
	all, _, err := manifest.Read(path)
	if err != nil {
		return fmt.Errorf("reading manifest to summarize: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = s.lines[:0]
	for _, l := range all {
		if s.inPlan[l.Key()] {
			s.lines = append(s.lines, l)
		}
	}
	return nil
}

// add counts a line just written to the manifest.
func (s *summarizer) add(l manifest.Output) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inPlan[l.Key()] {
		s.lines = append(s.lines, l)
	}
}

// pruned counts a prune of this run as it happens.
func (s *summarizer) pruned(seconds float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra.Prunes++
	s.extra.PruneSeconds += seconds
}

// setPrunes sets this run's prunes from its totals.
func (s *summarizer) setPrunes(n int, seconds float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra.Prunes, s.extra.PruneSeconds = n, seconds
}

// setBuildkit sets BuildKit's version once the stack is connected.
func (s *summarizer) setBuildkit(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra.Versions.Buildkit = v
}

// write computes the summary now and writes it.
func (s *summarizer) write() (manifest.Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wall := time.Since(s.start)
	extra := s.extra
	if s.prev != nil {
		// A resumed build: its wall and prunes add to the earlier runs'.
		wall += time.Duration(s.prev.WallSeconds * float64(time.Second))
		extra.Prunes += s.prev.Prunes
		extra.PruneSeconds += s.prev.PruneSeconds
		if extra.Versions.Buildkit == "" {
			extra.Versions.Buildkit = s.prev.Versions.Buildkit
		}
	}
	sum := manifest.Summarize(s.lines, wall, extra)
	sum.Planned = s.planned
	if err := manifest.WriteSummary(s.path, sum); err != nil {
		return sum, fmt.Errorf("writing build summary: %w", err)
	}
	return sum, nil
}

// refresh writes the summary while the build runs. A failure does not stop
// the build (the final write says whether the summary was written); it is
// warned about once, since a kill would then lose the run's wall since
// the last update.
func (s *summarizer) refresh() {
	_, err := s.write()
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.warned && s.warn != nil {
		fmt.Fprintf(s.warn, "warning: updating the build summary: %v (a kill now would lose this run's time since the last update)\n", err)
	}
	s.warned = true
}

// every calls refresh every period until the returned stop is called; stop
// waits for a refresh under way to end.
func (s *summarizer) every(period time.Duration) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				s.refresh()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
