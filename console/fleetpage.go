package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// fleetView is the fleet page's data.
type fleetView struct {
	Q       Query
	Res     Result
	Rows    []fleetRow
	Pages   int
	Columns []string
	// Prev and Next are the query strings of the neighbouring pages ("": none).
	Prev, Next string
	// SparkSpan is how far back the sparklines go.
	SparkSpan string
}

type fleetRow struct {
	Row
	Spark     string // the sparkline's SVG points ("" when no samples)
	SparkPeak string // its highest delay
	// ETA is when the delay should be caught up, at the rate it falls ("":
	// it is not falling).
	ETA string
}

func queryOf(v url.Values) Query {
	q := Query{Status: v.Get("status"), Phase: v.Get("phase"), Label: v.Get("label"),
		Importance: v.Get("importance"), Text: v.Get("q"), Sort: v.Get("sort"), Desc: v.Get("desc") == "1"}
	if !slices.Contains(sortColumns, q.Sort) {
		q.Sort = "name"
	}
	q.Page, _ = strconv.Atoi(v.Get("page"))
	q.Page = max(q.Page, 1)
	q.PerPage, _ = strconv.Atoi(v.Get("per"))
	if q.PerPage <= 0 || q.PerPage > 500 {
		q.PerPage = 100
	}
	return q
}

// values is q as a query string, with page set to page.
func (q Query) values(page int) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "phase": q.Phase, "label": q.Label,
		"importance": q.Importance, "q": q.Text} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Sort != "name" {
		v.Set("sort", q.Sort)
	}
	if q.Desc {
		v.Set("desc", "1")
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if q.PerPage != 100 {
		v.Set("per", strconv.Itoa(q.PerPage))
	}
	return v
}

// SortURL is the query string that sorts by col (reversing it when the
// page is sorted by col already).
func (q Query) SortURL(col string) string {
	n := q
	n.Desc = col == q.Sort && !q.Desc
	n.Sort = col
	return "?" + n.values(1).Encode()
}

func (c *Console) serveFleet(w http.ResponseWriter, r *http.Request) {
	q := queryOf(r.URL.Query())
	v := c.fleetView(q, c.o.Now())
	c.render(w, r, http.StatusOK, "fleet", "Fleet", v)
}

// fleetView builds the fleet page: the benchmarked path.
func (c *Console) fleetView(q Query, now time.Time) fleetView {
	res := c.o.Fleet.Find(q)
	v := fleetView{Q: q, Res: res, Columns: sortColumns}
	v.Pages = max((res.Matched+q.PerPage-1)/q.PerPage, 1)
	if q.Page > 1 {
		v.Prev = "?" + q.values(q.Page-1).Encode()
	}
	if q.Page < v.Pages {
		v.Next = "?" + q.values(q.Page+1).Encode()
	}
	// One time axis for the page's sparklines: from the earliest sample
	// of its rows (at most 24 h back), so their shapes compare.
	since := now.Add(-24 * time.Hour)
	samples := make([][]sample, len(res.Rows))
	from := now.Add(-time.Minute)
	for i, row := range res.Rows {
		samples[i] = c.o.Fleet.Samples(row.ID, since)
		if len(samples[i]) > 0 && samples[i][0].At.Before(from) {
			from = samples[i][0].At
		}
	}
	v.SparkSpan = human(now.Sub(from))
	v.Rows = make([]fleetRow, len(res.Rows))
	for i, row := range res.Rows {
		v.Rows[i] = fleetRow{Row: row}
		v.Rows[i].Spark, v.Rows[i].SparkPeak = sparkline(samples[i], from, now)
		if eta, ok := catchUp(samples[i]); ok && row.DelayKnown && row.Delay >= time.Minute {
			v.Rows[i].ETA = human(eta)
		}
	}
	return v
}
