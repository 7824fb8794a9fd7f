package setting

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLS configures a client's TLS connection (to OMS, to NATS). Files are
// PEM; the zero TLS means the system's roots and no client certificate.
type TLS struct {
	CAFile             File   `yaml:"ca_file"`
	CertFile           File   `yaml:"cert_file"`
	KeyFile            File   `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// IsZero reports whether nothing is set.
func (t TLS) IsZero() bool { return t == TLS{} }

// Validate reports a client certificate without its key (or the other way
// round) and verification turned off beside the CA that is there for it.
func (t TLS) Validate() error {
	var errs []error
	if (t.CertFile != "") != (t.KeyFile != "") {
		missing := "key_file"
		if t.CertFile == "" {
			missing = "cert_file"
		}
		errs = append(errs, Errorf("", "a client certificate needs both cert_file and key_file; %s is missing", missing))
	}
	if t.InsecureSkipVerify && t.CAFile != "" {
		errs = append(errs, Errorf("insecure_skip_verify", "turns off the verification ca_file is for; keep one of them"))
	}
	return errors.Join(errs...)
}

// ClientConfig builds the client's tls.Config: TLS 1.2 at least, the CA
// bundle as roots when given, the client certificate when given.
func (t TLS) ClientConfig() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in, for tests
	if t.CAFile != "" {
		pem, err := os.ReadFile(string(t.CAFile))
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", t.CAFile)
		}
		c.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(string(t.CertFile), string(t.KeyFile))
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
