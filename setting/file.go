package setting

// File is a path to a file the configuration refers to: a CA bundle, a
// client certificate, a NATS creds file. Written relative, it is resolved
// against the directory of the configuration file that names it; loading
// checks that the file can be read and keeps the resolved path.
type File string

// String returns the path.
func (f File) String() string { return string(f) }
