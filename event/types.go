package event

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/omswatch/omswatch/internal/suggest"
)

// Event types of the catalog (the EVENTS.md contract, v2). A type is a
// constant here and a row of specs below; the producer that emits it and
// docs/EVENTS.md are the only other places that name it.
const (
	TypeProjectDiscovered      = "oms.project.discovered"
	TypeProjectStatusChanged   = "oms.project.status_changed"
	TypeProjectRemoved         = "oms.project.removed"
	TypeProjectMetadataChanged = "oms.project.metadata_changed"
	TypeStepStatusChanged      = "oms.step.status_changed"
	TypeStepProgressChanged    = "oms.step.progress_changed"
	TypeStepErrorRaised        = "oms.step.error_raised"
	TypeStepErrorCleared       = "oms.step.error_cleared"
	TypeStepErrorChanged       = "oms.step.error_changed"
	TypeAlarmTriggered         = "oms.alarm.triggered"
	TypeAlarmCleared           = "oms.alarm.cleared"
	TypeConfigChanged          = "oms.config.changed"
	TypeWorkerExpired          = "oms.worker.expired"
	TypeProjectChanged         = "oms.project.changed"
	TypeConditionFiring        = "oms.condition.firing"
	TypeConditionResolved      = "oms.condition.resolved"
	TypePollFailing            = "oms.poll.failing"
	TypePollRecovered          = "oms.poll.recovered"
	TypeWatchHeartbeat         = "oms.watch.heartbeat"
	TypeWatchDigest            = "oms.watch.digest"
	TypeTargetFailing          = "oms.target.failing"
	TypeTargetRecovered        = "oms.target.recovered"
	// Incidents (package incident): one lifecycle per problem of a project.
	TypeIncidentOpened       = "oms.incident.opened"
	TypeIncidentUpdated      = "oms.incident.updated"
	TypeIncidentAcknowledged = "oms.incident.acknowledged"
	TypeIncidentResolved     = "oms.incident.resolved"
)

// Spec is everything omswatch says about one event type apart from how it
// is detected: the producers, the rules engine, the text line and the Slack
// sink all read it here, so a type cannot be half described.
type Spec struct {
	Type string
	// Severity is the default: what the producer gives an event of the type
	// unless its data calls for another (a status that became FAILED) or
	// its condition is configured otherwise.
	Severity Severity
	// Severities are all the producer can give it, the default among them;
	// a route that wants one of the others never matches the type.
	Severities []Severity
	// Fields are the type-specific data fields every event of the type
	// carries (EVENTS.md, "Types"); Optional are the ones added where they
	// apply (EVENTS.md, "Fields beyond the contract").
	Fields, Optional []string
	// Facts are the fields route matchers read.
	Facts Facts
	// What says what happened in one phrase, from the data fields; Summary
	// puts it on a line with time, severity, type and project.
	What func(Data) string
	// Slack is the default Slack message: a text/template in mrkdwn over
	// the sinks' template data, which may call icon (severity to emoji) and
	// join (a list as "a, b"); the Slack sink provides both.
	Slack string
}

// Facts name the data fields that route matchers read as a step, a phase
// and a condition name; "" when the type has none. A type with a step and
// no phase gets the step's phase (oms.PhaseOf) from the rules engine.
type Facts struct {
	Step, Phase, Rule string
}

// slackWho names the project at the start of every default Slack message.
// slackWho names the project in every Slack message, thread replies and
// incoming-webhook messages alike: its name (linked to its page in the
// OMS console when the target knows it), its id and where it lives.
const slackWho = "{{if .Link}}<{{.Link}}|*{{.Project.Name}}*>{{else}}*{{.Project.Name}}*{{end}} `{{.Project.ID}}` ({{.Where}})"

var (
	infoOnly    = []Severity{Info}
	warningOnly = []Severity{Warning}
	anySeverity = []Severity{Info, Warning, Critical}
	stepFacts   = Facts{Step: "step", Phase: "phase"}
)

// specs is the catalog, in catalog order. It is never written: Describe
// and Types hand out copies.
var specs = [...]Spec{
	{
		// First sight says what is wrong (EVENTS.md v2): critical when the
		// project or a step FAILED, warning when SUSPEND or with problems.
		Type: TypeProjectDiscovered, Severity: Info, Severities: anySeverity, Fields: []string{"status", "problems"},
		What: func(d Data) string {
			s := "discovered, status " + d.Text("status")
			if p := d.problems(); p != "" {
				s += "; " + p
			}
			return s
		},
		Slack: `{{if .Data.problems}}{{icon .Severity}}{{else}}:new:{{end}} ` + slackWho +
			` is watched now, status *{{.Data.status}}*{{range .Data.problems}}` + "\n" + `• {{.text}}{{end}}`,
	},
	{
		Type: TypeProjectStatusChanged, Severity: Info, Severities: anySeverity, Fields: []string{"from", "to"},
		What:  func(d Data) string { return "status " + d.Text("from") + " -> " + d.Text("to") },
		Slack: `{{icon .Severity}} ` + slackWho + ` status *{{.Data.from}}* → *{{.Data.to}}*`,
	},
	{
		Type: TypeProjectRemoved, Severity: Warning, Severities: warningOnly, Fields: []string{"last_status"},
		What:  func(d Data) string { return "removed (last status " + d.Text("last_status") + ")" },
		Slack: `:wastebasket: ` + slackWho + ` was removed (last status {{.Data.last_status}})`,
	},
	{
		Type: TypeProjectMetadataChanged, Severity: Info, Severities: infoOnly, Fields: []string{"fields"},
		What:  func(d Data) string { return "metadata changed: " + d.Text("fields") },
		Slack: `:pencil2: ` + slackWho + ` metadata changed: {{join .Data.fields}}`,
	},
	{
		Type: TypeStepStatusChanged, Severity: Info, Severities: []Severity{Info, Critical},
		Fields: []string{"step", "phase", "from", "to", "progress"}, Facts: stepFacts,
		What: func(d Data) string {
			s := fmt.Sprintf("step %s (%s) %s -> %s", d.Text("step"), d.Text("phase"),
				or(d.Text("from"), "none"), or(d.Text("to"), "none"))
			if p := d.Text("progress"); p != "" {
				s += ", " + p + "%"
			}
			return s
		},
		Slack: `{{icon .Severity}} ` + slackWho + ` step *{{.Data.step}}* ({{.Data.phase}}) ` +
			`{{or .Data.from "none"}} → *{{or .Data.to "none"}}*{{with .Data.progress}}, {{.}}%{{end}}`,
	},
	{
		Type: TypeStepProgressChanged, Severity: Info, Severities: infoOnly,
		Fields: []string{"step", "phase", "from", "to"}, Facts: stepFacts,
		What: func(d Data) string {
			return fmt.Sprintf("step %s (%s) progress %s%% -> %s%%", d.Text("step"), d.Text("phase"), d.Text("from"), d.Text("to"))
		},
		Slack: `:hourglass_flowing_sand: ` + slackWho + ` step *{{.Data.step}}* {{.Data.from}}% → {{.Data.to}}%`,
	},
	{
		Type: TypeStepErrorRaised, Severity: Critical, Severities: []Severity{Critical},
		Fields: []string{"step", "code", "level", "message", "reason", "proposal"}, Facts: Facts{Step: "step"},
		What: func(d Data) string {
			return fmt.Sprintf("step %s error %s: %s", d.Text("step"), d.Text("code"), d.Text("message"))
		},
		Slack: `:x: ` + slackWho + ` step *{{.Data.step}}* error ` + "`{{.Data.code}}`" + `: {{.Data.message}}` +
			`{{with .Data.reason}}` + "\n" + `> *Reason:* {{.}}{{end}}{{with .Data.proposal}}` + "\n" + `> *Proposal:* {{.}}{{end}}`,
	},
	{
		Type: TypeStepErrorCleared, Severity: Info, Severities: infoOnly,
		Fields: []string{"step", "codes"}, Facts: Facts{Step: "step"},
		What: func(d Data) string {
			return fmt.Sprintf("step %s errors cleared (%s)", d.Text("step"), d.Text("codes"))
		},
		Slack: `:white_check_mark: ` + slackWho + ` step *{{.Data.step}}* errors cleared ({{join .Data.codes}})`,
	},
	{
		// A step that still has errors: some went away (cleared) or kept
		// their identity with other details (changed).
		Type: TypeStepErrorChanged, Severity: Info, Severities: infoOnly,
		Fields: []string{"step", "cleared", "changed"}, Facts: Facts{Step: "step"},
		What: func(d Data) string {
			var parts []string
			if c := d.Text("cleared"); c != "" {
				parts = append(parts, "cleared "+c)
			}
			if c := d.Text("changed"); c != "" {
				parts = append(parts, "changed "+c)
			}
			s := "step " + d.Text("step") + " errors changed"
			if len(parts) > 0 {
				s += " (" + strings.Join(parts, "; ") + ")"
			}
			return s
		},
		Slack: `:pencil: ` + slackWho + ` step *{{.Data.step}}* errors changed` +
			`{{with .Data.cleared}}, cleared {{join .}}{{end}}{{with .Data.changed}}, changed {{join .}}{{end}}`,
	},
	{
		Type: TypeAlarmTriggered, Severity: Warning, Severities: warningOnly, Fields: []string{"rules", "count", "content"},
		What: func(d Data) string {
			s := "alarm triggered"
			if r := AlarmRules(d.Fields["rules"]); r != "" {
				s += ": " + r
			}
			s += "; " + RecentAlarms(d.Fields["count"])
			if c := d.Text("content"); c != "" {
				s += ": " + c
			}
			return s
		},
		Slack: `:rotating_light: ` + slackWho + ` alarm{{with .Data.rules}}: {{alarmRules .}}{{end}}; {{recentAlarms .Data.count}}` +
			`{{with .Data.content}}` + "\n" + `> {{.}}{{end}}`,
	},
	{
		Type: TypeAlarmCleared, Severity: Info, Severities: infoOnly, Fields: []string{"count"},
		What:  func(Data) string { return "alarm cleared" },
		Slack: `:large_green_circle: ` + slackWho + ` alarm cleared`,
	},
	{
		Type: TypeConfigChanged, Severity: Info, Severities: infoOnly, Fields: []string{"sections"},
		What:  func(d Data) string { return "configuration changed: " + d.Text("sections") },
		Slack: `:gear: ` + slackWho + ` configuration changed: {{join .Data.sections}}`,
	},
	{
		Type: TypeWorkerExpired, Severity: Warning, Severities: warningOnly, Fields: []string{"worker", "end_time"},
		What: func(d Data) string {
			return fmt.Sprintf("worker %s expired at %s", d.Text("worker"), d.Text("end_time"))
		},
		Slack: `:warning: ` + slackWho + ` worker {{.Data.worker}} expired {{when .Data.end_time .Time}}`,
	},
	{
		Type: TypeProjectChanged, Severity: Info, Severities: infoOnly, Fields: []string{"paths"},
		What:  func(d Data) string { return "changed: " + d.Text("paths") },
		Slack: `:memo: ` + slackWho + ` changed: {{join .Data.paths}}`,
	},
	{
		// A condition's severity is its rule's (configuration default: warning).
		Type: TypeConditionFiring, Severity: Warning, Severities: anySeverity,
		Fields: []string{"rule", "value", "since"}, Optional: []string{"repeat", "labels"}, Facts: Facts{Rule: "rule"},
		What: func(d Data) string {
			s := fmt.Sprintf("condition %s firing since %s, value %s", d.Text("rule"), d.Text("since"), d.Text("value"))
			if r := d.Text("repeat"); r != "" {
				s += " (reminder " + r + ")"
			}
			return s
		},
		Slack: `{{icon .Severity}} ` + slackWho + ` *{{.Data.rule}}* firing for {{since .Data.since .Time}}` +
			`{{with .Data.value}}, value {{human . $.Time}}{{end}}{{with .Data.repeat}} (reminder {{.}}){{end}}`,
	},
	{
		// Always info: a recovery, or the end of what the rule measured,
		// is nothing to page about; the firing was.
		Type: TypeConditionResolved, Severity: Info, Severities: infoOnly,
		Fields: []string{"rule", "value", "since", "reason", "lasted"}, Optional: []string{"fired_at", "labels"}, Facts: Facts{Rule: "rule"},
		What: func(d Data) string {
			s := "condition " + d.Text("rule") + " resolved"
			if d.Text("reason") == "not_applicable" {
				s = "condition " + d.Text("rule") + " no longer applies (project " + or(d.Project.Status, "gone") + ")"
			}
			if l := d.Text("lasted"); l != "" {
				s += " after " + l
			}
			return s + fmt.Sprintf(" (held since %s), value %s", d.Text("since"), d.Text("value"))
		},
		Slack: `{{if eq .Data.reason "not_applicable"}}:heavy_minus_sign: ` + slackWho + ` *{{.Data.rule}}* no longer applies ` +
			`(project {{.Project.Status}}){{else}}:white_check_mark: ` + slackWho + ` *{{.Data.rule}}* resolved{{end}}` +
			`{{with .Data.lasted}} after {{dur .}}{{end}}{{with .Data.value}}, value {{human . $.Time}}{{end}}`,
	},
	{
		// scope "account": OMS refuses the account's requests; subject is
		// the source, data.project is empty, and polling is paused.
		Type: TypePollFailing, Severity: Warning, Severities: warningOnly, Fields: []string{"failures"},
		Optional: []string{"error_code", "error", "scope"},
		What: func(d Data) string {
			if d.Text("scope") == "account" {
				return fmt.Sprintf("OMS refuses the account; polling paused (%s refused in a row): %s %s", d.Text("failures"), d.Text("error_code"), d.Text("error"))
			}
			return fmt.Sprintf("polls failing (%s in a row): %s %s", d.Text("failures"), d.Text("error_code"), d.Text("error"))
		},
		Slack: `:warning: {{if .Data.scope}}*{{.Source}}*: OMS refuses the account, polling paused ({{.Data.failures}} refused in a row){{else}}` +
			slackWho + ` polls failing ({{.Data.failures}} in a row){{end}}: {{.Data.error_code}} {{.Data.error}}`,
	},
	{
		Type: TypePollRecovered, Severity: Info, Severities: infoOnly, Fields: []string{"failures"},
		Optional: []string{"error_code", "error", "scope"},
		What: func(d Data) string {
			if d.Text("scope") == "account" {
				return "OMS accepts the account again; polling resumed after " + d.Text("failures") + " refusals"
			}
			return "polls recovered after " + d.Text("failures") + " failures"
		},
		Slack: `:white_check_mark: {{if .Data.scope}}*{{.Source}}*: OMS accepts the account again, polling resumed after {{.Data.failures}} refusals{{else}}` +
			slackWho + ` polls recovered after {{.Data.failures}} failures{{end}}`,
	},
	{
		// omswatch's own: subject is the source, data.project is empty.
		Type: TypeWatchHeartbeat, Severity: Info, Severities: infoOnly, Fields: []string{"every", "projects", "polls", "failed"},
		What: func(d Data) string {
			return fmt.Sprintf("omswatch is alive: %s polls succeeded, %s failed in the last %s; %s projects watched",
				or(d.Text("polls"), "0"), or(d.Text("failed"), "0"), d.Text("every"), or(d.Text("projects"), "0"))
		},
		Slack: `:heartbeat: omswatch is alive (*{{.Source}}*): {{.Data.polls}} polls succeeded, {{.Data.failed}} failed ` +
			`in the last {{.Data.every}}; {{.Data.projects}} projects watched`,
	},
	{
		// omswatch's own, like the heartbeat: the fleet summary of
		// digest.cron (Digest). The Slack sink posts it as a message of
		// its own; this text is for a route's template and the log.
		Type: TypeWatchDigest, Severity: Info, Severities: infoOnly, Fields: digestFields, What: digestWhat,
		Slack: `:newspaper: omswatch digest (*{{.Source}}*): {{.Data.projects}} projects watched{{if .Data.incidents}}, ` +
			`{{.Data.open_count}} open incidents, {{.Data.opened_count}} opened and {{.Data.resolved_count}} resolved since the last digest{{end}}` +
			`{{with .Data.quiet_count}}, {{.}} quiet for {{$.Data.quiet_after}} or more{{end}}`,
	},
	{
		Type: TypeTargetFailing, Severity: Warning, Severities: warningOnly, Fields: []string{"target", "since", "error"},
		What: func(d Data) string {
			return fmt.Sprintf("target %s failing since %s: %s", d.Text("target"), d.Text("since"), d.Text("error"))
		},
		Slack: `:warning: omswatch cannot deliver to *{{.Data.target}}* since {{.Data.since}}: {{.Data.error}}`,
	},
	{
		Type: TypeTargetRecovered, Severity: Info, Severities: infoOnly, Fields: []string{"target", "since", "lasted"},
		What: func(d Data) string {
			return fmt.Sprintf("target %s delivers again after %s of failures", d.Text("target"), d.Text("lasted"))
		},
		Slack: `:white_check_mark: omswatch delivers to *{{.Data.target}}* again after {{.Data.lasted}} of failures`,
	},
	incidentSpec(TypeIncidentOpened, anySeverity),
	incidentSpec(TypeIncidentUpdated, anySeverity),
	incidentSpec(TypeIncidentAcknowledged, infoOnly),
	incidentSpec(TypeIncidentResolved, infoOnly),
}

// or is s, or def when s is empty (a null from or to is "none").
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// spec finds a type's row without copying its lists; for this package.
func spec(typ string) *Spec {
	for i := range specs {
		if specs[i].Type == typ {
			return &specs[i]
		}
	}
	return nil
}

// Describe returns the catalog's description of a type; false for a type
// outside the catalog (a newer producer's). The lists are copies, so the
// caller may keep or change them.
func Describe(typ string) (Spec, bool) {
	p := spec(typ)
	if p == nil {
		return Spec{}, false
	}
	s := *p
	s.Severities = slices.Clone(s.Severities)
	s.Fields, s.Optional = slices.Clone(s.Fields), slices.Clone(s.Optional)
	return s, true
}

// DefaultSeverity is the type's default severity, "" outside the catalog.
func DefaultSeverity(typ string) Severity {
	if p := spec(typ); p != nil {
		return p.Severity
	}
	return ""
}

// Types returns every event type of the catalog, in catalog order. It
// returns a fresh slice so callers may keep or sort it.
func Types() []string {
	out := make([]string, len(specs))
	for i := range specs {
		out[i] = specs[i].Type
	}
	return out
}

// IsKnownType reports whether t is a type of the catalog.
func IsKnownType(t string) bool { return spec(t) != nil }

// TypesMatching returns the catalog types a glob (path.Match syntax, e.g.
// "oms.step.*") matches. A glob that matches nothing is usually a typo in a
// rule, so callers report it.
func TypesMatching(glob string) ([]string, error) {
	if _, err := path.Match(glob, ""); err != nil {
		return nil, fmt.Errorf("event type pattern %q: %w", glob, err)
	}
	var out []string
	for _, t := range Types() {
		if ok, _ := path.Match(glob, t); ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// CheckTypeGlob reports a type matcher that can never match: empty, not a
// valid glob, or matching no type of the catalog (a typo that would
// silently route, template or silence nothing).
func CheckTypeGlob(glob string) error {
	if glob == "" {
		return errors.New("empty event type; write oms.* to match every type")
	}
	if _, err := path.Match(glob, ""); err != nil {
		return fmt.Errorf("%q is not a valid glob (use * and ?, e.g. oms.step.*)", glob)
	}
	if matches, _ := TypesMatching(glob); len(matches) > 0 {
		return nil
	}
	types := Types()
	msg := fmt.Sprintf("%q matches no event type; known types: %s", glob, strings.Join(types, ", "))
	if s := suggest.Closest(glob, types); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return errors.New(msg)
}
