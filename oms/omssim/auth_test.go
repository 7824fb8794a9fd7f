package omssim

import (
	"net/http"
	"testing"
	"time"
)

func testGenerator(t *testing.T, o GeneratorOptions) *Generator {
	t.Helper()
	g, err := NewGenerator(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSignatures(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 7, Projects: 3})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	id := g.IDs()[1]
	cases := []struct {
		name       string
		v1         bool
		ak, secret string
		wantCode   string
		wantStatus int
	}{
		{"v3 right key", false, DemoAccessKeyID, DemoAccessKeySecret, "", 200},
		{"v3 wrong secret", false, DemoAccessKeyID, "not-the-secret", "SignatureDoesNotMatch", 400},
		{"v3 unknown key", false, "nobody", DemoAccessKeySecret, "InvalidAccessKeyId.NotFound", 404},
		{"v1 right key", true, DemoAccessKeyID, DemoAccessKeySecret, "", 200},
		{"v1 wrong secret", true, DemoAccessKeyID, "not-the-secret", "SignatureDoesNotMatch", 400},
		{"v1 unknown key", true, "nobody", DemoAccessKeySecret, "InvalidAccessKeyId.NotFound", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := sdkClient(t, ts.Endpoint, tc.ak, tc.secret, tc.v1)
			body, err := callSDK(c, ActionDescribeProject, map[string]any{"Id": id}, 0)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				data, _ := body["Data"].(map[string]any)
				if body["Success"] != true || data["Id"] != id {
					t.Fatalf("Success=%v Data.Id=%v, want true and %s", body["Success"], data["Id"], id)
				}
				return
			}
			code, status := sdkCode(t, err)
			if code != tc.wantCode || status != tc.wantStatus {
				t.Fatalf("got %s (HTTP %d), want %s (HTTP %d)", code, status, tc.wantCode, tc.wantStatus)
			}
		})
	}
}

func TestSignatureListProjectsJSONArrayParam(t *testing.T) {
	// Array parameters travel as ONE form field holding a JSON array; the
	// signature covers it like any other field, for both signature versions.
	g := testGenerator(t, GeneratorOptions{Seed: 3, Projects: 30})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(15)
	for _, v1 := range []bool{false, true} {
		c := sdkClient(t, ts.Endpoint, DemoAccessKeyID, DemoAccessKeySecret, v1)
		body, err := callSDK(c, ActionListProjects, map[string]any{
			"Status": `["RUNNING","FAILED"]`, "PageSize": 150, "NeedRelatedInfo": false}, 0)
		if err != nil {
			t.Fatalf("v1=%v: %v", v1, err)
		}
		items, _ := body["Data"].([]any)
		if len(items) == 0 {
			t.Fatalf("v1=%v: no RUNNING or FAILED project at tick 15", v1)
		}
		for _, it := range items {
			if s := it.(map[string]any)["Status"]; s != "RUNNING" && s != "FAILED" {
				t.Errorf("v1=%v: status %v passed the filter", v1, s)
			}
		}
	}
}

func TestReplayedRequestRefused(t *testing.T) {
	// A request captured off the wire is accepted once; sent again its nonce
	// is used. Sent with the server clock 20 minutes ahead, its timestamp is
	// out of the window.
	g := testGenerator(t, GeneratorOptions{Seed: 7, Projects: 1})
	now := time.Now()
	clockShift := time.Duration(0)
	ts := StartTest(t, Options{Scenario: g, ManualClock: true, Now: func() time.Time { return now.Add(clockShift) }})
	for _, v1 := range []bool{false, true} {
		req := captureSDK(t, ts.Endpoint, v1, g.IDs()[0])
		clockShift = 0
		if status, body := req.send(t, ts.URL); status != http.StatusOK || body["Success"] != true {
			t.Fatalf("v1=%v first send: HTTP %d %v", v1, status, body)
		}
		if status, body := req.send(t, ts.URL); status != http.StatusBadRequest || body["Code"] != "SignatureNonceUsed" {
			t.Fatalf("v1=%v replay: HTTP %d %v, want 400 SignatureNonceUsed", v1, status, body)
		}
		skewed := captureSDK(t, ts.Endpoint, v1, g.IDs()[0])
		clockShift = 20 * time.Minute
		if status, body := skewed.send(t, ts.URL); status != http.StatusBadRequest || body["Code"] != "IllegalTimestamp" {
			t.Fatalf("v1=%v skewed: HTTP %d %v, want 400 IllegalTimestamp", v1, status, body)
		}
	}
}
