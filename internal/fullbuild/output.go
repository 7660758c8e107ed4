package fullbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/buildtune/buildtune/internal/manifest"
	"github.com/buildtune/buildtune/sweep/record"
)

// skipReason is the skip_reason of an image whose tag was already pushed.
const skipReason = "remote image exists"

// Image is what the manifest needs about one instance beyond its record:
// its base image and the tags of its final phase.
type Image struct {
	Instance  string
	BaseImage string
	Tags      []string
}

// ToOutput maps the record of an instance's last phase to its manifest
// line. A skip starts and ends with its registry check (now stands in
// when its record has no times), which is all its duration. A build's
// line times what its worker spent on it, as the real script's
// _build_with_logging does from the moment its pool's worker takes the
// image: the registry check, the wait for a daemon slot, and the build
// with its retries; started_at is that moment. The wait for a free worker
// before it (the queue of a stream or a batch) is in no image's duration:
// in the real script it is the pool's, not the image's. A record
// without an error message that failed gets a generic one, so that error
// is non-null exactly when the status is failed.
func ToOutput(rec *record.Image, img Image, logPath, shardSpec string, now time.Time) manifest.Output {
	o := manifest.Output{
		Instance:  img.Instance,
		BaseImage: img.BaseImage,
		Tags:      append([]string(nil), img.Tags...),
		LogPath:   logPath,
		Shard:     shardSpec,
	}
	if len(o.Tags) == 0 && rec.Tag != "" {
		o.Tags = []string{rec.Tag}
	}
	switch rec.Status {
	case record.StatusSkipped:
		o.Status = manifest.StatusSkipped
		r := skipReason
		o.SkipReason = &r
		o.StartedAt, o.FinishedAt = now, now
		if !rec.Start.IsZero() && !rec.End.IsZero() {
			o.StartedAt, o.FinishedAt = rec.Start, rec.End
		}
		o.RemoteCheckSeconds, o.DurationSeconds = rec.RemoteCheckSeconds, rec.RemoteCheckSeconds
		return o
	case record.StatusBuilt:
		o.Status = manifest.StatusBuilt
	default:
		o.Status = manifest.StatusFailed
		msg := rec.Error
		if msg == "" {
			msg = fmt.Sprintf("%s build failed", rec.Phase)
		}
		o.Error = &msg
	}
	o.AttemptCount = rec.Attempts
	own := rec.RemoteCheckSeconds + rec.DaemonWaitSeconds // the worker's time before the build
	o.StartedAt, o.FinishedAt = rec.Start.Add(-time.Duration(own*float64(time.Second))), rec.End
	if rec.Start.IsZero() {
		o.StartedAt, o.FinishedAt = now, now
	}
	o.DurationSeconds = own + rec.WallSeconds
	o.RemoteCheckSeconds = rec.RemoteCheckSeconds
	o.BuildSeconds = rec.WallSeconds
	o.SDKCacheImportSeconds = rec.CacheImportSeconds
	o.SDKCacheImportMissCount = rec.CacheImportMisses
	o.SDKCacheExportSeconds = rec.CacheExportSeconds
	o.SDKImageExportSeconds = rec.ImageExportSeconds
	o.SDKPushLayersSeconds = rec.LayerPushSeconds
	o.SDKExportManifestSeconds = rec.ManifestExportSeconds
	o.SDKCachedStepCount = rec.CachedSteps
	return o
}

// Combine folds the records of an instance's phases (in the order they
// were built; three-phase builds a base and an assembly) into one record
// for its manifest line: the first start to the last end, the sums of the
// phases' seconds, steps and waits, the most attempts any phase took, and
// the last phase's status, tag, digest and error. One record is returned
// as it is.
func Combine(phases []*record.Image) *record.Image {
	if len(phases) == 0 {
		return nil
	}
	last := phases[len(phases)-1]
	if len(phases) == 1 {
		return last
	}
	c := *last
	c.Start, c.End = phases[0].Start, last.End
	c.WallSeconds, c.PoolWaitSeconds, c.DaemonWaitSeconds, c.RemoteCheckSeconds, c.QueueSeconds, c.ExecSeconds, c.StepSeconds = 0, 0, 0, 0, 0, 0, 0
	c.ImageExportSeconds, c.LayerPushSeconds, c.ManifestExportSeconds = 0, 0, 0
	c.CacheImportSeconds, c.CacheExportSeconds, c.CacheImportMisses, c.CachedSteps, c.TotalSteps = 0, 0, 0, 0, 0
	for _, p := range phases {
		if !p.Start.IsZero() && (c.Start.IsZero() || p.Start.Before(c.Start)) {
			c.Start = p.Start
		}
		if p.End.After(c.End) {
			c.End = p.End
		}
		c.Attempts = max(c.Attempts, p.Attempts)
		c.WallSeconds += p.WallSeconds
		c.PoolWaitSeconds += p.PoolWaitSeconds
		c.DaemonWaitSeconds += p.DaemonWaitSeconds
		c.RemoteCheckSeconds += p.RemoteCheckSeconds
		c.QueueSeconds += p.QueueSeconds
		c.ExecSeconds += p.ExecSeconds
		c.StepSeconds += p.StepSeconds
		c.ImageExportSeconds += p.ImageExportSeconds
		c.LayerPushSeconds += p.LayerPushSeconds
		c.ManifestExportSeconds += p.ManifestExportSeconds
		c.CacheImportSeconds += p.CacheImportSeconds
		c.CacheExportSeconds += p.CacheExportSeconds
		c.CacheImportMisses += p.CacheImportMisses
		c.CachedSteps += p.CachedSteps
		c.TotalSteps += p.TotalSteps
	}
	return &c
}

// logText is the per-image log: the outcome, the timings and the error.
func logText(o manifest.Output, rec *record.Image) string {
	var b strings.Builder
	fmt.Fprintf(&b, "instance: %s\nstatus: %s\nbase_image: %s\ntags: %s\n", o.Instance, o.Status, o.BaseImage, strings.Join(o.Tags, " "))
	if rec != nil {
		fmt.Fprintf(&b, "phase: %s\nattempts: %d\nstarted_at: %s\nfinished_at: %s\n", rec.Phase, rec.Attempts,
			o.StartedAt.UTC().Format(manifest.TimeFormat), o.FinishedAt.UTC().Format(manifest.TimeFormat))
		fmt.Fprintf(&b, "wall_s: %.3f\npool_wait_s: %.3f\ndaemon_wait_s: %.3f\nremote_check_s: %.3f\nqueue_s: %.3f\nexec_s: %.3f\nimage_export_s: %.3f\nlayer_push_s: %.3f\n",
			rec.WallSeconds, rec.PoolWaitSeconds, rec.DaemonWaitSeconds, rec.RemoteCheckSeconds, rec.QueueSeconds, rec.ExecSeconds, rec.ImageExportSeconds, rec.LayerPushSeconds)
		fmt.Fprintf(&b, "cache_import_s: %.3f\ncache_import_misses: %d\ncache_export_s: %.3f\ncached_steps: %d/%d\n",
			rec.CacheImportSeconds, rec.CacheImportMisses, rec.CacheExportSeconds, rec.CachedSteps, rec.TotalSteps)
		if rec.Digest != "" {
			fmt.Fprintf(&b, "digest: %s\n", rec.Digest)
		}
		if rec.ErrClass != "" {
			fmt.Fprintf(&b, "error_class: %s\n", rec.ErrClass)
		}
	}
	if o.Error != nil {
		fmt.Fprintf(&b, "error:\n%s\n", *o.Error)
	}
	return b.String()
}

// writeLog writes the per-image log at path.
func writeLog(path string, o manifest.Output, rec *record.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating log folder: %w", err)
	}
	if err := os.WriteFile(path, []byte(logText(o, rec)), 0o644); err != nil {
		return fmt.Errorf("writing image log: %w", err)
	}
	return nil
}

// logName is the file name of an instance's log: the id itself when it is a plain file name
// (letters, digits, '-', '.' and '_', not starting with '.', at most 200 bytes), as the real
// script names it. Any other id (a workload file's ids are free-form) gets those characters
// with the rest replaced by '_', cut to 200 bytes, and a digest of the id, so that two ids never
// share a log ("a b__c-1" and "a_b__c-1") and the name fits a file system's 255 bytes.
func logName(id string) string {
	const most = 200
	b := []byte(id)
	changed := false
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			b[i] = '_'
			changed = true
		}
	}
	name := string(b)
	if changed || name == "" || name[0] == '.' || len(name) > most {
		sum := sha256.Sum256([]byte(id))
		name = strings.TrimLeft(name, ".")
		name = name[:min(len(name), most)] + "-" + hex.EncodeToString(sum[:6])
	}
	return name + ".log"
}
