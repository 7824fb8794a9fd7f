package oms

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// flags is the classification a caller branches on.
type flags struct {
	retryable, throttled, notFound, permanent, business, refused bool
}

func TestDecodeEnvelopeErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		code   string // APIError.Code
		detail string // APIError.DetailCode
		want   flags
	}{
		{"throttling user 400", 400,
			`{"RequestId":"R1","HostId":"oceanbasepro.cn-hangzhou.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":"https://api.aliyun.com/troubleshoot?q=Throttling.User"}`,
			CodeThrottlingUser, "", flags{retryable: true, throttled: true}},
		{"throttling api lower-case keys", 400,
			`{"requestId":"R2","code":"Throttling.Api","message":"Request was denied due to api flow control."}`,
			CodeThrottlingAPI, "", flags{retryable: true, throttled: true}},
		{"throttling other variant", 400, `{"Code":"Throttling.Concurrency","Message":"too many"}`,
			"Throttling.Concurrency", "", flags{retryable: true, throttled: true}},
		{"signature 400", 400,
			`{"RequestId":"R3","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation."}`,
			CodeSignatureDoesNotMatch, "", flags{permanent: true, refused: true}},
		{"signature 403", 403, `{"Code":"SignatureDoesNotMatch","Message":"bad"}`,
			CodeSignatureDoesNotMatch, "", flags{permanent: true, refused: true}},
		{"access key not found 404", 404,
			`{"RequestId":"R4","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}`,
			CodeInvalidAccessKeyID, "", flags{permanent: true, refused: true}},
		{"forbidden ram", 403, `{"Code":"Forbidden.RAM","Message":"User not authorized to operate on the specified resource."}`,
			CodeForbiddenRAM, "", flags{permanent: true, refused: true}},
		{"forbidden", 403, `{"Code":"Forbidden","Message":"no"}`, CodeForbidden, "", flags{permanent: true, refused: true}},
		{"security token expired", 400, `{"Code":"InvalidSecurityToken.Expired","Message":"expired"}`,
			"InvalidSecurityToken.Expired", "", flags{permanent: true, refused: true}},
		{"action unauthorized", 403, `{"Code":"ActionUnauthorized","Message":"no"}`, CodeActionUnauthorized, "", flags{permanent: true, refused: true}},
		{"incomplete signature", 400, `{"Code":"IncompleteSignature","Message":"?"}`, CodeIncompleteSignature, "", flags{permanent: true, refused: true}},
		{"invalid parameter", 400, `{"Code":"InvalidParameter","Message":"The specified parameter Id is not valid."}`,
			CodeInvalidParameter, "", flags{permanent: true}},
		{"illegal timestamp is retried", 400, `{"Code":"IllegalTimestamp","Message":"clock skew"}`,
			CodeIllegalTimestamp, "", flags{retryable: true}},
		{"unknown 4xx code", 400, `{"Code":"SomethingNew","Message":"?"}`,
			"SomethingNew", "", flags{}},
		{"service unavailable 503", 503, `{"RequestId":"R5","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}`,
			CodeServiceUnavailable, "", flags{retryable: true}},
		{"internal error 500", 500, `{"RequestId":"R6","Code":"InternalError","Message":"The request processing has failed due to some unknown error."}`,
			CodeInternalError, "", flags{retryable: true}},
		{"html 502", 502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
			"", "", flags{retryable: true}},
		{"html 404", 404, "<html><title>Not Found</title></html>", "", "", flags{}},
		{"on-premise 401", 401, `{"code":"UNAUTHORIZED","message":"Authentication failed"}`, "UNAUTHORIZED", "", flags{permanent: true, refused: true}},
		{"empty 401", 401, "", "", "", flags{permanent: true, refused: true}},
		{"business old code only", 200,
			`{"Success":false,"Code":"INNER_ERROR","Message":"A system error occurred.","Advice":"Contact the administrator.","RequestId":"R7"}`,
			CodeInnerError, "", flags{retryable: true, business: true}},
		{"business error detail only", 200,
			`{"Success":false,"ErrorDetail":{"Code":"CM-RESOAT1111\n","Level":"ERROR","Message":"A system error occurred.\n","Proposal":"null"},"RequestId":"R8"}`,
			"", "CM-RESOAT1111", flags{retryable: true, business: true}},
		{"business both codes", 200,
			`{"Success":false,"Code":"PARAM_ERROR","Message":"Connectivity test failed","ErrorDetail":{"Code":"CM-PARAM0001","Level":"ERROR","Message":"bad"}}`,
			CodeParamError, "CM-PARAM0001", flags{retryable: true, business: true}},
		{"business camelCase", 200,
			`{"success":false,"code":"GHANA-OPERAT000001","message":"CM service may be not available","requestId":"R9","cost":"10 ms"}`,
			"GHANA-OPERAT000001", "", flags{retryable: true, business: true}},
		{"business string false", 200, `{"Success":"false","Code":"INNER_ERROR"}`,
			CodeInnerError, "", flags{retryable: true, business: true}},
		{"project not found", 200,
			`{"Success":false,"Code":"PROJECT_NOT_FOUND_ERROR","Message":"project np_x not found","RequestId":"R10"}`,
			CodeProjectNotFound, "", flags{notFound: true, business: true}},
		{"project not found camelCase detail", 200,
			`{"success":false,"errorDetail":{"code":"PROJECT_NOT_FOUND_ERROR","message":"gone"}}`,
			"", CodeProjectNotFound, flags{notFound: true, business: true}},
		{"gateway body under 200", 200, `{"RequestId":"R11","Code":"Throttling.User","Message":"slow down"}`,
			CodeThrottlingUser, "", flags{retryable: true, throttled: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := DecodeEnvelope(tc.status, []byte(tc.body))
			if err == nil {
				t.Fatalf("DecodeEnvelope = %+v, want an APIError", env)
			}
			ae, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("error %T %v, want *APIError", err, err)
			}
			if ae.Code != tc.code || ae.DetailCode != tc.detail {
				t.Errorf("codes = %q/%q, want %q/%q", ae.Code, ae.DetailCode, tc.code, tc.detail)
			}
			got := flags{ae.Retryable(), ae.Throttled(), ae.ProjectNotFound(), ae.Permanent(), ae.Business, ae.Refused()}
			if got != tc.want {
				t.Errorf("flags = %+v, want %+v (error %v)", got, tc.want, err)
			}
			wrapped := fmt.Errorf("poll np_x: %w", err)
			helpers := flags{IsRetryable(wrapped), IsThrottled(wrapped), IsProjectNotFound(wrapped), IsPermanent(wrapped), ae.Business, IsRefused(wrapped)}
			if helpers != tc.want {
				t.Errorf("helpers on wrapped error = %+v, want %+v", helpers, tc.want)
			}
			if tc.status != 200 && ae.HTTPStatus != tc.status {
				t.Errorf("HTTPStatus = %d, want %d", ae.HTTPStatus, tc.status)
			}
			checkOneLine(t, err.Error())
		})
	}
}

func TestAPIErrorMessages(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
		contains   []string
		absent     []string
	}{
		{"html page says what it is", "<html><head><title>502 Bad Gateway</title></head></html>", 502,
			[]string{"HTTP 502", "Bad Gateway", "not JSON"}, []string{"<html>"}},
		{"business error names codes, advice and request", `{"Success":false,"Code":"INNER_ERROR","Message":"A system error occurred.\n",
			"Advice":"Contact the administrator. ","ErrorDetail":{"Code":"CM-RESOAT1111"},"RequestId":"473469C7"}`, 200,
			[]string{"INNER_ERROR/CM-RESOAT1111", "A system error occurred.", "advice: Contact the administrator.", "request 473469C7"}, nil},
		{"string to sign and access key are not echoed", `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DLTAI5tAbCdEf%26Action%3DDescribeProject"}`, 400,
			[]string{"SignatureDoesNotMatch", "string to sign omitted"}, []string{"LTAI5tAbCdEf", "Action%3D"}},
		{"credentials in a message are masked", `{"Code":"InvalidParameter","Message":"bad AccessKeyId=LTAIxyz&Signature=c2lnbmF0dXJl and Authorization: Basic dXNlcjpwYXNz done"}`, 400,
			[]string{"AccessKeyId=****", "Signature=****", "Authorization: ****"}, []string{"LTAIxyz", "c2lnbmF0dXJl", "dXNlcjpwYXNz"}},
		{"success false without reason", `{"Success":false}`, 200,
			[]string{"business error", "gives no reason"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeEnvelope(tc.status, []byte(tc.body))
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			checkOneLine(t, msg)
			for _, s := range tc.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q lacks %q", msg, s)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(msg, s) {
					t.Errorf("error %q contains %q", msg, s)
				}
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	cases := []struct {
		name, body string
		reason     string
	}{
		{"truncated", `{"Success":true,"Data":{"Id":"np_1"`, "truncated"},
		{"invalid", `{"Success":true,,}`, "not valid JSON at byte"},
		{"empty body", "", "empty"},
		{"white space body", " \n\t", "empty"},
		{"json array", `[{"Id":"np_1"}]`, "an array, not an object"},
		{"json string", `"ok"`, "a string, not an object"},
		{"trailing data", `{"Success":true} {}`, "after the JSON value"},
		{"html under 200", "<html>maintenance</html>", "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, decode := range []func([]byte) error{
				func(b []byte) error { _, err := DecodeEnvelope(200, b); return err },
				func(b []byte) error { _, err := ParseSnapshot(b); return err },
				func(b []byte) error { _, err := DecodeProjectList(200, b); return err },
			} {
				err := decode([]byte(tc.body))
				me, ok := errors.AsType[*MalformedError](err)
				if !ok {
					t.Fatalf("error %T %v, want *MalformedError", err, err)
				}
				if !strings.Contains(me.Reason, tc.reason) {
					t.Errorf("reason %q lacks %q", me.Reason, tc.reason)
				}
				wrapped := fmt.Errorf("poll: %w", err)
				if !IsRetryable(wrapped) || IsThrottled(wrapped) || IsProjectNotFound(wrapped) || IsPermanent(wrapped) {
					t.Errorf("malformed must be retryable only: %v", err)
				}
				checkOneLine(t, err.Error())
			}
		})
	}
}

func TestHelpersOnOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("dial tcp: connection refused")} {
		if IsRetryable(err) || IsThrottled(err) || IsProjectNotFound(err) || IsPermanent(err) || IsRefused(err) {
			t.Errorf("%v: helpers must be false for errors that are not OMS errors", err)
		}
	}
}

func checkOneLine(t *testing.T, msg string) {
	t.Helper()
	if strings.ContainsAny(msg, "\n\r\t") {
		t.Errorf("error is not one line: %q", msg)
	}
	if msg == "" {
		t.Error("empty error text")
	}
}
