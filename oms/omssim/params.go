package omssim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/omswatch/omswatch/oms"
)

// paramSource reads request parameters by their PascalCase name, whatever
// the protocol carried them in.
type paramSource interface {
	// str returns a scalar parameter and whether it was given.
	str(name string) (string, bool)
	// list returns an array parameter and whether it was given.
	list(name string) ([]string, bool, *paramError)
}

// paramError is a bad or missing request parameter. The cloud API answers
// it as a gateway 400; on-premise OMS as Success:false PARAM_ERROR.
type paramError struct {
	name    string
	missing bool
	why     string
}

func (x *exchange) paramError(p *paramError) {
	if x.spelling == oms.OnPrem {
		msg := "Parameter " + oms.CamelKey(p.name) + " is required."
		if !p.missing {
			msg = "Parameter " + oms.CamelKey(p.name) + " is invalid: " + p.why
		}
		x.business(&BusinessError{Code: CodeParamError, Message: msg, Advice: "Check the request parameters.",
			Detail: ErrorDetail{Code: "CM-PARAM000001", Level: "ERROR", Message: msg, Proposal: "Check the request parameters."}})
		return
	}
	if p.missing {
		x.gateway(errMissingParameter(p.name))
		return
	}
	x.gateway(errInvalidParameter(p.name, p.why))
}

// cloudSource reads form and query parameters. Array parameters arrive as
// ONE field holding a JSON array, e.g. Status=["RUNNING","FAILED"] (the
// API's "style: json").
type cloudSource url.Values

func (c cloudSource) str(name string) (string, bool) {
	v, ok := c[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

func (c cloudSource) list(name string) ([]string, bool, *paramError) {
	s, ok := c.str(name)
	if !ok || strings.TrimSpace(s) == "" {
		return nil, false, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, true, &paramError{name: name, why: `want a JSON array of strings such as ["A","B"], got ` + strconv.Quote(s)}
	}
	return out, true, nil
}

// onpremSource reads a JSON body with camelCase keys. PascalCase keys are
// accepted too: on-premise OMS matches properties case-insensitively.
type onpremSource map[string]any

func (o onpremSource) get(name string) (any, bool) {
	if v, ok := o[oms.CamelKey(name)]; ok {
		return v, true
	}
	v, ok := o[name]
	return v, ok
}

func (o onpremSource) str(name string) (string, bool) {
	v, ok := o.get(name)
	if !ok || v == nil {
		return "", false
	}
	return jsonParam(v), true
}

func (o onpremSource) list(name string) ([]string, bool, *paramError) {
	v, ok := o.get(name)
	if !ok || v == nil {
		return nil, false, nil
	}
	if s, isStr := v.(string); isStr {
		return cloudSource{name: {s}}.list(name)
	}
	arr, isArr := v.([]any)
	if !isArr {
		return nil, true, &paramError{name: name, why: "want an array of strings"}
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, isStr := e.(string)
		if !isStr {
			return nil, true, &paramError{name: name, why: fmt.Sprintf("want an array of strings, found %v", e)}
		}
		out = append(out, s)
	}
	return out, true, nil
}
