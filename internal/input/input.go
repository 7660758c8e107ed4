// Package input is the shared front door for user input, used by every
// stage: the sentinel that marks bad input (the CLI's exit status 2) and
// the one parser of sizes, bandwidths, durations and comma lists that the
// grid, the profile, the registry proxy and the flags all use.
package input

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrBad marks bad input: a value the user gave that cannot be used. The
// CLI prints such an error as one line and exits with status 2.
var ErrBad = errors.New("bad input")

// Error is a bad input: What names the input (a flag, a file, a key) and
// Msg says what was expected.
type Error struct {
	What string
	Msg  string
}

func (e *Error) Error() string {
	if e.What == "" {
		return e.Msg
	}
	return e.What + ": " + e.Msg
}

// Is makes errors.Is(err, ErrBad) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrBad }

// Errorf returns a bad-input error naming what.
func Errorf(what, format string, args ...any) error {
	return &Error{What: what, Msg: fmt.Sprintf(format, args...)}
}

// Bad wraps err as bad input naming what (nil stays nil).
func Bad(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, &wrapped{err})
}

type wrapped struct{ err error }

func (w *wrapped) Error() string        { return w.err.Error() }
func (w *wrapped) Unwrap() error        { return w.err }
func (w *wrapped) Is(target error) bool { return target == ErrBad }

// List parses a comma-separated value into items with item, trimming
// spaces. An empty value, an empty item or an item listed twice (by its
// label) is an error naming what.
func List[T comparable](what, s string, item func(string) (T, error), label func(T) string) ([]T, error) {
	if strings.TrimSpace(s) == "" {
		return nil, Errorf(what, "empty list, want comma-separated values")
	}
	parts := strings.Split(s, ",")
	out := make([]T, 0, len(parts))
	seen := map[T]bool{}
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, Errorf(what, "%q: item %d is empty", s, i+1)
		}
		v, err := item(part)
		if err != nil {
			if strings.HasPrefix(err.Error(), what) {
				return nil, &wrapped{err} // "cache mode ..." names the cache list already
			}
			return nil, fmt.Errorf("%s %w", what, &wrapped{err})
		}
		if seen[v] {
			return nil, &Error{Msg: fmt.Sprintf("%s %s: listed twice", what, label(v))}
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, nil
}

// Strings splits a comma-separated value into trimmed, non-empty items.
func Strings(what, s string) ([]string, error) {
	return List(what, s, func(s string) (string, error) { return s, nil }, func(s string) string { return s })
}

// MaxCount is the largest worker count or batch size accepted: far above any
// real build, and low enough that what is sized by it (a worker pool, the
// schedule of an estimate) fits in memory.
const MaxCount = 100_000

// PositiveInt parses a whole number from 1 to MaxCount.
func PositiveInt(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > MaxCount {
		return 0, fmt.Errorf("%q: want a positive integer (at most %d)", s, MaxCount)
	}
	return n, nil
}

// Batch parses a batch size: a positive integer up to MaxCount, or "stream"
// (0: one continuous pool, no barrier).
func Batch(s string) (int, error) {
	if strings.EqualFold(strings.TrimSpace(s), "stream") {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > MaxCount {
		return 0, fmt.Errorf("%q: want a positive integer or stream (at most %d)", s, MaxCount)
	}
	return n, nil
}

// BatchLabel writes a batch size as Batch reads it.
func BatchLabel(n int) string {
	if n == 0 {
		return "stream"
	}
	return strconv.Itoa(n)
}

var sizeUnits = []struct {
	suffix string
	n      int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"B", 1}}

const sizeWant = "want 0 or more bytes, or a number with B, KiB, MiB, GiB, TiB, kB, MB, GB or TB (like 2GiB)"

// sizeMax is the largest size Size reads, in TiB (what an int64 holds).
var sizeMax = fmt.Sprintf("%dTiB", int64(math.MaxInt64>>40))

// Size parses a size in bytes: "123", "123B", "512KiB", "1.5MiB", "2GiB", "1TiB"
// (binary) or "10MB", "1GB", "2TB" (SI). Negative sizes are refused.
func Size(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.n
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && math.IsInf(f, 0):
		// A number beyond a float64: negative or too large, below.
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return 0, fmt.Errorf("size %q: %s", s, sizeWant)
	}
	if f < 0 {
		return 0, fmt.Errorf("size %q: negative; %s", s, sizeWant)
	}
	if f*float64(mult) >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q: too large; want at most %s", s, sizeMax)
	}
	return int64(math.Round(f * float64(mult))), nil
}

// FormatSize writes a size with the largest binary unit that divides it.
func FormatSize(b int64) string {
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && b%u.n == 0 {
			return strconv.FormatInt(b/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(b, 10) + "B"
}

// HumanSize writes a size rounded for reading: "1.5 GiB", "320 MiB".
func HumanSize(b float64) string {
	switch a := math.Abs(b); {
	case a >= 1<<30:
		return strconv.FormatFloat(b/(1<<30), 'f', 2, 64) + " GiB"
	case a >= 1<<20:
		return strconv.FormatFloat(b/(1<<20), 'f', 1, 64) + " MiB"
	case a >= 1<<10:
		return strconv.FormatFloat(b/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(b, 'f', 0, 64) + " B"
}

var bandwidthUnits = []struct {
	suffix string
	mult   int64
}{
	{"GiB/s", 1 << 30},
	{"MiB/s", 1 << 20},
	{"KiB/s", 1 << 10},
	{"GB/s", 1e9},
	{"MB/s", 1e6},
	{"kB/s", 1e3},
	{"KB/s", 1e3},
	{"B/s", 1},
}

const bandwidthWant = `want "unlimited", 0, or a number with a unit B/s, kB/s, MB/s, GB/s, KiB/s, MiB/s or GiB/s (like 20MiB/s)`

// bandwidthMax is the largest bandwidth Bandwidth reads, in GiB/s (what an
// int64 of bytes per second holds).
var bandwidthMax = fmt.Sprintf("%dGiB/s", int64(math.MaxInt64>>30))

// Bandwidth parses a bandwidth cap in bytes per second: "unlimited" or
// "0" (both 0, no cap), or a non-negative decimal number with a unit, SI
// ("10MB/s" is 10,000,000) or binary ("20MiB/s" is 20×2^20). Units are
// case-sensitive, so that "Mb/s" (megabits) is refused rather than misread.
func Bandwidth(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "unlimited" || t == "0" {
		return 0, nil
	}
	for _, u := range bandwidthUnits {
		num, ok := strings.CutSuffix(t, u.suffix)
		if !ok {
			continue
		}
		num = strings.TrimSpace(num)
		if strings.HasPrefix(num, "-") {
			return 0, fmt.Errorf("bandwidth %q: negative; %s", s, bandwidthWant)
		}
		if !isDecimal(num) {
			return 0, fmt.Errorf("bandwidth %q: %s", s, bandwidthWant)
		}
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			if n > math.MaxInt64/u.mult {
				return 0, fmt.Errorf("bandwidth %q: too large; want at most %s", s, bandwidthMax)
			}
			return n * u.mult, nil
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) { // out of a float64's range: too large below
			return 0, fmt.Errorf("bandwidth %q: %s", s, bandwidthWant)
		}
		v := math.Round(f * float64(u.mult))
		switch {
		case v >= math.MaxInt64:
			return 0, fmt.Errorf("bandwidth %q: too large; want at most %s", s, bandwidthMax)
		case v == 0 && f != 0:
			return 0, fmt.Errorf("bandwidth %q: below 1 B/s", s)
		}
		return int64(v), nil
	}
	return 0, fmt.Errorf("bandwidth %q: %s", s, bandwidthWant)
}

// FormatBandwidth writes a cap the way Bandwidth reads it: "unlimited"
// for 0, otherwise the exact value in the unit that gives the smallest whole
// number (20971520 is "20MiB/s", 10000000 is "10MB/s").
func FormatBandwidth(bps int64) string {
	if bps == 0 {
		return "unlimited"
	}
	best, unit := bps, "B/s"
	for _, u := range bandwidthUnits {
		if bps%u.mult == 0 && bps/u.mult < best {
			best, unit = bps/u.mult, u.suffix
		}
	}
	return strconv.FormatInt(best, 10) + unit
}

// MaxDuration is the longest duration accepted: a year, far above any
// build, deadline, budget or latency, and far below what time.Duration
// holds (about 2562047h), so that a typo such as 99999999h is named as too
// long rather than as something that is not a duration.
const MaxDuration = 365 * 24 * time.Hour

const durationWant = "want a Go duration such as 90s, 45m or 3h"

// durationMax says the bound of a duration as ParseDuration reads it.
var durationMax = fmt.Sprintf("at most %dh (a year)", MaxDuration/time.Hour)

// ParseDuration parses a Go duration ("90s", "3h", "1h30m", "0", "-5m")
// whose size is at most MaxDuration. A well-formed duration beyond it,
// also one beyond what time.Duration holds, is too long; zero and negative
// durations are returned for the caller to judge.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	d, err := time.ParseDuration(t)
	switch {
	case err != nil && durationSyntax(t):
		// Well-formed: time.ParseDuration refuses it only on overflow.
		return 0, fmt.Errorf("duration %q: too long; want %s", s, durationMax)
	case err != nil:
		return 0, fmt.Errorf("duration %q: %s", s, durationWant)
	case d > MaxDuration || d < -MaxDuration:
		return 0, fmt.Errorf("duration %q: too long; want %s", s, durationMax)
	}
	return d, nil
}

// Duration parses a Go duration ("90s", "3h", "1h30m") that must be
// positive and at most MaxDuration.
func Duration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") && durationSyntax(t) {
		return 0, fmt.Errorf("duration %q: want a positive duration, %s", s, durationMax)
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q: want a positive duration", s)
	}
	return d, nil
}

// durationSyntax reports whether s is written as time.ParseDuration reads
// a duration, whatever its size: an optional sign, then "0" or one or more
// decimal numbers each followed by a unit (ns, us, µs, ms, s, m, h).
func durationSyntax(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "0" {
		return true
	}
	if s == "" {
		return false
	}
	for s != "" {
		digits, dots, i := 0, 0, 0
		for ; i < len(s) && (s[i] == '.' || s[i] >= '0' && s[i] <= '9'); i++ {
			if s[i] == '.' {
				dots++
			} else {
				digits++
			}
		}
		if digits == 0 || dots > 1 {
			return false
		}
		s = s[i:]
		j := 0
		for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
			j++
		}
		switch s[:j] {
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		default:
			return false
		}
		s = s[j:]
	}
	return true
}

// Fraction parses a number in [0, 1]; a trailing % divides by 100.
func Fraction(s string) (float64, error) {
	t := strings.TrimSpace(s)
	div := 1.0
	if p, ok := strings.CutSuffix(t, "%"); ok {
		t, div = strings.TrimSpace(p), 100
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q: want a fraction between 0 and 1, or a percentage such as 3%%", s)
	}
	f /= div
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q: want a fraction between 0 and 1, or a percentage such as 3%%", s)
	}
	return f, nil
}

// isDecimal reports whether s is digits with at most one decimal point and
// at least one digit: no sign, exponent, hex or "Inf".
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// PruneSizes parses a prune policy given as the flags --prune-threshold
// and --prune-keep: prune a cache that reaches threshold down to keep.
// A keep without a threshold, or a keep not below the threshold (a prune
// that frees nothing and so runs again at every chance), is bad input.
func PruneSizes(threshold, keep string) (thr, kp int64, err error) {
	if thr, err = Size(threshold); err != nil {
		return 0, 0, Bad("--prune-threshold", err)
	}
	if kp, err = Size(keep); err != nil {
		return 0, 0, Bad("--prune-keep", err)
	}
	switch {
	case thr == 0 && kp > 0:
		return 0, 0, Errorf("--prune-keep", "%s without --prune-threshold: want a threshold too (a prune keeps part of a cache that reached it)", keep)
	case thr > 0 && kp >= thr:
		return 0, 0, Errorf("--prune-keep", "%s: want less than --prune-threshold %s (a prune must free something)", keep, threshold)
	}
	return thr, kp, nil
}

// Quote shows a value in an error message: a string quoted, anything
// else as Go prints it, cut to its first 60 characters, so that a whole
// file read as one value cannot flood the one line that reports it.
func Quote(v any) string {
	s, isString := v.(string)
	if !isString {
		s = fmt.Sprint(v)
	}
	cut := ""
	if r := []rune(s); len(r) > 60 {
		s, cut = string(r[:60]), "…"
	}
	if isString {
		s = strconv.Quote(s)
	}
	return s + cut
}

// PathCause is the cause of a *fs.PathError, for a message that names
// the path itself ("cannot write in DIR: permission denied"), or err
// itself.
func PathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
