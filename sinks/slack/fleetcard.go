package slack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// maxFleetLines bounds the projects a fleet card lists one a line.
const maxFleetLines = 15

// fleetMember is a project of a fleet incident, as its events carry it.
type fleetMember struct {
	id, name, incident, state string
	sev                       event.Severity
}

// fleetMembers reads an event's projects field.
func fleetMembers(e event.Event) []fleetMember {
	list, _ := e.Data.Fields["projects"].([]any)
	out := make([]fleetMember, 0, len(list))
	for _, item := range list {
		m, _ := item.(map[string]any)
		s := func(k string) string { v, _ := m[k].(string); return v }
		out = append(out, fleetMember{id: s("id"), name: s("name"), incident: s("incident"), state: s("state"),
			sev: event.Severity(s("severity"))})
	}
	return out
}

// threadOf is the incident thread an event goes to: its fleet's, else its
// incident's own.
func threadOf(e event.Event) string {
	if f := e.Data.Text("fleet"); f != "" {
		return f
	}
	return e.Data.Text("incident")
}

// newFleetCard draws a fleet incident: one parent for every project it
// holds, listing them with their incidents' states, red while any fires,
// green when all resolved.
func newFleetCard(e event.Event, members []fleetMember) incidentCard {
	open, sev := 0, event.Info
	for _, m := range members {
		if m.state != "resolved" {
			open++
			if m.sev.Rank() > sev.Rank() {
				sev = m.sev
			}
		}
	}
	started, _ := timeOf(e.Data.Fields["fleet_started"])
	title := Escape(e.Data.Text("fleet_title"))
	color, head, lasted := colorWarning, ":warning: *FIRING*  ·  "+string(sev), "open for "+humanDuration(e.Time.Sub(started))
	switch {
	case open == 0:
		color, head, lasted = colorResolved, ":white_check_mark: *RESOLVED*", "resolved after "+humanDuration(e.Time.Sub(started))
	case sev == event.Critical:
		color, head = colorCritical, ":red_circle: *FIRING*  ·  critical"
	}
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(md(head+"  ·  fleet incident ("+Escape(sinks.Where(e.Source))+")\n*"+title+"*"), nil, nil),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{md("*Started*\n" + started.UTC().Format("2006-01-02 15:04 UTC")),
			md("*Duration*\n" + lasted), md(fmt.Sprintf("*Projects*\n%d firing, %d recovered", open, len(members)-open))}, nil),
	}
	if er, ok := e.Data.Fields["error"].(map[string]any); ok {
		blocks = append(blocks, slack.NewSectionBlock(md(errorText(er)), nil, nil))
	}
	if rb := e.Data.Text("runbook"); rb != "" {
		blocks = append(blocks, slack.NewSectionBlock(md("*Runbook:* "+runbookText(rb)), nil, nil))
	}
	var b strings.Builder
	for i, m := range members {
		if i == maxFleetLines {
			fmt.Fprintf(&b, "… and %d more (`omswatch incident list`)\n", len(members)-i)
			break
		}
		st := icon(m.sev)
		if m.state == "resolved" {
			st = ":white_check_mark:"
		} else if m.state == "acknowledged" {
			st = ":eyes:"
		}
		fmt.Fprintf(&b, "%s *%s* `%s` %s `%s`\n", st, Escape(m.name), Escape(m.id), Escape(m.state), Escape(m.incident))
	}
	blocks = append(blocks, slack.NewSectionBlock(md(strings.TrimSuffix(b.String(), "\n")), nil, nil),
		slack.NewContextBlock("", md("fleet incident `"+Escape(e.Data.Text("fleet"))+"`  ·  take one: `omswatch incident ack ID --by NAME`")))
	fallback := fmt.Sprintf("FIRING %s: %s (%d of %d projects firing)", sev, title, open, len(members))
	if open == 0 {
		fallback = "RESOLVED " + lasted + ": " + title
	}
	att := slack.Attachment{Color: color, Fallback: fallback, Blocks: slack.Blocks{BlockSet: blocks}}
	raw, _ := json.Marshal(att) // blocks of text objects always marshal
	sum := sha256.Sum256(append(raw, fallback...))
	return incidentCard{att: att, text: fallback, hash: hex.EncodeToString(sum[:12])}
}
