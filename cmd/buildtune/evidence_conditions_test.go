package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/buildtune/buildtune/analyze/evidence"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestEvidenceImagesBound: --images far beyond any build ran every
// simulated build out of memory ("fatal error: runtime: out of memory");
// it is bad input, exit 2, one line naming --images and the bound.
func TestEvidenceImagesBound(t *testing.T) {
	dir := copyRun(t)
	for _, tc := range []struct {
		flag string
		args []string
	}{
		{"--images", []string{"plan", dir, "--images", "99999999999", "--runners", "2"}},
		{"--images", []string{"recommend", dir, "--images", "99999999999"}},
		{"--images", []string{"report", dir, "--images", "99999999999"}},
		{"--cores", []string{"plan", dir, "--runners", "2", "--cores", "99999999"}},
	} {
		args, flag := tc.args, tc.flag
		r := runIn(t, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, flag) || !strings.Contains(r.stderr, "at most") ||
			strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%s: want exit 2 and one line naming %s and its bound\n%s", strings.Join(args, " "), flag, r)
		}
	}
}

// TestPlanInterrupted: a cancelled context (SIGINT/SIGTERM in main) stops
// a plan with exit 130 and a line saying so, instead of running on.
func TestPlanInterrupted(t *testing.T) {
	dir := copyRun(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, &stdout, &stderr, []string{"plan", dir, "--images", "500", "--deadline", "1h"})
	if code != exitInterrupted || !strings.Contains(stderr.String(), "plan stopped") {
		t.Errorf("cancelled plan: exit %d, want %d\nstdout: %s\nstderr: %s", code, exitInterrupted, stdout.String(), stderr.String())
	}
}

// twoConditionRun copies the synthetic sweep with every record also
// measured under a 16MiB/s registry (or, with capped, only under it and
// 32MiB/s).
func twoConditionRun(t *testing.T, caps ...string) string {
	t.Helper()
	dir := copyRun(t)
	path := filepath.Join(dir, "records.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cell := regexp.MustCompile(`"cell":"([^"]*)"`)
	trial := regexp.MustCompile(`"trial":([0-9]+)`)
	var out [][]byte
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if len(caps) == 0 {
			out = append(out, line)
		}
		for i, c := range append([]string{"16MiB/s"}, caps...) {
			if len(caps) > 0 && i == 0 {
				continue
			}
			cp := cell.ReplaceAll(bytes.Clone(line), []byte(`"cell":"${1}-bw`+c+`"`))
			cp = trial.ReplaceAllFunc(cp, func(m []byte) []byte {
				n, _ := strconv.Atoi(string(trial.FindSubmatch(m)[1]))
				return []byte(`"trial":` + strconv.Itoa(n+1000*(i+1)))
			})
			out = append(out, cp)
		}
	}
	if err := os.WriteFile(path, append(bytes.Join(out, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRecommendPerCondition: a sweep of two registry bandwidths gets one
// recommendation per condition (a JSON array with --json), or the one
// named by --registry-bandwidth; a condition not measured is bad input.
func TestRecommendPerCondition(t *testing.T) {
	dir := twoConditionRun(t)
	r := runIn(t, "recommend", dir)
	if r.code != exitOK || !strings.Contains(r.stdout, "== registry bandwidth 16MiB/s ==") || !strings.Contains(r.stdout, "== registry bandwidth unlimited ==") {
		t.Fatalf("recommend: want one recommendation per condition\n%s", r)
	}
	r = runIn(t, "recommend", dir, "--json")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &recs); r.code != exitOK || err != nil || len(recs) != 2 || recs[0]["registry_bandwidth"] != "16MiB/s" {
		t.Errorf("recommend --json: want an array of 2 (%v)\n%s", err, r)
	}
	r = runIn(t, "recommend", dir, "--registry-bandwidth", "16777216B/s")
	if r.code != exitOK || !strings.Contains(r.stdout, "-bw16MiB/s") || strings.Contains(r.stdout, "== registry") {
		t.Errorf("recommend --registry-bandwidth 16777216B/s: want that condition's alone\n%s", r)
	}
	r = runIn(t, "recommend", dir, "--registry-bandwidth", "32MiB/s")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--registry-bandwidth 32MiB/s") || !strings.Contains(r.stderr, "16MiB/s, unlimited") {
		t.Errorf("recommend --registry-bandwidth 32MiB/s: want exit 2 naming the conditions\n%s", r)
	}
	if r := runIn(t, "report", dir); r.code != exitOK {
		t.Errorf("report: %s", r)
	} else if md, err := os.ReadFile(filepath.Join(dir, "report.md")); err != nil || !strings.Contains(string(md), "### Registry bandwidth 16MiB/s") {
		t.Errorf("report.md lacks a decision per condition (%v)", err)
	}
}

// TestFromRecommendationCondition: build --from-recommendation takes the
// condition of the build's own registry (--registry-bandwidth, unlimited by
// default) from a sweep of several, for the build's own instances; it
// refuses, naming them, a sweep whose conditions do not hold the build's;
// a sweep of one condition is used with a warning when it is not the
// build's.
func TestFromRecommendationCondition(t *testing.T) {
	var workers int
	batch, cache, strategy := "", "", ""
	c := &cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	stderr := c.stderr.(*bytes.Buffer)
	fs := c.flags("build")
	target := evidence.Target{Repos: evidence.ReposOf([]string{"django__django-1", "django__django-2", "sympy__sympy-3"}), Name: "the 3 instances of this build"}
	if err := c.applyRecommendation(fs, twoConditionRun(t), target, 0, &workers, &batch, &cache, &strategy); err != nil {
		t.Fatalf("two conditions: %v", err)
	}
	if out := stderr.String(); !strings.Contains(out, "registry bandwidth unlimited") || !strings.Contains(out, "for the 3 instances of this build") {
		t.Errorf("want the unlimited condition's settings for the build's 3 instances: %s", out)
	}
	stderr.Reset()
	if err := c.applyRecommendation(fs, twoConditionRun(t), target, 16<<20, &workers, &batch, &cache, &strategy); err != nil {
		t.Fatalf("two conditions, a build at 16MiB/s: %v", err)
	}
	if !strings.Contains(stderr.String(), "registry bandwidth 16MiB/s") {
		t.Errorf("a build at 16MiB/s: want that condition's settings: %s", stderr)
	}
	err := c.applyRecommendation(fs, twoConditionRun(t, "16MiB/s", "32MiB/s"), target, 0, &workers, &batch, &cache, &strategy)
	if err == nil || !strings.Contains(err.Error(), "16MiB/s, 32MiB/s") || !strings.Contains(err.Error(), "not this build's (unlimited)") {
		t.Errorf("capped only: %v, want an error naming the conditions", err)
	}
	if code := c.exit(err); code != exitUsage {
		t.Errorf("capped only: exit %d, want 2", code)
	}
}

// TestReportWithoutRecommendation: a run without any built image has no
// recommendation; report still writes report.md saying so, exit 0.
func TestReportWithoutRecommendation(t *testing.T) {
	dir := copyRun(t)
	path := filepath.Join(dir, "records.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.ReplaceAll(data, []byte(`"status":"built"`), []byte(`"status":"failed","error_class":"build","error":"exit 1"`))
	data = bytes.ReplaceAll(data, []byte(`"built":6`), []byte(`"built":0,"failed":6`))
	data = regexp.MustCompile(`"images_per_hour":[0-9.e+]+`).ReplaceAll(data, []byte(`"images_per_hour":0`))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runIn(t, "recommend", dir); r.code != exitUsage {
		t.Errorf("recommend: want exit 2 (no candidate)\n%s", r)
	}
	r := runIn(t, "report", dir)
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if r.code != exitOK || err != nil || !strings.Contains(string(md), "No recommendation: ") {
		t.Errorf("report: want exit 0 and report.md with 'No recommendation:' (%v)\n%s", err, r)
	}
}
