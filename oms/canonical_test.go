package oms

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestCanonicalRules(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"keys respelled and trimmed, values trimmed",
			`{" name ":" a\n","status":"\tRUNNING"}`, `{"Name":"a","Status":"RUNNING"}`},
		{"null string and null dropped, empty string kept",
			`{"A":"null","B":null,"C":" null\n","D":"","E":"NULL"}`, `{"D":"","E":"NULL"}`},
		{"null elements dropped from positional arrays",
			`{"Subtopics":["null",null,"x"," y "]}`, `{"Subtopics":["x","y"]}`},
		{"empty containers kept",
			`{"A":{},"B":[],"C":{"x":null}}`, `{"A":{},"B":[],"C":{}}`},
		{"opaque maps keep their keys, nested too, but are trimmed",
			`{"steps":[{"name":"X","stepInfo":{"incrTimestampCheckpoint":1,"Nested":{"keepMe":" v "},"gone":"null"}}]}`,
			`{"Steps":{"X":{"Name":"X","StepInfo":{"Nested":{"keepMe":"v"},"incrTimestampCheckpoint":1}}}}`},
		{"data-keyed maps keep their keys and respell the objects under them",
			`{"extraInfo":{"subDbs":{"sub_1":[{"clusterName":"c"}]}}}`,
			`{"ExtraInfo":{"SubDbs":{"sub_1":[{"ClusterName":"c"}]}}}`},
		{"steps keyed by normalised name, name kept",
			`{"Steps":[{"Name":"pre-check"},{"Name":"INCR_TRANSFER"}]}`,
			`{"Steps":{"INCR_TRANSFER":{"Name":"INCR_TRANSFER"},"PRE_CHECK":{"Name":"pre-check"}}}`},
		{"labels keyed by id, numbers too",
			`{"Labels":[{"Id":"l_2","Name":"b"},{"Id":7,"Name":"a"}]}`,
			`{"Labels":{"7":{"Id":7,"Name":"a"},"l_2":{"Id":"l_2","Name":"b"}}}`},
		{"error details keyed by code and message",
			`{"Steps":[{"Name":"S","ExtraInfo":{"ErrorDetails":[{"Code":"C1","Message":"m"},{"Message":"only message"}]}}]}`,
			`{"Steps":{"S":{"ExtraInfo":{"ErrorDetails":{"C1|m":{"Code":"C1","Message":"m"},"|only message":{"Message":"only message"}}},"Name":"S"}}}`},
		{"error details are keyed only inside a step",
			`{"ExtraInfo":{"ErrorDetails":[{"Code":"C1"}]}}`, `{"ExtraInfo":{"ErrorDetails":[{"Code":"C1"}]}}`},
		{"tables keyed only inside a transfer mapping database",
			`{"TransferMapping":{"Databases":[{"Name":"d","Tables":[{"Name":"t"}]}]},"Tables":[{"Name":"t"}]}`,
			`{"Tables":[{"Name":"t"}],"TransferMapping":{"Databases":{"d":{"Name":"d","Tables":{"t":{"Name":"t"}}}}}}`},
		{"an already keyed object keeps its keys",
			`{"Steps":{"PRE_CHECK":{"Name":"pre-check"},"custom":{"Name":"x"}}}`,
			`{"Steps":{"PRE_CHECK":{"Name":"pre-check"},"custom":{"Name":"x"}}}`},
		{"an identified array of the wrong type stays as it is",
			`{"Steps":"none","Labels":5}`, `{"Labels":5,"Steps":"none"}`},
		{"elements without identity keyed by content, not position",
			`{"Labels":[{"Name":"no id"},"plain"]}`,
			`{"Labels":{"#4931af95a052":{"Name":"no id"},"#945603a8f587":"plain"}}`},
		{"a member spelled canonically wins a collision",
			`{"name":"camel","Name":"pascal"," Name":"spaced"}`, `{"Name":"pascal"}`},
		{"otherwise the smaller original key wins",
			`{"name":"camel"," name":"spaced"}`, `{"Name":"spaced"}`},
		{"no HTML escaping, control characters escaped",
			`{"W":"a<b && c>d","C":"x\u0001\u2028y"}`, `{"C":"x\u0001\u2028y","W":"a<b && c>d"}`},
		{"numbers kept as sent",
			`{"A":1.50,"B":-0,"C":1e400,"D":123456789012345678901234567890}`,
			`{"A":1.50,"B":-0,"C":1e400,"D":123456789012345678901234567890}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, []byte(tc.in))
			if string(s.JSON()) != tc.want {
				t.Errorf("canonical JSON\n got %s\nwant %s", s.JSON(), tc.want)
			}
			checkIdempotent(t, s)
		})
	}
}

func TestCanonicalizeDoesNotModifyInput(t *testing.T) {
	env := seedEnvelope(t)
	before := marshalInput(t, env)
	if _, err := Canonicalize(env["Data"]); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, marshalInput(t, env)) {
		t.Error("Canonicalize modified its input")
	}
}

func TestCanonicalizeGoValues(t *testing.T) {
	// A tree decoded without UseNumber, or built in Go, canonicalises like
	// the json.Number one.
	fromFloat, err := Canonicalize(map[string]any{"Id": "np_1", "Port": float64(2883), "Ratio": 0.5,
		"Count": 3, "Big": int64(1) << 60})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Big":1152921504606846976,"Count":3,"Id":"np_1","Port":2883,"Ratio":0.5}`; string(fromFloat.JSON()) != want {
		t.Errorf("got %s, want %s", fromFloat.JSON(), want)
	}
	bad := []any{
		map[string]any{"X": math.NaN()},
		map[string]any{"X": []string{"not any"}},
		map[string]any{"X": json.Number("12abc")},
		[]any{1},
		nil,
		map[string]any{"Data": map[string]any{}},
		map[string]any{"requestId": "R"},
	}
	for _, v := range bad {
		if _, err := Canonicalize(v); err == nil {
			t.Errorf("Canonicalize(%#v): want an error", v)
		}
	}
}

func TestCanonicalInvalidUTF8(t *testing.T) {
	s, err := Canonicalize(map[string]any{"Name": "a\xffb", "\xfeKey": "v"})
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(s.JSON()) || !strings.Contains(string(s.JSON()), "a\ufffdb") {
		t.Errorf("got %q", s.JSON())
	}
	checkIdempotent(t, s)
}

func TestDigest(t *testing.T) {
	a := mustParse(t, []byte(`{"Id":"np_1","Status":"RUNNING"}`))
	b := mustParse(t, []byte(`{"status":"RUNNING\n","id":" np_1","owner":"null"}`))
	c := mustParse(t, []byte(`{"Id":"np_1","Status":"FAILED"}`))
	if a.Digest() != b.Digest() {
		t.Error("equal states, different digests")
	}
	if a.Digest() == c.Digest() {
		t.Error("different states, equal digests")
	}
	if len(a.Digest()) != 64 || a.ID() != "np_1" {
		t.Errorf("Digest %q ID %q", a.Digest(), a.ID())
	}
}

func TestAppendCanonicalMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `quote " back \ slash`, "\b\f\n\r\t\x00\x1f\x7f", "<&>", "\u2028\u2029",
		"bad \xff\xfe utf8", "日本語", "emoji 😀", "\xed\xa0\x80 surrogate"}
	tree := map[string]any{}
	for i, s := range strs {
		tree[s] = []any{s, json.Number("1.5e3"), true, false, map[string]any{"k": s, "i": json.Number(string(rune('0' + i)))}}
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		t.Fatal(err)
	}
	got := appendCanonical(nil, tree)
	if !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
		t.Errorf("appendCanonical differs from encoding/json:\n got %s\nwant %s", got, want.Bytes())
	}
}
