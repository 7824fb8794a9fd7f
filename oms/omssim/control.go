package omssim

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveControl answers the simulator's own endpoint under /_sim/, for tests
// and demos. It is not part of any OMS API. Clients on a loopback address
// need no credentials; others must send one of the Basic auth users (and get
// 403 when none is configured), so a simulator listening on a LAN cannot be
// steered by anyone who reaches it.
func (s *Server) serveControl(x *exchange) {
	x.protocol = "control"
	if !isLoopback(x.r.RemoteAddr) {
		if _, ok := s.basicUser(x.r); !ok {
			e := gwErr(http.StatusForbidden, "Forbidden", "The control endpoint needs a loopback client or Basic auth.")
			x.gateway(e)
			return
		}
	}
	switch x.r.URL.Path {
	case "/_sim/state":
		s.writeState(x)
	case "/_sim/advance":
		if x.r.Method != http.MethodPost {
			x.gateway(gwErr(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "Use POST /_sim/advance?ticks=N."))
			return
		}
		n := int64(1)
		if v := x.r.URL.Query().Get("ticks"); v != "" {
			var err error
			if n, err = strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
				x.gateway(errInvalidParameter("ticks", "must be a whole number >= 0, got "+strconv.Quote(v)))
				return
			}
		}
		s.Advance(n)
		s.writeState(x)
	case "/_sim/faults":
		s.controlFaults(x)
	case "/_sim/projects":
		s.writeProjects(x)
	case "/_sim/changes":
		s.writeChanges(x)
	case "/_sim/freeze":
		if x.r.Method != http.MethodPost {
			x.gateway(gwErr(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "Use POST /_sim/freeze."))
			return
		}
		s.clock.freeze()
		s.writeState(x)
	default:
		x.gateway(gwErr(http.StatusNotFound, "NotFound", "Known: GET /_sim/state, POST /_sim/advance?ticks=N, POST /_sim/freeze, GET|PUT /_sim/faults, GET /_sim/projects, GET /_sim/changes?from=TICK&to=TICK."))
	}
}

// controlFaults reads (GET) or replaces (PUT/POST, the spec as the body) the
// fault rules.
func (s *Server) controlFaults(x *exchange) {
	if x.r.Method == http.MethodPut || x.r.Method == http.MethodPost {
		spec, err := io.ReadAll(http.MaxBytesReader(x.w, x.r.Body, 64<<10))
		if err != nil {
			x.gateway(errInvalidParameter("body", err.Error()))
			return
		}
		fs, err := ParseFaults(strings.TrimSpace(string(spec)))
		if err != nil {
			x.gateway(errInvalidParameter("faults", err.Error()))
			return
		}
		if err := s.SetFaults(fs); err != nil {
			x.gateway(errInvalidParameter("faults", err.Error()))
			return
		}
	}
	body, err := marshal(map[string]string{"faults": FormatFaults(s.Faults())})
	if err != nil {
		x.internal(err)
		return
	}
	x.write(http.StatusOK, body, nil)
}

// State is what GET /_sim/state answers.
type State struct {
	Tick     int64     `json:"tick"`
	Elapsed  string    `json:"elapsed"`
	Time     time.Time `json:"time"` // the scenario's simulated time
	Projects int       `json:"projects"`
	Requests int64     `json:"requests"` // OMS API requests that reached the scenario
	Faults   string    `json:"faults"`
}

// State reports the simulator's current state.
func (s *Server) State() State {
	m := s.clock.moment()
	return State{
		Tick: m.Tick, Elapsed: m.Elapsed.String(), Time: s.scenario.Time(m).UTC(),
		Projects: len(s.scenario.Projects(m)), Requests: s.requests.Load(), Faults: FormatFaults(s.Faults()),
	}
}

func (s *Server) writeState(x *exchange) {
	body, err := marshal(s.State())
	if err != nil {
		x.internal(err)
		return
	}
	x.write(http.StatusOK, body, nil)
}

func (s *Server) writeProjects(x *exchange) {
	type item struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Type   string `json:"type"`
		Status string `json:"status"`
	}
	var out []item
	for _, p := range s.scenario.Projects(s.clock.moment()) {
		out = append(out, item{p.ID, p.Name, p.Type, p.Status})
	}
	body, err := marshal(out)
	if err != nil {
		x.internal(err)
		return
	}
	x.write(http.StatusOK, body, nil)
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
