package omssim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// serveCloud answers Alibaba Cloud RPC-style requests: parameters in the
// query and a form body, Action and Version as parameters (V1) or x-acs-*
// headers (V3), a V1 or V3 signature.
func (s *Server) serveCloud(x *exchange) {
	x.protocol = "cloud"
	r := x.r
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		x.gateway(gwErr(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "This action does not support the HTTP method "+r.Method+"."))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, r.Body, maxBody))
	if err != nil {
		x.gateway(gwErr(http.StatusBadRequest, "InvalidParameter", "The request body could not be read: "+err.Error()))
		return
	}
	params, gerr := cloudParams(r, body)
	if gerr != nil {
		x.gateway(gerr)
		return
	}
	x.action = firstOf(params.Get("Action"), r.Header.Get("x-acs-action"))
	version := firstOf(params.Get("Version"), r.Header.Get("x-acs-version"))
	switch {
	case x.action == "":
		x.gateway(errMissingParameter("Action"))
		return
	case version == "":
		x.gateway(errMissingParameter("Version"))
		return
	case version != APIVersion:
		x.gateway(errInvalidVersion(version))
		return
	case x.action != ActionDescribeProject && x.action != ActionListProjects:
		x.gateway(errUnknownAction(x.action))
		return
	}
	principal, gerr := s.verifier.verify(r, body, params)
	if gerr != nil {
		x.gateway(gerr)
		return
	}
	x.principal = principal
	s.serveAction(x, cloudSource(params))
}

// serveAction runs an authenticated OMS action for either protocol.
func (s *Server) serveAction(x *exchange, src paramSource) {
	if x.action == ActionDescribeProject {
		id, _ := src.str("Id")
		if id == "" {
			x.paramError(&paramError{name: "Id", missing: true})
			return
		}
		x.project = id
	}
	if s.applyFaults(x) {
		return
	}
	s.requests.Add(1)
	m := s.clock.moment()
	if x.action == ActionDescribeProject {
		s.describe(x, m)
		return
	}
	q, perr := parseListQuery(src)
	if perr != nil {
		x.paramError(perr)
		return
	}
	s.list(x, m, q)
}

// describe answers DescribeProject.
func (s *Server) describe(x *exchange, m Moment) {
	d, ok := s.scenario.Describe(m, x.project, Full)
	switch {
	case !ok:
		x.business(notFound(x.project))
		return
	case d.Failure != nil:
		x.business(d.Failure)
		return
	}
	data, err := spell(d.Data, x.spelling)
	if err != nil {
		x.internal(err)
		return
	}
	body, err := successBody(x.spelling, x.requestID, data, nil)
	if err != nil {
		x.internal(err)
		return
	}
	x.write(http.StatusOK, body, nil)
}

// cloudParams merges query parameters with a form or JSON body; body values
// win, as in the Alibaba SDK's own merge when it signs V1.
func cloudParams(r *http.Request, body []byte) (url.Values, *gatewayError) {
	params := r.URL.Query()
	if len(body) == 0 {
		return params, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var form url.Values
	switch ct {
	case "application/json":
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, gwErr(http.StatusBadRequest, "InvalidParameter", "The JSON request body is not an object: "+err.Error())
		}
		form = url.Values{}
		for k, v := range obj {
			form.Set(k, jsonParam(v))
		}
	case "", "application/x-www-form-urlencoded":
		var err error
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, gwErr(http.StatusBadRequest, "InvalidParameter", "The form body is malformed: "+err.Error())
		}
	default:
		return params, nil // other bodies carry no parameters; V3 still signs them
	}
	for k, v := range form {
		params[k] = v
	}
	return params, nil
}

// jsonParam renders a JSON body value the way it would travel as a form field:
// strings as is, arrays and objects as JSON (the API's "style: json").
func jsonParam(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case float64, bool:
		return fmt.Sprint(t)
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
