package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/omswatch/omswatch/internal/suggest"
	"github.com/omswatch/omswatch/secret"
)

// OMS modes. With no oms section at all, Mode is empty and omswatch polls
// its built-in simulator instead (the zero-configuration demo).
const (
	ModeCloud  = "cloud"
	ModeOnPrem = "onprem"
)

// Cloud credential sources and signature versions.
const (
	CredentialsDefaultChain = "default_chain"
	CredentialsStatic       = "static"
	SignatureV3             = "v3"
	SignatureV1             = "v1"
)

// OMS says which OMS to poll and how: Alibaba Cloud's OceanBasePro API
// (mode cloud, signed RPC calls) or an on-premise OMS console's /api/v2
// (mode onprem, HTTP Basic auth). Keys of the other mode are errors.
type OMS struct {
	Mode string `yaml:"mode"`

	// Cloud.
	Region          string        `yaml:"region"`
	Endpoint        string        `yaml:"endpoint"`
	Credentials     string        `yaml:"credentials"`
	AccessKeyID     string        `yaml:"access_key_id"`
	AccessKeySecret secret.String `yaml:"access_key_secret"`
	SecurityToken   secret.String `yaml:"security_token"`
	Signature       string        `yaml:"signature"`

	// On-premise.
	URL      string        `yaml:"url"`
	Username string        `yaml:"username"`
	Password secret.String `yaml:"password"`

	// Both.
	TLS         TLS      `yaml:"tls"`
	Timeout     Duration `yaml:"timeout"`
	QPS         float64  `yaml:"qps"`
	MaxInFlight int      `yaml:"max_in_flight"`
	// MaxAnswerSize bounds one API answer read into memory: polling holds
	// about twelve times an answer (its decoded tree, canonical JSON, the
	// previous snapshot, the event), so this is what bounds memory against
	// a runaway project.
	MaxAnswerSize ByteSize `yaml:"max_answer_size"`
	Retries       Retries  `yaml:"retries"`
}

// Bounds of oms.max_answer_size.
const (
	minAnswerSize = 1 << 20
	maxAnswerSize = 1 << 30
)

// Retries bounds how a transient API error (timeout, 5xx, ServiceUnavailable)
// is retried within one poll: MaxAttempts counts the first try.
type Retries struct {
	MaxAttempts    int      `yaml:"max_attempts"`
	InitialBackoff Duration `yaml:"initial_backoff"`
	MaxBackoff     Duration `yaml:"max_backoff"`
}

// Simulated reports whether no OMS is configured, so the built-in
// simulator stands in for one.
func (o OMS) Simulated() bool { return o.Mode == "" }

// EndpointURL is the cloud API's base URL: the endpoint override, or the
// region's public endpoint https://oceanbasepro.<region>.aliyuncs.com. A
// bare host in endpoint means https.
func (o OMS) EndpointURL() string {
	switch {
	case o.Endpoint == "":
		return "https://oceanbasepro." + o.Region + ".aliyuncs.com"
	case strings.Contains(o.Endpoint, "://"):
		return strings.TrimSuffix(o.Endpoint, "/")
	}
	return "https://" + o.Endpoint
}

func (o *OMS) validate(v *validator) {
	switch o.Mode {
	case ModeCloud:
		o.validateCloud(v)
	case ModeOnPrem:
		o.validateOnPrem(v)
	case "":
		if v.set("oms") {
			v.errorf("oms.mode", "is required: cloud or onprem (leave out the whole oms section to poll the built-in simulator)")
		}
	default:
		v.oneOf("oms.mode", o.Mode, ModeCloud, ModeOnPrem)
	}
	v.positive("oms.timeout", o.Timeout > 0)
	v.positive("oms.qps", o.QPS > 0)
	if o.MaxInFlight < 1 {
		v.errorf("oms.max_in_flight", "must be at least 1")
	}
	if o.MaxAnswerSize < minAnswerSize || o.MaxAnswerSize > maxAnswerSize {
		v.errorf("oms.max_answer_size", "%s is out of range; want 1MiB to 1GiB (a 5,000-table project answers about 1.3MB)", o.MaxAnswerSize)
	}
	o.Retries.validate(v, "oms.retries")
	v.component("oms.tls", o.TLS.Validate())
}

var regionPattern = lazyRegexp(`^[a-z]{2,}(-[a-z0-9]+)+$`)

func (o *OMS) validateCloud(v *validator) {
	switch {
	case o.Region == "":
		v.errorf("oms.region", "is required with mode cloud, e.g. cn-hangzhou")
	case !regionPattern().MatchString(o.Region):
		v.errorf("oms.region", "%q is not a region id; want one like cn-hangzhou or ap-southeast-1", o.Region)
	case o.Endpoint == "" && !slices.Contains(cloudRegions(), o.Region):
		msg := fmt.Sprintf("%q is not a region OMS is published in; want %s, or set oms.endpoint", o.Region, orList(cloudRegions()))
		if s := suggest.Closest(o.Region, cloudRegions()); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		v.errorf("oms.region", "%s", msg)
	}
	if o.Endpoint != "" {
		checkEndpoint(v, "oms.endpoint", o.Endpoint)
	}
	v.oneOf("oms.credentials", o.Credentials, CredentialsDefaultChain, CredentialsStatic)
	v.oneOf("oms.signature", o.Signature, SignatureV3, SignatureV1)
	hasID := o.AccessKeyID != "" || v.failed("oms.access_key_id")
	hasSecret := !o.AccessKeySecret.IsZero() || v.failed("oms.access_key_secret") || v.failed("oms.access_key_secret_file")
	switch {
	case o.Credentials == CredentialsStatic && !hasID && !hasSecret:
		v.errorf("oms.credentials", "static needs oms.access_key_id and oms.access_key_secret (or access_key_secret_file)")
	case hasID && !hasSecret:
		v.errorf("oms.access_key_id", "is set without oms.access_key_secret (or access_key_secret_file)")
	case hasSecret && !hasID:
		v.errorf(secretPath(v, "oms.access_key_secret"), "is set without oms.access_key_id")
	}
	if !o.SecurityToken.IsZero() && !hasID {
		v.errorf(secretPath(v, "oms.security_token"), "an STS security token needs oms.access_key_id and oms.access_key_secret")
	}
	notForMode(v, ModeCloud, map[string]bool{"url": o.URL != "", "username": o.Username != "", "password": !o.Password.IsZero()})
}

func (o *OMS) validateOnPrem(v *validator) {
	if o.URL == "" {
		v.errorf("oms.url", "is required with mode onprem: the OMS console's base URL, e.g. https://oms.example.com:8089")
	} else if u := v.httpURL("oms.url", o.URL); u != nil && u.User != nil {
		v.errorf("oms.url", "must not carry credentials; use oms.username and oms.password")
	}
	if o.Username == "" {
		v.errorf("oms.username", "is required with mode onprem (an OMS console user for HTTP Basic auth)")
	}
	if o.Password.IsZero() && !v.failed("oms.password") && !v.failed("oms.password_file") {
		v.errorf("oms.password", "is required with mode onprem; set oms.password or oms.password_file")
	}
	notForMode(v, ModeOnPrem, map[string]bool{
		"region": o.Region != "", "endpoint": o.Endpoint != "", "access_key_id": o.AccessKeyID != "",
		"access_key_secret": !o.AccessKeySecret.IsZero(), "security_token": !o.SecurityToken.IsZero(),
		"credentials": v.set("oms.credentials"), "signature": v.set("oms.signature"),
	})
}

// notForMode reports keys of the other mode that were given a value: a
// value that would be silently ignored is usually a misunderstanding.
func notForMode(v *validator, mode string, present map[string]bool) {
	other := map[string]string{ModeCloud: ModeOnPrem, ModeOnPrem: ModeCloud}[mode]
	keys := make([]string, 0, len(present))
	for k, ok := range present {
		if ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := secretPath(v, "oms."+k)
		v.keyErrorf(p, "is only used with mode %s; this configuration has mode %s", other, mode)
	}
}

// secretPath is the path of whichever form of a secret the file uses, so an
// error points at the key that is actually there.
func secretPath(v *validator, path string) string {
	if !v.set(path) && v.set(path+fileSuffix) {
		return path + fileSuffix
	}
	return path
}

// checkEndpoint accepts an http(s) URL (the simulator, a proxy) or a bare
// host[:port] (a VPC endpoint), which means https.
func checkEndpoint(v *validator, path, endpoint string) {
	if strings.Contains(endpoint, "://") {
		switch u := v.httpURL(path, endpoint); {
		case u == nil:
		case u.User != nil:
			v.errorf(path, "must not carry credentials; use oms.access_key_id and oms.access_key_secret")
		case (u.Path != "" && u.Path != "/") || u.RawQuery != "":
			v.errorf(path, "want only scheme, host and port, e.g. http://127.0.0.1:8089")
		}
		return
	}
	host := endpoint
	if h, port, err := net.SplitHostPort(endpoint); err == nil {
		host = h
		if !validPort(port) {
			host = ""
		}
	}
	if _, err := url.Parse("https://" + endpoint); err != nil || host == "" || strings.ContainsAny(host, "/ ?#@") {
		v.errorf(path, "%q is not a host or URL; want e.g. oceanbasepro-vpc.cn-hangzhou.aliyuncs.com or http://127.0.0.1:8089", endpoint)
	}
}

func (r *Retries) validate(v *validator, path string) {
	if r.MaxAttempts < 1 {
		v.errorf(path+".max_attempts", "must be at least 1 (1 means no retries)")
	}
	v.positive(path+".initial_backoff", r.InitialBackoff > 0)
	v.positive(path+".max_backoff", r.MaxBackoff > 0)
	if r.MaxBackoff > 0 && r.InitialBackoff > r.MaxBackoff {
		v.errorf(path+".initial_backoff", "%s is more than max_backoff %s", r.InitialBackoff, r.MaxBackoff)
	}
}
