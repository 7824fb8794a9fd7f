package omsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/credentials-go/credentials"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
)

// Signature versions of the cloud API.
const (
	SignatureV3 = "v3" // ACS3-HMAC-SHA256, the SDK's default
	SignatureV1 = "v1" // HMAC-SHA1 RPC signature (the SDK calls it "v2")
)

// CloudOptions configure the Alibaba Cloud OceanBasePro client.
type CloudOptions struct {
	// Region is the region id, e.g. cn-hangzhou.
	Region string
	// Endpoint is the API's base URL or host[:port]; a bare host means https.
	// Empty: https://oceanbasepro.<region>.aliyuncs.com.
	Endpoint string
	// AccessKeyID and AccessKeySecret (with SecurityToken for STS) are
	// static credentials. Left empty, Alibaba Cloud's default credential
	// chain is used: ALIBABA_CLOUD_* environment variables, the profile
	// file, the ECS RAM role, OIDC/RRSA.
	AccessKeyID     string
	AccessKeySecret secret.String
	SecurityToken   secret.String
	// Signature is SignatureV3 (default) or SignatureV1.
	Signature string
	// TLS configures TLS to an https endpoint.
	TLS setting.TLS
	// MaxConns sizes the connection pool (the client's in-flight bound).
	MaxConns int
	// MaxAnswer bounds an answer's size (DefaultMaxAnswer when 0).
	MaxAnswer int64
}

// Cloud is the Transport for Alibaba Cloud's OceanBasePro RPC API, built on
// Alibaba Cloud's own darabonba-openapi client (generic CallApi): it signs
// every request (V3 by default, V1 on request); there is no signing code of
// ours. The SDK is used without its retries: the Client above it retries.
type Cloud struct {
	// clients holds SDK clients: one is not safe for concurrent calls (each
	// call clears its Headers field), so each request borrows its own.
	clients  sync.Pool
	protocol string
}

// NewCloud builds the cloud transport.
func NewCloud(o CloudOptions) (*Cloud, error) {
	if o.Region == "" {
		return nil, errors.New("cloud client: a region is required")
	}
	scheme, host, err := splitEndpoint(o.Endpoint, o.Region)
	if err != nil {
		return nil, fmt.Errorf("cloud client: %w", err)
	}
	hc, err := newHTTPClient(o.TLS, o.MaxConns)
	if err != nil {
		return nil, fmt.Errorf("cloud client TLS: %w", err)
	}
	cred, err := newCredential(o)
	if err != nil {
		return nil, fmt.Errorf("cloud client credentials: %w", err)
	}
	cfg := &openapi.Config{
		Credential: cred, Endpoint: dara.String(host), Protocol: dara.String(scheme),
		RegionId: dara.String(o.Region), HttpClient: captureClient{hc: hc, maxAnswer: o.MaxAnswer},
	}
	switch o.Signature {
	case "", SignatureV3:
	case SignatureV1:
		cfg.SignatureAlgorithm = dara.String("v2") // the SDK's name for the RPC HMAC-SHA1 signature
	default:
		return nil, fmt.Errorf("cloud client: signature %q: want %s or %s", o.Signature, SignatureV3, SignatureV1)
	}
	newSDK := func() (*openapi.Client, error) {
		sdk, err := openapi.NewClient(cfg)
		if err != nil {
			return nil, err
		}
		sdk.DisableSDKError = dara.Bool(true) // typed errors; we classify from the wire anyway
		return sdk, nil
	}
	first, err := newSDK()
	if err != nil {
		return nil, fmt.Errorf("cloud client: %w", err)
	}
	c := &Cloud{protocol: strings.ToUpper(scheme)}
	c.clients.New = func() any {
		sdk, _ := newSDK() // the same config succeeded once
		return sdk
	}
	c.clients.Put(first)
	return c, nil
}

// newCredential picks static keys when given, else the default chain.
func newCredential(o CloudOptions) (credentials.Credential, error) {
	if o.AccessKeyID == "" && o.AccessKeySecret.IsZero() {
		return credentials.NewCredential(nil)
	}
	c := &credentials.Config{
		Type: dara.String("access_key"), AccessKeyId: dara.String(o.AccessKeyID),
		AccessKeySecret: dara.String(o.AccessKeySecret.Reveal()),
	}
	if !o.SecurityToken.IsZero() {
		c.Type = dara.String("sts")
		c.SecurityToken = dara.String(o.SecurityToken.Reveal())
	}
	return credentials.NewCredential(c)
}

// splitEndpoint turns the endpoint option into the SDK's scheme and host.
func splitEndpoint(endpoint, region string) (scheme, host string, err error) {
	switch {
	case endpoint == "":
		return "https", "oceanbasepro." + region + ".aliyuncs.com", nil
	case strings.Contains(endpoint, "://"):
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return "", "", fmt.Errorf("endpoint %q: want an http(s) URL or a host", endpoint)
		}
		return u.Scheme, u.Host, nil
	}
	return "https", endpoint, nil
}

// Do calls action through the SDK's CallApi. Whatever the SDK makes of the
// answer, the raw status, body and rate-limit hint are taken from the wire
// (see captureClient), so cloud and on-premise answers are classified by
// the same code and a throttling answer keeps its hint.
func (c *Cloud) Do(ctx context.Context, action string, params map[string]any) (*Response, error) {
	body := make(map[string]any, len(params))
	for k, v := range params {
		body[k] = formValue(v)
	}
	cp := &capture{action: action}
	ctx = context.WithValue(ctx, captureKey{}, cp)
	p := &openapi.Params{
		Action: dara.String(action), Version: dara.String(apiVersion), Protocol: dara.String(c.protocol),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String("formData"),
		BodyType: dara.String("binary"), // the SDK hands the body back untouched
	}
	rt := &dara.RuntimeOptions{}
	if dl, ok := ctx.Deadline(); ok {
		ms := int(max(time.Until(dl).Milliseconds(), 1))
		rt.ReadTimeout, rt.ConnectTimeout = dara.Int(ms), dara.Int(ms)
	}
	sdk := c.clients.Get().(*openapi.Client)
	res, err := sdk.CallApiWithCtx(ctx, p, &openapi.OpenApiRequest{Body: body}, rt)
	c.clients.Put(sdk)
	if rc, ok := res["body"].(io.ReadCloser); ok {
		rc.Close()
	}
	switch {
	case cp.status != 0:
		return &Response{Status: cp.status, Body: cp.body, RetryAfter: cp.retryAfter}, nil
	case cp.err != nil:
		var big *AnswerTooLargeError
		if errors.As(cp.err, &big) {
			return nil, big
		}
		return nil, &TransportError{Action: action, Err: cp.err}
	case err != nil:
		// The SDK gave up before sending: it could not get credentials.
		return nil, &CredentialsError{Err: err}
	}
	return nil, &TransportError{Action: action, Err: errors.New("the SDK returned no answer")}
}

// formValue is the form encoding of one RPC parameter: arrays are one field
// holding a JSON array (Status=["RUNNING","FAILED"]), as the API takes them.
func formValue(v any) any {
	switch t := v.(type) {
	case []string:
		b, _ := json.Marshal(t) // a []string always marshals
		return string(b)
	case int:
		return strconv.Itoa(t)
	case bool:
		return strconv.FormatBool(t)
	}
	return v
}

// captureKey is the context key of a request's capture.
type captureKey struct{}

// capture is what came over the wire for one request.
type capture struct {
	action     string
	status     int
	body       []byte
	retryAfter time.Duration
	err        error
}

// captureClient is the dara.HttpClient the SDK sends with: our pooled
// http.Client (the SDK's own builds a transport per request), and a tap
// that keeps the raw answer in the request's capture. The SDK parses a 4xx
// or 5xx body itself and loses the status of a body that is not JSON (an
// HTML error page); the capture keeps it.
type captureClient struct {
	hc        *http.Client
	maxAnswer int64
}

func (c captureClient) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	cp, _ := req.Context().Value(captureKey{}).(*capture)
	if cp == nil {
		cp = &capture{}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cp.err = err
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readAnswer(resp.Body, resp.ContentLength, cp.action, c.maxAnswer)
	var big *AnswerTooLargeError
	switch {
	case errors.As(err, &big):
		cp.err = err
		return nil, err
	case err != nil:
		cp.err = fmt.Errorf("read the answer (HTTP %d): %w", resp.StatusCode, err)
		return nil, cp.err
	}
	cp.status, cp.body, cp.retryAfter = resp.StatusCode, body, throttleHint(resp.Header)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// throttleHint reads Alibaba Cloud's rate-limit headers with the SDK's own
// parser (TimeLeft, in milliseconds).
func throttleHint(h http.Header) time.Duration {
	hs := map[string]*string{}
	for _, k := range []string{"x-ratelimit-user-api", "x-ratelimit-user"} {
		if v := h.Get(k); v != "" {
			hs[k] = dara.String(v)
		}
	}
	if len(hs) == 0 {
		return 0
	}
	ms := dara.Int64Value(openapiutil.GetThrottlingTimeLeft(hs))
	if ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}
