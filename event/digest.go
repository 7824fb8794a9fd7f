package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Digest is the data of an oms.watch.digest event: the fleet summary
// `run` posts on digest.cron (docs/INCIDENTS.md, "Digest"). Lists are
// bounded (the most relevant first); the counts beside them are whole.
// Every member is always there: an empty list is [], never null.
type Digest struct {
	// Since is where "opened" and "resolved" begin: the previous digest's
	// time (24 hours back for `omswatch digest`).
	Since time.Time `json:"since"`
	// Projects counts the watched projects; ByStatus and ByPhase split
	// them by status and by the phase they are in (none: no step runs).
	Projects int     `json:"projects"`
	ByStatus []Count `json:"by_status"`
	ByPhase  []Count `json:"by_phase"`
	// Incidents says whether incidents are kept (incidents.enabled): without,
	// the incident lists are empty because nobody opens any.
	Incidents bool `json:"incidents"`
	// Open are the open incidents, oldest first.
	Open      []DigestIncident `json:"open"`
	OpenCount int              `json:"open_count"`
	// Delays are the largest incremental sync delays, largest first.
	Delays []DigestDelay `json:"delays"`
	// Opened and Resolved are the incidents that opened, and ended,
	// since Since.
	Opened        []DigestIncident `json:"opened"`
	OpenedCount   int              `json:"opened_count"`
	Resolved      []DigestIncident `json:"resolved"`
	ResolvedCount int              `json:"resolved_count"`
	// Quiet are the projects with no change for QuietAfter (a Go
	// duration), the longest quiet first.
	Quiet      []DigestProject `json:"quiet"`
	QuietCount int             `json:"quiet_count"`
	QuietAfter string          `json:"quiet_after"`
}

// Count is how many projects have a status or are in a phase.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// DigestProject names a project of a digest: where it lives, its id,
// name, status and phase, and when it last changed (its last event in
// the audit trail; zero when the trail keeps none).
type DigestProject struct {
	Source  string    `json:"source"`
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Status  string    `json:"status"`
	Phase   string    `json:"phase"`
	Changed time.Time `json:"changed,omitzero"`
}

// DigestIncident is an incident of a digest: its id, project, title,
// severity and state, its start (and end), how long it lasted (a Go
// duration, until the digest while open), and who took it.
type DigestIncident struct {
	ID       string        `json:"id"`
	Project  DigestProject `json:"project"`
	Title    string        `json:"title"`
	Severity Severity      `json:"severity"`
	State    string        `json:"state"`
	Started  time.Time     `json:"started"`
	Ended    time.Time     `json:"ended,omitzero"`
	Lasted   string        `json:"lasted"`
	AckedBy  string        `json:"acked_by,omitempty"`
	AckedAt  time.Time     `json:"acked_at,omitzero"`
}

// DigestDelay is a project's incremental sync delay (a Go duration and
// in seconds) and, where its trend is known, where it is going: trend
// (catching_up, falling_behind, stalled) and eta in words.
type DigestDelay struct {
	Project      DigestProject `json:"project"`
	Delay        string        `json:"delay"`
	DelaySeconds int64         `json:"delay_seconds"`
	Trend        string        `json:"trend,omitempty"`
	ETA          string        `json:"eta,omitempty"`
}

// digestFields are the data fields of oms.watch.digest, Digest's members.
var digestFields = []string{"since", "projects", "by_status", "by_phase", "incidents", "open", "open_count", "delays",
	"opened", "opened_count", "resolved", "resolved_count", "quiet", "quiet_count", "quiet_after"}

// Fields is the digest as an event's data fields: its JSON members, as
// the audit trail gives them back.
func (d Digest) Fields() (map[string]any, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	return m, nil
}

// DigestOf reads the digest back from an oms.watch.digest event's data.
func DigestOf(d Data) (Digest, error) {
	b, err := json.Marshal(d.Fields)
	if err != nil {
		return Digest{}, fmt.Errorf("digest: %w", err)
	}
	var out Digest
	if err := json.Unmarshal(b, &out); err != nil {
		return Digest{}, fmt.Errorf("digest: %w", err)
	}
	return out, nil
}

// digestWhat is the digest in one phrase, for the summary line.
func digestWhat(d Data) string {
	g, _ := DigestOf(d)
	parts := make([]string, 0, len(g.ByStatus))
	for _, c := range g.ByStatus {
		parts = append(parts, fmt.Sprintf("%d %s", c.Count, c.Name))
	}
	s := fmt.Sprintf("digest: %d projects", g.Projects)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if g.Incidents {
		s += fmt.Sprintf(", %d open incidents, %d opened and %d resolved since the last digest", g.OpenCount, g.OpenedCount, g.ResolvedCount)
	}
	if g.QuietCount > 0 {
		s += fmt.Sprintf(", %d quiet for %s or more", g.QuietCount, g.QuietAfter)
	}
	return s
}
