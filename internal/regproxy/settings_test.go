package regproxy

import (
	"strings"
	"testing"
	"time"
)

func TestParseBandwidth(t *testing.T) {
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
		got, err := ParseBandwidth(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseBandwidth(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseBandwidthBad(t *testing.T) {
	for _, in := range []string{
		"fast", "-1MiB/s", "12 parsecs", "", "20", "20MiB", "20Mb/s", "20mib/s",
		"1e3MB/s", "Inf MB/s", "0x10MB/s", "1.2.3MB/s", "MiB/s", "0.0001B/s",
		"99999999999GiB/s", "-0", "unlimited/s",
	} {
		got, err := ParseBandwidth(in)
		if err == nil {
			t.Errorf("ParseBandwidth(%q) = %d, want an error", in, got)
			continue
		}
		// The error names the value and what was expected.
		if !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseBandwidth(%q) error %q does not name the value", in, err)
		}
	}
	_, err := ParseBandwidth("12 parsecs")
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
		bps, err := ParseBandwidth(s)
		if err != nil {
			return
		}
		str := FormatBandwidth(bps)
		back, err := ParseBandwidth(str)
		if err != nil || back != bps {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, bps, str, back, err)
		}
	})
}

func TestParseBandwidthList(t *testing.T) {
	got, err := ParseBandwidthList("20MiB/s,unlimited")
	if err != nil || len(got) != 2 || got[0] != 20<<20 || got[1] != 0 {
		t.Errorf("ParseBandwidthList = %v, %v", got, err)
	}
	if _, err := ParseBandwidthList("20MiB/s,fast"); err == nil || !strings.Contains(err.Error(), `"fast"`) {
		t.Errorf("ParseBandwidthList with a bad cap: error %v", err)
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		in        string
		want      Settings
		wantLabel string
	}{
		{"", Settings{}, "direct"},
		{"direct", Settings{}, "direct"},
		{
			"latency=20ms,errors=0.05,drops=0.01,bw=20MiB/s",
			Settings{BandwidthBytesPerSec: 20 << 20, Latency: 20 * time.Millisecond, ErrorRate: 0.05, DropRate: 0.01},
			"bw=20MiB/s,latency=20ms,errors=0.05,drops=0.01",
		},
		{
			"bandwidth=10MB/s, seed=42",
			Settings{BandwidthBytesPerSec: 10_000_000, Seed: 42},
			"bw=10MB/s",
		},
		{
			"errors=0.2,status=503",
			Settings{ErrorRate: 0.2, ErrorStatus: 503},
			"errors=0.2,status=503",
		},
		{"bw=unlimited", Settings{}, "direct"},
		{"seed=-3", Settings{Seed: -3}, "direct"},
	}
	for _, tt := range tests {
		got, err := ParseSettings(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSettings(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if l := got.Label(); l != tt.wantLabel {
			t.Errorf("ParseSettings(%q).Label() = %q, want %q", tt.in, l, tt.wantLabel)
		}
		back, err := ParseSettings(got.String())
		if err != nil || back != got {
			t.Errorf("ParseSettings(%q) = %+v, %v; want %+v", got.String(), back, err, got)
		}
	}
}

func TestParseSettingsBad(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"bw=fast", `bandwidth "fast"`},
		{"latency=soon", `latency "soon"`},
		{"latency=-5ms", "latency -5ms"},
		{"errors=1.5", `error rate "1.5"`},
		{"drops=-0.1", `drop rate "-0.1"`},
		{"drops=NaN", `drop rate "NaN"`},
		{"errors=0.6,drops=0.6", "at most 1 together"},
		{"status=404", "error status 404"},
		{"seed=x", `seed "x"`},
		{"jitter=5ms", `unknown key "jitter"`},
		{"bw=1MiB/s,bw=2MiB/s", "bw given twice"},
		{"latency", "want key=value"},
	}
	for _, tt := range tests {
		_, err := ParseSettings(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseSettings(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New("localhost", Settings{}); err == nil {
		t.Error("New with no port: no error")
	}
	if _, err := New("127.0.0.1:5000", Settings{ErrorRate: 2}); err == nil {
		t.Error("New with error rate 2: no error")
	}
}
