package sinks_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

// An event over the server's max_payload (a huge first sight on a server
// with NATS's default limit) is stored without its changes, counted in
// data.changes_omitted; one that fits is stored as it is.
func TestOversizeEventsLoseTheirChanges(t *testing.T) {
	srv := sinktest.StartNATS(t, 64<<10)
	_, js := sinktest.Connect(t, srv)
	ob := newOutbox(t, js)
	small := testEvent("np_small", 1)
	big := testEvent("np_big", 2)
	big.Type = event.TypeProjectDiscovered
	for i := range 2000 {
		big.Data.Changes = append(big.Data.Changes, event.Change{Op: "add", Path: "/Tables/t" + strings.Repeat("x", 40), Value: i})
	}
	n := len(big.Data.Changes)
	if err := ob.Publish(t.Context(), []sinks.Entry{{Event: small}, {Event: big}}); err != nil {
		t.Fatal(err)
	}
	st, _ := js.Stream(t.Context(), sinks.DefaultStream)
	for _, tc := range []struct {
		e       event.Event
		omitted any
	}{{small, nil}, {big, json.Number(fmt.Sprint(n))}} {
		m, err := st.GetLastMsgForSubject(t.Context(), sinks.EventSubject(sinks.DefaultPrefix, tc.e.Source, tc.e.Subject, tc.e.Type))
		if err != nil {
			t.Fatal(err)
		}
		got, err := sinks.DecodeEvent(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if got.Data.Fields["changes_omitted"] != tc.omitted {
			t.Errorf("%s: changes_omitted %v, want %v", tc.e.Subject, got.Data.Fields["changes_omitted"], tc.omitted)
		}
		if tc.omitted == nil && len(got.Data.Changes) != len(tc.e.Data.Changes) {
			t.Errorf("%s lost its changes", tc.e.Subject)
		}
		if got.ID != tc.e.ID || m.Header.Get("Nats-Msg-Id") != tc.e.ID {
			t.Errorf("%s: id %s header %s", tc.e.Subject, got.ID, m.Header.Get("Nats-Msg-Id"))
		}
	}
	if len(big.Data.Changes) != n || big.Data.Fields["changes_omitted"] != nil {
		t.Error("the caller's event was changed")
	}
}

func TestTokenAndSubjects(t *testing.T) {
	for in, want := range map[string]string{
		"oms://cn-hangzhou": "oms_cn-hangzhou", "np_1": "np_1", "a.b *> c": "a_b_c", "": "_", "订单": "_",
	} {
		if got := sinks.Token(in); got != want {
			t.Errorf("Token(%q) = %q, want %q", in, got, want)
		}
	}
	for s, want := range map[string]bool{"a.b": true, "a..b": false, "a.*": false, "a.>": false, "a b": false, "": false} {
		if sinks.ValidSubject(s) != want {
			t.Errorf("ValidSubject(%q) != %v", s, want)
		}
	}
}

// An event still over max_payload without its changes (OMS sent a name
// and an error message of megabytes) is stored with every string of its
// data cut, marked truncated, so the project stays watched.
func TestOversizeStringsAreCut(t *testing.T) {
	srv := sinktest.StartNATS(t, 64<<10)
	_, js := sinktest.Connect(t, srv)
	ob := newOutbox(t, js)
	e := testEvent("np_huge", 3)
	e.Data.Project.Name = strings.Repeat("名", 40<<10) // 120 KB, 3 bytes a rune
	e.Data.Fields = map[string]any{"message": strings.Repeat("x", 100<<10), "codes": []string{strings.Repeat("c", 5000)},
		"nested": map[string]any{"k": []any{strings.Repeat("y", 3000)}}, "count": 7}
	e.Data.Changes = []event.Change{{Op: "replace", Path: "/Name", Value: e.Data.Project.Name}}
	status := &sinks.ProjectStatus{ID: e.Subject, Name: e.Data.Project.Name, LastError: strings.Repeat("e", 100<<10),
		Steps: []sinks.StepStatus{{Name: "FULL_TRANSFER", Status: "FAILED"}}}
	if err := ob.Publish(t.Context(), []sinks.Entry{{Event: e, Status: status}}); err != nil {
		t.Fatal(err)
	}
	st, _ := js.Stream(t.Context(), sinks.DefaultStream)
	m, err := st.GetLastMsgForSubject(t.Context(), sinks.EventSubject(sinks.DefaultPrefix, e.Source, e.Subject, e.Type))
	if err != nil {
		t.Fatal(err)
	}
	if h := m.Header.Get(sinks.HeaderStatus); len(h) > 4<<10 || !strings.Contains(h, "FULL_TRANSFER") {
		t.Errorf("status header of %d bytes: %.200s", len(h), h)
	}
	got, err := sinks.DecodeEvent(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	name := got.Data.Project.Name
	if !strings.HasSuffix(name, "…") || len(name) > 1024+len("…") || !strings.HasPrefix(e.Data.Project.Name, strings.TrimSuffix(name, "…")) {
		t.Errorf("name not cut to 1 KiB on a rune boundary: %d bytes", len(name))
	}
	if got.Data.Fields["truncated"] != true || got.Data.Fields["count"] != json.Number("7") {
		t.Errorf("fields %v", got.Data.Fields)
	}
	if msg, _ := got.Data.Fields["message"].(string); len(msg) > 1024+len("…") {
		t.Errorf("message kept %d bytes", len(msg))
	}
	if len(m.Data) > 16<<10 {
		t.Errorf("stored event is %d bytes", len(m.Data))
	}
	if len(e.Data.Project.Name) != 120<<10 {
		t.Error("the caller's event was changed")
	}
}
