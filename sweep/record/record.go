// Package record is the records format, the contract between buildtune's
// stages: the sweep and the production build append one versioned JSON line
// per image build, per trial and per notable event (prune, dropped cell),
// flushed as each finishes; analysis and reports only read these files.
//
// It is a leaf: it imports nothing of buildtune's and nothing outside the
// standard library, so a program that only reads records (as benchfmt's
// readers do) pulls in no BuildKit or gRPC. The BuildKit engine fills the
// Cost struct defined here. Select, Latest and Group are the one place
// that decides which records count, used by every stage.
package record

import (
	"fmt"
	"math"
	"time"
)

// Version is the record format version written in every line's "v" key.
const Version = 1

// Kind is the kind of a record line (its "kind" key).
type Kind string

// Kinds of record lines.
const (
	KindImage Kind = "image"
	KindTrial Kind = "trial"
	KindEvent Kind = "event"
)

// Image statuses, as the real pipeline's manifest.jsonl names them.
const (
	StatusBuilt   = "built"
	StatusSkipped = "skipped_remote_exists"
	StatusFailed  = "failed"
)

// EventType says what an Event records.
type EventType string

// Event types.
const (
	// EventPrune is a prune of a BuildKit daemon's cache (Seconds, Bytes freed).
	EventPrune EventType = "prune"
	// EventReset is the cold reset before a cold trial (prune --all).
	EventReset EventType = "reset"
	// EventDrop is a cell dropped by an adaptive sweep, with its evidence.
	EventDrop EventType = "drop"
	// EventStop is the end of an adaptive sweep, with the reason.
	EventStop EventType = "stop"
	// EventRerun is a trial run again on resume (its earlier record is
	// superseded).
	EventRerun EventType = "rerun"
	// EventDaemon is a daemon leaving or rejoining a pool.
	EventDaemon EventType = "daemon"
	// EventRetry is a failed attempt of a build that is tried again
	// (Seconds: the wait before the next attempt).
	EventRetry EventType = "retry"
	// EventRemoteCheck is a skip-existing check of a tag in the registry
	// that could not tell whether the tag was there (refused, a server
	// error, unreachable, timed out): the image is built anyway. It is
	// recorded once per distinct error in a run (Trial.RemoteCheckErrors
	// counts them all); Seconds is that check's time.
	EventRemoteCheck EventType = "remote_check"
)

// ErrorClass tells a failed build apart from failing infrastructure.
type ErrorClass string

// Error classes.
const (
	// ErrNone is a successful build.
	ErrNone ErrorClass = ""
	// ErrBuild is a failure of the build itself (a RUN step exited non-zero,
	// a Dockerfile does not parse, a base image is missing).
	ErrBuild ErrorClass = "build"
	// ErrInfra is a failure of the machinery around it (daemon gone,
	// registry down or refusing, connection reset).
	ErrInfra ErrorClass = "infra"
	// ErrCanceled is a build stopped by the caller (Ctrl-C, deadline).
	ErrCanceled ErrorClass = "canceled"
)

// Cost is what one build cost, in base units (seconds, bytes), taken from
// BuildKit's status stream where BuildKit reports it. The engine fills it.
type Cost struct {
	ID    string    `json:"id"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// WallSeconds is End-Start as seen by the client.
	WallSeconds float64 `json:"wall_s"`
	// QueueSeconds is the time from submitting the solve to the first vertex
	// starting inside the daemon.
	QueueSeconds float64 `json:"queue_s"`
	// ExecSeconds is the union of the intervals of RUN (exec) steps, from
	// this build's own start: a step shared with a build running at once on
	// the same daemon counts from when this build joined it.
	ExecSeconds float64 `json:"exec_s"`
	// StepSeconds is the union of the intervals of every Dockerfile step.
	StepSeconds float64 `json:"step_s"`
	// ImageExportSeconds is the "exporting to image" vertex, push included.
	ImageExportSeconds float64 `json:"image_export_s"`
	// LayerPushSeconds is the union of the layer push status intervals.
	LayerPushSeconds float64 `json:"layer_push_s"`
	// ManifestExportSeconds is the union of the manifest and config push
	// statuses ("exporting manifest", "exporting config", "pushing manifest").
	ManifestExportSeconds float64 `json:"manifest_export_s,omitempty"`
	// CacheImportSeconds is the union of "importing cache manifest" vertices.
	CacheImportSeconds float64 `json:"cache_import_s"`
	// CacheImportMisses counts cache refs whose import found nothing.
	CacheImportMisses int `json:"cache_import_misses,omitempty"`
	// CacheExportSeconds is the "exporting cache to registry" vertex.
	CacheExportSeconds float64 `json:"cache_export_s"`
	// CachedSteps and TotalSteps count the Dockerfile steps ([stage] lines)
	// and how many of them BuildKit answered from cache, or another build on
	// the same daemon had run to its end before this one started (BuildKit
	// reports those as run, with the other build's times).
	CachedSteps int `json:"cached_steps"`
	TotalSteps  int `json:"total_steps"`
	// ImageBytes is the compressed size of the pushed image (config and
	// layers, from its manifest). BuildKit reports no per-layer push bytes
	// for a registry push, so the bytes that crossed the wire are counted
	// per trial by the registry proxy instead.
	ImageBytes int64 `json:"image_bytes"`
	// Digest is the pushed image's manifest digest.
	Digest string `json:"digest,omitempty"`
	// ErrClass and Error say why the build failed, if it did.
	ErrClass ErrorClass `json:"error_class,omitempty"`
	Error    string     `json:"error,omitempty"`
}

// OK reports whether the build succeeded.
func (c Cost) OK() bool { return c.ErrClass == ErrNone }

// Config is the configuration a record was measured under, as explicit keys.
type Config struct {
	// Cell names the grid cell (workers/batch/cache/strategy/registry).
	Cell    string `json:"cell,omitempty"`
	Workers int    `json:"workers"`
	// Batch is the batch size; 0 means stream (one pool, no barrier).
	Batch     int    `json:"batch"`
	CacheMode string `json:"cache_mode"`
	Strategy  string `json:"strategy"`
	Profile   string `json:"profile,omitempty"`
	// Registry describes the registry conditions (proxy settings), "" if direct.
	Registry string `json:"registry,omitempty"`
	// Daemons is how many BuildKit daemons shared the work (1 if unset).
	Daemons int `json:"daemons,omitempty"`
	// Temp is "cold" or "warm".
	Temp string `json:"temp,omitempty"`
	Rep  int    `json:"rep"`
	// BuildKitVersion and Host say where it ran.
	BuildKitVersion string `json:"buildkit_version,omitempty"`
	Host            string `json:"host,omitempty"`
}

// Image is one image build (or skip) in a trial or a production build.
type Image struct {
	V     int    `json:"v"`
	Kind  Kind   `json:"kind"`
	Run   string `json:"run,omitempty"`
	Trial int    `json:"trial"`
	Config
	Instance string `json:"instance"`
	// Phase is "single" for a one-shot build, or "builder", "base",
	// "assembly" for the three-phase strategy.
	Phase    string `json:"phase"`
	Tag      string `json:"tag,omitempty"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	// Daemon is the address of the BuildKit daemon that built the image
	// ("" when not known, e.g. a skip).
	Daemon string `json:"daemon,omitempty"`
	// BatchIndex is the batch the image ran in (0 for stream).
	BatchIndex int `json:"batch_index"`
	// PoolWaitSeconds is the time the image waited for a free worker (and
	// a daemon slot); its registry check is not in it.
	PoolWaitSeconds float64 `json:"pool_wait_s"`
	// DaemonWaitSeconds is the part of PoolWaitSeconds after a worker
	// took the image: the wait for a daemon slot (and for another daemon
	// when its own left the pool). The rest is the wait for a free worker,
	// which the real script's per-image timings do not count. 0 in records
	// written before it existed.
	DaemonWaitSeconds float64 `json:"daemon_wait_s,omitempty"`
	// RemoteCheckSeconds is the skip-existing check of the final tag in
	// the registry before the build (the manifest's remote_check_seconds),
	// on the record of the instance's first phase, or of its skip; 0 when
	// there was none, and in records written before it existed.
	RemoteCheckSeconds float64 `json:"remote_check_s,omitempty"`
	Cost
}

// Trial is one configuration building the whole sample once.
type Trial struct {
	V     int    `json:"v"`
	Kind  Kind   `json:"kind"`
	Run   string `json:"run,omitempty"`
	Trial int    `json:"trial"`
	Config
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	WallSeconds float64   `json:"wall_s"`
	Images      int       `json:"images"`
	Built       int       `json:"built"`
	Skipped     int       `json:"skipped"`
	Failed      int       `json:"failed"`
	InfraFailed int       `json:"infra_failed"`
	// ImagesPerHour counts built images only.
	ImagesPerHour float64 `json:"images_per_hour"`
	// Sums of the per-image phases, in seconds.
	ExecSeconds        float64 `json:"exec_s"`
	ImageExportSeconds float64 `json:"image_export_s"`
	LayerPushSeconds   float64 `json:"layer_push_s"`
	CacheImportSeconds float64 `json:"cache_import_s"`
	CacheExportSeconds float64 `json:"cache_export_s"`
	// BytesPushed and BytesPulled went through the registry proxy (a
	// capped or delayed cell): up to the registry, and down from it (base
	// images and cache imports). 0 without a proxy.
	BytesPushed int64 `json:"bytes_pushed"`
	BytesPulled int64 `json:"bytes_pulled,omitempty"`
	CachedSteps int   `json:"cached_steps"`
	TotalSteps  int   `json:"total_steps"`
	// BuildKit disk use before and after the trial, in bytes.
	DiskBefore   int64   `json:"disk_before"`
	DiskAfter    int64   `json:"disk_after"`
	Prunes       int     `json:"prunes"`
	PruneSeconds float64 `json:"prune_s"`
	// RemoteCheckErrors counts the skip-existing checks that could not
	// tell whether the tag was there (see EventRemoteCheck); their images
	// were built anyway. 0 in records written before it existed.
	RemoteCheckErrors int `json:"remote_check_errors,omitempty"`
	// HostCPU is the share of all the host's cores' time that was busy
	// during the trial's builds (0-1), and ForeignCPU the share that went
	// to processes other than buildtune and its stack: another job, a
	// compiler. Both are measured only when the stack's processes are
	// known (a private stack, or one kept by 'buildtune stack up'); absent
	// (0) otherwise, and in records written before they existed.
	HostCPU    float64 `json:"host_cpu,omitempty"`
	ForeignCPU float64 `json:"foreign_cpu,omitempty"`
	// Interrupted is set when the trial was stopped before it finished.
	Interrupted bool   `json:"interrupted,omitempty"`
	Error       string `json:"error,omitempty"`
}

// Event records something that happened between builds: a prune, a cell
// dropped by an adaptive sweep, a daemon restart.
type Event struct {
	V     int       `json:"v"`
	Kind  Kind      `json:"kind"`
	Run   string    `json:"run,omitempty"`
	Trial int       `json:"trial"`
	Time  time.Time `json:"time"`
	// Type says what happened.
	Type    EventType `json:"type"`
	Cell    string    `json:"cell,omitempty"`
	Seconds float64   `json:"seconds,omitempty"`
	// Bytes freed by a prune, or disk use that triggered it.
	Bytes   int64  `json:"bytes,omitempty"`
	Message string `json:"message,omitempty"`
}

// field is one number of a record, named as in its JSON.
type field struct {
	name string
	v    float64
}

// checkFields refuses a negative number: every duration, count and byte
// total of a record is >= 0, so a negative one is a corrupt record.
func checkFields(fs ...field) error {
	for _, f := range fs {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%s %v: want a number >= 0", f.name, f.v)
		}
	}
	return nil
}

// check refuses a corrupt image record.
func (r *Image) check() error {
	return checkFields(field{"trial", float64(r.Trial)}, field{"attempts", float64(r.Attempts)},
		field{"pool_wait_s", r.PoolWaitSeconds}, field{"daemon_wait_s", r.DaemonWaitSeconds}, field{"remote_check_s", r.RemoteCheckSeconds}, field{"wall_s", r.WallSeconds}, field{"queue_s", r.QueueSeconds},
		field{"exec_s", r.ExecSeconds}, field{"step_s", r.StepSeconds}, field{"image_export_s", r.ImageExportSeconds},
		field{"layer_push_s", r.LayerPushSeconds}, field{"manifest_export_s", r.ManifestExportSeconds},
		field{"cache_import_s", r.CacheImportSeconds}, field{"cache_export_s", r.CacheExportSeconds},
		field{"cached_steps", float64(r.CachedSteps)}, field{"total_steps", float64(r.TotalSteps)},
		field{"image_bytes", float64(r.ImageBytes)})
}

// check refuses a corrupt trial record.
func (r *Trial) check() error {
	if err := checkFields(field{"trial", float64(r.Trial)}, field{"wall_s", r.WallSeconds}, field{"images", float64(r.Images)},
		field{"built", float64(r.Built)}, field{"skipped", float64(r.Skipped)}, field{"failed", float64(r.Failed)},
		field{"infra_failed", float64(r.InfraFailed)}, field{"images_per_hour", r.ImagesPerHour},
		field{"exec_s", r.ExecSeconds}, field{"image_export_s", r.ImageExportSeconds}, field{"layer_push_s", r.LayerPushSeconds},
		field{"cache_import_s", r.CacheImportSeconds}, field{"cache_export_s", r.CacheExportSeconds},
		field{"bytes_pushed", float64(r.BytesPushed)}, field{"bytes_pulled", float64(r.BytesPulled)},
		field{"cached_steps", float64(r.CachedSteps)}, field{"total_steps", float64(r.TotalSteps)},
		field{"disk_before", float64(r.DiskBefore)}, field{"disk_after", float64(r.DiskAfter)},
		field{"prunes", float64(r.Prunes)}, field{"prune_s", r.PruneSeconds},
		field{"remote_check_errors", float64(r.RemoteCheckErrors)}, field{"host_cpu", r.HostCPU}, field{"foreign_cpu", r.ForeignCPU}); err != nil {
		return err
	}
	if r.HostCPU > 1 || r.ForeignCPU > r.HostCPU {
		return fmt.Errorf("host_cpu %v, foreign_cpu %v: want shares with 0 <= foreign_cpu <= host_cpu <= 1", r.HostCPU, r.ForeignCPU)
	}
	return nil
}
