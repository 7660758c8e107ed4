// Package record is the contract between buildtune's stages: the sweep and
// the production build append one versioned JSON line per image build, per
// trial and per notable event (prune, dropped cell), flushed as each
// finishes; analysis and reports only read these files.
package record

import (
	"time"

	"github.com/buildtune/buildtune/internal/engine"
)

// Version is the record format version written in every line's "v" key.
const Version = 1

// Kinds of record lines.
const (
	KindImage = "image"
	KindTrial = "trial"
	KindEvent = "event"
)

// Image statuses, as the real pipeline's manifest.jsonl names them.
const (
	StatusBuilt   = "built"
	StatusSkipped = "skipped_remote_exists"
	StatusFailed  = "failed"
)

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
	Kind  string `json:"kind"`
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
	// BatchIndex is the batch the image ran in (0 for stream).
	BatchIndex int `json:"batch_index"`
	// PoolWaitSeconds is the time the image waited for a free worker.
	PoolWaitSeconds float64 `json:"pool_wait_s"`
	engine.Result
}

// Trial is one configuration building the whole sample once.
type Trial struct {
	V     int    `json:"v"`
	Kind  string `json:"kind"`
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
	BytesPushed        int64   `json:"bytes_pushed"`
	CachedSteps        int     `json:"cached_steps"`
	TotalSteps         int     `json:"total_steps"`
	// BuildKit disk use before and after the trial, in bytes.
	DiskBefore   int64   `json:"disk_before"`
	DiskAfter    int64   `json:"disk_after"`
	Prunes       int     `json:"prunes"`
	PruneSeconds float64 `json:"prune_s"`
	// Interrupted is set when the trial was stopped before it finished.
	Interrupted bool   `json:"interrupted,omitempty"`
	Error       string `json:"error,omitempty"`
}

// Event records something that happened between builds: a prune, a cell
// dropped by an adaptive sweep, a daemon restart.
type Event struct {
	V     int       `json:"v"`
	Kind  string    `json:"kind"`
	Run   string    `json:"run,omitempty"`
	Trial int       `json:"trial"`
	Time  time.Time `json:"time"`
	// Type is "prune", "drop", "stop", ...
	Type    string  `json:"type"`
	Cell    string  `json:"cell,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	// Bytes freed by a prune, or disk use that triggered it.
	Bytes   int64  `json:"bytes,omitempty"`
	Message string `json:"message,omitempty"`
}
