package omsapi

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/internal/suggest"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
)

// Modes of Config. ModeSim polls the built-in simulator (the service
// starts it), for demos and tests.
const (
	ModeCloud  = "cloud"
	ModeOnPrem = "onprem"
	ModeSim    = "sim"
)

// Cloud credential sources.
const (
	CredentialsDefaultChain = "default_chain"
	CredentialsStatic       = "static"
)

// Config is the oms section of the configuration: which OMS to poll and
// how. Alibaba Cloud's OceanBasePro API (mode cloud, signed RPC calls) or
// an on-premise OMS console's /api/v2 (mode onprem, HTTP Basic auth);
// keys of the other mode are errors.
type Config struct {
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
	TLS         setting.TLS      `yaml:"tls"`
	Timeout     setting.Duration `yaml:"timeout"`
	QPS         float64          `yaml:"qps"`
	MaxInFlight int              `yaml:"max_in_flight"`
	// MaxAnswerSize bounds one API answer read into memory: polling holds
	// about twelve times an answer (its decoded tree, canonical JSON, the
	// previous snapshot, the event), so this is what bounds memory against
	// a runaway project.
	MaxAnswerSize setting.ByteSize `yaml:"max_answer_size"`
	Retries       Retries          `yaml:"retries"`
}

// Retries bounds how a transient API error (timeout, 5xx, ServiceUnavailable)
// is retried within one call: MaxAttempts counts the first try.
type Retries struct {
	MaxAttempts    int              `yaml:"max_attempts"`
	InitialBackoff setting.Duration `yaml:"initial_backoff"`
	MaxBackoff     setting.Duration `yaml:"max_backoff"`
}

// DefaultConfig is the oms section's defaults; its Mode is empty (the
// file must say which OMS it watches).
func DefaultConfig() Config {
	return Config{
		Credentials: CredentialsDefaultChain,
		Signature:   SignatureV3,
		Timeout:     setting.Duration(10 * time.Second),
		QPS:         10,
		MaxInFlight: 4,
		// 16 MiB: twelve 5,000-table answers, and at about twelve times
		// its size in memory, still inside a 512 MiB container.
		MaxAnswerSize: DefaultMaxAnswer,
		Retries: Retries{
			MaxAttempts:    3,
			InitialBackoff: setting.Duration(500 * time.Millisecond),
			MaxBackoff:     setting.Duration(10 * time.Second),
		},
	}
}

// Simulated reports whether the built-in simulator stands in for OMS.
func (c Config) Simulated() bool { return c.Mode == ModeSim }

// EndpointURL is the cloud API's base URL: the endpoint override, or the
// region's public endpoint https://oceanbasepro.<region>.aliyuncs.com. A
// bare host in endpoint means https.
func (c Config) EndpointURL() string {
	switch {
	case c.Endpoint == "":
		return "https://oceanbasepro." + c.Region + ".aliyuncs.com"
	case strings.Contains(c.Endpoint, "://"):
		return strings.TrimSuffix(c.Endpoint, "/")
	}
	return "https://" + c.Endpoint
}

// Source names where the projects live, in every event and key:
// oms://<region> (cloud) or oms+onprem://<host> (on-premise).
func (c Config) Source() string {
	if c.Mode == ModeOnPrem {
		u, err := url.Parse(c.URL)
		if err == nil {
			return "oms+onprem://" + u.Host
		}
	}
	return "oms://" + c.Region
}

// ConsoleURL is where a person opens the projects in a browser, the link
// a Slack message puts on a project's name when slack.project_url is not
// set: the OceanBase console of the region (cloud) or the OMS console,
// which serves the API on the same host (on-premise). The simulator has
// no console.
func (c Config) ConsoleURL() string {
	switch c.Mode {
	case ModeOnPrem:
		u, err := url.Parse(c.URL)
		if err != nil || u.Host == "" {
			return ""
		}
		return u.Scheme + "://" + u.Host + "/"
	case ModeCloud:
		return "https://oceanbasenext.console.aliyun.com/?regionId=" + url.QueryEscape(c.Region)
	}
	return ""
}

// Transport builds the transport of the configured mode.
func (c Config) Transport() (Transport, error) {
	switch c.Mode {
	case ModeOnPrem:
		return NewOnPrem(OnPremOptions{URL: c.URL, Username: c.Username, Password: c.Password,
			TLS: c.TLS, MaxConns: c.MaxInFlight, MaxAnswer: int64(c.MaxAnswerSize)})
	case ModeCloud:
		return NewCloud(CloudOptions{Region: c.Region, Endpoint: c.EndpointURL(), AccessKeyID: c.AccessKeyID,
			AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken, Signature: c.Signature,
			TLS: c.TLS, MaxConns: c.MaxInFlight, MaxAnswer: int64(c.MaxAnswerSize)})
	}
	return nil, fmt.Errorf("oms: mode %q: want %s or %s", c.Mode, ModeCloud, ModeOnPrem)
}

// FromConfig builds the client cfg describes: the transport of its mode,
// its rate, in-flight bound, timeout and retries. o gives what a file does
// not (its Transport, Source, QPS, MaxInFlight, Timeout and Retry are
// taken from cfg unless set).
func FromConfig(cfg Config, o Options) (*Client, error) {
	if o.Transport == nil {
		tr, err := cfg.Transport()
		if err != nil {
			return nil, err
		}
		o.Transport = tr
	}
	if o.Source == "" {
		o.Source = cfg.Source()
	}
	if o.QPS == 0 {
		o.QPS = cfg.QPS
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = cfg.MaxInFlight
	}
	if o.Timeout == 0 {
		o.Timeout = cfg.Timeout.Duration()
	}
	if o.Retry == (RetryPolicy{}) {
		r := cfg.Retries
		o.Retry = RetryPolicy{MaxAttempts: r.MaxAttempts, InitialBackoff: r.InitialBackoff.Duration(), MaxBackoff: r.MaxBackoff.Duration()}
	}
	return New(o)
}

// Bounds of max_answer_size.
const (
	minAnswerSize = 1 << 20
	maxAnswerSize = 1 << 30
)

// Regions are the regions the OMS API is published in; a region outside
// the list needs an explicit endpoint.
func Regions() []string {
	return []string{"cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-hangzhou", "cn-shanghai", "cn-shenzhen",
		"cn-hongkong", "ap-southeast-1", "ap-southeast-3", "ap-southeast-5", "us-east-1", "us-west-1",
		"eu-central-1", "cn-hangzhou-finance", "cn-shanghai-finance-1", "cn-shenzhen-finance-1",
		"cn-beijing-finance-1", "me-central-1"}
}

// regionPattern is what a region id looks like (compiled on first use,
// not at every command's start).
var regionPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`) })

// Validate reports, as setting.Errors, what the configured mode needs and
// does not have, values out of range, and keys of another mode (a value
// that would be silently ignored is usually a misunderstanding).
func (c Config) Validate() error {
	var errs []error
	switch c.Mode {
	case ModeCloud:
		errs = append(errs, c.validateCloud())
	case ModeOnPrem:
		errs = append(errs, c.validateOnPrem())
	case ModeSim:
		errs = append(errs, c.validateSim())
	case "":
	default:
		msg := fmt.Sprintf("%q is not allowed; want %s, %s or %s", c.Mode, ModeCloud, ModeOnPrem, ModeSim)
		if s := suggest.Closest(c.Mode, []string{ModeCloud, ModeOnPrem, ModeSim}); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		errs = append(errs, setting.Errorf("mode", "%s", msg))
	}
	if c.Timeout <= 0 {
		errs = append(errs, setting.Errorf("timeout", "must be greater than zero"))
	}
	if c.QPS <= 0 {
		errs = append(errs, setting.Errorf("qps", "must be greater than zero"))
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, setting.Errorf("max_in_flight", "must be at least 1"))
	}
	if c.MaxAnswerSize < minAnswerSize || c.MaxAnswerSize > maxAnswerSize {
		errs = append(errs, setting.Errorf("max_answer_size", "%s is out of range; want 1MiB to 1GiB (a 5,000-table project answers about 1.3MB)", c.MaxAnswerSize))
	}
	errs = append(errs, setting.Under("retries", c.Retries.validate()), setting.Under("tls", c.TLS.Validate()))
	return errors.Join(errs...)
}

func (c Config) validateCloud() error {
	var errs []error
	switch {
	case c.Region == "":
		errs = append(errs, setting.Errorf("region", "is required with mode cloud, e.g. cn-hangzhou"))
	case !regionPattern().MatchString(c.Region):
		errs = append(errs, setting.Errorf("region", "%q is not a region id; want one like cn-hangzhou or ap-southeast-1", c.Region))
	case c.Endpoint == "" && !slices.Contains(Regions(), c.Region):
		msg := fmt.Sprintf("%q is not a region OMS is published in; want %s, or set oms.endpoint", c.Region, orList(Regions()))
		if s := suggest.Closest(c.Region, Regions()); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		errs = append(errs, setting.Errorf("region", "%s", msg))
	}
	if c.Endpoint != "" {
		errs = append(errs, checkEndpoint(c.Endpoint))
	}
	errs = append(errs, oneOf("credentials", c.Credentials, CredentialsDefaultChain, CredentialsStatic),
		oneOf("signature", c.Signature, SignatureV3, SignatureV1))
	hasID, hasSecret := c.AccessKeyID != "", !c.AccessKeySecret.IsZero()
	switch {
	case c.Credentials == CredentialsStatic && !hasID && !hasSecret:
		errs = append(errs, setting.Errorf("credentials", "static needs oms.access_key_id and oms.access_key_secret (or access_key_secret_file)"))
	case hasID && !hasSecret:
		errs = append(errs, setting.Errorf("access_key_id", "is set without oms.access_key_secret (or access_key_secret_file)"))
	case hasSecret && !hasID:
		errs = append(errs, setting.Errorf("access_key_secret", "is set without oms.access_key_id"))
	}
	if !c.SecurityToken.IsZero() && !hasID {
		errs = append(errs, setting.Errorf("security_token", "an STS security token needs oms.access_key_id and oms.access_key_secret"))
	}
	errs = append(errs, notForMode(ModeCloud, map[string]bool{"url": c.URL != "", "username": c.Username != "", "password": !c.Password.IsZero()}))
	return errors.Join(errs...)
}

func (c Config) validateOnPrem() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, setting.Errorf("url", "is required with mode onprem: the OMS console's base URL, e.g. https://oms.example.com:8089"))
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, setting.Errorf("url", "not an http:// or https:// URL with a host"))
	} else if u.User != nil {
		errs = append(errs, setting.Errorf("url", "must not carry credentials; use oms.username and oms.password"))
	}
	if c.Username == "" {
		errs = append(errs, setting.Errorf("username", "is required with mode onprem (an OMS console user for HTTP Basic auth)"))
	}
	if c.Password.IsZero() {
		errs = append(errs, setting.Errorf("password", "is required with mode onprem; set oms.password or oms.password_file"))
	}
	def := DefaultConfig()
	errs = append(errs, notForMode(ModeOnPrem, map[string]bool{
		"region": c.Region != "", "endpoint": c.Endpoint != "", "access_key_id": c.AccessKeyID != "",
		"access_key_secret": !c.AccessKeySecret.IsZero(), "security_token": !c.SecurityToken.IsZero(),
		"credentials": c.Credentials != def.Credentials, "signature": c.Signature != def.Signature,
	}))
	return errors.Join(errs...)
}

// validateSim refuses the keys of a real OMS: the simulator takes its own
// demo credentials, and a key given here would be silently ignored.
func (c Config) validateSim() error {
	def := DefaultConfig()
	var errs []error
	for _, k := range []struct {
		key   string
		given bool
	}{
		{"region", c.Region != ""}, {"endpoint", c.Endpoint != ""}, {"credentials", c.Credentials != def.Credentials},
		{"access_key_id", c.AccessKeyID != ""}, {"access_key_secret", !c.AccessKeySecret.IsZero()},
		{"security_token", !c.SecurityToken.IsZero()}, {"signature", c.Signature != def.Signature},
		{"url", c.URL != ""}, {"username", c.Username != ""}, {"password", !c.Password.IsZero()},
	} {
		if k.given {
			errs = append(errs, setting.KeyErrorf(k.key, "is not used with mode sim: the built-in simulator takes its own demo credentials"))
		}
	}
	return errors.Join(errs...)
}

// notForMode reports keys of the other mode that were given a value.
func notForMode(mode string, present map[string]bool) error {
	other := map[string]string{ModeCloud: ModeOnPrem, ModeOnPrem: ModeCloud}[mode]
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(present)) {
		if present[k] {
			errs = append(errs, setting.KeyErrorf(k, "is only used with mode %s; this configuration has mode %s", other, mode))
		}
	}
	return errors.Join(errs...)
}

// checkEndpoint accepts an http(s) URL (the simulator, a proxy) or a bare
// host[:port] (a VPC endpoint), which means https.
func checkEndpoint(endpoint string) error {
	const path = "endpoint"
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return setting.Errorf(path, "not an http:// or https:// URL with a host")
		case u.User != nil:
			return setting.Errorf(path, "must not carry credentials; use oms.access_key_id and oms.access_key_secret")
		case (u.Path != "" && u.Path != "/") || u.RawQuery != "":
			return setting.Errorf(path, "want only scheme, host and port, e.g. http://127.0.0.1:8089")
		}
		return nil
	}
	host := endpoint
	if h, port, err := net.SplitHostPort(endpoint); err == nil {
		host = h
		if !setting.ValidPort(port) {
			host = ""
		}
	}
	if _, err := url.Parse("https://" + endpoint); err != nil || host == "" || strings.ContainsAny(host, "/ ?#@") {
		return setting.Errorf(path, "%q is not a host or URL; want e.g. oceanbasepro-vpc.cn-hangzhou.aliyuncs.com or http://127.0.0.1:8089", endpoint)
	}
	return nil
}

func (r Retries) validate() error {
	var errs []error
	if r.MaxAttempts < 1 {
		errs = append(errs, setting.Errorf("max_attempts", "must be at least 1 (1 means no retries)"))
	}
	if r.InitialBackoff <= 0 {
		errs = append(errs, setting.Errorf("initial_backoff", "must be greater than zero"))
	}
	if r.MaxBackoff <= 0 {
		errs = append(errs, setting.Errorf("max_backoff", "must be greater than zero"))
	}
	if r.MaxBackoff > 0 && r.InitialBackoff > r.MaxBackoff {
		errs = append(errs, setting.Errorf("initial_backoff", "%s is more than max_backoff %s", r.InitialBackoff, r.MaxBackoff))
	}
	return errors.Join(errs...)
}

// oneOf reports a value that is not one of allowed.
func oneOf(path, value string, allowed ...string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	msg := fmt.Sprintf("%q is not allowed; want %s", value, orList(allowed))
	if s := suggest.Closest(value, allowed); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return setting.Errorf(path, "%s", msg)
}

// orList formats allowed values as "a, b or c".
func orList(allowed []string) string {
	if len(allowed) < 2 {
		return strings.Join(allowed, "")
	}
	return strings.Join(allowed[:len(allowed)-1], ", ") + " or " + allowed[len(allowed)-1]
}
