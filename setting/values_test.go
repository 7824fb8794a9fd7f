package setting

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"0s", 0, ""},
		{"300ms", 300 * time.Millisecond, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"90d", 90 * day, ""},
		{"2w3d", 17 * day, ""},
		{"1.5d", 36 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"10", 0, "is not a duration"},
		{"10 s", 0, "is not a duration"},
		{"d", 0, "is not a duration"},
		{"3mo", 0, "is not a duration"},
		{"1h 30m", 0, "is not a duration"},
		{"-1s", 0, "is negative"},
		{"200000w", 0, "too long"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * 24 * time.Hour: "90d", 36 * time.Hour: "36h", time.Hour: "1h", 90 * time.Minute: "1h30m",
		10 * time.Minute: "10m", 500 * time.Millisecond: "500ms", 0: "0s",
	} {
		if got := Duration(d).String(); got != want {
			t.Errorf("Duration(%v).String() = %q, want %q", d, got, want)
		}
	}
}

func TestByteSizeAndRate(t *testing.T) {
	sizes := []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"1048576", 1 << 20, true}, {"64MiB", 64 << 20, true}, {"10GB", 10e9, true}, {"1.5KiB", 1536, true},
		{"0", 0, true}, {"1XB", 0, false}, {"-5", 0, false}, {"0.5B", 0, false}, {"1e30TiB", 0, false},
	}
	for _, tc := range sizes {
		var b ByteSize
		err := b.UnmarshalText([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && b != tc.want) {
			t.Errorf("ByteSize(%q) = %d, %v; want %d ok=%v", tc.in, b, err, tc.want, tc.ok)
		}
	}
	rates := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1/s", 1, true}, {"30/m", 0.5, true}, {"3600/h", 1, true}, {"2", 2, true}, {"0.5/s", 0.5, true},
		{"0/s", 0, false}, {"fast", 0, false}, {"1/d", 0, false}, {"NaN", 0, false},
	}
	for _, tc := range rates {
		var r Rate
		err := r.UnmarshalText([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && r.PerSecond() != tc.want) {
			t.Errorf("Rate(%q) = %v/s, %v; want %v ok=%v", tc.in, r.PerSecond(), err, tc.want, tc.ok)
		}
	}
}
