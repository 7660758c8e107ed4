// Package shard is the planning step of the production build: it splits the
// instances over a CI matrix of shards and orders each shard's builds,
// longest expected first. Everything here is deterministic: the same ids (in
// any order) and durations give the same shards and order on every runner.
package shard

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// MaxCount is the largest shard count ParseSpec accepts.
const MaxCount = 1000

// Spec names one shard of a matrix: shard Index of Count, both from 1.
type Spec struct {
	Index int
	Count int
}

// String formats s as "i/n".
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseSpec parses "i/n" with 1 <= i <= n <= MaxCount.
func ParseSpec(s string) (Spec, error) {
	bad := func() (Spec, error) {
		return Spec{}, fmt.Errorf("parsing shard %q: want i/n with 1 <= i <= n <= %d", s, MaxCount)
	}
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return bad()
	}
	i, iok := number(is)
	n, nok := number(ns)
	if !iok || !nok || i < 1 || i > n || n > MaxCount {
		return bad()
	}
	return Spec{Index: i, Count: n}, nil
}

// number parses plain decimal digits, no sign or spaces.
func number(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// Repo is the repository part of an instance id, before "__"
// ("django__django-11099" -> "django"); "" when the id has no "__".
func Repo(id string) string {
	repo, _, ok := strings.Cut(id, "__")
	if !ok {
		return ""
	}
	return repo
}

// Expected returns the expected duration of each of ids (deduplicated). A
// duration from the map is used as is; an id missing from it (or with a
// negative, NaN or infinite value) gets the median of its repo's ids in the
// map, or the median of the whole map when its repo has none there. With an
// empty map every id expects 0.
func Expected(ids []string, durations map[string]float64) map[string]float64 {
	byRepo := map[string][]float64{}
	var all []float64
	for id, d := range durations {
		if !valid(d) {
			continue
		}
		byRepo[Repo(id)] = append(byRepo[Repo(id)], d)
		all = append(all, d)
	}
	repoMedian := make(map[string]float64, len(byRepo))
	for repo, ds := range byRepo {
		if repo != "" {
			repoMedian[repo] = median(ds)
		}
	}
	global := median(all)
	out := make(map[string]float64, len(ids))
	for _, id := range ids {
		if d, ok := durations[id]; ok && valid(d) {
			out[id] = d
		} else if m, ok := repoMedian[Repo(id)]; ok {
			out[id] = m
		} else {
			out[id] = global
		}
	}
	return out
}

func valid(d float64) bool { return d >= 0 && !math.IsInf(d, 0) && !math.IsNaN(d) }

// median is the middle value, or the mean of the two middle values; 0 for
// none.
func median(ds []float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]float64(nil), ds...)
	sort.Float64s(s)
	h := len(s) / 2
	if len(s)%2 == 1 {
		return s[h]
	}
	return (s[h-1] + s[h]) / 2
}

// Order returns ids (deduplicated) longest expected duration first (see
// Expected), ties by id. With no durations this is the ids sorted.
func Order(ids []string, durations map[string]float64) []string {
	exp := Expected(ids, durations)
	out := unique(ids)
	sort.SliceStable(out, func(i, j int) bool {
		return exp[out[i]] > exp[out[j]]
	})
	return out
}

// unique returns the distinct ids, sorted.
func unique(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	k := 0
	for i, id := range out {
		if i == 0 || id != out[k-1] {
			out[k] = id
			k++
		}
	}
	return out[:k]
}

// Partition splits ids (deduplicated) into n shards, every id in exactly
// one. With no durations (nil or empty map) the sorted ids are dealt round
// robin, so shard sizes differ by at most one. With durations, ids are taken
// longest expected first (see Order) and each goes to the shard with the
// least expected load so far, ties to the lower shard (LPT). Each shard
// lists its ids in build order: sorted, or longest first. n < 1 gives nil.
func Partition(ids []string, n int, durations map[string]float64) [][]string {
	if n < 1 {
		return nil
	}
	shards := make([][]string, n)
	if len(durations) == 0 {
		for i, id := range unique(ids) {
			shards[i%n] = append(shards[i%n], id)
		}
		return shards
	}
	exp := Expected(ids, durations)
	load := make([]float64, n)
	for _, id := range Order(ids, durations) {
		best := 0
		for s := 1; s < n; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		shards[best] = append(shards[best], id)
		load[best] += exp[id]
	}
	return shards
}

// Select returns the ids of shard spec, in build order (see Partition).
func Select(ids []string, spec Spec, durations map[string]float64) []string {
	shards := Partition(ids, spec.Count, durations)
	if spec.Index < 1 || spec.Index > len(shards) {
		return nil
	}
	return shards[spec.Index-1]
}
