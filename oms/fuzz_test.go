package oms

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzCanonical checks that ParseSnapshot never panics and that a snapshot
// read back from its own JSON is the same snapshot (idempotence).
func FuzzCanonical(f *testing.F) {
	seed := readFile(f, seedPath)
	f.Add(seed)
	f.Add(marshalInput(f, Respell(seedEnvelope(f), OnPrem)))
	f.Add(mustParse(f, seed).JSON())
	inputs, _ := filepath.Glob(filepath.Join(goldenDir, "*", "input.json"))
	for _, p := range inputs {
		if st, err := os.Stat(p); err == nil && st.Size() < 16<<10 {
			f.Add(readFile(f, p))
		}
	}
	for _, s := range []string{
		`{"Success":false,"Code":"INNER_ERROR"}`, `{"success":true,"data":{"id":"np_1"}}`,
		`{"Steps":[{"Name":"a"},{"Name":"A"},{"Name":"a#2"},{"Name":"A#2"},{}]}`,
		`{"Labels":[{"Id":1},{"Id":"1"},{},null,"null"]}`, `{"name":"x","Name":"y"," name ":"z"}`,
		`{"Steps":{"X":{"ExtraInfo":{"ErrorDetails":[{"Code":"c"},{"Code":"c"}]}}}}`, `[]`, `"null"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, fastErr := decodeJSON(200, body)
		std, stdErr := decodeStd(200, body)
		if (fastErr == nil) != (stdErr == nil) || (fastErr == nil && !reflect.DeepEqual(fast, std)) {
			t.Fatalf("fast and encoding/json decoding disagree on %q:\n%#v (%v)\n%#v (%v)", body, fast, fastErr, std, stdErr)
		}
		s, err := ParseSnapshot(body)
		if err != nil {
			checkOneLine(t, err.Error())
			return
		}
		if !json.Valid(s.JSON()) {
			t.Fatalf("canonical JSON is not valid: %q", s.JSON())
		}
		again, err := ParseSnapshot(s.JSON())
		if err != nil {
			t.Fatalf("canonical JSON %q does not parse: %v", s.JSON(), err)
		}
		if !bytes.Equal(again.JSON(), s.JSON()) || again.Digest() != s.Digest() {
			t.Fatalf("not idempotent:\n%q\n%q", s.JSON(), again.JSON())
		}
		if got, ok := s.appendState(nil); ok && !bytes.Equal(got, appendCanonical(nil, withoutTelemetry(s.tree))) {
			t.Fatalf("the state written from the index of %q differs from the state encoded: %q", s.JSON(), got)
		}
		stored, err := ParseStored(s.JSON(), s.Digest())
		if err != nil || !reflect.DeepEqual(stored.Tree(), s.Tree()) {
			t.Fatalf("canonical JSON %q read back as stored: %v, or a different tree", s.JSON(), err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s.Tree()); err != nil || !bytes.Equal(bytes.TrimSuffix(want.Bytes(), []byte("\n")), s.JSON()) {
			t.Fatalf("canonical JSON differs from encoding/json's for the same tree (%v):\n%q\n%q", err, s.JSON(), want.Bytes())
		}
		p := s.Project()
		_, _ = p.Step("PRE_CHECK")
		_ = p.RunningStep()
		_, _ = p.Failed(), p.LabelNames()
	})
}

// FuzzDecodeEnvelope checks that any status and body give an envelope or a
// classified one-line error, never a panic.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(200, readFile(f, seedPath))
	f.Add(400, []byte(`{"Code":"Throttling.User","Message":"x","RequestId":"r"}`))
	f.Add(502, []byte(`<html><title>502</title></html>`))
	f.Add(200, []byte(`{"success":false,"errorDetail":{"code":"PROJECT_NOT_FOUND_ERROR"}}`))
	f.Add(403, []byte(`{"Code":"SignatureDoesNotMatch","Message":"string to sign is: AccessKeyId=abc"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		env, err := DecodeEnvelope(status, body)
		if err == nil {
			if env == nil {
				t.Fatal("nil envelope and nil error")
			}
			_, _ = DecodeProjectList(status, body)
			return
		}
		checkOneLine(t, err.Error())
		ae, isAPI := errors.AsType[*APIError](err)
		_, isMalformed := errors.AsType[*MalformedError](err)
		if isAPI == isMalformed {
			t.Fatalf("error %T is neither or both kinds", err)
		}
		if isAPI && ae.Permanent() && ae.Retryable() {
			t.Fatalf("permanent and retryable: %v", err)
		}
	})
}
