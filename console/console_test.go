package console

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/omswatch/omswatch/event"
)

func TestPagesShowOMSTextAsText(t *testing.T) {
	f := start(t, Auth{OpenReads: true})
	for _, path := range []string{"/", "/projects/np_2", "/?q=script"} {
		t.Run(path, func(t *testing.T) {
			resp, body := f.do(t, http.MethodGet, path, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d:\n%s", resp.StatusCode, body)
			}
			if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>FAILED") {
				t.Fatalf("OMS text reached the page as markup:\n%s", body)
			}
			if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Fatalf("the project's name is not shown as text:\n%s", body)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := start(t, Auth{OpenReads: true})
	for _, path := range []string{"/", "/projects/np_1", "/silences", "/incidents", "/static/console.css", "/projects/nope"} {
		t.Run(path, func(t *testing.T) {
			resp, _ := f.do(t, http.MethodGet, path, "")
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q allows inline code", csp)
			}
			if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options %q", got)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
		})
	}
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return "Authorization: " + r.Header.Get("Authorization")
}

func hash(t *testing.T, pass string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	must(t, err)
	return string(h)
}

func TestReadAccess(t *testing.T) {
	users := map[string]string{"alice": hash(t, "s3cret-pass")}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	elsewhere := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	const token = "0123456789abcdef0123"
	cases := []struct {
		name    string
		auth    Auth
		headers []string
		want    int
	}{
		{"loopback reads are open", Auth{OpenReads: true}, nil, 200},
		{"elsewhere anonymous is refused", Auth{Users: users}, nil, 401},
		{"basic user", Auth{Users: users}, []string{basic("alice", "s3cret-pass")}, 200},
		{"basic wrong password", Auth{Users: users}, []string{basic("alice", "guess")}, 401},
		{"basic unknown user", Auth{Users: users}, []string{basic("mallory", "s3cret-pass")}, 401},
		{"bearer token", Auth{BearerToken: token}, []string{"Authorization: Bearer " + token}, 200},
		{"wrong bearer token", Auth{BearerToken: token}, []string{"Authorization: Bearer nope"}, 401},
		{"header from a trusted proxy", Auth{TrustedProxies: loopback}, []string{"X-Forwarded-User: bob"}, 200},
		{"email header from a trusted proxy", Auth{TrustedProxies: loopback}, []string{"X-Forwarded-Email: bob@example.com"}, 200},
		{"header from an untrusted address", Auth{TrustedProxies: elsewhere}, []string{"X-Forwarded-User: bob"}, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.auth)
			for _, path := range []string{"/", "/projects/np_1", "/silences", "/live"} {
				if path == "/live" && tc.want == 200 {
					continue // a stream that stays open
				}
				resp, body := f.do(t, http.MethodGet, path, "", tc.headers...)
				if resp.StatusCode != tc.want {
					t.Fatalf("GET %s: status %d, want %d:\n%s", path, resp.StatusCode, tc.want, body)
				}
				if tc.want == 401 && strings.Contains(body, "np_1") {
					t.Fatalf("GET %s refused, but the page shows the fleet:\n%s", path, body)
				}
			}
		})
	}
}

func TestNewRefusesAnOpenNetworkWithoutAuth(t *testing.T) {
	cases := []struct {
		name string
		auth Auth
		ok   bool
	}{
		{"loopback", Auth{OpenReads: true}, true},
		{"elsewhere without auth", Auth{}, false},
		{"elsewhere with a token", Auth{BearerToken: "0123456789abcdef"}, true},
		{"a hash that is not bcrypt", Auth{Users: map[string]string{"a": "plain"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Fleet: NewFleet(), Live: NewLive(), Auth: tc.auth})
			if (err == nil) != tc.ok {
				t.Fatalf("New: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestWritesNeedAUserAndTheirToken(t *testing.T) {
	users := map[string]string{"alice": hash(t, "s3cret-pass")}
	alice := basic("alice", "s3cret-pass")
	form := func(csrf string) string {
		return url.Values{"matchers": {"project=np_1\ntype=oms.step.*"}, "duration": {"2h"},
			"comment": {"<i>maintenance</i>"}, "csrf": {csrf}}.Encode()
	}
	cases := []struct {
		name    string
		auth    Auth
		csrf    bool
		headers []string
		want    int
	}{
		{"anonymous on loopback", Auth{OpenReads: true, Users: users}, false, nil, 401},
		{"user without a token", Auth{OpenReads: true, Users: users}, false, []string{alice}, 403},
		{"user from another site", Auth{OpenReads: true, Users: users}, true, []string{alice, "Sec-Fetch-Site: cross-site"}, 403},
		{"user with the token", Auth{OpenReads: true, Users: users}, true, []string{alice}, 303},
		{"user through the proxy", Auth{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, true,
			[]string{"X-Forwarded-User: carol", "Sec-Fetch-Site: same-origin"}, 303},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.auth)
			token := "0000"
			if tc.csrf {
				token = f.csrf(t, tc.headers...)
			}
			resp, body := f.do(t, http.MethodPost, "/silences", form(token), tc.headers...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tc.want, body)
			}
			list, err := f.silences.List(t.Context())
			must(t, err)
			if tc.want != 303 {
				if len(list) != 0 || len(f.audit.all()) != 0 {
					t.Fatalf("a refused write changed something: %v %v", list, f.audit.all())
				}
				return
			}
			if len(list) != 1 || list[0].CreatedBy == "" || list[0].Comment != "<i>maintenance</i>" {
				t.Fatalf("silences %+v", list)
			}
			rec := f.audit.all()
			if len(rec) != 1 || rec[0].Subject != "np_1" || rec[0].Data.Fields["user"] != list[0].CreatedBy ||
				rec[0].Type != AuditTypePrefix+"silence_created" {
				t.Fatalf("audit trail %+v", rec)
			}
			// Expire it, and the expiry is recorded too.
			resp, body = f.do(t, http.MethodPost, "/silences/"+list[0].ID+"/expire", url.Values{"csrf": {token}}.Encode(), tc.headers...)
			if resp.StatusCode != 303 {
				t.Fatalf("expire: status %d:\n%s", resp.StatusCode, body)
			}
			if got := f.audit.all(); len(got) != 2 || got[1].Type != AuditTypePrefix+"silence_expired" {
				t.Fatalf("audit trail after expiry %+v", got)
			}
			_, page := f.do(t, http.MethodGet, "/silences", "", tc.headers...)
			if strings.Contains(page, "<i>maintenance") {
				t.Fatalf("the comment reached the page as markup:\n%s", page)
			}
		})
	}
}

func TestSilenceFormIsPrefilledAndSaysWhatIsWrong(t *testing.T) {
	users := map[string]string{"alice": hash(t, "s3cret-pass")}
	alice := basic("alice", "s3cret-pass")
	f := start(t, Auth{OpenReads: true, Users: users})
	_, body := f.do(t, http.MethodGet, "/silences?project=np_1&type=oms.step.status_changed", "")
	if !strings.Contains(body, "project=np_1\ntype=oms.step.status_changed</textarea>") {
		t.Fatalf("form not prefilled:\n%s", body)
	}
	cases := []struct{ name, matchers, duration, want string }{
		{"no matcher", "", "2h", "at least one matcher"},
		{"bad matcher", "nonsense", "2h", "want name=value"},
		{"bad duration", "project=np_1", "soon", "want a positive duration"},
	}
	token := f.csrf(t, alice)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.do(t, http.MethodPost, "/silences",
				url.Values{"matchers": {tc.matchers}, "duration": {tc.duration}, "csrf": {token}}.Encode(), alice)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want 400 saying %q:\n%s", resp.StatusCode, tc.want, body)
			}
		})
	}
}

func TestProjectPageShowsStepsChartTimelineAndSnapshot(t *testing.T) {
	f := start(t, Auth{OpenReads: true})
	_, body := f.do(t, http.MethodGet, "/projects/np_2?window=7d", "")
	for _, want := range []string{`id="chart"`, `class="stepname">INCR_TRANSFER`, "oms.project.status_changed",
		"JSON Patch", `id="snapshot"`, "/Status", "route oncall -&gt; target &lt;pager&gt;: delivered", `href="/silences?project=np_2&amp;type=oms.project.status_changed"`} {
		if !strings.Contains(body, want) {
			t.Errorf("project page lacks %q", want)
		}
	}
	_, body = f.do(t, http.MethodGet, "/projects/np_1", "")
	if !strings.Contains(body, "incr_delay_high &gt; 1m00s") {
		t.Errorf("the HIGH project's chart does not draw its threshold:\n%s", body)
	}
	resp, _ := f.do(t, http.MethodGet, "/projects/np_404", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown project: status %d", resp.StatusCode)
	}
}

func TestLiveStreamsNewEvents(t *testing.T) {
	f := start(t, Auth{OpenReads: true})
	var watched []bool
	f.live.OnWatch(func(w bool) { watched = append(watched, w) }) // called under the live's lock
	watching := func() []bool { f.live.mu.Lock(); defer f.live.mu.Unlock(); return slices.Clone(watched) }
	if got := watching(); len(got) != 0 {
		t.Fatalf("told %v before any page follows the live events", got)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/live?project=np_3", nil)
	must(t, err)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n') // "retry: ..." once subscribed
	must(t, err)
	if !strings.HasPrefix(line, "retry:") {
		t.Fatalf("first line %q", line)
	}
	if got := watching(); !slices.Equal(got, []bool{true}) {
		t.Fatalf("a page follows the live events: told %v, want [true]", got)
	}
	for _, id := range []string{"np_1", "np_3"} { // np_1 is not this page's
		f.live.Publish(event.Event{ID: "ev-" + id, Subject: id, Type: "oms.project.status_changed", Time: testNow,
			Severity: event.Warning, Data: event.Data{Project: event.Project{ID: id, Name: "<b>x</b>"},
				Fields: map[string]any{"from": "RUNNING", "to": "FAILED"}}})
	}
	for {
		line, err := r.ReadString('\n')
		must(t, err)
		if strings.HasPrefix(line, "data: ") {
			if !strings.Contains(line, `"project":"np_3"`) || !strings.Contains(line, "status RUNNING -\\u003e FAILED") {
				t.Fatalf("event %q", line)
			}
			break
		}
	}
	// The page goes: the live is told nobody follows it any more.
	resp.Body.Close()
	for deadline := time.Now().Add(10 * time.Second); !slices.Equal(watching(), []bool{true, false}); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the only page closed its stream: told %v, want [true false]", watching())
		}
	}
}

func TestFleetFiltersSortsAndPages(t *testing.T) {
	fl := NewFleet()
	now := testNow
	for i := range 250 {
		status := []string{"RUNNING", "FAILED", "FINISHED"}[i%3]
		imp := []string{"HIGH", "LOW"}[i%2]
		fl.Update(RowOf("oms://r", snap(t, "np_"+strings.Repeat("0", 3-len(itoa(i)))+itoa(i), "proj_"+itoa(i), status, imp, i, "team-"+itoa(i%5)), now))
	}
	cases := []struct {
		name      string
		q         Query
		matched   int
		rows      int
		firstName string
	}{
		{"all, first page", Query{Page: 1, PerPage: 100}, 250, 100, "proj_0"},
		{"last page", Query{Page: 3, PerPage: 100}, 250, 50, "proj_54"},
		{"status", Query{Status: "FAILED", PerPage: 100}, 83, 83, "proj_1"},
		{"label", Query{Label: "team-3", PerPage: 100}, 50, 50, "proj_103"},
		{"importance and status", Query{Importance: "LOW", Status: "RUNNING", PerPage: 100}, 42, 42, "proj_105"},
		{"text", Query{Text: "PROJ_24", PerPage: 100}, 11, 11, "proj_24"},
		{"delay, descending", Query{Sort: "delay", Desc: true, PerPage: 10}, 250, 10, "proj_249"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := fl.Find(tc.q)
			if res.Matched != tc.matched || len(res.Rows) != tc.rows || res.Rows[0].Name != tc.firstName {
				t.Fatalf("matched %d rows %d first %q; want %d %d %q", res.Matched, len(res.Rows), res.Rows[0].Name,
					tc.matched, tc.rows, tc.firstName)
			}
			if res.Total != 250 || len(res.Counts) != 3 {
				t.Fatalf("total %d counts %v", res.Total, res.Counts)
			}
		})
	}
}

func TestFleetKeepsLastChangeAcrossTelemetryRefreshes(t *testing.T) {
	fl := NewFleet()
	t0 := testNow
	fl.Update(RowOf("oms://r", snap(t, "np_1", "a", "RUNNING", "HIGH", 10), t0))
	fl.Update(RowOf("oms://r", snap(t, "np_1", "a", "RUNNING", "HIGH", 20), t0.Add(time.Minute)))
	if r, _ := fl.Get("np_1"); !r.Changed.Equal(t0) || r.Delay != 20*time.Second {
		t.Fatalf("after a telemetry refresh: changed %v delay %v", r.Changed, r.Delay)
	}
	fl.Update(RowOf("oms://r", snap(t, "np_1", "a", "FAILED", "HIGH", 20), t0.Add(2*time.Minute)))
	if r, _ := fl.Get("np_1"); !r.Changed.Equal(t0.Add(2 * time.Minute)) {
		t.Fatalf("after a status change: changed %v", r.Changed)
	}
	if n := len(fl.Samples("np_1", t0.Add(-time.Hour))); n != 3 {
		t.Fatalf("%d samples, want 3", n)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestCatchUpEstimate(t *testing.T) {
	at := func(min int, delay time.Duration) sample {
		return sample{At: testNow.Add(time.Duration(min) * time.Minute), Delay: delay}
	}
	cases := []struct {
		name    string
		samples []sample
		eta     time.Duration
		ok      bool
	}{
		{"falling 1m a minute", []sample{at(0, 5*time.Minute), at(2, 3*time.Minute)}, 3 * time.Minute, true},
		{"rising", []sample{at(0, time.Minute), at(1, 2*time.Minute)}, 0, false},
		{"caught up", []sample{at(0, time.Minute), at(1, 0)}, 0, false},
		{"one sample", []sample{at(0, time.Minute)}, 0, false},
		{"only the last 15 minutes count", []sample{at(0, time.Hour), at(30, 10*time.Minute), at(40, 5*time.Minute)}, 10 * time.Minute, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eta, ok := catchUp(tc.samples)
			if eta != tc.eta || ok != tc.ok {
				t.Fatalf("catchUp = %v, %v; want %v, %v", eta, ok, tc.eta, tc.ok)
			}
		})
	}
}

// A day of samples every 10 s stays within maxPoints, in order, covering
// the day, with the newest sample last; the series never holds more
// memory than maxPoints take.
func TestFleetSamplesStayBounded(t *testing.T) {
	var s []point
	start := uint32(testNow.Unix())
	for k := uint32(0); k < 2*24*360; k++ { // two days, every 10 s
		s = addPoint(s, point{at: start + 10*k, delay: int32(k % 500), lag: -1})
		if cap(s) > maxPoints {
			t.Fatalf("after %d samples the series has room for %d points (want <= %d)", k+1, cap(s), maxPoints)
		}
	}
	last := start + 10*(2*24*360-1)
	if len(s) > maxPoints || s[len(s)-1].at != last {
		t.Fatalf("%d points, last at %d (want <= %d, %d)", len(s), s[len(s)-1].at, maxPoints, last)
	}
	if first := s[0].at; first < last-24*3600 || first > last-20*3600 {
		t.Fatalf("the series starts %v before its end; want about a day", time.Duration(last-first)*time.Second)
	}
	for i := 1; i < len(s); i++ {
		if s[i].at <= s[i-1].at {
			t.Fatalf("point %d is not after point %d", i, i-1)
		}
	}
}

// Without any way to log in, the pages say how to get one rather than
// offer a login that cannot work.
func TestNoUsersSaysHowToAddThem(t *testing.T) {
	f := start(t, Auth{OpenReads: true})
	for _, path := range []string{"/silences", "/login"} {
		_, body := f.do(t, http.MethodGet, path, "")
		if !strings.Contains(body, "htpasswd -nbB NAME PASSWORD") || strings.Contains(body, `<a href="/login">Log in</a>`) {
			t.Errorf("%s does not say how to add users:\n%s", path, body)
		}
	}
}

func TestPagesAreGzippedWhenAsked(t *testing.T) {
	f := start(t, Auth{OpenReads: true})
	resp, body := f.do(t, http.MethodGet, "/projects/np_1", "", "Accept-Encoding: gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	must(t, err)
	page, err := io.ReadAll(zr)
	must(t, err)
	if !strings.Contains(string(page), "orders_mysql_to_ob") {
		t.Fatalf("the gzipped page is not the project's:\n%s", page)
	}
}
