package sweep

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"time"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/sweep/record"
)

// TrialRunner runs one trial: it builds the trial's sample once with the
// trial's cell (resetting the stack first for a cold trial, keeping it for
// a warm one), writes its image records to w itself, and returns the trial
// record. Run fills the record's trial index, run id and configuration keys
// (keeping BuildKitVersion, Host, Daemons and Registry if the runner set
// them), and
// Start, End, WallSeconds and ImagesPerHour if left zero, then writes it.
//
// Failed builds are counted in the record (Failed, InfraFailed), not
// returned. An error returned is one of:
//   - the context's error, when ctx was cancelled: the trial is recorded
//     as Interrupted and the sweep stops, resumable;
//   - an infrastructure failure (fleet.IsInfra: wraps fleet.ErrInfra, or classed
//     engine.ErrInfra): recorded as Interrupted, and the sweep stops with
//     an error wrapping fleet.ErrInfra, resumable once fixed;
//   - anything else: the trial could not run as planned (a workload that
//     does not expand, a shared builder image that failed); it is recorded
//     with Error set, counts as finished, and the sweep goes on.
//
// RunTrial may call ReportImages(ctx, done, total) as images finish.
type TrialRunner interface {
	RunTrial(ctx context.Context, t Trial, w *record.Writer) (record.Trial, error)
}

// Progress receives the sweep's progress. The display lives with the
// command; implementations must be safe for concurrent use, as
// Images is called from the runner's goroutines.
type Progress interface {
	// Trial reports a trial starting (ev.Record nil) or done.
	Trial(ev TrialEvent)
	// Images reports done of total images finished in trial t.
	Images(t Trial, done, total int)
}

// TrialEvent is a trial starting or ending.
type TrialEvent struct {
	Trial Trial
	// N of Of: the trial's place among the trials planned so far (all of
	// them in a fixed sweep; up to the current round in an adaptive one).
	N, Of int
	// Record is the trial's record once it is done; nil at the start.
	Record *record.Trial
	// Elapsed is the sweep's time so far, trials of earlier runs of a
	// resumed sweep included.
	Elapsed time.Duration
	// ETA estimates the time to finish the trials planned so far: measured
	// trial times of the same cell and temp where there are any, the
	// Estimate model otherwise.
	ETA time.Duration
}

type progressKey struct{}

type imageReporter struct {
	p Progress
	t Trial
}

// ReportImages tells the sweep's progress display that done of total
// images of the running trial have finished. A TrialRunner calls it with
// the context RunTrial got; it does nothing without a display.
func ReportImages(ctx context.Context, done, total int) {
	if r, ok := ctx.Value(progressKey{}).(*imageReporter); ok && r.p != nil {
		r.p.Images(r.t, done, total)
	}
}

// Options configure Run. The command fills them from its flags.
type Options struct {
	// Grid is what to measure. When resuming, a zero Grid means "the grid
	// in run.json"; a non-zero one must equal it.
	Grid Grid
	// OutDir receives run.json and records.jsonl.
	OutDir string
	// Resume continues the sweep in OutDir: finished trials are skipped.
	Resume bool
	// Budget bounds the sweep's duration; 0 is no bound. A fixed sweep
	// whose Estimate exceeds it is refused before it starts.
	Budget time.Duration
	// Adaptive runs successive halving instead of Grid.Reps fixed reps
	// (see adaptive.go); it needs a Budget. Resuming takes it, InitialReps
	// and Alpha from run.json.
	Adaptive bool
	// InitialReps is an adaptive sweep's reps per cell in round 1
	// (DefaultInitialReps if 0).
	InitialReps int
	// Alpha is an adaptive sweep's significance level for dropping cells
	// (analyze.DefaultAlpha if 0).
	Alpha float64
	// EquivalenceMargin is the relative margin within which an adaptive
	// sweep's surviving cells count as equivalent, which ends their
	// measuring (DefaultEquivalenceMargin if 0; see equivalentSurvivors).
	EquivalenceMargin float64
	// MaxReps is the most reps an adaptive sweep gives a cell: 0 is the
	// grid's Reps (DefaultReps if that is 0), what the fixed sweep of the
	// same grid gives every cell; never fewer than InitialReps. Cells
	// neither separated nor shown equivalent by then are left as the
	// fixed sweep would leave them (see adaptive.go).
	MaxReps int
	// PerImageSeconds feeds the estimates (DefaultPerImageSeconds if 0).
	PerImageSeconds float64
	// Cores feeds the estimates (EstimateCores if 0).
	Cores int
	// Info holds the caller's part of run.json: BuildKitVersion,
	// CommandLine, Workload (and Machine, if already collected). Run fills
	// the rest.
	Info RunInfo
	// Progress, if not nil, receives progress events.
	Progress Progress
	// Log, if not nil, receives one line per trial and per decision.
	Log io.Writer
	// Warmup runs one warm-up trial of the first cell before the others,
	// recorded with temp "warmup" and left out of the statistics.
	Warmup bool
	// Now is the clock (time.Now if nil); tests set it.
	Now func() time.Time
}

// Summary is what a Run did.
type Summary struct {
	OutDir string
	RunID  string
	// Planned is the number of trials planned (up to the last round of an
	// adaptive sweep); Ran were run by this call; Resumed were already
	// finished in the records and skipped.
	Planned, Ran, Resumed int
	// FailedTrials counts trials whose runner returned an error that did
	// not stop the sweep (recorded with Error set).
	FailedTrials int
	// Elapsed is the sweep's time, earlier runs of a resumed sweep included.
	Elapsed time.Duration
	// Adaptive results: rounds run, the best cell, the cells still in the
	// running, the dropped ones with their evidence, and why it stopped.
	// With several registry bandwidths, each is halved on its own and Best
	// lists each one's best cell, joined by ", ".
	Rounds  int
	Best    string
	Kept    []string
	Dropped []analyze.Evidence
	Stop    string
}

// session is one Run.
type session struct {
	o      Options
	g      Grid
	info   RunInfo
	runner TrialRunner
	w      *record.Writer
	log    io.Writer
	sum    *Summary

	start time.Time     // of this process's part of the sweep
	prior time.Duration // wall time of trials recorded by earlier runs
	// last is the latest trial record per trial index.
	last map[int]record.Trial
	// drops are the cells with a drop event in the records.
	drops map[string]bool
	// walls are the measured trial seconds per cell name + temp.
	walls map[string][]float64
	// measured and modelled sum, over the trials that built images (the
	// warm-up included), their wall seconds and what the Estimate model
	// (trialSeconds) gave them: their ratio calibrates the model for the
	// cells not measured yet.
	measured, modelled float64
	// warmed says this process ran its warm-up trial.
	warmed bool
}

// Run runs the sweep described by opts with runner and returns what it did.
//
// A new sweep creates OutDir, refuses a folder that already holds one,
// writes OutDir/run.json, and appends records to OutDir/records.jsonl. With
// Resume it reads run.json and the records back (a torn last line is cut),
// plans the same trials, and skips every unit whose trials all have a
// finished record (not Interrupted). A unit whose cold trial finished but
// whose warm trial did not is run again whole, because the warm trial needs
// the state the cold one leaves: its trials are recorded a second time
// under the same trial index, after an Event{Type: record.EventRerun}; the latest
// record of an index supersedes the earlier ones (see Latest).
//
// Each trial record is written when RunTrial returns. When ctx is
// cancelled, the trial in flight is recorded as Interrupted and Run returns
// an error wrapping context.Canceled: the folder can be resumed. An
// infrastructure failure stops the sweep the same way with an error
// wrapping fleet.ErrInfra. The Summary is returned in every case where the sweep
// started.
func Run(ctx context.Context, opts Options, runner TrialRunner) (*Summary, error) {
	if runner == nil {
		return nil, errors.New("sweep: no trial runner")
	}
	if opts.OutDir == "" {
		return nil, errors.New("sweep: no output folder")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &session{o: opts, runner: runner, log: opts.Log, last: map[int]record.Trial{},
		drops: map[string]bool{}, walls: map[string][]float64{}}
	if s.log == nil {
		s.log = io.Discard
	}
	var err error
	if opts.Resume {
		err = s.resume()
	} else {
		err = s.create()
	}
	if err != nil {
		return nil, err
	}
	s.o.withDefaults()

	s.w, err = record.Create(filepath.Join(s.o.OutDir, RecordsFile))
	if err != nil {
		return nil, err
	}
	s.sum = &Summary{OutDir: s.o.OutDir, RunID: s.info.ID}
	s.start = s.o.Now()

	if s.o.Adaptive {
		err = s.adaptive(ctx)
	} else {
		err = s.fixed(ctx)
	}
	s.sum.Elapsed = s.elapsed()
	if cerr := s.w.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing records: %w", cerr)
	}
	return s.sum, err
}

func (o *Options) withDefaults() {
	if o.InitialReps == 0 {
		o.InitialReps = DefaultInitialReps
	}
	if o.Alpha == 0 {
		o.Alpha = analyze.DefaultAlpha
	}
	if o.EquivalenceMargin == 0 {
		o.EquivalenceMargin = DefaultEquivalenceMargin
	}
	if o.PerImageSeconds == 0 {
		o.PerImageSeconds = DefaultPerImageSeconds
	}
	if o.Cores == 0 {
		o.Cores = EstimateCores
	}
}

// create starts a new sweep: checks, run.json.
func (s *session) create() error {
	dir := s.o.OutDir
	if err := CheckNewOutDir(dir); err != nil {
		return err
	}
	s.g = s.o.Grid
	if s.o.Adaptive {
		// Reps are the adaptive rounds' business; validate the rest.
		s.g.Reps = max(s.g.Reps, 1)
	}
	if err := s.g.Validate(); err != nil {
		return err
	}
	s.o.withDefaults()
	if s.o.Adaptive {
		if s.o.InitialReps < 1 {
			return fmt.Errorf("adaptive sweep: initial reps %d, want 1 or more", s.o.InitialReps)
		}
		if s.o.MaxReps < 0 {
			return fmt.Errorf("adaptive sweep: max reps %d, want 1 or more (0: the grid's reps)", s.o.MaxReps)
		}
		s.o.MaxReps = max(cmp.Or(s.o.MaxReps, s.o.Grid.Reps, DefaultReps), s.o.InitialReps)
		if s.o.Budget <= 0 {
			return errors.New("adaptive sweep: needs a budget")
		}
		if err := CheckAdaptiveBudget(s.g, s.o.InitialReps, s.o.PerImageSeconds, s.o.Cores, s.o.Budget); err != nil {
			return err
		}
	} else if err := CheckBudget(s.g, s.o.PerImageSeconds, s.o.Cores, s.o.Budget); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output folder: %w", err)
	}

	info := s.o.Info
	now := s.o.Now()
	info.ID = now.UTC().Format("20060102T150405Z")
	if info.Machine.Cores == 0 {
		info.Machine = CollectMachine(dir)
	}
	info.Version, info.Commit, info.Modified = BuildVersion()
	info.GoVersion = runtime.Version()
	info.Grid = s.g
	info.Seed = s.g.Seed
	info.Start = now
	info.Adaptive = s.o.Adaptive
	if s.o.Adaptive {
		info.InitialReps, info.Alpha = s.o.InitialReps, s.o.Alpha
		info.EquivalenceMargin = s.o.EquivalenceMargin
		info.MaxReps = s.o.MaxReps
	}
	info.BudgetSeconds = s.o.Budget.Seconds()
	info.PerImageSeconds = s.o.PerImageSeconds
	if err := WriteRunInfo(dir, info); err != nil {
		return err
	}
	s.info = info
	return nil
}

// resume reloads run.json and the records of a sweep.
func (s *session) resume() error {
	dir := s.o.OutDir
	info, err := ReadRunInfo(dir)
	if err != nil {
		return input.Bad("resuming "+dir, err)
	}
	if !reflect.DeepEqual(s.o.Grid, Grid{}) && !sameGrid(s.o.Grid, info.Grid) {
		a, _ := json.Marshal(s.o.Grid)
		b, _ := json.Marshal(info.Grid)
		return input.Errorf("resuming "+dir, "the grid given (%s) differs from the one in %s (%s); resume without grid settings", a, RunInfoFile, b)
	}
	s.g = info.Grid
	if err := s.g.Validate(); err != nil {
		return input.Bad("resuming "+dir, fmt.Errorf("%s: %w", RunInfoFile, err))
	}
	if err := info.checkPlan(); err != nil {
		return input.Bad("resuming "+dir, fmt.Errorf("%s: %w; want run.json as buildtune wrote it", RunInfoFile, err))
	}
	s.o.Adaptive = info.Adaptive
	s.o.InitialReps, s.o.Alpha = info.InitialReps, info.Alpha
	// A sweep started before run.json kept the margin had none: the
	// default, as for a new one.
	s.o.EquivalenceMargin = cmp.Or(info.EquivalenceMargin, DefaultEquivalenceMargin)
	// One started before run.json kept a cap on reps had none: it doubled
	// its reps until its tests or the budget stopped it, and so does its
	// resume.
	s.o.MaxReps = cmp.Or(info.MaxReps, math.MaxInt32)
	if s.o.Budget == 0 {
		s.o.Budget = seconds(info.BudgetSeconds)
	}
	if s.o.PerImageSeconds == 0 {
		s.o.PerImageSeconds = info.PerImageSeconds
	}
	if s.o.Adaptive && s.o.Budget <= 0 {
		return input.Errorf("resuming "+dir, "%s: an adaptive sweep with no budget_s; want run.json as buildtune wrote it, or give --budget", RunInfoFile)
	}
	s.info = info

	set, err := record.ReadFile(filepath.Join(dir, RecordsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return input.Bad("resuming "+dir, err)
	}
	// A trial is found again by its index alone, so a trial record of
	// another run (another sweep's records joined to these, or a build's
	// records.jsonl copied in) would pass for this sweep's trial of the
	// same index: the resume would skip a trial it never ran and append
	// to records that are not this sweep's. Checked before the torn line
	// is cut, so a refused folder is left as it is.
	if err := ownRecords(set, info.ID); err != nil {
		return input.Bad("resuming "+dir, err)
	}
	if set.Torn {
		fmt.Fprintf(s.log, "records: the last line was torn (interrupted write); it is cut off\n")
	}
	for _, t := range set.Trials {
		s.last[t.Trial] = t
		s.prior += seconds(t.WallSeconds)
		if !t.Interrupted {
			s.addWall(t)
		}
	}
	for _, e := range set.Events {
		if e.Type == record.EventDrop {
			s.drops[e.Cell] = true
		}
	}
	return nil
}

// ownRecords refuses a set holding a trial record of another run than id
// (run.json's): the resume matches trials by index, so another run's
// trial 3 would stand for this sweep's. A record that names no run, or a
// run.json without an id, is not judged.
func ownRecords(set *record.Set, id string) error {
	if id == "" {
		return nil
	}
	for _, t := range set.Trials {
		if t.Run == "" || t.Run == id {
			continue
		}
		return fmt.Errorf("%s: trial %d (%s) is a record of run %s, and %s is of run %s: want this sweep's own records (records joined from another sweep or a build can be analysed, not resumed)",
			RecordsFile, t.Trial, t.Cell, t.Run, RunInfoFile, id)
	}
	return nil
}

func sameGrid(a, b Grid) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// warmup runs the warm-up trial (trial 0) when Options.Warmup asks for it,
// once per process, just before its first measured trial: the first cell
// once, recorded with temp "warmup" and left out of every statistic
// (record.Counts), as hyperfine's --warmup. A first build on a freshly
// started daemon was seen to take 25 s where later ones took 14 s, and a
// resumed sweep usually runs on a daemon started afresh, so it warms up
// again (a resume with nothing left to run does not).
func (s *session) warmup(ctx context.Context) error {
	if !s.o.Warmup || s.warmed {
		return nil
	}
	s.warmed = true
	cells := s.g.Cells()
	if len(cells) == 0 {
		return nil
	}
	t := Trial{Index: 0, Unit: 0, Cell: cells[0], Temp: record.TempWarmup, SDKSha: sdkSha(s.g.Seed, 0, record.TempWarmup),
		Round: 0, Profile: s.g.Profile}
	return s.runOne(ctx, t, len(Plan(s.g)), nil)
}

// fixed runs every planned trial of a fixed sweep.
func (s *session) fixed(ctx context.Context) error {
	trials := Plan(s.g)
	s.sum.Planned = len(trials)
	return s.runTrials(ctx, trials, len(trials))
}

// runTrials runs the trials not yet finished, in order; of is the number
// of trials planned so far, for progress.
func (s *session) runTrials(ctx context.Context, trials []Trial, of int) error {
	// A unit is finished when every trial of it has a finished record.
	unitDone := map[int]bool{}
	unitSeen := map[int]bool{}
	for _, t := range trials {
		rec, ok := s.last[t.Index]
		if ok {
			if err := matches(rec, t); err != nil {
				return input.Bad("resuming "+s.o.OutDir, err)
			}
		}
		done := ok && !rec.Interrupted
		if !unitSeen[t.Unit] {
			unitSeen[t.Unit], unitDone[t.Unit] = true, done
		} else {
			unitDone[t.Unit] = unitDone[t.Unit] && done
		}
	}
	rerun := map[int]bool{}
	for i, t := range trials {
		if unitDone[t.Unit] {
			s.sum.Resumed++
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sweep stopped before %v (%d of %d): %w", t, t.Index, of, err)
		}
		if rec, ok := s.last[t.Index]; ok && !rec.Interrupted && !rerun[t.Unit] {
			rerun[t.Unit] = true
			msg := fmt.Sprintf("unit %d of %s rep %d runs again: a later trial of it did not finish; the records written from here supersede trial %d's earlier one",
				t.Unit, t.Cell.Name(), t.Rep, t.Index)
			fmt.Fprintln(s.log, msg)
			if err := s.w.Write(&record.Event{Run: s.info.ID, Trial: t.Index, Time: s.o.Now(), Type: record.EventRerun, Cell: t.Cell.Name(), Message: msg}); err != nil {
				return err
			}
		}
		if err := s.warmup(ctx); err != nil {
			return err
		}
		if err := s.runOne(ctx, t, of, trials[i+1:]); err != nil {
			return err
		}
	}
	return nil
}

// matches checks that a record of trial index t.Index is of trial t.
func matches(rec record.Trial, t Trial) error {
	if rec.Cell != t.Cell.Name() || rec.Temp != t.Temp || rec.Rep != t.Rep {
		return fmt.Errorf("the records do not match the plan: trial %d is %s %s rep %d in the records, %s %s rep %d in the plan (were they written with another grid, seed or buildtune version?)",
			t.Index, rec.Cell, rec.Temp, rec.Rep, t.Cell.Name(), t.Temp, t.Rep)
	}
	return nil
}

// runOne runs trial t and records it; rest are the trials after it, for
// the ETA.
func (s *session) runOne(ctx context.Context, t Trial, of int, rest []Trial) error {
	t.Run = s.info.ID
	ev := TrialEvent{Trial: t, N: t.Index, Of: of, Elapsed: s.elapsed()}
	if s.o.Progress != nil {
		ev.ETA = s.estimate(append([]Trial{t}, pending(rest, s.last)...))
		s.o.Progress.Trial(ev)
	}
	tctx := context.WithValue(ctx, progressKey{}, &imageReporter{p: s.o.Progress, t: t})
	start := s.o.Now()
	rec, err := s.runner.RunTrial(tctx, t, s.w)
	end := s.o.Now()
	s.complete(&rec, t, start, end)

	var stop error
	switch {
	case rec.Interrupted || (err != nil && (ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))):
		rec.Interrupted = true
		cause := err
		if cause == nil {
			cause = ctx.Err()
		}
		if cause == nil {
			cause = errors.New("the runner marked it interrupted")
		}
		rec.Error = cause.Error()
		stop = fmt.Errorf("sweep stopped during %v (%d of %d): %w", t, t.Index, of, cause)
	case fleet.IsInfra(err):
		rec.Interrupted = true
		rec.Error = err.Error()
		if errors.Is(err, fleet.ErrInfra) {
			stop = fmt.Errorf("sweep stopped during %v: %w", t, err)
		} else {
			stop = fmt.Errorf("sweep stopped during %v: %w: %w", t, fleet.ErrInfra, err)
		}
	case err != nil:
		rec.Error = err.Error()
		s.sum.FailedTrials++
	}
	if werr := s.w.Write(&rec); werr != nil {
		return errors.Join(stop, fmt.Errorf("recording %v: %w", t, werr))
	}
	s.sum.Ran++
	s.last[t.Index] = rec
	if !rec.Interrupted {
		s.addWall(rec)
	}
	s.calibrate(t, rec)
	s.logTrial(t, of, rec)
	if s.o.Progress != nil {
		ev.Record = &rec
		ev.Elapsed = s.elapsed()
		ev.ETA = s.estimate(pending(rest, s.last))
		s.o.Progress.Trial(ev)
	}
	return stop
}

// calibrate adds a finished trial t with images built to the calibration
// of the Estimate model.
func (s *session) calibrate(t Trial, rec record.Trial) {
	if rec.Interrupted || rec.Built == 0 || !(rec.WallSeconds > 0) {
		return
	}
	s.measured += rec.WallSeconds
	s.modelled += trialSeconds(t.Cell, s.g.Sample, s.o.PerImageSeconds, s.o.Cores)
}

// complete fills the keys Run owns and the ones the runner left zero.
func (s *session) complete(rec *record.Trial, t Trial, start, end time.Time) {
	cfg := t.Config()
	cfg.BuildKitVersion, cfg.Host, cfg.Daemons = rec.BuildKitVersion, rec.Host, rec.Daemons
	if rec.Registry != "" {
		cfg.Registry = rec.Registry // the runner's fuller label (latency, faults)
	}
	if cfg.BuildKitVersion == "" {
		cfg.BuildKitVersion = s.info.BuildKitVersion
	}
	if cfg.Host == "" {
		cfg.Host = s.info.Machine.Hostname
	}
	rec.Config = cfg
	rec.Trial = t.Index
	rec.Run = t.Run
	if rec.Start.IsZero() {
		rec.Start = start
	}
	if rec.End.IsZero() {
		rec.End = end
	}
	if rec.WallSeconds == 0 {
		rec.WallSeconds = rec.End.Sub(rec.Start).Seconds()
	}
	if rec.ImagesPerHour == 0 && rec.Built > 0 && rec.WallSeconds > 0 {
		rec.ImagesPerHour = record.ImagesPerHour(rec.Built, rec.WallSeconds)
	}
}

func (s *session) logTrial(t Trial, of int, rec record.Trial) {
	state := ""
	switch {
	case rec.Interrupted:
		state = " INTERRUPTED"
	case rec.Error != "":
		state = " FAILED"
	}
	fmt.Fprintf(s.log, "trial %d/%d %s %s rep %d:%s %d built, %d skipped, %d failed in %.1fs, %.1f images/h",
		t.Index, of, t.Cell.Name(), t.Temp, t.Rep, state, rec.Built, rec.Skipped, rec.Failed, rec.WallSeconds, rec.ImagesPerHour)
	if rec.Error != "" {
		fmt.Fprintf(s.log, ": %s", rec.Error)
	}
	fmt.Fprintln(s.log)
}

func wallKey(cell, temp string) string { return cell + "|" + temp }

func (s *session) addWall(rec record.Trial) {
	k := wallKey(rec.Cell, rec.Temp)
	s.walls[k] = append(s.walls[k], rec.WallSeconds)
}

// elapsed is the sweep's time so far, earlier runs included.
func (s *session) elapsed() time.Duration {
	return s.prior + s.o.Now().Sub(s.start)
}

// estimate is the expected time of trials: per trial, the longest measured
// wall time of its cell and temp (conservative: the budget must hold), or
// the Estimate model for a cell not measured yet, scaled by what the
// trials run so far by this process (the warm-up included) measured
// against what the model gave them: the model's per-image seconds are the
// default profile's, which another profile or a real workload may miss
// many times over.
func (s *session) estimate(trials []Trial) time.Duration {
	scale := 1.0
	if s.measured > 0 && s.modelled > 0 {
		scale = s.measured / s.modelled
	}
	var total float64
	for _, t := range trials {
		if ws := s.walls[wallKey(t.Cell.Name(), t.Temp)]; len(ws) > 0 {
			m := ws[0]
			for _, w := range ws[1:] {
				m = max(m, w)
			}
			total += m
			continue
		}
		total += scale * trialSeconds(t.Cell, s.g.Sample, s.o.PerImageSeconds, s.o.Cores)
	}
	return seconds(total)
}
