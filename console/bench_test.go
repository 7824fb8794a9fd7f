package console

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
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
	} {
		b.Run(q.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, q.query, nil))
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
