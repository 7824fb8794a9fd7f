package omsapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms/omssim"
)

// countingSimulator serves g behind a front that notes when each OMS
// request arrives, throttled ones included (the simulator's own counter
// leaves faulted requests out), and returns the requests per second over
// the last window.
func countingSimulator(t *testing.T, g omssim.Scenario) (*omssim.TestServer, func(time.Duration) float64) {
	t.Helper()
	srv, err := omssim.New(omssim.Options{Scenario: g, ManualClock: true, Seed: 1,
		AccessKeys: []omssim.AccessKey{{ID: omssim.DemoAccessKeyID, Secret: omssim.DemoAccessKeySecret}}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var arrivals []time.Time
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			mu.Lock()
			arrivals = append(arrivals, time.Now())
			mu.Unlock()
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); hs.Close() })
	rate := func(window time.Duration) float64 {
		since := time.Now().Add(-window)
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, at := range arrivals {
			if at.After(since) {
				n++
			}
		}
		return float64(n) / window.Seconds()
	}
	return &omssim.TestServer{Server: srv, URL: hs.URL, Endpoint: strings.TrimPrefix(hs.URL, "http://")}, rate
}

func TestThrottlingLowersTheRequestRate(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 3, Projects: 5, MaxTables: 3})
	if err != nil {
		t.Fatal(err)
	}
	front, rate := countingSimulator(t, g)
	// A QPS low enough that the unthrottled rate is bound by the limiter, not
	// by the CPU of a loaded CI machine, so the two rates compare fairly.
	api := cloudClient(t, front, Options{QPS: 20, MaxInFlight: 4,
		Retry: RetryPolicy{MaxAttempts: 1}}, omssim.DemoAccessKeySecret)
	id := g.IDs()[0]
	measure := func() float64 {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, _ = api.Fetch(ctx, id)
				}
			})
		}
		time.Sleep(1500 * time.Millisecond) // let the rate settle; measure the last second
		r := rate(time.Second)
		wg.Wait()
		return r
	}
	free := measure()
	faults, _ := omssim.ParseFaults("throttle=1ms@0.3")
	if err := front.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	throttled := measure()
	t.Logf("requests/s reaching OMS: %.0f unthrottled, %.0f while 30%% are answered Throttling.User (%.0f%% less); client rate now %.1f/s",
		free, throttled, 100*(1-throttled/free), api.Stats().Rate)
	if throttled > free*0.7 {
		t.Errorf("%.0f requests/s while throttled, %.0f before: want at least 30%% fewer", throttled, free)
	}
	if api.Stats().Throttled == 0 {
		t.Error("no throttling counted")
	}
}
