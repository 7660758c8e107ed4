package input

import (
	"errors"
	"strings"
	"testing"
)

func TestBandwidth(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"unlimited", 0},
		{"0", 0},
		{" 0 ", 0},
		{"20MiB/s", 20 << 20},
		{"500KiB/s", 500 << 10},
		{"1GiB/s", 1 << 30},
		{"10MB/s", 10_000_000},
		{"3kB/s", 3000},
		{"3KB/s", 3000},
		{"2GB/s", 2_000_000_000},
		{"100B/s", 100},
		{"1.5MiB/s", 3 << 19},
		{"0.5kB/s", 500},
		{"20 MiB/s", 20 << 20},
		{"0MiB/s", 0},
	}
	for _, tt := range tests {
		got, err := Bandwidth(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Bandwidth(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestBandwidthBad(t *testing.T) {
	for _, in := range []string{
		"fast", "-1MiB/s", "12 parsecs", "", "20", "20MiB", "20Mb/s", "20mib/s",
		"1e3MB/s", "Inf MB/s", "0x10MB/s", "1.2.3MB/s", "MiB/s", "0.0001B/s",
		"99999999999GiB/s", "-0", "unlimited/s",
	} {
		got, err := Bandwidth(in)
		if err == nil {
			t.Errorf("Bandwidth(%q) = %d, want an error", in, got)
			continue
		}
		// The error names the value and what was expected.
		if !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("Bandwidth(%q) error %q does not name the value", in, err)
		}
	}
	_, err := Bandwidth("12 parsecs")
	if !strings.Contains(err.Error(), "MiB/s") {
		t.Errorf("error %q does not say what is expected", err)
	}
}

func TestFormatBandwidth(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "unlimited"},
		{20 << 20, "20MiB/s"},
		{500 << 10, "500KiB/s"},
		{1 << 30, "1GiB/s"},
		{10_000_000, "10MB/s"},
		{3000, "3kB/s"},
		{1536 << 10, "1536KiB/s"},
		{1234567, "1234567B/s"},
	}
	for _, tt := range tests {
		if got := FormatBandwidth(tt.in); got != tt.want {
			t.Errorf("FormatBandwidth(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzBandwidthRoundTrip(f *testing.F) {
	for _, s := range []string{"unlimited", "20MiB/s", "10MB/s", "1.5GiB/s", "7B/s", "1024kB/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bps, err := Bandwidth(s)
		if err != nil {
			return
		}
		str := FormatBandwidth(bps)
		back, err := Bandwidth(str)
		if err != nil || back != bps {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, bps, str, back, err)
		}
	})
}

func TestPruneSizes(t *testing.T) {
	if thr, kp, err := PruneSizes("2GiB", "1GiB"); err != nil || thr != 2<<30 || kp != 1<<30 {
		t.Errorf("PruneSizes(2GiB, 1GiB) = %d, %d, %v", thr, kp, err)
	}
	if thr, kp, err := PruneSizes("0", "0"); err != nil || thr != 0 || kp != 0 {
		t.Errorf("no policy: %d, %d, %v", thr, kp, err)
	}
	for _, c := range [][3]string{
		{"1GiB", "1GiB", "less than"}, {"1GiB", "2GiB", "less than"}, {"0", "1GiB", "without --prune-threshold"},
		{"x", "0", "--prune-threshold"}, {"1GiB", "-1", "--prune-keep"},
	} {
		_, _, err := PruneSizes(c[0], c[1])
		if err == nil || !errors.Is(err, ErrBad) || !strings.Contains(err.Error(), c[2]) {
			t.Errorf("PruneSizes(%q, %q) = %v, want bad input with %q", c[0], c[1], err, c[2])
		}
	}
}

func TestQuote(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{{"fast", `"fast"`}, {1.5, "1.5"}, {[]any{1}, "[1]"}, {strings.Repeat("ab", 40), `"` + strings.Repeat("ab", 30) + `"…`}, {"\x7fELF", `"\x7fELF"`}} {
		if got := Quote(c.v); got != c.want {
			t.Errorf("Quote(%v) = %s, want %s", c.v, got, c.want)
		}
	}
}

func TestSizeTera(t *testing.T) {
	for s, want := range map[string]int64{"2TiB": 2 << 40, "1.5TB": 1.5e12, "1TiB": 1 << 40} {
		if got, err := Size(s); err != nil || got != want {
			t.Errorf("Size(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

// A worker count or batch size beyond MaxCount is refused: such a value is a typo, and what is
// sized by it (a worker pool, the schedule of a sweep's estimate) would not fit in memory.
func TestCountsBounded(t *testing.T) {
	for _, s := range []string{"100001", "9223372036854775807"} {
		if n, err := PositiveInt(s); err == nil || !strings.Contains(err.Error(), "at most 100000") {
			t.Errorf("PositiveInt(%q) = %d, %v; want an error naming the bound", s, n, err)
		}
		if n, err := Batch(s); err == nil || !strings.Contains(err.Error(), "at most 100000") {
			t.Errorf("Batch(%q) = %d, %v; want an error naming the bound", s, n, err)
		}
	}
	if n, err := PositiveInt("100000"); err != nil || n != MaxCount {
		t.Errorf("PositiveInt(100000) = %d, %v", n, err)
	}
	if _, err := ParseConfig("workers=9223372036854775807"); err == nil {
		t.Error("ParseConfig accepts a worker count beyond MaxCount")
	}
}
