package omssim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// onpremResult is a raw on-premise API answer.
type onpremResult struct {
	status int
	header http.Header
	body   []byte
}

func (r onpremResult) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %.200q is not JSON: %v", r.body, err)
	}
	return m
}

// onpremCall POSTs /api/v2?Action=action with a JSON body and Basic auth
// (none when user is empty).
func onpremCall(t *testing.T, client *http.Client, base, action, body, user, pass string) (onpremResult, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v2?Action="+action, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return onpremResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return onpremResult{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func TestOnPremAuthAndEnvelope(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 9, Projects: 4})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(10)
	id := g.IDs()[2]
	cases := []struct {
		name, user, pass string
		wantStatus       int
	}{
		{"right password", DemoUser, DemoPassword, 200},
		{"wrong password", DemoUser, "guess", 401},
		{"unknown user", "root", DemoPassword, 401},
		{"no credentials", "", "", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := onpremCall(t, nil, ts.URL, ActionDescribeProject, `{"id":"`+id+`"}`, tc.user, tc.pass)
			if err != nil {
				t.Fatal(err)
			}
			if res.status != tc.wantStatus {
				t.Fatalf("HTTP %d, want %d: %s", res.status, tc.wantStatus, res.body)
			}
			body := res.json(t)
			if tc.wantStatus != 200 {
				if body["success"] != false || body["code"] != "UNAUTHORIZED" || res.header.Get("WWW-Authenticate") == "" {
					t.Fatalf("401 body %v (WWW-Authenticate %q), want success:false code UNAUTHORIZED", body, res.header.Get("WWW-Authenticate"))
				}
				return
			}
			assertCamelCase(t, body, "")
			for _, k := range []string{"success", "errorDetail", "code", "message", "advice", "requestId", "cost", "data"} {
				if _, ok := body[k]; !ok {
					t.Errorf("envelope lacks %q", k)
				}
			}
			data := body["data"].(map[string]any)
			if data["id"] != id || data["steps"] == nil {
				t.Fatalf("data.id %v, want %s, with steps", data["id"], id)
			}
			step := data["steps"].([]any)[0].(map[string]any)
			if _, ok := step["stepInfo"]; !ok {
				t.Error("step lacks stepInfo")
			}
		})
	}
}

// assertCamelCase fails if any field name is PascalCase, outside the
// free-form maps whose keys are data.
func assertCamelCase(t *testing.T, v any, path string) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k != "" && k[0] >= 'A' && k[0] <= 'Z' {
				t.Errorf("%s.%s is not camelCase", path, k)
			}
			switch k {
			case "stepInfo", "errorParam", "extraContext", "ruleToRecentlyTriggerCount", "connExtraAttributes",
				"subIds", "subDbs", "subConds", "messageMcmsContext", "reasonMcmsContext", "proposalMcmsContext":
				continue
			}
			assertCamelCase(t, c, path+"."+k)
		}
	case []any:
		for _, c := range x {
			assertCamelCase(t, c, path+"[]")
		}
	}
}

func TestOnPremListProjectsAndErrors(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 9, Projects: 40})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(12)
	call := func(action, body string) map[string]any {
		res, err := onpremCall(t, nil, ts.URL, action, body, DemoUser, DemoPassword)
		if err != nil {
			t.Fatal(err)
		}
		if res.status != 200 {
			t.Fatalf("%s %s: HTTP %d %s", action, body, res.status, res.body)
		}
		return res.json(t)
	}
	list := call(ActionListProjects, `{"pageNumber":2,"pageSize":15,"type":"SYNC","needRelatedInfo":true}`)
	var syncs int
	for _, p := range g.Projects(ts.Moment()) {
		if p.Type == "SYNC" {
			syncs++
		}
	}
	if list["totalCount"] != float64(syncs) || list["pageNumber"] != float64(2) || list["pageSize"] != float64(15) {
		t.Fatalf("paging fields %v %v %v, want totalCount %d, page 2 of 15", list["totalCount"], list["pageNumber"], list["pageSize"], syncs)
	}
	assertCamelCase(t, list, "")
	if n := len(list["data"].([]any)); n != min(15, syncs-15) {
		t.Fatalf("page 2 holds %d items, want %d", n, min(15, syncs-15))
	}
	statuses := call(ActionListProjects, `{"status":["RUNNING","FAILED"],"pageSize":150}`)
	for _, it := range statuses["data"].([]any) {
		if s := it.(map[string]any)["status"]; s != "RUNNING" && s != "FAILED" {
			t.Errorf("status filter let %v through", s)
		}
	}
	bad := call(ActionListProjects, `{"pageSize":151}`)
	if bad["success"] != false || bad["code"] != CodeParamError {
		t.Errorf("pageSize 151: %v, want success:false PARAM_ERROR", bad)
	}
	missing := call(ActionDescribeProject, `{"id":"np_doesnotexist"}`)
	if missing["success"] != false || missing["code"] != CodeProjectNotFound || missing["errorDetail"] == nil {
		t.Errorf("unknown id: %v, want success:false %s with errorDetail", missing, CodeProjectNotFound)
	}
	res, err := onpremCall(t, nil, ts.URL, "StopProject", `{}`, DemoUser, DemoPassword)
	if err != nil || res.status != http.StatusNotFound {
		t.Errorf("unknown action: HTTP %d %v, want 404", res.status, err)
	}
	res, _ = onpremCall(t, nil, ts.URL, ActionDescribeProject, `{"id":`, DemoUser, DemoPassword)
	if res.status != http.StatusBadRequest || !bytes.Contains(res.body, []byte(`"success":false`)) {
		t.Errorf("malformed body: HTTP %d %s, want 400 success:false", res.status, res.body)
	}
}

func TestCloudAndOnPremSameState(t *testing.T) {
	// The two protocols serve one state: the on-premise data is the cloud
	// data respelled.
	g := testGenerator(t, GeneratorOptions{Seed: 2, Projects: 3})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(18)
	id := g.IDs()[0]
	c := sdkClient(t, ts.Endpoint, DemoAccessKeyID, DemoAccessKeySecret, false)
	cloud, err := callSDK(c, ActionDescribeProject, map[string]any{"Id": id}, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := onpremCall(t, nil, ts.URL, ActionDescribeProject, `{"id":"`+id+`"}`, DemoUser, DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	onprem := res.json(t)
	cloudData, _ := json.Marshal(cloud["Data"])
	var cd map[string]any
	_ = json.Unmarshal(cloudData, &cd)
	if got, want := len(onprem["data"].(map[string]any)), len(cd); got != want {
		t.Fatalf("on-prem data has %d fields, cloud %d", got, want)
	}
	if onprem["data"].(map[string]any)["status"] != cd["Status"] {
		t.Fatal("status differs between protocols")
	}
}
