package omssim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	good := []struct{ spec, canonical string }{
		{"", ""},
		{"latency=200ms@0.3,throttle@0.2,http500@0.1,http503@0.1,timeout@0.05,business@0.1,truncated@0.1,invalid@0.1,notfound@1:np_abc",
			"latency=200ms@0.3,throttle=1s@0.2,http500@0.1,http503@0.1,timeout=30s@0.05,business@0.1,truncated@0.1,invalid@0.1,notfound@1:np_abc"},
		{" http503#3 , business=PARAM_ERROR#1:ListProjects ", "http503#3,business=PARAM_ERROR#1:ListProjects"},
		{"timeout=2s", "timeout=2s@1"},
		{"LATENCY=1s#2:np_x", "latency=1s#2:np_x"},
	}
	for _, tc := range good {
		fs, err := ParseFaults(tc.spec)
		if err != nil {
			t.Errorf("ParseFaults(%q): %v", tc.spec, err)
			continue
		}
		if got := FormatFaults(fs); got != tc.canonical {
			t.Errorf("ParseFaults(%q) formats as %q, want %q", tc.spec, got, tc.canonical)
		}
		if again, err := ParseFaults(FormatFaults(fs)); err != nil || FormatFaults(again) != tc.canonical {
			t.Errorf("%q does not read back: %v", tc.canonical, err)
		}
	}
	bad := []struct{ spec, want string }{
		{"throtle@0.2", `rule 1 "throtle@0.2": unknown kind "throtle"`},
		{"latency@0.5", "latency needs a duration"},
		{"latency=fast", `duration "fast"`},
		{"http500@1.5", `rate "1.5"`},
		{"http500@0", `rate "0"`},
		{"http500#0", `count "0"`},
		{"http500=x", "http500 takes no value"},
		{"notfound@1:", "empty target"},
		{"http500,,http503", "rule 2 is empty"},
		{"timeout=-1s", `duration "-1s"`},
	}
	for _, tc := range bad {
		_, err := ParseFaults(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFaults(%q) = %v, want an error containing %q", tc.spec, err, tc.want)
		}
	}
}

func TestFaultKindsOverHTTP(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 4, Projects: 2})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	id := g.IDs()[0]
	describe := `{"id":"` + id + `"}`
	cases := []struct {
		name       string
		spec       string
		client     *http.Client
		wantErr    bool // the client sees no HTTP answer
		minTime    time.Duration
		maxTime    time.Duration
		wantStatus int
		check      func(t *testing.T, r onpremResult)
	}{
		{name: "latency", spec: "latency=150ms#1", minTime: 150 * time.Millisecond, wantStatus: 200, check: wantSuccess},
		{name: "timeout held until the client gives up", spec: "timeout=10s#1", client: &http.Client{Timeout: 200 * time.Millisecond},
			wantErr: true, minTime: 200 * time.Millisecond, maxTime: 3 * time.Second},
		{name: "timeout cap drops the connection", spec: "timeout=250ms#1", wantErr: true, minTime: 250 * time.Millisecond, maxTime: 3 * time.Second},
		{name: "http500", spec: "http500#1", wantStatus: 500, check: wantCode("InternalError")},
		{name: "http503", spec: "http503#1", wantStatus: 503, check: wantCode("ServiceUnavailable")},
		{name: "throttle", spec: "throttle=2s#1", wantStatus: 400, check: func(t *testing.T, r onpremResult) {
			wantCode("Throttling.User")(t, r)
			if h := r.header.Get("x-ratelimit-user-api"); !strings.Contains(h, "TimeLeft:2000") {
				t.Errorf("x-ratelimit-user-api %q, want TimeLeft:2000", h)
			}
		}},
		{name: "business", spec: "business#1", wantStatus: 200, check: wantCode(CodeInnerError)},
		{name: "business with code", spec: "business=GHANA-OPERAT000001#1", wantStatus: 200, check: wantCode("GHANA-OPERAT000001")},
		{name: "notfound", spec: "notfound#1:" + id, wantStatus: 200, check: wantCode(CodeProjectNotFound)},
		{name: "truncated", spec: "truncated#1", wantStatus: 200, check: func(t *testing.T, r onpremResult) {
			if json.Valid(r.body) || !strings.HasPrefix(string(r.body), `{"success":true`) {
				t.Errorf("body %.80q... is valid JSON or not a cut answer", r.body)
			}
		}},
		{name: "invalid", spec: "invalid#1", wantStatus: 200, check: func(t *testing.T, r onpremResult) {
			if json.Valid(r.body) || r.header.Get("Content-Type") == "" {
				t.Errorf("body %.80q is valid JSON", r.body)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := ParseFaults(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := ts.SetFaults(fs); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res, err := onpremCall(t, tc.client, ts.URL, ActionDescribeProject, describe, DemoUser, DemoPassword)
			elapsed := time.Since(start)
			if tc.wantErr != (err != nil) {
				t.Fatalf("error %v (HTTP %d %.100q), want error: %v", err, res.status, res.body, tc.wantErr)
			}
			if elapsed < tc.minTime || (tc.maxTime > 0 && elapsed > tc.maxTime) {
				t.Errorf("took %s, want between %s and %s", elapsed, tc.minTime, tc.maxTime)
			}
			if !tc.wantErr {
				if res.status != tc.wantStatus {
					t.Fatalf("HTTP %d, want %d: %.200s", res.status, tc.wantStatus, res.body)
				}
				tc.check(t, res)
			}
			// A count rule is used up: the next request is answered normally.
			next, err := onpremCall(t, nil, ts.URL, ActionDescribeProject, describe, DemoUser, DemoPassword)
			if err != nil || next.status != 200 {
				t.Fatalf("next request: HTTP %d %v", next.status, err)
			}
			wantSuccess(t, next)
			if left := ts.Faults(); len(left) != 0 {
				t.Errorf("rules left after use: %v", left)
			}
		})
	}
}

func wantSuccess(t *testing.T, r onpremResult) {
	t.Helper()
	if b := r.json(t); b["success"] != true || b["data"] == nil {
		t.Errorf("want success with data, got %.200s", r.body)
	}
}

func wantCode(code string) func(*testing.T, onpremResult) {
	return func(t *testing.T, r onpremResult) {
		t.Helper()
		if b := r.json(t); b["success"] != false || b["code"] != code {
			t.Errorf("want success:false code %s, got %.200s", code, r.body)
		}
	}
}

func TestFaultTargets(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 4, Projects: 2})
	a, b := g.IDs()[0], g.IDs()[1]
	fs, err := ParseFaults("notfound@1:" + a + ",http503@1:ListProjects")
	if err != nil {
		t.Fatal(err)
	}
	ts := StartTest(t, Options{Scenario: g, ManualClock: true, Faults: fs})
	cases := []struct {
		action, body string
		wantStatus   int
		wantCode     any
	}{
		{ActionDescribeProject, `{"id":"` + a + `"}`, 200, CodeProjectNotFound},
		{ActionDescribeProject, `{"id":"` + b + `"}`, 200, nil},
		{ActionListProjects, `{}`, 503, "ServiceUnavailable"},
	}
	for _, tc := range cases {
		res, err := onpremCall(t, nil, ts.URL, tc.action, tc.body, DemoUser, DemoPassword)
		if err != nil || res.status != tc.wantStatus || res.json(t)["code"] != tc.wantCode {
			t.Errorf("%s %s: HTTP %d %.120s, want %d code %v", tc.action, tc.body, res.status, res.body, tc.wantStatus, tc.wantCode)
		}
	}
}

// outcomes sends n DescribeProjects and returns each answer's code ("" for success).
func outcomes(t *testing.T, seed int64, spec string, n int) []string {
	t.Helper()
	fs, err := ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	g := testGenerator(t, GeneratorOptions{Seed: 1, Projects: 1})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true, Faults: fs, Seed: seed})
	out := make([]string, n)
	for i := range out {
		res, err := onpremCall(t, nil, ts.URL, ActionDescribeProject, `{"id":"`+g.IDs()[0]+`"}`, DemoUser, DemoPassword)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := res.json(t)["code"].(string)
		out[i] = code
	}
	return out
}

func TestFaultRatesAreSeeded(t *testing.T) {
	const spec = "http500@0.2,business@0.25"
	first := outcomes(t, 42, spec, 200)
	again := outcomes(t, 42, spec, 200)
	other := outcomes(t, 43, spec, 200)
	if strings.Join(first, ",") != strings.Join(again, ",") {
		t.Fatal("the same seed gave a different fault sequence")
	}
	if strings.Join(first, ",") == strings.Join(other, ",") {
		t.Fatal("another seed gave the same fault sequence")
	}
	counts := map[string]int{}
	for _, c := range first {
		counts[c]++
	}
	// 500 fires on 20%; business on 25% of the rest (20%): expect ~40/40/120.
	if counts["InternalError"] < 20 || counts["InternalError"] > 60 || counts[CodeInnerError] < 20 || counts[CodeInnerError] > 60 {
		t.Fatalf("counts %v are far from the rates", counts)
	}
}

func TestFaultsViaSDKAndControl(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 4, Projects: 1})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	c := sdkClient(t, ts.Endpoint, DemoAccessKeyID, DemoAccessKeySecret, false)
	put := func(spec string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, ts.URL+"/_sim/faults", strings.NewReader(spec))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("PUT /_sim/faults %q: %v %v", spec, err, resp)
		}
		resp.Body.Close()
	}
	cases := []struct {
		spec, code string
		status     int
	}{
		{"throttle#1", "Throttling.User", 400},
		{"http500#1", "InternalError", 500},
		{"http503#1", "ServiceUnavailable", 503},
	}
	for _, tc := range cases {
		put(tc.spec)
		_, err := callSDK(c, ActionDescribeProject, map[string]any{"Id": g.IDs()[0]}, 0)
		if code, status := sdkCode(t, err); code != tc.code || status != tc.status {
			t.Errorf("%s: SDK got %s (HTTP %d), want %s (HTTP %d)", tc.spec, code, status, tc.code, tc.status)
		}
	}
	put("timeout=10s#1")
	start := time.Now()
	if _, err := callSDK(c, ActionDescribeProject, map[string]any{"Id": g.IDs()[0]}, 300*time.Millisecond); err == nil {
		t.Error("a held request did not time out in the SDK")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the SDK gave up after %s, want about its 300ms read timeout", d)
	}
	// Bad specs are refused and leave the rules as they were.
	put("http503@0.5")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, ts.URL+"/_sim/faults", strings.NewReader("bogus"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("PUT bogus spec: %v %v, want 400", err, resp)
	}
	resp.Body.Close()
	if got := FormatFaults(ts.Faults()); got != "http503@0.5" {
		t.Errorf("rules after a refused spec: %q", got)
	}
}
