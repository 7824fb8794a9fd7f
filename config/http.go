package config

// HTTP is the metrics and health server (/metrics, /healthz, /readyz).
// An empty Listen turns it off.
type HTTP struct {
	Listen string `yaml:"listen"`
}

func (h *HTTP) validate(v *validator) {
	if h.Listen != "" {
		v.hostPort("http.listen", h.Listen)
	}
}
