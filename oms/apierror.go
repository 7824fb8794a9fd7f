package oms

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes OMS and the Alibaba Cloud API gateway answer with. The
// simulator emits these, and the classification methods of APIError are
// defined over them.
const (
	// CodeThrottling is the gateway's generic flow-control code.
	CodeThrottling = "Throttling"
	// CodeThrottlingUser is flow control per user (account).
	CodeThrottlingUser = "Throttling.User"
	// CodeThrottlingAPI is flow control per API.
	CodeThrottlingAPI = "Throttling.Api"
	// CodeInvalidAccessKeyID says the AccessKey id does not exist.
	CodeInvalidAccessKeyID = "InvalidAccessKeyId.NotFound"
	// CodeSignatureDoesNotMatch says the request signature is wrong (wrong secret or a signing bug).
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	// CodeIncompleteSignature says the signature parameters are incomplete.
	CodeIncompleteSignature = "IncompleteSignature"
	// CodeIllegalTimestamp says the request timestamp is too far from the server's clock.
	CodeIllegalTimestamp = "IllegalTimestamp"
	// CodeForbidden says the caller may not do this; Forbidden.* codes are variants.
	CodeForbidden = "Forbidden"
	// CodeForbiddenRAM says a RAM policy denies the action.
	CodeForbiddenRAM = "Forbidden.RAM"
	// CodeActionUnauthorized says the caller may not call this action.
	CodeActionUnauthorized = "ActionUnauthorized"
	// CodeInvalidAction says the action does not exist.
	CodeInvalidAction = "InvalidAction"
	// CodeMissingParameter says a required parameter is missing.
	CodeMissingParameter = "MissingParameter"
	// CodeInvalidParameter says a parameter is invalid.
	CodeInvalidParameter = "InvalidParameter"
	// CodeUnsupportedOperation says the operation is not supported.
	CodeUnsupportedOperation = "UnsupportedOperation"
	// CodeNoSuchVersion says the API version does not exist.
	CodeNoSuchVersion = "NoSuchVersion"
	// CodeInternalError is a transient gateway or service failure.
	CodeInternalError = "InternalError"
	// CodeServiceUnavailable says the service is temporarily unavailable.
	CodeServiceUnavailable = "ServiceUnavailable"
	// CodeProjectNotFound is OMS's business code for an unknown project id.
	CodeProjectNotFound = "PROJECT_NOT_FOUND_ERROR"
	// CodeInnerError is OMS's old-style business code for an internal failure.
	CodeInnerError = "INNER_ERROR"
	// CodeParamError is OMS's old-style business code for a bad parameter.
	CodeParamError = "PARAM_ERROR"
)

// APIError is a failed OMS call: either a gateway error (HTTP 4xx/5xx with
// {RequestId, HostId, Code, Message, Recommend}) or an OMS business error
// (Success:false with Code/Message/Advice and/or ErrorDetail). Its text
// fields are trimmed, one line, and scrubbed of credentials.
type APIError struct {
	// HTTPStatus is the HTTP status of the response (200 for most business errors).
	HTTPStatus int
	// Code is the gateway code or OMS's old-style business code (INNER_ERROR).
	Code string
	// DetailCode is ErrorDetail.Code, OMS's new-style code (CM-RESOAT1111).
	DetailCode string
	// Level is ErrorDetail.Level (FATAL, ERROR, WARNING, CRITICAL).
	Level string
	// Message says what went wrong.
	Message string
	// Reason is ErrorDetail.Reason.
	Reason string
	// Advice is Advice, the gateway's Recommend or ErrorDetail.Proposal.
	Advice string
	// RequestID identifies the request for Alibaba Cloud or OMS support.
	RequestID string
	// Business is true for OMS business errors (Success:false), false for
	// gateway and plain HTTP errors.
	Business bool
}

// Error returns one line naming the codes, the message, the advice and the
// request id.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("oms: ")
	if e.Business {
		b.WriteString("business error")
	} else {
		b.WriteString("API error")
	}
	if codes := e.codes(); codes != "" {
		b.WriteString(" " + codes)
	}
	if e.HTTPStatus != 0 && (e.HTTPStatus < 200 || e.HTTPStatus > 299) {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Reason != "" && e.Reason != e.Message {
		b.WriteString("; reason: " + e.Reason)
	}
	if e.Advice != "" {
		b.WriteString("; advice: " + e.Advice)
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

func (e *APIError) codes() string {
	switch {
	case e.Code != "" && e.DetailCode != "" && e.Code != e.DetailCode:
		return e.Code + "/" + e.DetailCode
	case e.Code != "":
		return e.Code
	default:
		return e.DetailCode
	}
}

// hasCode reports whether Code or DetailCode equals one of codes, ignoring case.
func (e *APIError) hasCode(codes ...string) bool {
	for _, c := range codes {
		if strings.EqualFold(e.Code, c) || strings.EqualFold(e.DetailCode, c) {
			return true
		}
	}
	return false
}

// Throttled reports flow control: Throttling, or any Throttling.* code
// (Throttling.User, Throttling.Api), or HTTP 429. Back off before retrying.
func (e *APIError) Throttled() bool {
	for _, c := range []string{e.Code, e.DetailCode} {
		if strings.EqualFold(c, CodeThrottling) || hasFoldPrefix(c, CodeThrottling+".") {
			return true
		}
	}
	return e.HTTPStatus == 429
}

// ProjectNotFound reports that OMS says the project does not exist. It
// matches an explicit list of whole codes, never a substring, so that
// InvalidAccessKeyId.NotFound (bad credentials) is not taken for a missing
// project.
func (e *APIError) ProjectNotFound() bool {
	return e.hasCode(CodeProjectNotFound, "PROJECT_NOT_FOUND", "PROJECT_NOT_EXIST",
		"PROJECT_NOT_EXISTS", "PROJECT_NOT_EXIST_ERROR", "PROJECT_IS_NOT_EXIST",
		"OMS_PROJECT_NOT_FOUND", "ProjectNotFound", "Project.NotFound",
		"InvalidProjectId.NotFound", "InvalidProject.NotFound")
}

// Permanent reports an error that repeating the same request cannot fix:
// bad credentials or signature, missing permission, an invalid action or
// parameter, or HTTP 401/403. The operator must act.
func (e *APIError) Permanent() bool {
	if e.Throttled() {
		return false
	}
	if e.hasCode(CodeInvalidAccessKeyID, CodeSignatureDoesNotMatch, CodeIncompleteSignature,
		CodeActionUnauthorized, CodeInvalidAction, CodeMissingParameter, CodeInvalidParameter,
		CodeNoSuchVersion, CodeUnsupportedOperation, "InvalidSecurityToken.Expired",
		"InvalidSecurityToken.Malformed", "InvalidSecurityToken.MismatchWithAccessKey") {
		return true
	}
	if strings.EqualFold(e.Code, CodeForbidden) || hasFoldPrefix(e.Code, CodeForbidden+".") {
		return true
	}
	return e.HTTPStatus == 401 || e.HTTPStatus == 403
}

// Refused reports that OMS refuses the account's requests themselves,
// whatever they ask: the signature or the AccessKey is wrong
// (SignatureDoesNotMatch, IncompleteSignature, InvalidAccessKeyId.*,
// InvalidSecurityToken.*), or the account may not call the API (Forbidden,
// Forbidden.*, ActionUnauthorized), or any HTTP 401/403 (the on-premise
// API's Basic auth answers 401 UNAUTHORIZED). Every other request of the account would
// be refused the same way, so a poller pauses the account rather than
// failing each project. Parameter errors are Permanent but not Refused:
// they concern one request.
func (e *APIError) Refused() bool {
	if e.Throttled() {
		return false
	}
	if e.hasCode(CodeSignatureDoesNotMatch, CodeIncompleteSignature, CodeActionUnauthorized, CodeForbidden) {
		return true
	}
	for _, prefix := range []string{"InvalidAccessKeyId", "InvalidSecurityToken", CodeForbidden} {
		if hasFoldPrefix(e.Code, prefix+".") || hasFoldPrefix(e.DetailCode, prefix+".") {
			return true
		}
	}
	return e.HTTPStatus == 401 || e.HTTPStatus == 403
}

// Retryable reports whether the same request may succeed later: HTTP 5xx,
// 408 and 429, throttling, InternalError, ServiceUnavailable, IllegalTimestamp
// (each attempt is signed with a fresh timestamp, so skew that NTP corrects
// heals; skew that persists shows up as repeated poll failures), and OMS
// business errors other than a missing project (INNER_ERROR and "CM service
// not available" are OMS-side and transient). Permanent errors and a missing
// project are never retryable; other gateway 4xx codes are not either.
func (e *APIError) Retryable() bool {
	switch {
	case e.Permanent() || e.ProjectNotFound():
		return false
	case e.Throttled():
		return true
	case e.hasCode(CodeInternalError, CodeServiceUnavailable, "ServiceUnavailableTemporary",
		CodeIllegalTimestamp, "RequestTimeout", "OperationTimeout"):
		return true
	case e.HTTPStatus >= 500 || e.HTTPStatus == 408:
		return true
	case e.Business:
		return true
	}
	return false
}

// MalformedError is a response that could not be read: not JSON, truncated,
// not an object, or lacking the Data a successful call must carry. It is
// retryable: the next response may well be whole.
type MalformedError struct {
	// HTTPStatus is the response's HTTP status, 0 when unknown.
	HTTPStatus int
	// Reason says what is wrong, for a user.
	Reason string
	// Excerpt is the start of the body, printable, at most 64 bytes.
	Excerpt string
	// Err is the underlying decoding error or ErrNoData, if any.
	Err error
}

// ErrNoData is wrapped by the *MalformedError returned for a successful
// envelope that carries no Data (or Data null) where a payload is required.
var ErrNoData = errors.New("response has no Data")

// Error returns one line: the reason and the start of the body.
func (e *MalformedError) Error() string {
	var b strings.Builder
	b.WriteString("oms: malformed response")
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	b.WriteString(": " + e.Reason)
	if e.Excerpt != "" {
		fmt.Fprintf(&b, "; body starts %q", e.Excerpt)
	}
	return b.String()
}

// Unwrap returns the underlying decoding error.
func (e *MalformedError) Unwrap() error { return e.Err }

// Retryable is always true: a malformed response is treated as transient.
func (e *MalformedError) Retryable() bool { return true }

// IsRetryable reports whether err (or an error it wraps) is an *APIError
// that is retryable or a *MalformedError.
func IsRetryable(err error) bool {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Retryable()
	}
	_, ok := errors.AsType[*MalformedError](err)
	return ok
}

// IsThrottled reports whether err wraps an *APIError that is throttling.
func IsThrottled(err error) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && ae.Throttled()
}

// IsProjectNotFound reports whether err wraps an *APIError saying the
// project does not exist.
func IsProjectNotFound(err error) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && ae.ProjectNotFound()
}

// refuser is an error that says itself whether it refuses the account (a
// client's "no credentials to sign with"), which this package cannot know
// by type.
type refuser interface {
	error
	Refused() bool
}

// IsRefused reports whether err wraps an *APIError that refuses the
// account's requests (see APIError.Refused), or an error that says so
// itself (a Refused method): no request of the account can succeed until
// the operator fixes the credentials or permissions.
func IsRefused(err error) bool {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Refused()
	}
	r, ok := errors.AsType[refuser](err)
	return ok && r.Refused()
}

// IsPermanent reports whether err wraps an *APIError that no retry can fix.
func IsPermanent(err error) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && ae.Permanent()
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
