package model

import "testing"

// TestFormatHoursPrecision: runner-hours below 1 keep two significant
// digits, so rows of a plan table ranked by them stay apart (0.11 and
// 0.13, not "0.1" twice beside a 0.077).
func TestFormatHoursPrecision(t *testing.T) {
	for _, c := range []struct {
		h    float64
		want string
	}{{0.114, "0.11"}, {0.126, "0.13"}, {0.077, "0.077"}, {0.0042, "0.0042"}, {0.8, "0.8"}, {2.54, "2.5"}, {12.34, "12.3"}, {0, "0.0"}} {
		if got := FormatHours(c.h); got != c.want {
			t.Errorf("FormatHours(%v) = %q, want %q", c.h, got, c.want)
		}
	}
}
