package regproxy

import (
	"strings"
	"testing"
	"time"
)

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
		{"latency=1000h", "latency 1000h0m0s: want 0 or more, at most 1m0s"},
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
