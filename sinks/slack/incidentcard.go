package slack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// Colours of an incident's parent message, by state: red or amber while
// it fires (by severity), blue once someone took it, green when resolved.
const (
	colorCritical = "#E01E5A"
	colorWarning  = "#ECB22E"
	colorAcked    = "#1D9BD1"
	colorResolved = "#2EB67D"
)

// incidentCard is an incident's parent message: a coloured attachment of
// blocks, the fallback text, and a hash so it is edited only when what it
// shows changed.
type incidentCard struct {
	att  slack.Attachment
	text string
	hash string
}

// newIncidentCard draws the incident as its event e (the latest) says:
// state, severity, project, title, start, duration, last error with OMS's
// reason and proposal, who took it, the runbook, and how to act on it.
// Every text from OMS or a person is escaped; link is the project's page
// in the OMS console ("" for none).
func newIncidentCard(e event.Event, link string) incidentCard {
	f := e.Data.Fields
	text := func(k string) string { return e.Data.Text(k) }
	state := text("state")
	color, head := colorWarning, ":warning: *FIRING*"
	switch {
	case state == "resolved":
		color, head = colorResolved, ":white_check_mark: *RESOLVED*"
	case state == "acknowledged":
		color, head = colorAcked, ":eyes: *ACKNOWLEDGED*"
	case text("clear_polls") != "":
		color, head = colorWarning, ":large_yellow_circle: *RECOVERING*"
	case e.Severity == event.Critical:
		color, head = colorCritical, ":red_circle: *FIRING*"
	}
	if state != "resolved" {
		head += "  ·  " + string(e.Severity)
	}
	p := e.Data.Project
	name := Escape(p.Name)
	if name == "" {
		name = Escape(e.Subject)
	}
	if link != "" {
		name = "<" + Escape(link) + "|" + name + ">"
	}
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	title := Escape(text("title"))
	blocks := []slack.Block{
		slack.NewSectionBlock(md(head+"  ·  *"+name+"* `"+Escape(e.Subject)+"` ("+Escape(sinks.Where(e.Source))+")\n*"+title+"*"), nil, nil),
	}
	started, _ := timeOf(f["started"])
	fields := []*slack.TextBlockObject{md("*Started*\n" + started.UTC().Format("2006-01-02 15:04 UTC")),
		md("*Duration*\n" + incidentDuration(e, started))}
	if by := text("acked_by"); by != "" {
		fields = append(fields, md("*Taken by*\n"+Escape(by)))
	}
	if eta := text("eta"); eta != "" {
		fields = append(fields, md("*Catch-up*\n"+Escape(eta)))
	}
	if r := text("relapses"); r != "" {
		fields = append(fields, md("*Relapses*\n"+r+" (one incident, not "+r+")"))
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	if er, ok := f["error"].(map[string]any); ok {
		blocks = append(blocks, slack.NewSectionBlock(md(errorText(er)), nil, nil))
	}
	if rb := text("runbook"); rb != "" {
		blocks = append(blocks, slack.NewSectionBlock(md("*Runbook:* "+runbookText(rb)), nil, nil))
	}
	id := Escape(text("incident"))
	hint := "incident `" + id + "`"
	if state != "resolved" {
		hint += "  ·  take it: `omswatch incident ack " + id + " --by NAME`"
	}
	if link != "" {
		hint += "  ·  <" + Escape(link) + "|open in the OMS console>"
	}
	blocks = append(blocks, slack.NewContextBlock("", md(hint)))
	label := strings.ToUpper(state)
	if text("clear_polls") != "" {
		label = "RECOVERING"
	}
	fallback := fmt.Sprintf("%s %s: %s — %s", label, e.Severity, Escape(p.Name), title)
	if state == "resolved" {
		fallback = fmt.Sprintf("RESOLVED after %s: %s — %s", dur(text("lasted")), Escape(p.Name), title)
	}
	att := slack.Attachment{Color: color, Fallback: fallback, Blocks: slack.Blocks{BlockSet: blocks}}
	raw, _ := json.Marshal(att) // blocks of text objects always marshal
	sum := sha256.Sum256(append(raw, fallback...))
	return incidentCard{att: att, text: fallback, hash: hex.EncodeToString(sum[:12])}
}

// incidentDuration is "open for 12 min" or "resolved after 42 min".
func incidentDuration(e event.Event, started time.Time) string {
	if e.Data.Text("state") == "resolved" {
		s := "resolved after " + dur(e.Data.Text("lasted"))
		if by := e.Data.Text("by"); by != "" {
			s += " by " + Escape(by)
		}
		return s
	}
	if started.IsZero() {
		return "open"
	}
	return "open for " + humanDuration(e.Time.Sub(started))
}

// errorText is the last error: code and message, OMS's reason and
// proposal quoted under them.
func errorText(er map[string]any) string {
	get := func(k string) string { s, _ := er[k].(string); return Escape(oneLine(s, 500)) }
	s := "*Last error*"
	if c := get("code"); c != "" {
		s += " `" + c + "`"
	}
	if m := get("message"); m != "" {
		s += ": " + m
	}
	if r := get("reason"); r != "" {
		s += "\n> *Reason:* " + r
	}
	if p := get("proposal"); p != "" {
		s += "\n> *Proposal:* " + p
	}
	return s
}

// runbookText links a URL and shows a short text as it is.
func runbookText(rb string) string {
	if strings.HasPrefix(rb, "https://") || strings.HasPrefix(rb, "http://") {
		return "<" + Escape(rb) + ">"
	}
	return Escape(rb)
}

// incidentReply is the thread reply of an incident event: what happened
// to the incident, then the events that brought it, one a line.
func incidentReply(e event.Event) string {
	text := e.Data.Text
	var head string
	switch e.Type {
	case event.TypeIncidentOpened:
		head = icon(e.Severity) + " Incident opened: *" + Escape(text("title")) + "*"
	case event.TypeIncidentUpdated:
		head = icon(e.Severity) + " " + Escape(text("title"))
		switch r := text("reminder"); {
		case r != "":
			head += " — still firing and nobody has taken it (reminder " + r + ")"
		case len(eventsOf(e)) > 0:
		case text("escalated") == "true":
			head += " — escalated: firing with nobody on it"
		case text("eta") != "":
			head += " — sync delay " + Escape(text("eta"))
		}
		if c := text("clear_polls"); c != "" {
			head = ":large_yellow_circle: Recovering: " + Escape(text("title")) + " gone for " + polls(c) + "; it resolves unless it comes back"
		}
	case event.TypeIncidentAcknowledged:
		head = ":eyes: Acknowledged by *" + Escape(text("by")) + "*"
	case event.TypeIncidentResolved:
		head = ":white_check_mark: Resolved after " + dur(text("lasted"))
		switch text("reason") {
		case "manual":
			head += " by *" + Escape(text("by")) + "*"
		case "removed":
			head += ": the project is gone"
		case "cleared":
			head += ": the problem stayed away"
		}
	}
	if c := text("comment"); c != "" {
		head += ": " + Escape(oneLine(c, 500))
	}
	for _, item := range eventsOf(e) {
		m, _ := item.(map[string]any)
		what, _ := m["what"].(string)
		sev, _ := m["severity"].(string)
		head += "\n" + icon(event.Severity(sev)) + " " + Escape(oneLine(what, 500))
	}
	return head
}

// eventsOf is an incident event's events field.
func eventsOf(e event.Event) []any {
	list, _ := e.Data.Fields["events"].([]any)
	return list
}

// polls writes a count of polls: "1 poll", "2 polls".
func polls(n string) string {
	if n == "1" {
		return "1 poll"
	}
	return n + " polls"
}

func icon(sev event.Severity) string {
	switch sev {
	case event.Critical:
		return ":red_circle:"
	case event.Warning:
		return ":warning:"
	}
	return ":large_blue_circle:"
}
