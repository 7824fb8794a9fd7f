package config

// Log configures omswatch's own log (log/slog on stderr). The --log-level
// and --log-format flags, when given, take precedence.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

func (l *Log) validate(v *validator) {
	v.oneOf("log.level", l.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", l.Format, "text", "json")
}
