package omssim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawCloud sends an unsigned or hand-altered cloud request and decodes the answer.
func rawCloud(t *testing.T, base, query string, header http.Header, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/?"+query, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

func TestCloudGatewayErrors(t *testing.T) {
	ts := StartTest(t, Options{ManualClock: true})
	v3 := http.Header{"X-Acs-Action": {"DescribeProject"}, "X-Acs-Version": {APIVersion}}
	cases := []struct {
		name       string
		query      string
		header     http.Header
		wantStatus int
		wantCode   string
	}{
		{"no action", "Version=" + APIVersion, nil, 400, "MissingParameter"},
		{"no version", "Action=DescribeProject", nil, 400, "MissingParameter"},
		{"old version", "Action=DescribeProject&Version=2018-01-01", nil, 400, "InvalidVersion"},
		{"unknown action", "Action=DeleteProject&Version=" + APIVersion, nil, 404, "InvalidAction.NotFound"},
		{"unsigned", "Action=DescribeProject&Version=" + APIVersion, nil, 400, "MissingParameter"},
		{"v1 without nonce", "Action=DescribeProject&Version=" + APIVersion + "&AccessKeyId=" + DemoAccessKeyID +
			"&Timestamp=2025-01-01T00:00:00Z&SignatureMethod=HMAC-SHA1&Signature=abc", nil, 400, "MissingParameter"},
		{"v1 sha256", "Action=DescribeProject&Version=" + APIVersion + "&AccessKeyId=" + DemoAccessKeyID +
			"&Timestamp=2025-01-01T00:00:00Z&SignatureNonce=1&SignatureMethod=HMAC-SHA256&Signature=abc", nil, 400, "IncompleteSignature"},
		{"v3 other algorithm", "", withAuth(v3, "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00"), 400, "IncompleteSignature"},
		{"v3 no signature part", "", withAuth(v3, "ACS3-HMAC-SHA256 Credential="+DemoAccessKeyID+",SignedHeaders=host"), 400, "IncompleteSignature"},
		{"v3 no date", "", withAuth(v3, "ACS3-HMAC-SHA256 Credential="+DemoAccessKeyID+",SignedHeaders=host,Signature=00"), 400, "MissingParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := rawCloud(t, ts.URL, tc.query, tc.header, "Id=np_x")
			if status != tc.wantStatus || body["Code"] != tc.wantCode {
				t.Fatalf("HTTP %d %v, want %d %s", status, body, tc.wantStatus, tc.wantCode)
			}
			for _, k := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
				if _, ok := body[k]; !ok {
					t.Errorf("gateway error lacks %s", k)
				}
			}
		})
	}
}

func withAuth(h http.Header, auth string) http.Header {
	out := h.Clone()
	out.Set("Authorization", auth)
	return out
}

func TestTamperedRequestsRefused(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 7, Projects: 2})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	cases := []struct {
		name   string
		v1     bool
		tamper func(c *capturedRequest)
		want   string
	}{
		{"v3 body changed", false, func(c *capturedRequest) { c.body = []byte("Id=" + g.IDs()[1]) }, "SignatureDoesNotMatch"},
		{"v3 body and hash changed", false, func(c *capturedRequest) {
			c.body = []byte("Id=" + g.IDs()[1])
			sum := sha256.Sum256(c.body)
			c.header.Set("x-acs-content-sha256", hex.EncodeToString(sum[:])) // passes the hash check, not the signature
		}, "SignatureDoesNotMatch"},
		{"v3 unsigned x-acs header added", false, func(c *capturedRequest) { c.header.Set("x-acs-extra", "1") }, "IncompleteSignature"},
		{"v3 action header changed", false, func(c *capturedRequest) { c.header.Set("x-acs-action", ActionListProjects) }, "SignatureDoesNotMatch"},
		{"v1 body changed", true, func(c *capturedRequest) { c.body = []byte("Id=" + g.IDs()[1]) }, "SignatureDoesNotMatch"},
		{"v1 query param added", true, func(c *capturedRequest) { c.path += "&RegionId=cn-hangzhou" }, "SignatureDoesNotMatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := captureSDK(t, ts.Endpoint, tc.v1, g.IDs()[0])
			tc.tamper(&req)
			if status, body := req.send(t, ts.URL); status != 400 || body["Code"] != tc.want {
				t.Fatalf("HTTP %d %v, want 400 %s", status, body["Code"], tc.want)
			}
		})
	}
}

func TestNonceCache(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newNonceCache(15*time.Minute, 3)
	steps := []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", time.Minute, false},        // replay inside the window
		{"b", 2 * time.Minute, true},     //
		{"a", 16 * time.Minute, true},    // a expired
		{"c", 17 * time.Minute, true},    //
		{"d", 17 * time.Minute, true},    // capacity 3: the oldest (b) goes
		{"b", 17*time.Minute + 1, true},  // forgotten early: accepted again
		{"d", 17*time.Minute + 2, false}, // still remembered
	}
	for i, s := range steps {
		if got := c.use(s.key, start.Add(s.at)); got != s.want {
			t.Fatalf("step %d use(%s) = %v, want %v", i, s.key, got, s.want)
		}
		if n := c.len(); n > 3 {
			t.Fatalf("step %d: %d nonces kept, capacity 3", i, n)
		}
	}
}

func TestConcurrentRequestsAndFaultChanges(t *testing.T) {
	// Run under -race: requests, fault changes, clock advances and state
	// reads at once.
	g := testGenerator(t, GeneratorOptions{Seed: 2, Projects: 10})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 15 {
				body := `{"id":"` + g.IDs()[(w+i)%10] + `"}`
				if _, err := onpremCall(t, nil, ts.URL, ActionDescribeProject, body, DemoUser, DemoPassword); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 15 {
			spec := []string{"http503@0.5", "business#2", "", "latency=1ms@1"}[i%4]
			fs, _ := ParseFaults(spec)
			if err := ts.SetFaults(fs); err != nil {
				t.Error(err)
			}
			ts.Advance(1)
			_ = ts.State()
			_ = ts.Faults()
		}
	})
	wg.Wait()
	if st := ts.State(); st.Tick != 15 {
		t.Fatalf("tick %d after 15 advances", st.Tick)
	}
}

func TestControlEndpoint(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 2, Projects: 4})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	post := func(path string) (int, map[string]any) {
		resp, err := http.Post(ts.URL+path, "text/plain", bytes.NewReader(nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if status, st := post("/_sim/advance?ticks=7"); status != 200 || st["tick"] != float64(7) || st["projects"] != float64(4) {
		t.Fatalf("advance: HTTP %d %v", status, st)
	}
	if status, _ := post("/_sim/advance?ticks=-1"); status != 400 {
		t.Fatalf("negative advance: HTTP %d, want 400", status)
	}
	resp, err := http.Get(ts.URL + "/_sim/projects")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 4 || list[0]["id"] != g.IDs()[0] || list[0]["status"] == "" {
		t.Fatalf("projects %v", list)
	}
	// Non-loopback clients need Basic auth; the check is on the remote address.
	if !isLoopback("127.0.0.1:5000") || !isLoopback("[::1]:5000") || isLoopback("192.0.2.7:5000") {
		t.Fatal("isLoopback misjudges addresses")
	}
	// The handler sees a non-loopback RemoteAddr only in a hand-made request.
	req := httptest.NewRequest(http.MethodGet, "/_sim/state", nil)
	req.RemoteAddr = "192.0.2.7:5000"
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("remote client without auth: HTTP %d, want 403", rec.Code)
	}
	req.SetBasicAuth(DemoUser, DemoPassword)
	rec = httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("remote client with auth: HTTP %d, want 200", rec.Code)
	}
}
