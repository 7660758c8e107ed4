package input

import (
	"strings"
	"testing"
	"time"
)

// TestDurationOverflow: a well-formed duration beyond what time.Duration
// holds (99999999h) was called not a Go duration, which it is; it, and
// one beyond MaxDuration, is now too long, naming the bound.
func TestDurationOverflow(t *testing.T) {
	for _, s := range []string{"99999999h", "9999999999999999999ns", "2562048h", "1.5e3h", "8761h", "9000000m", "100000h30m"} {
		d, err := Duration(s)
		if err == nil {
			t.Errorf("Duration(%q) = %v, want an error", s, d)
			continue
		}
		if s == "1.5e3h" { // not a Go duration: no exponents
			if !strings.Contains(err.Error(), "want a Go duration") {
				t.Errorf("Duration(%q): %v, want the form", s, err)
			}
			continue
		}
		for _, want := range []string{`"` + s + `"`, "too long", "at most 8760h"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Duration(%q) error %q does not say %q", s, err, want)
			}
		}
	}
	for _, s := range []string{"-99999999h", "-3h", "0s", "0"} {
		if _, err := Duration(s); err == nil || !strings.Contains(err.Error(), "positive") {
			t.Errorf("Duration(%q): %v, want an error asking for a positive duration", s, err)
		}
	}
	for s, want := range map[string]time.Duration{"8760h": MaxDuration, "3h": 3 * time.Hour, " 90s ": 90 * time.Second, "1h30m": 90 * time.Minute, "1.5h": 90 * time.Minute, "500µs": 500 * time.Microsecond} {
		if d, err := Duration(s); err != nil || d != want {
			t.Errorf("Duration(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
	// ParseDuration takes zero and negative durations, bounded either way.
	for s, want := range map[string]time.Duration{"0": 0, "-5m": -5 * time.Minute, "8760h": MaxDuration} {
		if d, err := ParseDuration(s); err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
	for _, s := range []string{"99999999h", "-99999999h", "-8761h"} {
		if _, err := ParseDuration(s); err == nil || !strings.Contains(err.Error(), "too long") {
			t.Errorf("ParseDuration(%q): %v, want too long", s, err)
		}
	}
	if _, err := ParseDuration("soon"); err == nil || !strings.Contains(err.Error(), "want a Go duration") {
		t.Errorf("ParseDuration(soon): %v", err)
	}
}

// TestSizeOverflow: a size beyond int64, or negative, names what is
// expected, not only what is wrong.
func TestSizeOverflow(t *testing.T) {
	for _, c := range [][2]string{
		{"99999999999TiB", "too large; want at most 8388607TiB"},
		{"9223372036854775808", "too large"},
		{"1e400", "too large"},
		{"-1", "negative; want"},
		{"-1GiB", "negative; want"},
		{"-1e400", "negative"},
	} {
		n, err := Size(c[0])
		if err == nil {
			t.Errorf("Size(%q) = %d, want an error", c[0], n)
			continue
		}
		if !strings.Contains(err.Error(), `"`+c[0]+`"`) || !strings.Contains(err.Error(), c[1]) {
			t.Errorf("Size(%q) error %q, want the value and %q", c[0], err, c[1])
		}
	}
	if n, err := Size("8388607TiB"); err != nil || n != 8388607<<40 {
		t.Errorf("Size(8388607TiB) = %d, %v", n, err)
	}
	if _, err := Bandwidth("99999999999GiB/s"); err == nil || !strings.Contains(err.Error(), "want at most 8589934591GiB/s") {
		t.Errorf("Bandwidth(99999999999GiB/s): %v, want the bound", err)
	}
	if n, err := Bandwidth("8589934591GiB/s"); err != nil || n != 8589934591<<30 {
		t.Errorf("Bandwidth(8589934591GiB/s) = %d, %v", n, err)
	}
}

// TestBandwidthHugeDigits: a bandwidth of more digits than a float64
// holds is too large, not malformed.
func TestBandwidthHugeDigits(t *testing.T) {
	s := strings.Repeat("9", 400) + "MB/s"
	if _, err := Bandwidth(s); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("Bandwidth(400 nines): %v, want too large", err)
	}
}

// TestSizeNotANumber: Inf and NaN are not sizes, whatever ParseFloat
// makes of them.
func TestSizeNotANumber(t *testing.T) {
	for _, s := range []string{"Inf", "+Inf", "infinity", "NaN", "InfGiB"} {
		if _, err := Size(s); err == nil || !strings.Contains(err.Error(), "want 0 or more bytes") {
			t.Errorf("Size(%q): %v, want the form", s, err)
		}
	}
}
