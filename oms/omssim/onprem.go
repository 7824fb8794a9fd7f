package omssim

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// serveOnPrem answers on-premise OMS's API: POST /api/v2?Action=..., a JSON
// body of camelCase parameters, HTTP Basic auth, camelCase answers.
func (s *Server) serveOnPrem(x *exchange) {
	x.protocol = "onprem"
	r := x.r
	if r.Method != http.MethodPost {
		x.gateway(gwErr(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Use POST for /api/v2."))
		return
	}
	user, ok := s.basicUser(r)
	if !ok {
		x.gateway(errUnauthorized())
		return
	}
	x.principal = user
	x.action = r.URL.Query().Get("Action")
	switch x.action {
	case "":
		x.gateway(gwErr(http.StatusBadRequest, "MissingParameter", "The query parameter Action is required."))
		return
	case ActionDescribeProject, ActionListProjects:
	default:
		x.gateway(gwErr(http.StatusNotFound, "ACTION_NOT_FOUND", "Action "+x.action+" is not supported."))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, r.Body, maxBody))
	if err != nil {
		x.gateway(gwErr(http.StatusBadRequest, "BAD_REQUEST", "The request body could not be read: "+err.Error()))
		return
	}
	params := onpremSource{}
	if strings.TrimSpace(string(body)) != "" {
		if err := json.Unmarshal(body, (*map[string]any)(&params)); err != nil {
			x.gateway(gwErr(http.StatusBadRequest, "BAD_REQUEST", "The request body is not a JSON object: "+err.Error()))
			return
		}
	}
	s.serveAction(x, params)
}

// basicUser checks HTTP Basic credentials against the configured users.
func (s *Server) basicUser(r *http.Request) (string, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", false
	}
	for _, c := range s.basic {
		u := subtle.ConstantTimeCompare([]byte(user), []byte(c.User))
		p := subtle.ConstantTimeCompare([]byte(pass), []byte(c.Password))
		if u&p == 1 {
			return user, true
		}
	}
	return "", false
}

func errUnauthorized() *gatewayError {
	e := gwErr(http.StatusUnauthorized, "UNAUTHORIZED", "Authentication failed: wrong user name or password.")
	e.header = http.Header{"WWW-Authenticate": {`Basic realm="OMS"`}}
	return e
}
