package oms

import (
	"errors"
	"fmt"
	"testing"
)

// selfNamed stands for a client's own error (no answer, no credentials).
type selfNamed struct{}

func (selfNamed) Error() string     { return "no answer" }
func (selfNamed) ErrorCode() string { return "NoAnswer" }

func TestErrorCode(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code string
	}{
		{"gateway code", &APIError{HTTPStatus: 400, Code: "Throttling.User"}, "Throttling.User"},
		{"business code", &APIError{HTTPStatus: 200, Code: "PROJECT_NOT_FOUND_ERROR", Business: true}, "PROJECT_NOT_FOUND_ERROR"},
		{"detail code only", &APIError{HTTPStatus: 200, DetailCode: "CM-RESOAT1111", Business: true}, "CM-RESOAT1111"},
		{"no code", &APIError{HTTPStatus: 502}, "HTTP502"},
		{"truncated", &MalformedError{Reason: "truncated"}, "MalformedResponse"},
		{"no data", &MalformedError{Reason: "no data", Err: ErrNoData}, "NoData"},
		{"a client's own", selfNamed{}, "NoAnswer"},
		{"anything else", errors.New("boom"), "Error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErrorCode(fmt.Errorf("describe project np_1: %w", tc.err)); got != tc.code {
				t.Errorf("ErrorCode = %q, want %q", got, tc.code)
			}
		})
	}
	if got := RequestID(fmt.Errorf("x: %w", &APIError{RequestID: "R1"})); got != "R1" {
		t.Errorf("RequestID = %q, want R1", got)
	}
	if got := RequestID(selfNamed{}); got != "" {
		t.Errorf("RequestID of no answer = %q, want none", got)
	}
}
