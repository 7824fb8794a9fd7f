package config

// validateOMS checks the oms section: the OMS client's own checks
// (omsapi.Config.Validate), and that a section that is there says which
// OMS it is.
func (c *Config) validateOMS(v *validator) {
	if c.OMS.Mode == "" && v.set("oms") {
		v.errorf("oms.mode", "is required: cloud or onprem (leave out the whole oms section to poll the built-in simulator)")
	}
	v.component("oms", c.OMS.Validate())
}
