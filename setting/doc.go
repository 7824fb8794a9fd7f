// Package setting is the vocabulary of omswatch's configuration that the
// components share: the value types a file writes (Duration with days and
// weeks, ByteSize, Rate, File, Template), the TLS settings of a client,
// and Error, a problem at a path of a component's own section.
//
// Each component owns its configuration type (sinks/slack.Config,
// sinks/webhook.Config, natsembed.Config...) with yaml tags and a
// Validate() error that reports Errors at paths below its section; package
// config composes them, decodes the file strictly and turns each path into
// a file:line:column. This package imports only the standard library, so
// every component can use it without importing config.
package setting
