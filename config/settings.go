package config

import "github.com/omswatch/omswatch/setting"

// The value types of the file are the components' shared vocabulary
// (package setting); these names keep the sections of this package short.
type (
	Duration = setting.Duration
	ByteSize = setting.ByteSize
	Rate     = setting.Rate
	FilePath = setting.File
	Template = setting.Template
	TLS      = setting.TLS
)
