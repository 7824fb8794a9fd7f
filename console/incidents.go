package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Incidents is the incident bucket as `omswatch incident` uses it, in the
// console's own words (service fills them from package incident).
type Incidents interface {
	// List returns every incident the bucket holds, resolved ones too.
	List(ctx context.Context) ([]Incident, error)
	// Acknowledge is `omswatch incident ack ID --by by --comment comment`:
	// the incident's record and its oms.incident.acknowledged event in the
	// audit trail. Its error says why not (unknown id, already resolved).
	Acknowledge(ctx context.Context, id, by, comment string) error
}

// Incident is one incident as the console shows it.
type Incident struct {
	ID, Source             string
	ProjectID, ProjectName string
	Cause, Title           string
	State, Severity        string
	Started, Ended         time.Time
	AckBy, AckComment      string
	AckAt                  time.Time
	ResolvedBy, Reason     string
	Fleet, FleetTitle      string
	FleetProjects          []string
}

// Open reports whether the incident has not ended.
func (in Incident) Open() bool { return in.State != "resolved" }

// incidentStates are the filter's choices ("" is open ones).
var incidentStates = []string{"open", "firing", "acknowledged", "resolved", "all"}

type incidentsView struct {
	// Off says incidents are disabled in the configuration.
	Off    bool
	Err    string
	State  string
	States []string
	List   []Incident
	// Acked names the incident just acknowledged (?acked=ID).
	Acked string
}

func (c *Console) serveIncidents(w http.ResponseWriter, r *http.Request) {
	c.renderIncidents(w, r, http.StatusOK, "")
}

func (c *Console) renderIncidents(w http.ResponseWriter, r *http.Request, status int, problem string) {
	state := r.URL.Query().Get("state")
	if !slices.Contains(incidentStates, state) {
		state = "open"
	}
	v := incidentsView{Off: c.o.Incidents == nil, State: state, States: incidentStates, Err: problem,
		Acked: r.URL.Query().Get("acked")}
	if !v.Off {
		list, err := c.o.Incidents.List(r.Context())
		if err != nil && v.Err == "" {
			v.Err = "the incidents could not be read: " + err.Error()
		}
		v.List = filterIncidents(list, state)
	}
	c.render(w, r, status, "incidents", "Incidents", v)
}

// filterIncidents keeps those in state and sorts them: open ones first,
// then the newest first.
func filterIncidents(list []Incident, state string) []Incident {
	var out []Incident
	for _, in := range list {
		switch state {
		case "all":
		case "open":
			if !in.Open() {
				continue
			}
		default:
			if in.State != state {
				continue
			}
		}
		out = append(out, in)
	}
	rank := map[string]int{"firing": 0, "acknowledged": 1, "resolved": 2}
	slices.SortStableFunc(out, func(a, b Incident) int {
		if c := cmp.Compare(rank[a.State], rank[b.State]); c != 0 {
			return c
		}
		return b.Started.Compare(a.Started)
	})
	return out
}

// ackIncident acknowledges an incident as the logged-in user, on the
// path `omswatch incident ack` takes.
func (c *Console) ackIncident(w http.ResponseWriter, r *http.Request) {
	if c.o.Incidents == nil {
		c.fail(w, r, http.StatusServiceUnavailable, "Incidents are off in this omswatch's configuration (incidents.enabled: false).")
		return
	}
	id := r.PathValue("id")
	user := userOf(r)
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	if err := c.o.Incidents.Acknowledge(r.Context(), id, user, comment); err != nil {
		c.log.Warn("acknowledge an incident", "incident", id, "user", user, "error", err)
		c.renderIncidents(w, r, http.StatusConflict, "Incident "+id+" could not be acknowledged: "+err.Error())
		return
	}
	c.log.Info("incident acknowledged", "incident", id, "user", user)
	http.Redirect(w, r, "/incidents?acked="+id, http.StatusSeeOther)
}

// openIncidents are the project's open incidents, for its page.
func (c *Console) openIncidents(ctx context.Context, project string) []Incident {
	if c.o.Incidents == nil {
		return nil
	}
	list, err := c.o.Incidents.List(ctx)
	if err != nil {
		c.log.Warn("read the incidents for a project's page", "project", project, "error", err)
		return nil
	}
	var out []Incident
	for _, in := range filterIncidents(list, "open") {
		if in.ProjectID == project {
			out = append(out, in)
		}
	}
	return out
}
