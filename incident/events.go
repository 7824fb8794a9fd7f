package incident

import (
	"strconv"
	"time"

	"github.com/omswatch/omswatch/event"
)

// Event makes an incident's next event of type typ (the incident after
// the change), numbering it with the incident's sequence: the same
// incident state makes the same event id, so a repeated poll publishes
// nothing twice. members are the events that brought the change; extra
// adds fields (by, comment).
func Event(in *Incident, typ string, members []event.Event, at time.Time, digest string, extra map[string]any) event.Event {
	in.Seq++
	sev := in.Severity
	if typ == event.TypeIncidentResolved || typ == event.TypeIncidentAcknowledged {
		sev = event.Info
	}
	f := map[string]any{"incident": in.ID, "cause": in.Cause.Key(), "title": in.Title(), "state": string(in.State),
		"started": in.Started.UTC().Format(time.RFC3339), "events": eventList(members)}
	if e := in.Error; e != nil {
		f["error"] = map[string]any{"code": e.Code, "message": e.Message, "reason": e.Reason, "proposal": e.Proposal}
	}
	if in.Relapses > 0 {
		f["relapses"] = in.Relapses
	}
	if in.Clear > 0 && in.Open() {
		f["clear_polls"] = in.Clear
	}
	if in.Ack != nil {
		f["acked_by"] = in.Ack.By
	}
	if in.Escalated {
		f["escalated"] = true
	}
	if e, ok := Estimate(in.Delays); ok && in.Open() && e.Delay >= MinDelay {
		f["eta"] = e.String()
	}
	if in.Runbook != "" {
		f["runbook"] = in.Runbook
	}
	if !in.Open() {
		f["lasted"] = in.Lasted(at).String()
		f["reason"] = in.Reason
	}
	for k, v := range extra {
		f[k] = v
	}
	subject := in.Project.ID
	return event.Event{
		ID:     event.NewID(in.Source, subject, typ, in.ID+"#"+strconv.Itoa(in.Seq), digest),
		Source: in.Source, Type: typ, Subject: subject, Time: at.UTC(), Severity: sev,
		Data: event.Data{Project: in.Project, Fields: f},
	}
}

// eventList is the member events as data: id, type, severity and what
// happened, in the catalog's words.
func eventList(members []event.Event) []any {
	out := make([]any, 0, len(members))
	for _, e := range members {
		what := e.Type
		if s, ok := event.Describe(e.Type); ok {
			what = s.What(e.Data)
		}
		out = append(out, map[string]any{"id": e.ID, "type": e.Type, "severity": string(e.Severity), "what": what})
	}
	return out
}
