package manifest

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"
)

// SlowestCount is how many images Summary.Slowest lists.
const SlowestCount = 10

// Settings are the knobs a build ran with.
type Settings struct {
	Workers int `json:"workers"`
	// Batch is the batch size; 0 means stream (no batch barrier).
	Batch     int    `json:"batch"`
	CacheMode string `json:"cache_mode"`
	Strategy  string `json:"strategy"`
	// Shard is "i/n" for one CI matrix shard, empty otherwise.
	Shard string `json:"shard,omitempty"`
	// SDKSha is the SDK commit the images are tagged with.
	SDKSha string `json:"sdk_sha,omitempty"`
	// Workload names what the images are built from, when buildtune
	// generates them: "fixtures:NAME@DIGEST" (the profile's name and
	// the start of its digest); empty for a custom build.
	Workload string `json:"workload,omitempty"`
	// Instances names the instance list the build (every shard of it) is
	// dealt from: its number of ids and the start of the digest of the
	// sorted ids ("433@sha256:0123456789ab"); empty in older summaries.
	Instances string `json:"instances,omitempty"`
}

// Versions are the versions of the tools that built the images.
type Versions struct {
	Buildtune string `json:"buildtune"`
	Buildkit  string `json:"buildkit"`
}

// SummaryExtra is what a summary needs beyond the manifest lines: the
// prunes between batches, the settings and the versions.
type SummaryExtra struct {
	Prunes       int
	PruneSeconds float64
	Settings     Settings
	Versions     Versions
}

// Slow is one of the slowest built images.
type Slow struct {
	Instance     string  `json:"instance"`
	BaseImage    string  `json:"base_image"`
	BuildSeconds float64 `json:"build_seconds"`
	AttemptCount int     `json:"attempt_count"`
}

// Failed is one failed image and its error.
type Failed struct {
	Instance     string `json:"instance"`
	BaseImage    string `json:"base_image"`
	Error        string `json:"error"`
	AttemptCount int    `json:"attempt_count"`
}

// ShardInfo is one shard of a merged build.
type ShardInfo struct {
	Dir    string `json:"dir"`
	Shard  string `json:"shard,omitempty"`
	Images int    `json:"images"`
	// Planned is the images the shard's build planned (0 when not known):
	// more than Images when it stopped before its end, which a later merge
	// of this merge's folder must still see.
	Planned     int     `json:"planned,omitempty"`
	Built       int     `json:"built"`
	Failed      int     `json:"failed"`
	WallSeconds float64 `json:"wall_seconds"`
	TornTail    bool    `json:"torn_tail,omitempty"`
}

// Summary is build-summary.json. The cumulative_* names are the real
// script's. Counts and sums are over the last line of each image.
type Summary struct {
	Total int `json:"total"`
	// Planned counts the images the build (or shard) set out to build;
	// more than Total when it stopped early (interrupted, infrastructure
	// lost). 0 when not known (a merge, an older summary).
	Planned int `json:"planned,omitempty"`
	Built   int `json:"built"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	// Retried counts images with attempt_count > 1.
	Retried int `json:"retried"`

	// WallSeconds is the build's wall: of a build resumed into the same
	// folder, the sum of its runs' (a run killed before its final summary
	// counts up to its last summary update, which a running build makes
	// after each image and every 10 s); of a merge, the longest shard's.
	WallSeconds float64 `json:"wall_seconds"`
	// ImagesPerHour counts built images only (not skipped ones).
	ImagesPerHour float64 `json:"images_per_hour"`

	CumulativeDurationSeconds          float64 `json:"cumulative_duration_seconds"`
	CumulativeRemoteCheckSeconds       float64 `json:"cumulative_remote_check_seconds"`
	CumulativeBuildSeconds             float64 `json:"cumulative_build_seconds"`
	CumulativePostBuildSeconds         float64 `json:"cumulative_post_build_seconds"`
	CumulativeSDKCacheImportSeconds    float64 `json:"cumulative_sdk_cache_import_seconds"`
	CumulativeSDKCacheExportSeconds    float64 `json:"cumulative_sdk_cache_export_seconds"`
	CumulativeSDKImageExportSeconds    float64 `json:"cumulative_sdk_image_export_seconds"`
	CumulativeSDKPushLayersSeconds     float64 `json:"cumulative_sdk_push_layers_seconds"`
	CumulativeSDKExportManifestSeconds float64 `json:"cumulative_sdk_export_manifest_seconds"`
	CumulativeSDKCacheImportMisses     int     `json:"cumulative_sdk_cache_import_misses"`
	CumulativeSDKCachedSteps           int     `json:"cumulative_sdk_cached_steps"`

	// Build seconds of built images; null when none was built.
	AverageBuildSeconds *float64 `json:"average_build_seconds"`
	MedianBuildSeconds  *float64 `json:"median_build_seconds"`
	MaxBuildSeconds     *float64 `json:"max_build_seconds"`

	// Slowest lists up to SlowestCount built images by build seconds,
	// slowest first, ties by instance.
	Slowest []Slow `json:"slowest"`
	// FailedImages lists the failed images by instance.
	FailedImages []Failed `json:"failed_images"`

	Prunes       int      `json:"prunes"`
	PruneSeconds float64  `json:"prune_seconds"`
	Settings     Settings `json:"settings"`
	Versions     Versions `json:"versions"`

	// Shards is set on a merged summary.
	Shards []ShardInfo `json:"shards,omitempty"`
	// Duplicated, on a merged summary, names the images that more than one
	// shard built (the merge kept the line that finished last): a later
	// merge of this merge's folder must still see them.
	Duplicated []string `json:"duplicated,omitempty"`
}

// Summarize computes the summary of a build that took wall. Only the last
// line of each image counts (see Latest).
func Summarize(outs []Output, wall time.Duration, extra SummaryExtra) Summary {
	outs = Latest(outs)
	s := Summary{
		Total:        len(outs),
		WallSeconds:  wall.Seconds(),
		Slowest:      []Slow{},
		FailedImages: []Failed{},
		Prunes:       extra.Prunes,
		PruneSeconds: extra.PruneSeconds,
		Settings:     extra.Settings,
		Versions:     extra.Versions,
	}
	var builds []float64
	var slow []Slow
	for _, o := range outs {
		switch o.Status {
		case StatusBuilt:
			s.Built++
			builds = append(builds, o.BuildSeconds)
			slow = append(slow, Slow{Instance: o.Instance, BaseImage: o.BaseImage,
				BuildSeconds: o.BuildSeconds, AttemptCount: o.AttemptCount})
		case StatusSkipped:
			s.Skipped++
		case StatusFailed:
			s.Failed++
			msg := ""
			if o.Error != nil {
				msg = *o.Error
			}
			s.FailedImages = append(s.FailedImages, Failed{Instance: o.Instance,
				BaseImage: o.BaseImage, Error: msg, AttemptCount: o.AttemptCount})
		}
		if o.AttemptCount > 1 {
			s.Retried++
		}
		s.CumulativeDurationSeconds += o.DurationSeconds
		s.CumulativeRemoteCheckSeconds += o.RemoteCheckSeconds
		s.CumulativeBuildSeconds += o.BuildSeconds
		s.CumulativePostBuildSeconds += o.PostBuildSeconds
		s.CumulativeSDKCacheImportSeconds += o.SDKCacheImportSeconds
		s.CumulativeSDKCacheExportSeconds += o.SDKCacheExportSeconds
		s.CumulativeSDKImageExportSeconds += o.SDKImageExportSeconds
		s.CumulativeSDKPushLayersSeconds += o.SDKPushLayersSeconds
		s.CumulativeSDKExportManifestSeconds += o.SDKExportManifestSeconds
		s.CumulativeSDKCacheImportMisses += o.SDKCacheImportMissCount
		s.CumulativeSDKCachedSteps += o.SDKCachedStepCount
	}
	if hours := wall.Hours(); hours > 0 {
		s.ImagesPerHour = float64(s.Built) / hours
	}
	if len(builds) > 0 {
		sort.Float64s(builds)
		sum := 0.0
		for _, b := range builds {
			sum += b
		}
		avg := sum / float64(len(builds))
		med := builds[len(builds)/2]
		if len(builds)%2 == 0 {
			med = (builds[len(builds)/2-1] + med) / 2
		}
		maxB := builds[len(builds)-1]
		s.AverageBuildSeconds, s.MedianBuildSeconds, s.MaxBuildSeconds = &avg, &med, &maxB
	}
	sort.SliceStable(slow, func(i, j int) bool {
		if slow[i].BuildSeconds != slow[j].BuildSeconds {
			return slow[i].BuildSeconds > slow[j].BuildSeconds
		}
		return slowKey(slow[i]) < slowKey(slow[j])
	})
	if len(slow) > SlowestCount {
		slow = slow[:SlowestCount]
	}
	s.Slowest = append(s.Slowest, slow...)
	sort.SliceStable(s.FailedImages, func(i, j int) bool {
		a, b := s.FailedImages[i], s.FailedImages[j]
		return a.Instance+"\x00"+a.BaseImage < b.Instance+"\x00"+b.BaseImage
	})
	return s
}

func slowKey(s Slow) string { return s.Instance + "\x00" + s.BaseImage }

// WriteSummary writes s to path as indented JSON, atomically (a temporary
// file and a rename).
func WriteSummary(path string, s Summary) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding summary: %w", err)
	}
	return writeAtomic(path, append(data, '\n'))
}

// ReadSummary reads a build-summary.json.
func ReadSummary(path string) (Summary, error) {
	var s Summary
	data, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("reading summary: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("decoding summary %s: %w", path, err)
	}
	return s, nil
}
