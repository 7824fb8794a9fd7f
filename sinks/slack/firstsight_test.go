package slack

import (
	"testing"

	"github.com/omswatch/omswatch/event"
)

func TestFirstSightSummary(t *testing.T) {
	mk := func(id, name, status string) event.Event {
		return event.Event{Source: "oms://cn-hangzhou", Subject: id, Type: event.TypeProjectDiscovered,
			Data: event.Data{Project: event.Project{ID: id, Name: name, Status: status}}}
	}
	var events []event.Event
	for i := range 180 {
		events = append(events, mk("np_r"+string(rune('a'+i%26)), "run", "RUNNING"))
	}
	events = append(events, mk("np_f1", "orders", "FAILED"), mk("np_f2", "pay<ments>", "FAILED"), mk("np_f3", "inv", "FAILED"),
		mk("np_s1", "batch", "SUSPEND"), mk("np_s2", "audit", "SUSPEND"))
	want := ":eyes: omswatch is watching 185 new projects in cn-hangzhou: 180 RUNNING, 3 FAILED (inv, orders, pay&lt;ments&gt;), " +
		"2 SUSPEND (audit, batch). The 3 with problems follow."
	if got := firstSightSummary(events, 3, nil); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	link := func(e event.Event) string { return "https://oms.example/p?id=" + e.Data.Project.ID }
	linked := ":eyes: omswatch is watching 185 new projects in cn-hangzhou: 180 RUNNING, " +
		"3 FAILED (<https://oms.example/p?id=np_f3|inv>, <https://oms.example/p?id=np_f1|orders>, <https://oms.example/p?id=np_f2|pay&lt;ments&gt;>), " +
		"2 SUSPEND (<https://oms.example/p?id=np_s2|audit>, <https://oms.example/p?id=np_s1|batch>). The 3 with problems follow."
	if got := firstSightSummary(events, 3, link); got != linked {
		t.Errorf("linked: got\n%s\nwant\n%s", got, linked)
	}
}
