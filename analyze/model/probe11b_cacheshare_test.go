package model

import (
	"strings"
	"testing"
)

// The cache export's share of an image's time is taken over the builds
// that run at once, not over the nominal workers: 9999 workers at batch 3
// run 3 builds at once, so a 10 s build of 5 images is 6 worker-seconds per
// image, not 19998.
func TestProbe11bCacheShareUsesBuildsAtOnce(t *testing.T) {
	cd := Candidate{
		Config:             Config{Name: "w9999-b3-min-single", Workers: 9999, Batch: 3, CacheMode: "min", Strategy: "single"},
		Prediction:         Prediction{Images: 5, Workers: 9999, Batch: 3, Median: 10},
		CacheExportSeconds: 1.5,
	}
	got := strings.Join(cacheReasons(cd), " ")
	if !strings.Contains(got, "(25% of the 6 worker-seconds per image)") {
		t.Errorf("cacheReasons = %q, want the share of 6 worker-seconds per image (3 builds at once)", got)
	}
	// A stream of 4 workers over 2 images runs 2 at once.
	cd = Candidate{
		Config:             Config{Workers: 4, Batch: 0, CacheMode: "max"},
		Prediction:         Prediction{Images: 2, Workers: 4, Median: 10},
		CacheExportSeconds: 5,
	}
	got = strings.Join(cacheReasons(cd), " ")
	if !strings.Contains(got, "(50% of the 10 worker-seconds per image)") {
		t.Errorf("cacheReasons = %q, want the share of 10 worker-seconds per image (2 builds at once)", got)
	}
}
