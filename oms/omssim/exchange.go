package omssim

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// exchange is one request being answered: what arrived, what the handlers
// learned about it (for the log line) and how the answer is written.
type exchange struct {
	w         http.ResponseWriter
	r         *http.Request
	started   time.Time
	requestID string
	spelling  oms.Spelling

	protocol, action, project, principal, fault, errorCode string
	mangle                                                 FaultKind // truncated or invalid: how the 200 body is spoiled
	status                                                 int
}

func (s *Server) newExchange(w http.ResponseWriter, r *http.Request) *exchange {
	return &exchange{w: w, r: r, started: time.Now(), requestID: s.nextRequestID()}
}

// nextRequestID returns a RequestId shaped like Alibaba's
// (8-4-4-4-12 upper-case hex). It is deterministic: the n-th request of a
// server with a given seed always gets the same id.
func (s *Server) nextRequestID() string {
	return requestID(s.seed, s.seq.Add(1))
}

func requestID(seed int64, n uint64) string {
	a := splitmix(uint64(seed) ^ n*0x9e3779b97f4a7c15)
	b := splitmix(a ^ n)
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", uint32(a>>32), uint16(a>>16), uint16(a), uint16(b>>48), b&0xffffffffffff)
}

// splitmix is SplitMix64's finaliser: a cheap, well-mixed hash of a uint64.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// write sends a JSON body. A truncated or invalid fault spoils 200 bodies here.
func (x *exchange) write(status int, body []byte, hdr http.Header) {
	if status == http.StatusOK {
		switch x.mangle {
		case FaultTruncated:
			body = body[:max(1, len(body)/2)]
		case FaultInvalid:
			body = []byte("<html><head><title>502 Bad Gateway</title></head><body>upstream sent an invalid response</body></html>")
		}
	}
	h := x.w.Header()
	for k, v := range hdr {
		h[k] = v
	}
	h.Set("Content-Type", "application/json;charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-acs-request-id", x.requestID)
	x.status = status
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

// gateway answers with a gateway error in the exchange's protocol.
func (x *exchange) gateway(e *gatewayError) {
	x.errorCode = e.code
	body, err := e.body(x.spelling, x.requestID, x.r.Host)
	if err != nil {
		x.internal(err)
		return
	}
	x.write(e.status, body, e.header)
}

// business answers with Success:false.
func (x *exchange) business(be *BusinessError) {
	x.errorCode = be.Code
	body, err := businessBody(x.spelling, x.requestID, be)
	if err != nil {
		x.internal(err)
		return
	}
	x.write(http.StatusOK, body, nil)
}

// internal reports a simulator bug as an HTTP 500 without spoiling it.
func (x *exchange) internal(err error) {
	x.errorCode = "SimulatorError"
	x.mangle = ""
	body := []byte(`{"Code":"InternalError","Message":` + strconv.Quote("simulator: "+err.Error()) + `}`)
	x.write(http.StatusInternalServerError, body, nil)
}

// applyFaults runs the fault rules for the request. It sleeps for latency,
// then reports whether a fault already answered (or dropped) the request.
func (s *Server) applyFaults(x *exchange) (answered bool) {
	d := s.faults.decide(x.action, x.project)
	if d.latency > 0 {
		x.fault = string(FaultLatency)
		if !s.hold(x.r.Context(), d.latency) {
			panic(http.ErrAbortHandler) // server closing or client gone: nobody to answer
		}
	}
	if d.fault == nil {
		return false
	}
	f := d.fault
	x.fault = string(f.Kind)
	switch f.Kind {
	case FaultTimeout:
		s.hold(x.r.Context(), f.Duration)
		panic(http.ErrAbortHandler) // drop the connection without an answer
	case FaultHTTP500:
		x.gateway(errInternal())
	case FaultHTTP503:
		x.gateway(errUnavailable())
	case FaultThrottle:
		x.gateway(errThrottled(f.Duration))
	case FaultBusiness:
		x.business(innerError(f.Code))
	case FaultNotFound:
		x.business(notFound(x.project))
	case FaultTruncated, FaultInvalid:
		x.mangle = f.Kind
		return false
	}
	return true
}

// hold waits d, or until the client goes away or the server closes; it
// reports whether the full time passed.
func (s *Server) hold(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// errThrottled is Throttling.User with the rate-limit header the Alibaba SDK
// reads its RetryAfter from (TimeLeft in milliseconds).
func errThrottled(timeLeft time.Duration) *gatewayError {
	e := gwErr(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
	e.header = http.Header{"x-ratelimit-user-api": {fmt.Sprintf("Limit:10,Remain:0,TimeLeft:%d,Reset:%d", timeLeft.Milliseconds(), timeLeft.Milliseconds())}}
	return e
}
