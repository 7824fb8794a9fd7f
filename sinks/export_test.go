package sinks

// ReadStream is readStream, for the external tests.
var ReadStream = readStream
