package config

// TLS configures a client's TLS connection to OMS or NATS. Files are PEM;
// relative paths are resolved against the configuration file's directory.
type TLS struct {
	CAFile             FilePath `yaml:"ca_file"`
	CertFile           FilePath `yaml:"cert_file"`
	KeyFile            FilePath `yaml:"key_file"`
	ServerName         string   `yaml:"server_name"`
	InsecureSkipVerify bool     `yaml:"insecure_skip_verify"`
}

func (t *TLS) validate(v *validator, path string) {
	// A file that could not be read was reported already; it still counts
	// as given here.
	hasCert := t.CertFile != "" || v.failed(path+".cert_file")
	hasKey := t.KeyFile != "" || v.failed(path+".key_file")
	if hasCert != hasKey {
		missing := path + ".key_file"
		if !hasCert {
			missing = path + ".cert_file"
		}
		v.errorf(path, "a client certificate needs both cert_file and key_file; %s is missing", missing)
	}
	if t.InsecureSkipVerify && t.CAFile != "" {
		v.errorf(path+".insecure_skip_verify", "turns off the verification ca_file is for; keep one of them")
	}
}
