package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
)

// Correlation criteria (incidents.correlate.by): incidents of several
// projects that open within the window and share one of these are one
// fleet incident.
const (
	ByErrorCode = "error_code" // the same error code (a step's, a poll's)
	ByEndpoint  = "endpoint"   // the same source or destination endpoint (failures, failing polls)
	ByCondition = "condition"  // the same condition fires
)

// Member is one project's incident in a fleet incident.
type Member struct {
	Source   string         `json:"source"`
	Project  string         `json:"project"`
	Name     string         `json:"name,omitempty"`
	Incident string         `json:"incident"`
	State    State          `json:"state"`
	Severity event.Severity `json:"severity"`
}

// Fleet is a fleet incident: the incidents of several projects with one
// cause (its Key), opened within the correlation window of the first.
type Fleet struct {
	ID      string    `json:"id"`
	Key     string    `json:"key"`
	Opened  time.Time `json:"opened"`
	Members []Member  `json:"members"`
	// Alias, in a record under another key of the fleet, names the key
	// the fleet is kept under (an incident with that key finds it there).
	Alias string `json:"alias,omitempty"`
}

// Open reports whether a member incident is still open.
func (f Fleet) Open() bool {
	return slices.ContainsFunc(f.Members, func(m Member) bool { return m.State != Resolved })
}

// Title says what the fleet incident is about: "CM-RESOINCR0207 on 3
// projects".
func (f Fleet) Title() string {
	kind, name, _ := strings.Cut(f.Key, ":")
	what := map[string]string{"code": "error " + name, "endpoint": "endpoint " + name, "condition": "condition " + name}[kind]
	n := len(f.Members)
	if n == 1 {
		return what + " on 1 project"
	}
	return what + " on " + strconv.Itoa(n) + " projects"
}

// set adds or updates the member for in; it reports whether it changed.
func (f *Fleet) set(in *Incident) bool {
	m := Member{Source: in.Source, Project: in.Project.ID, Name: in.Project.Name, Incident: in.ID, State: in.State, Severity: in.Severity}
	for i := range f.Members {
		if f.Members[i].Incident == in.ID {
			if f.Members[i] == m {
				return false
			}
			f.Members[i] = m
			return true
		}
	}
	f.Members = append(f.Members, m)
	return true
}

// keys are the correlation keys of an incident, in the order of by.
func keys(in *Incident, by []string) []string {
	var out []string
	for _, b := range by {
		switch b {
		case ByErrorCode:
			if in.Error != nil && in.Error.Code != "" && in.Cause.Kind != KindCondition {
				out = append(out, "code:"+in.Error.Code)
			}
		case ByEndpoint:
			if in.Cause.Kind != KindCondition {
				for _, e := range in.Endpoints {
					out = append(out, "endpoint:"+e)
				}
			}
		case ByCondition:
			if in.Cause.Kind == KindCondition {
				out = append(out, "condition:"+in.Cause.Name)
			}
		}
	}
	return out
}

func fleetID(key string, opened time.Time) string {
	h := sha256.Sum256([]byte(key + "\x00" + opened.UTC().Format(time.RFC3339Nano)))
	return "fleet-" + hex.EncodeToString(h[:5])
}

// FleetFields are the data fields a member's incident events carry: the
// fleet incident's id, title and start, and its projects with their
// incidents' states.
func FleetFields(f Fleet) map[string]any {
	ps := make([]any, len(f.Members))
	for i, m := range f.Members {
		ps[i] = map[string]any{"id": m.Project, "name": m.Name, "incident": m.Incident, "state": string(m.State),
			"severity": string(m.Severity)}
	}
	return map[string]any{"fleet": f.ID, "fleet_title": f.Title(), "fleet_started": f.Opened.UTC().Format(time.RFC3339),
		"projects": ps}
}
