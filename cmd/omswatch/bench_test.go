package main

import (
	"regexp"
	"strconv"
	"testing"
)

// A short load run against a simulator child process: bench prints every
// figure, with polls and deliveries counted, and times every change the
// simulator made: polled every second, each is seen.
func TestBenchPrintsFigures(t *testing.T) {
	code, out, errOut := runCLI(t, "bench", "--projects", "30", "--duration", "6s", "--schedule", "@every 1s",
		"--jitter", "0s", "--tick", "500ms", "--settle", "1m", "--qps", "1000", "--log-level", "warn", "--dir", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, re := range []string{`(?m)^cpu +\S+ \(\d+\.\d\d cores\)$`, `(?m)^peak rss +\d+ MB$`,
		`(?m)^latency +p50 \S+ +p90 \S+ +p99 \S+ +max \S+`, `(?m)^at peak rss +\d+ MB after \S+: heap \d+ MB \(live \d+ MB`,
		`(?m)^latency split +to the outbox p50 \S+ +p99 \S+; outbox to NATS p50 \S+ +p99 \S+$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no line matching %s in:\n%s", re, out)
		}
	}
	det := regexp.MustCompile(`(?m)^detection +p50 \S+ +p90 \S+ +p99 \S+ +max \S+ .*; (\d+) changes, (\d+) never seen\)$`).FindStringSubmatch(out)
	if det == nil {
		t.Fatalf("no detection line in:\n%s", out)
	}
	if changes, _ := strconv.Atoi(det[1]); changes < 10 || det[2] != "0" {
		t.Errorf("detection: %s changes, %s never seen; want at least 10, every one seen:\n%s", det[1], det[2], out)
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
