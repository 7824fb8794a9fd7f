package console

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// benchFleet is a fleet of n projects with a day of delay samples each
// (one every 5 minutes), as a console that has run for a day holds.
func benchFleet(b *testing.B, n int) *Console {
	b.Helper()
	fl := NewFleet()
	statuses := []string{"RUNNING", "RUNNING", "RUNNING", "FAILED", "FINISHED", "SUSPEND"}
	for i := range n {
		id := fmt.Sprintf("np_%06d", i)
		s := snap(b, id, "project_"+strconv.Itoa(i), statuses[i%len(statuses)], []string{"HIGH", "MEDIUM", "LOW"}[i%3], i%900,
			"team-"+strconv.Itoa(i%20), "env-"+strconv.Itoa(i%3))
		for k := 288; k >= 0; k-- {
			r := RowOf("oms://r", s, testNow.Add(-time.Duration(k)*5*time.Minute))
			r.Delay = time.Duration((i+k*7)%600) * time.Second
			fl.Update(r)
		}
	}
	fl.Loaded()
	c, err := New(Options{Fleet: fl, Live: NewLive(), Auth: Auth{OpenReads: true}, Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkFleetPage renders the fleet page (100 rows of 10,000, each
// with its sparkline) through the handler, for the usual queries. The
// target is 300 ms a page; bytes/page is the HTML's weight.
func BenchmarkFleetPage(b *testing.B) {
	c := benchFleet(b, 10_000)
	mux := http.NewServeMux()
	c.Register(mux)
	for _, q := range []struct{ name, query string }{
		{"first page", "/"},
		{"sorted by delay", "/?sort=delay&desc=1"},
		{"filtered", "/?status=RUNNING&label=team-3&q=project_1"},
		{"page 50", "/?page=50"},
		{"first page, gzip", "/"},
	} {
		b.Run(q.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, q.query, nil)
				if strings.HasSuffix(q.name, "gzip") {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				mux.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

// BenchmarkFleetFind is the baseline: filtering, sorting and paging the
// index alone, without rendering.
func BenchmarkFleetFind(b *testing.B) {
	c := benchFleet(b, 10_000)
	for b.Loop() {
		c.o.Fleet.Find(Query{Sort: "delay", Desc: true, Page: 1, PerPage: 100})
	}
}

// BenchmarkProjectPage renders a project page: a day of samples on the
// chart, its steps and timeline, its snapshot.
func BenchmarkProjectPage(b *testing.B) {
	c := benchFleet(b, 1)
	c.o.Snapshots = snapshotMap{"np_000000": snap(b, "np_000000", "project_0", "RUNNING", "HIGH", 30)}
	var evs []Stored
	for i := range maxTimeline {
		evs = append(evs, Stored{Seq: uint64(i), Event: event.Event{ID: strconv.Itoa(i), Source: "oms://r",
			Type: "oms.step.progress_changed", Subject: "np_000000", Time: testNow.Add(-time.Duration(i) * time.Minute),
			Severity: event.Info, Data: event.Data{Project: event.Project{ID: "np_000000"},
				Changes: []event.Change{{Op: "replace", Path: "/Steps/INCR_TRANSFER/Progress", Value: i}}}}})
	}
	c.o.History = history{evs}
	mux := http.NewServeMux()
	c.Register(mux)
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/projects/np_000000?window=24h", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// What the fleet's delay samples hold once every project has a day of
// them (a poll every 30 s), in heap bytes per project.
//
//	go test ./console -run '^$' -bench FleetSamplesMemory -benchtime 1x
func BenchmarkFleetSamplesMemory(b *testing.B) {
	const projects = 10000
	start := testNow.Unix()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		series := make([][]point, projects)
		for t := int64(0); t < 24*3600; t += 30 {
			for i := range series {
				series[i] = addPoint(series[i], samplePoint(start+t+int64(i%30), int32(t%600)))
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/projects, "bytes/project")
		runtime.KeepAlive(series)
	}
}
