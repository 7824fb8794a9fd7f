package event

// incidentFields are the data every oms.incident.* event carries: the
// incident's id, its cause key (condition:RULE, step:STEP, project:FAILED,
// poll), a title in words, its state (firing, acknowledged, resolved), when
// it started, and the events of this poll that belong to it (id, type,
// severity, what: their summary).
var incidentFields = []string{"incident", "cause", "title", "state", "started", "events"}

// incidentOptional are added where they apply: the last error (code,
// message, reason, proposal), how long it lasted and why it ended
// (resolved: cleared, removed, manual), who acknowledged or resolved it
// and their comment, who has taken it (acked_by), how often it relapsed while clearing, the polls it
// has been clear for, a runbook, and the fleet incident it belongs to (its
// id, title, start, and projects with their incidents' states), the
// number of a reminder, whether it escalated, and where the project's sync
// delay is going (eta: "catching up, ETA 35 min").
var incidentOptional = []string{"error", "lasted", "reason", "by", "comment", "acked_by", "relapses", "clear_polls", "runbook",
	"fleet", "fleet_title", "fleet_started", "projects", "reminder", "escalated", "eta"}

// incidentSpec is the catalog row of an incident event type.
func incidentSpec(typ string, sevs []Severity) Spec {
	s := Spec{Type: typ, Severity: sevs[0], Severities: sevs, Fields: incidentFields, Optional: incidentOptional}
	if len(sevs) > 1 {
		s.Severity = Warning // the incident's severity: the highest of its events
	}
	verb := map[string]string{TypeIncidentOpened: "opened", TypeIncidentUpdated: "updated",
		TypeIncidentAcknowledged: "acknowledged", TypeIncidentResolved: "resolved"}[typ]
	s.What = func(d Data) string {
		line := "incident " + or(d.Text("incident"), "?") + " " + verb
		switch typ {
		case TypeIncidentAcknowledged:
			if by := d.Text("by"); by != "" {
				line += " by " + by
			}
		case TypeIncidentResolved:
			if l := d.Text("lasted"); l != "" {
				line += " after " + l
			}
			if by := d.Text("by"); by != "" {
				line += " by " + by
			}
		}
		line += ": " + or(d.Text("title"), d.Text("cause"))
		if c := d.Text("comment"); c != "" {
			line += " (" + oneLine(c) + ")"
		}
		return line
	}
	icon := map[string]string{TypeIncidentOpened: "{{icon .Severity}}", TypeIncidentUpdated: "{{icon .Severity}}",
		TypeIncidentAcknowledged: ":eyes:", TypeIncidentResolved: ":white_check_mark:"}[typ]
	s.Slack = icon + ` ` + slackWho + ` incident *{{.Data.title}}* ` + verb +
		`{{with .Data.lasted}} after {{dur .}}{{end}}{{with .Data.by}} by {{.}}{{end}}{{with .Data.comment}}: {{.}}{{end}}` +
		`{{range .Data.events}}` + "\n" + `• {{.what}}{{end}}`
	return s
}
