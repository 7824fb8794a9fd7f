package oms

import (
	"strings"
)

// Envelope is the decoded wrapper of a successful OMS response, in either
// spelling.
type Envelope struct {
	// Spelling is the spelling of the envelope's own keys (Success or success).
	Spelling Spelling
	// RequestID identifies the request for support.
	RequestID string
	// PageNumber, PageSize and TotalCount are set by paged actions (ListProjects).
	PageNumber, PageSize, TotalCount int
	// Data is the payload as decoded (numbers as json.Number), not canonical;
	// nil when the response had none or null.
	Data any
	// Extra holds every other top-level member (Cost, Code, Message,
	// ErrorDetail, fields OMS adds later), keyed in PascalCase.
	Extra map[string]any
}

// isEnvelopeKey reports the members (canonical spelling) that mark a
// document as an envelope rather than a bare Data object: no project object
// has them at its top level.
func isEnvelopeKey(k string) bool {
	switch k {
	case "Success", "Data", "RequestId", "HostId":
		return true
	}
	return false
}

// DecodeEnvelope decodes the response of any OMS action, cloud or on-premise.
//
// It returns a *MalformedError when a 2xx body is not a JSON object, and an
// *APIError for a non-2xx status (whatever the body: a gateway error body or
// an HTML error page) and for Success:false (a business error). A body with
// no Success member but a Code and no Data (a gateway error body under a 2xx
// status) is an *APIError too. Success:true with error fields beside it (as
// in OMS's own example) is a success. Data may be nil: callers that need a
// payload check it (ParseSnapshot does).
func DecodeEnvelope(httpStatus int, body []byte) (*Envelope, error) {
	if httpStatus < 200 || httpStatus > 299 {
		return nil, httpError(httpStatus, body)
	}
	v, err := decodeJSON(httpStatus, body)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, &MalformedError{HTTPStatus: httpStatus, Excerpt: excerpt(body),
			Reason: "the JSON value is " + jsonKind(v) + ", not an object"}
	}
	return envelopeOf(httpStatus, root)
}

// envelopeOf classifies a decoded top-level object of a 2xx response.
func envelopeOf(httpStatus int, root map[string]any) (*Envelope, error) {
	top := topMembers(root)
	success, hasSuccess := top["Success"]
	data := nullToNil(top["Data"])
	switch {
	case hasSuccess && !isTrue(success):
		e := apiErrorOf(httpStatus, top, true)
		if e.Code == "" && e.DetailCode == "" && e.Message == "" {
			e.Message = "the response says Success is false and gives no reason"
		}
		return nil, e
	case !hasSuccess && data == nil && isErrorCode(textOf(top["Code"])):
		return nil, apiErrorOf(httpStatus, top, false)
	}
	env := &Envelope{
		Spelling:   spellingOf(root),
		RequestID:  textOf(top["RequestId"]),
		PageNumber: intOf(top["PageNumber"]),
		PageSize:   intOf(top["PageSize"]),
		TotalCount: intOf(top["TotalCount"]),
		Data:       data,
	}
	for k, v := range top {
		switch k {
		case "Success", "Data", "RequestId", "PageNumber", "PageSize", "TotalCount":
		default:
			if env.Extra == nil {
				env.Extra = make(map[string]any)
			}
			env.Extra[k] = v
		}
	}
	return env, nil
}

// httpError builds the *APIError for a non-2xx response: from its JSON error
// body when it has one, else from the status and what the body says.
func httpError(httpStatus int, body []byte) *APIError {
	if v, err := decodeJSON(httpStatus, body); err == nil {
		if root, ok := v.(map[string]any); ok {
			top := topMembers(root)
			success, hasSuccess := top["Success"]
			e := apiErrorOf(httpStatus, top, hasSuccess && !isTrue(success))
			if e.Code == "" && e.DetailCode == "" && e.Message == "" {
				e.Message = statusText(httpStatus)
			}
			return e
		}
	}
	msg := statusText(httpStatus)
	if len(strings.TrimSpace(string(body))) > 0 {
		what := htmlTitle(body)
		if what == "" {
			what = excerpt(body)
		}
		msg += " (the body is not JSON: " + what + ")"
	}
	return &APIError{HTTPStatus: httpStatus, Message: msg}
}

// apiErrorOf reads the error members of a normalised top-level object.
func apiErrorOf(httpStatus int, top map[string]any, business bool) *APIError {
	e := &APIError{
		HTTPStatus: httpStatus,
		Code:       textOf(top["Code"]),
		Message:    cleanMessage(textOf(top["Message"])),
		Advice:     cleanMessage(textOf(top["Advice"])),
		RequestID:  textOf(top["RequestId"]),
		Business:   business,
	}
	if e.Message == "" {
		e.Message = cleanMessage(textOf(top["Description"]))
	}
	if e.Advice == "" {
		e.Advice = cleanMessage(textOf(top["Recommend"]))
	}
	if d, ok := top["ErrorDetail"].(map[string]any); ok {
		d = topMembers(d)
		e.DetailCode = textOf(d["Code"])
		e.Level = textOf(d["Level"])
		e.Reason = cleanMessage(textOf(d["Reason"]))
		if e.Message == "" {
			e.Message = cleanMessage(textOf(d["Message"]))
		}
		if e.Advice == "" {
			e.Advice = cleanMessage(textOf(d["Proposal"]))
		}
	}
	return e
}

// isErrorCode reports whether a Code beside no Success and no Data is an
// error: proxies in front of on-premise OMS put "200" or "OK" there.
func isErrorCode(code string) bool {
	switch strings.ToUpper(code) {
	case "", "0", "200", "OK", "SUCCESS":
		return false
	}
	return true
}

// topMembers returns the members of m keyed in the canonical spelling
// (trimmed, PascalCase), with colliding keys resolved as canonicalisation
// resolves them. Envelope fields are read through it, so "success",
// "Success" and " Success" are one field.
func topMembers(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	var renamed map[string]string
	for k, v := range m {
		ck := PascalKey(strings.TrimSpace(k))
		if v = nullToNil(v); v == nil {
			continue
		}
		if _, dup := out[ck]; dup && !keepNew(ck, k, origKey(renamed, ck)) {
			continue
		}
		out[ck] = v
		renamed = noteRename(renamed, ck, k)
	}
	return out
}

// spellingOf tells the spelling of an envelope from its Success, Data or
// RequestId key, in that order; Cloud when none says.
func spellingOf(root map[string]any) Spelling {
	for _, k := range []string{"Success", "Data", "RequestId"} {
		if _, ok := root[k]; ok {
			return Cloud
		}
		if _, ok := root[CamelKey(k)]; ok {
			return OnPrem
		}
	}
	return Cloud
}

// isTrue reads OMS's Success leniently: true or "true" in any case.
func isTrue(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(strings.TrimSpace(t), "true")
	}
	return false
}

// nullToNil maps the JSON null and the string "null" (with any surrounding
// white space) to nil, which is how OMS's examples spell a missing value.
func nullToNil(v any) any {
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "null" {
		return nil
	}
	return v
}
