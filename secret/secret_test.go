package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestStringNeverPrintsValue(t *testing.T) {
	const value = "s3cr3t-AccessKeySecret"
	s := New(value)
	type holder struct {
		Key String `json:"key"`
	}
	js, err := json.Marshal(holder{Key: s})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := s.MarshalText()
	yml, _ := s.MarshalYAML()
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "secret", s, "holder", holder{Key: s})

	outputs := map[string]string{
		"%v":    fmt.Sprintf("%v", s),
		"%s":    fmt.Sprintf("%s", s),
		"%q":    fmt.Sprintf("%q", s),
		"%x":    fmt.Sprintf("%x", s),
		"%#v":   fmt.Sprintf("%#v", s),
		"%+v":   fmt.Sprintf("%+v", holder{Key: s}),
		"json":  string(js),
		"text":  string(text),
		"yaml":  fmt.Sprint(yml),
		"slog":  logBuf.String(),
		"plain": s.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, Mask) {
			t.Errorf("%s does not show the mask: %s", name, out)
		}
	}
	if s.Reveal() != value {
		t.Fatalf("Reveal() = %q, want the value", s.Reveal())
	}
}

func TestEmptySecretPrintsEmpty(t *testing.T) {
	var s String
	if !s.IsZero() || s.String() != "" {
		t.Fatalf("empty secret printed %q", s.String())
	}
}

func TestRedactor(t *testing.T) {
	var r Redactor
	r.Add(New("hunter2-long"), New("abc"), New("xoxb-123-456"))
	cases := []struct{ in, want string }{
		{"password=hunter2-long&x=1", "password=****&x=1"},
		{"token xoxb-123-456 refused", "token **** refused"},
		{"abc is too short to redact", "abc is too short to redact"},
	}
	for _, tc := range cases {
		if got := r.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var nilR *Redactor
	if nilR.Redact("x") != "x" {
		t.Fatal("nil redactor must pass text through")
	}
}
