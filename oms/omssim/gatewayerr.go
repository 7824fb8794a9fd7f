package omssim

import (
	"net/http"
	"net/url"

	"github.com/omswatch/omswatch/oms"
)

// gatewayError is an answer of Alibaba Cloud's API gateway (POP) rather than
// of OMS: an HTTP 4xx/5xx with {RequestId, HostId, Code, Message, Recommend}.
type gatewayError struct {
	status  int
	code    string
	message string
	header  http.Header // extra response headers (throttling hints)
}

func gwErr(status int, code, message string) *gatewayError {
	return &gatewayError{status: status, code: code, message: message}
}

func (e *gatewayError) Error() string { return e.code + ": " + e.message }

// Gateway error constructors, named after the codes Alibaba Cloud documents.
func errMissingParameter(name string) *gatewayError {
	return gwErr(http.StatusBadRequest, "MissingParameter",
		`The input parameter "`+name+`" that is mandatory for processing this request is not supplied.`)
}

func errInvalidParameter(name, why string) *gatewayError {
	return gwErr(http.StatusBadRequest, "InvalidParameter", "The specified parameter "+name+" is invalid: "+why)
}

func errIncompleteSignature(why string) *gatewayError {
	return gwErr(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards. "+why)
}

func errSignature(stringToSign string) *gatewayError {
	return gwErr(http.StatusBadRequest, "SignatureDoesNotMatch",
		"Specified signature is not matched with our calculation. server string to sign is:"+stringToSign)
}

func errAccessKeyNotFound() *gatewayError {
	return gwErr(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
}

func errIllegalTimestamp(got string) *gatewayError {
	return gwErr(http.StatusBadRequest, "IllegalTimestamp",
		`The input parameter "Timestamp" that is mandatory for processing this request is not supplied or is out of the 15 minutes window: `+got)
}

func errNonceUsed() *gatewayError {
	return gwErr(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
}

func errUnknownAction(action string) *gatewayError {
	return gwErr(http.StatusNotFound, "InvalidAction.NotFound",
		"Specified api "+action+" is not found, please check your url and method.")
}

func errInvalidVersion(version string) *gatewayError {
	return gwErr(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version "+version+" is not valid.")
}

func errInternal() *gatewayError {
	return gwErr(http.StatusInternalServerError, "InternalError",
		"The request processing has failed due to some unknown error, exception or failure.")
}

func errUnavailable() *gatewayError {
	return gwErr(http.StatusServiceUnavailable, "ServiceUnavailable",
		"The request has failed due to a temporary failure of the server.")
}

// body encodes the error for the protocol it answers: the gateway's shape
// for the cloud API, an on-premise camelCase envelope for /api/v2.
func (e *gatewayError) body(sp oms.Spelling, requestID, host string) ([]byte, error) {
	if sp == oms.OnPrem {
		return encodeObject(sp, []field{
			{"Success", false},
			{"ErrorDetail", nil},
			{"Code", e.code},
			{"Message", e.message},
			{"Advice", nil},
			{"RequestId", requestID},
			{"Data", nil},
		})
	}
	recommend := "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code) + "&product=OceanBasePro&requestId=" + requestID
	return encodeObject(sp, []field{
		{"RequestId", requestID},
		{"HostId", host},
		{"Code", e.code},
		{"Message", e.message},
		{"Recommend", recommend},
	})
}
