package config

// validateOMS checks the oms section: the OMS client's own checks
// (omsapi.Config.Validate), and that the file says which OMS it watches.
// A file without one is an error, not the simulator: a configuration
// meant for real projects must never post made-up ones to a real channel.
// Only `omswatch run` without a file is the demo.
func (c *Config) validateOMS(v *validator) {
	switch {
	case !v.set("oms") && !v.failed("oms"):
		v.errorf("", "no oms section: say `mode: cloud` or `mode: onprem`, or `mode: sim` to poll the built-in simulator")
	case c.OMS.Mode == "" && v.set("oms"):
		v.errorf("oms.mode", "is required: cloud or onprem, or sim to poll the built-in simulator")
	}
	v.component("oms", c.OMS.Validate())
}
