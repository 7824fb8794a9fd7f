package main

import (
	"regexp"
	"strconv"
	"testing"
)

// A short load run against a simulator child process: bench prints every
// figure, with polls and deliveries counted.
func TestBenchPrintsFigures(t *testing.T) {
	code, out, errOut := runCLI(t, "bench", "--projects", "30", "--duration", "6s", "--schedule", "@every 1s",
		"--jitter", "0s", "--tick", "500ms", "--log-level", "warn", "--dir", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, re := range []string{`(?m)^cpu +\S+ \(\d+\.\d\d cores\)$`, `(?m)^peak rss +\d+ MB$`,
		`(?m)^latency +p50 \S+ +p90 \S+ +p99 \S+ +max \S+`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no line matching %s in:\n%s", re, out)
		}
	}
	for _, name := range []string{"polls", "events"} {
		m := regexp.MustCompile(`(?m)^` + name + ` +(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s line in:\n%s", name, out)
		}
		// 30 projects discovered, then polled every second for 6s.
		if n, _ := strconv.Atoi(m[1]); n < 30 {
			t.Errorf("%s = %d, want at least 30:\n%s", name, n, out)
		}
	}
}
