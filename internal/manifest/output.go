// Package manifest is the output stage of the production build: the
// manifest.jsonl and build-summary.json files that the real build script
// (OpenHands/benchmarks build_images.py) writes and that CI consumers read.
//
// One Output is one manifest line with the real BuildOutput field names, plus
// two buildtune keys that do not clash (instance, shard). Like the real
// script, "error" is null for every image that did not fail: built images and
// images skipped because their tag already exists (the real script leaves
// error at its None default for skipped_remote_exists). So
// `grep -c '"error":null' manifest.jsonl` counts built plus skipped images;
// `grep -c '"status":"built"'` counts built images alone.
//
// The package also summarizes a manifest (build-summary.json) and merges the
// manifests of CI matrix shards, checking that every instance was covered
// exactly once.
package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// File names inside a build output folder.
const (
	ManifestFile = "manifest.jsonl"
	SummaryFile  = "build-summary.json"
)

// The status values of an Output, as the real script writes them.
const (
	StatusBuilt   = "built"
	StatusSkipped = "skipped_remote_exists"
	StatusFailed  = "failed"
)

// TimeFormat is how started_at and finished_at are written: RFC 3339 in
// UTC with microseconds, like Python's isoformat.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Output is one line of manifest.jsonl: the final outcome of one image.
// Seconds are float seconds; a phase that did not run is 0.
type Output struct {
	BaseImage string   `json:"base_image"`
	Tags      []string `json:"tags"`
	// Error is nil (JSON null) unless Status is failed.
	Error      *string `json:"error"`
	LogPath    string  `json:"log_path"`
	Status     string  `json:"status"`
	SkipReason *string `json:"skip_reason"`

	AttemptCount int       `json:"attempt_count"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`

	DurationSeconds          float64 `json:"duration_seconds"`
	RemoteCheckSeconds       float64 `json:"remote_check_seconds"`
	BuildSeconds             float64 `json:"build_seconds"`
	PostBuildSeconds         float64 `json:"post_build_seconds"`
	SDKCacheImportSeconds    float64 `json:"sdk_cache_import_seconds"`
	SDKCacheImportMissCount  int     `json:"sdk_cache_import_miss_count"`
	SDKCacheExportSeconds    float64 `json:"sdk_cache_export_seconds"`
	SDKImageExportSeconds    float64 `json:"sdk_image_export_seconds"`
	SDKPushLayersSeconds     float64 `json:"sdk_push_layers_seconds"`
	SDKExportManifestSeconds float64 `json:"sdk_export_manifest_seconds"`
	SDKCachedStepCount       int     `json:"sdk_cached_step_count"`

	// Instance is the SWT-Bench instance id (buildtune extra).
	Instance string `json:"instance"`
	// Shard is the CI matrix shard, "i/n", when the build was sharded.
	Shard string `json:"shard,omitempty"`
}

// Key identifies the image of an Output: its instance id, or its base image
// when the line has no instance (a line written by the real script).
func (o Output) Key() string {
	if o.Instance != "" {
		return o.Instance
	}
	return o.BaseImage
}

// Validate checks what a consumer relies on: a known status, an error
// exactly when the status is failed, and a key.
func (o Output) Validate() error {
	if o.Key() == "" {
		return errors.New("output: no instance and no base_image")
	}
	switch o.Status {
	case StatusBuilt, StatusSkipped:
		if o.Error != nil {
			return fmt.Errorf("output %q: status %s with an error", o.Key(), o.Status)
		}
	case StatusFailed:
		if o.Error == nil {
			return fmt.Errorf("output %q: status failed without an error", o.Key())
		}
	default:
		return fmt.Errorf("output %q: unknown status %q (want %s, %s or %s)",
			o.Key(), o.Status, StatusBuilt, StatusSkipped, StatusFailed)
	}
	return nil
}

// plain has Output's fields without its methods, for the JSON codec.
type plain Output

// MarshalJSON writes the times in TimeFormat (null when zero) and tags as
// [] rather than null.
func (o Output) MarshalJSON() ([]byte, error) {
	p := plain(o)
	if p.Tags == nil {
		p.Tags = []string{}
	}
	return json.Marshal(struct {
		plain
		StartedAt  *string `json:"started_at"`
		FinishedAt *string `json:"finished_at"`
	}{p, formatTime(o.StartedAt), formatTime(o.FinishedAt)})
}

// UnmarshalJSON reads any RFC 3339 time (the real script writes +00:00).
// A line without a status (the real script before statuses existed) is
// failed when it has an error or no tags, built otherwise.
func (o *Output) UnmarshalJSON(data []byte) error {
	aux := struct {
		*plain
		StartedAt  *string `json:"started_at"`
		FinishedAt *string `json:"finished_at"`
	}{plain: (*plain)(o)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	if o.StartedAt, err = parseTime(aux.StartedAt); err != nil {
		return fmt.Errorf("started_at: %w", err)
	}
	if o.FinishedAt, err = parseTime(aux.FinishedAt); err != nil {
		return fmt.Errorf("finished_at: %w", err)
	}
	if o.Status == "" {
		o.Status = StatusBuilt
		if o.Error != nil || len(o.Tags) == 0 {
			o.Status = StatusFailed
		}
	}
	return nil
}

func formatTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(TimeFormat)
	return &s
}

func parseTime(s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// Latest keeps the last line of each image (see Output.Key): a resumed run
// appends a new line for an image it retried. The result is in the order of
// the kept lines.
func Latest(outs []Output) []Output {
	last := make(map[string]int, len(outs))
	for i, o := range outs {
		last[o.Key()] = i
	}
	kept := make([]Output, 0, len(last))
	for i, o := range outs {
		if last[o.Key()] == i {
			kept = append(kept, o)
		}
	}
	return kept
}
