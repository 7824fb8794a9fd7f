package omsapi

import (
	"net"
	"net/http"
	"time"

	"github.com/omswatch/omswatch/setting"
)

// newHTTPClient is the pooled client both transports send with. It has no
// overall timeout: each request carries its own deadline in its context.
func newHTTPClient(t setting.TLS, maxConns int) (*http.Client, error) {
	tc, err := t.ClientConfig()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          max(maxConns, 2) * 2,
		MaxIdleConnsPerHost:   max(maxConns, 2) * 2,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr}, nil
}
