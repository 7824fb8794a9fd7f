package oms

import (
	"errors"
	"strconv"
)

// coded is an error that names its own kind for ErrorCode: a client's
// failures that are not OMS answers (no answer, no credentials, an answer
// too large), which this package cannot know by type.
type coded interface {
	error
	ErrorCode() string
}

// ErrorCode names a failed call for oms.poll.failing's error_code, logs and
// metrics: the OMS or gateway code of an *APIError (its HTTP status when it
// has none), NoData or MalformedResponse for a *MalformedError, the code an
// error with an ErrorCode method gives itself, else "Error".
func ErrorCode(err error) string {
	if ae, ok := errors.AsType[*APIError](err); ok {
		switch {
		case ae.Code != "":
			return ae.Code
		case ae.DetailCode != "":
			return ae.DetailCode
		}
		return "HTTP" + strconv.Itoa(ae.HTTPStatus)
	}
	if _, ok := errors.AsType[*MalformedError](err); ok {
		if errors.Is(err, ErrNoData) {
			return "NoData"
		}
		return "MalformedResponse"
	}
	if c, ok := errors.AsType[coded](err); ok {
		return c.ErrorCode()
	}
	return "Error"
}

// RequestID is the request id OMS or the gateway gave the answer that err
// reports ("" when there was no answer, or it had none): what Alibaba Cloud
// and OMS support ask for, so failed polls log it.
func RequestID(err error) string {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.RequestID
	}
	return ""
}
