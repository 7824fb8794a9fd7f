package oms

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

func TestDecodeEnvelope(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		spelling Spelling
		request  string
		page     [3]int
		data     bool
		extra    []string
	}{
		{"cloud with paging", `{"Success":true,"RequestId":"R1","PageNumber":2,"PageSize":"10","TotalCount":31,"Cost":"5","Data":[]}`,
			Cloud, "R1", [3]int{2, 10, 31}, true, []string{"Cost"}},
		{"on-prem", `{"success":true,"requestId":" R2\n","cost":"10 ms","data":{"id":"np_1"},"newField":{"x":1}}`,
			OnPrem, "R2", [3]int{}, true, []string{"Cost", "NewField"}},
		{"success with error fields beside it is a success", `{"Success":true,"Code":"INNER_ERROR","Message":"x","Data":{"Id":"np_1"}}`,
			Cloud, "", [3]int{}, true, []string{"Code", "Message"}},
		{"success without data", `{"Success":true,"RequestId":"R3"}`, Cloud, "R3", [3]int{}, false, nil},
		{"data null string", `{"Success":true,"Data":"null"}`, Cloud, "", [3]int{}, false, nil},
		{"proxy Code 200 without Success or Data is no error", `{"Code":"200","Message":"successful"}`,
			Cloud, "", [3]int{}, false, []string{"Code", "Message"}},
		{"ODC proxy mix", `{"Code":200,"Cost":56,"Data":{"id":"np_1"},"Message":"successful","Success":true,"TotalCount":1}`,
			Cloud, "", [3]int{0, 0, 1}, true, []string{"Code", "Cost", "Message"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := DecodeEnvelope(200, []byte(tc.body))
			if err != nil {
				t.Fatalf("DecodeEnvelope: %v", err)
			}
			if env.Spelling != tc.spelling || env.RequestID != tc.request {
				t.Errorf("spelling %v request %q, want %v %q", env.Spelling, env.RequestID, tc.spelling, tc.request)
			}
			if got := [3]int{env.PageNumber, env.PageSize, env.TotalCount}; got != tc.page {
				t.Errorf("paging = %v, want %v", got, tc.page)
			}
			if (env.Data != nil) != tc.data {
				t.Errorf("Data = %v, want present=%v", env.Data, tc.data)
			}
			if len(env.Extra) != len(tc.extra) {
				t.Errorf("Extra = %v, want keys %v", env.Extra, tc.extra)
			}
			for _, k := range tc.extra {
				if _, ok := env.Extra[k]; !ok {
					t.Errorf("Extra lacks %q: %v", k, env.Extra)
				}
			}
		})
	}
}

func TestNon2xxWithSuccessBody(t *testing.T) {
	_, err := DecodeEnvelope(500, []byte(`{"Success":true,"Data":{"Id":"np_1"}}`))
	ae, ok := errors.AsType[*APIError](err)
	if !ok || ae.Business || !ae.Retryable() || ae.Message != "Internal Server Error" {
		t.Errorf("HTTP 500 with a successful body: %#v", err)
	}
}

func TestDecodeEnvelopeKeepsBigNumbers(t *testing.T) {
	env, err := DecodeEnvelope(200, []byte(`{"Success":true,"Data":{"Id":"np_1","ResourceOwner":1325847123456789012}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := env.Data.(map[string]any)["ResourceOwner"]
	if got != json.Number("1325847123456789012") {
		t.Errorf("ResourceOwner = %#v, want the exact json.Number", got)
	}
	s, err := env.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Id":"np_1","ResourceOwner":1325847123456789012}`; string(s.JSON()) != want {
		t.Errorf("canonical = %s, want %s", s.JSON(), want)
	}
}

func TestParseSnapshotNeedsData(t *testing.T) {
	for _, body := range []string{`{"Success":true}`, `{"success":true,"data":null}`, `{"Success":true,"Data":" null "}`} {
		_, err := ParseSnapshot([]byte(body))
		if !errors.Is(err, ErrNoData) || !IsRetryable(err) {
			t.Errorf("ParseSnapshot(%s) = %v, want ErrNoData", body, err)
		}
	}
	_, err := ParseSnapshot([]byte(`{"Success":true,"Data":[1]}`))
	if _, ok := errors.AsType[*MalformedError](err); !ok {
		t.Errorf("Data array: %v, want *MalformedError", err)
	}
	_, err = ParseSnapshot([]byte(`{"Success":false,"Code":"PROJECT_NOT_FOUND_ERROR"}`))
	if !IsProjectNotFound(err) {
		t.Errorf("Success:false: %v, want the APIError", err)
	}
}

func TestParseSnapshotRefusesNestedEnvelope(t *testing.T) {
	// A Data whose own top level looks like an envelope would be read back
	// from its canonical JSON as an envelope: refuse it instead.
	_, err := ParseSnapshot([]byte(`{"Success":true,"Data":{"success":true,"Data":{"Id":"x"}}}`))
	if _, ok := errors.AsType[*MalformedError](err); !ok {
		t.Errorf("nested envelope: %v, want *MalformedError", err)
	}
}

func TestParseSnapshotBareAndEnvelopeAgree(t *testing.T) {
	body := readFile(t, "../testdata/oms/seed_describeproject.json")
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	bare, err := json.Marshal(env["Data"])
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustParse(t, body), mustParse(t, bare)
	if string(a.JSON()) != string(b.JSON()) {
		t.Errorf("bare Data and envelope differ:\n%s\n%s", a.JSON(), b.JSON())
	}
}

func TestDecodeProjectList(t *testing.T) {
	body := `{"success":true,"pageNumber":1,"pageSize":2,"totalCount":3,"requestId":"R","data":[
		{"id":"np_2","name":"b","status":"FAILED","steps":[{"name":"TRANSFER_PRECHECK","status":"FAILED"}]},
		null,
		{"id":"np_1","name":"a","labels":[{"id":"l_1","name":"prod","creator":"x"}]}]}`
	page, err := DecodeProjectList(200, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if page.PageNumber != 1 || page.PageSize != 2 || page.TotalCount != 3 || page.RequestID != "R" {
		t.Errorf("paging = %+v", page)
	}
	if len(page.Projects) != 2 || page.Projects[0].ID() != "np_2" || page.Projects[1].ID() != "np_1" {
		t.Fatalf("projects = %v", page.Projects)
	}
	if p := page.Projects[0].Project(); !p.Failed() || p.Steps[0].Phase != PhasePrecheck {
		t.Errorf("np_2 view = %+v", p)
	}
	if got := page.Projects[1].Project().LabelNames(); len(got) != 1 || got[0] != "prod" {
		t.Errorf("np_1 labels = %v", got)
	}

	empty, err := DecodeProjectList(200, []byte(`{"Success":true,"TotalCount":0}`))
	if err != nil || len(empty.Projects) != 0 {
		t.Errorf("empty page = %+v, %v", empty, err)
	}
	if _, err := DecodeProjectList(200, []byte(`{"Success":true,"Data":{"Id":"np_1"}}`)); err == nil {
		t.Error("Data object: want an error")
	}
	if _, err := DecodeProjectList(200, []byte(`{"Success":true,"Data":[1]}`)); err == nil {
		t.Error("entry not an object: want an error")
	}
	if _, err := DecodeProjectList(503, []byte(`{"Code":"ServiceUnavailable"}`)); !IsRetryable(err) {
		t.Errorf("503: %v, want retryable", err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, body []byte) *Snapshot {
	t.Helper()
	s, err := ParseSnapshot(body)
	if err != nil {
		t.Fatalf("ParseSnapshot: %v", err)
	}
	return s
}
