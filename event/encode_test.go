package event

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// reference encodes an event as the contract was first written: with
// encoding/json over the wire struct, the data a map with sorted keys, each
// operation its own marshaller. The one-pass encoder must write the same
// bytes.
func reference(e Event) ([]byte, error) {
	type refEnvelope struct {
		SpecVersion     string   `json:"specversion"`
		ID              string   `json:"id"`
		Source          string   `json:"source"`
		Type            string   `json:"type"`
		Subject         string   `json:"subject"`
		Time            string   `json:"time"`
		DataContentType string   `json:"datacontenttype"`
		Severity        Severity `json:"severity"`
		Data            any      `json:"data"`
	}
	m := make(map[string]any, len(e.Data.Fields)+2)
	for k, v := range e.Data.Fields {
		m[k] = v
	}
	p := e.Data.Project
	if p.Labels == nil {
		p.Labels = []string{}
	}
	m[dataKeyProject] = p
	changes := make([]refChange, len(e.Data.Changes))
	for i, c := range e.Data.Changes {
		changes[i] = refChange(c)
	}
	m[dataKeyChanges] = changes
	return encode(refEnvelope{SpecVersion: SpecVersion, ID: e.ID, Source: e.Source, Type: e.Type, Subject: e.Subject,
		Time: e.Time.UTC().Format(time.RFC3339Nano), DataContentType: ContentType, Severity: e.Severity, Data: m})
}

type refChange Change

func (c refChange) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"op":`)
	op, _ := encode(c.Op)
	buf.Write(op)
	buf.WriteString(`,"path":`)
	path, _ := encode(c.Path)
	buf.Write(path)
	switch c.Op {
	case "move", "copy":
		from, _ := encode(c.From)
		buf.WriteString(`,"from":`)
		buf.Write(from)
	case "add", "replace", "test":
		v, err := encode(c.Value)
		if err != nil {
			return nil, err
		}
		buf.WriteString(`,"value":`)
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func TestEncoderMatchesEncodingJSON(t *testing.T) {
	nested := map[string]any{"z": []any{json.Number("1.50"), 2.5e-9, 1e21, -0.0, int64(-7), true, nil},
		"a":    map[string]any{"<tag>": "a&b", "empty": map[string]any{}, "none": []any{}, "nilmap": map[string]any(nil)},
		"strs": []string{"x", "\u2028", "\x01"}, "nilstrs": []string(nil), "when": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		"sev": Warning, "n": json.Number(""), "f": 123456789.0, "tiny": 1e-7, "ints": []int{1, 2}}
	cases := map[string]Event{
		"sample": sample(),
		"nested": {ID: "i", Source: "s", Type: TypeProjectDiscovered, Subject: "p", Time: time.Unix(1, 5).In(time.FixedZone("x", 3600)),
			Severity: Info, Data: Data{Fields: nested, Changes: []Change{{Op: "test", Path: "/a", Value: nested},
				{Op: "move", Path: "/b", From: "/c"}, {Op: "copy", Path: "/d", From: "/e\t"}, {Op: "replace", Path: "/f"}}}},
		"strings": {ID: "\"quoted\"", Source: "back\\slash", Type: "oms.x", Subject: "\x00\x1f\x7f", Severity: "odd\n",
			Data: Data{Project: Project{Name: "bad \xff utf8 \u2029 é 日本", Labels: []string{"l<1>", "\b\f\r"}}}},
	}
	for name, e := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := reference(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("one-pass encoder\n got %s\nwant %s", got, want)
			}
		})
	}
}

// What encoding/json refuses the encoder refuses too, rather than writing
// something that is not JSON.
func TestEncoderRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for name, v := range map[string]any{"NaN": math.NaN(), "Inf": math.Inf(1), "bad number": json.Number("1 "),
		"quoted number": json.Number(`"1"`), "channel": make(chan int)} {
		e := sample()
		e.Data.Fields = map[string]any{"v": v}
		if _, err := e.JSON(); err == nil {
			t.Errorf("%s: encoded", name)
		}
		if _, err := reference(e); err == nil {
			t.Errorf("%s: the reference encoded it", name)
		}
	}
}

func FuzzEncoderMatchesEncodingJSON(f *testing.F) {
	f.Add("step", "FULL_TRANSFER", "/Steps/0", "orders<&>", 42.5, "12")
	f.Add("\u2028", "\xff\xfe", "\x00", "\t\"\\", math.SmallestNonzeroFloat64, "-0.5e-10")
	f.Fuzz(func(t *testing.T, key, value, path, name string, num float64, number string) {
		e := sample()
		e.Data.Project.Name = name
		e.Data.Project.Labels = []string{value, key}
		e.Data.Fields = map[string]any{key: value, "num": num, "number": json.Number(number),
			"list": []any{value, map[string]any{key: num, value: []string{path}}}}
		e.Data.Changes = append(e.Data.Changes, Change{Op: "add", Path: path, Value: map[string]any{key: json.Number(number)}})
		want, werr := reference(e)
		got, gerr := e.JSON()
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("encoding/json says %v, the encoder %v", werr, gerr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("one-pass encoder\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkEventJSON(b *testing.B) {
	e := sample()
	b.Run("one_pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.JSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reference(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
