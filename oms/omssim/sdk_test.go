package omssim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

// Everything here signs with Alibaba Cloud's own client library, so the
// simulator's verifier is held to what the real SDK sends.

// sdkClient is a darabonba-openapi client for endpoint (host:port). v1 makes
// it sign RPC requests with signature V1 (HMAC-SHA1) instead of V3.
func sdkClient(t *testing.T, endpoint, ak, secret string, v1 bool) *openapi.Client {
	t.Helper()
	cfg := &openapi.Config{
		AccessKeyId: dara.String(ak), AccessKeySecret: dara.String(secret),
		Endpoint: dara.String(endpoint), Protocol: dara.String("http"),
	}
	if v1 {
		cfg.SignatureAlgorithm = dara.String("v2")
	}
	c, err := openapi.NewClient(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

// callSDK calls an OceanBasePro action as the product SDK does (RPC style,
// form body, JSON answer) and returns the decoded body.
func callSDK(c *openapi.Client, action string, body map[string]any, readTimeout time.Duration) (map[string]any, error) {
	params := &openapi.Params{
		Action: dara.String(action), Version: dara.String(APIVersion), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	rt := &dara.RuntimeOptions{}
	if readTimeout > 0 {
		rt.ReadTimeout = dara.Int(int(readTimeout.Milliseconds()))
		rt.ConnectTimeout = dara.Int(1000)
	}
	res, err := c.CallApi(params, &openapi.OpenApiRequest{Body: body}, rt)
	if err != nil {
		return nil, err
	}
	b, _ := res["body"].(map[string]any)
	return b, nil
}

// sdkCode returns the Code and HTTP status of an SDK error.
func sdkCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("error %T %v is not a *tea.SDKError", err, err)
	}
	return tea.StringValue(se.Code), tea.IntValue(se.StatusCode)
}

// capturedRequest is a request the SDK sent, kept to be sent again verbatim.
type capturedRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

// captureSDK makes the SDK sign one DescribeProject and returns the request
// as it went over the wire, without it reaching the simulator. The request
// carries host (the simulator's endpoint), so it can be replayed there.
func captureSDK(t *testing.T, endpoint string, v1 bool, id string) capturedRequest {
	t.Helper()
	var got capturedRequest
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = capturedRequest{method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: body}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Success":true,"Data":{}}`))
	}))
	defer sink.Close()
	// The client dials its Endpoint; sign for the simulator's host but send
	// to the sink by giving the sink's address and fixing Host afterwards.
	c := sdkClient(t, strings.TrimPrefix(sink.URL, "http://"), DemoAccessKeyID, DemoAccessKeySecret, v1)
	if _, err := callSDK(c, ActionDescribeProject, map[string]any{"Id": id}, 0); err != nil {
		t.Fatalf("capture: %v", err)
	}
	got.header.Set("Host", strings.TrimPrefix(sink.URL, "http://"))
	return got
}

// send sends a captured request to base (http://host:port) with the Host
// header it was signed for.
func (c capturedRequest) send(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), c.method, base+c.path, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.header.Clone()
	req.Host = c.header.Get("Host")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, body
}
