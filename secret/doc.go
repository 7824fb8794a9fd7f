// Package secret holds credentials (access key secrets, Slack tokens,
// passwords) so that they cannot leak by accident: a String prints as "****"
// through fmt, log/slog, JSON and YAML, a Redactor scrubs known secret
// values out of text that came from elsewhere (library errors, URLs), and
// NewHandler puts a Redactor in front of a log/slog handler so that no log
// line carries one. It is a leaf package: standard library only, so every
// other package may use it.
package secret
