package oms

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxMessage bounds an error text kept from a response, so one bad answer
// cannot flood a log line or a chat message.
const maxMessage = 300

// cleanMessage makes a server-provided text safe and readable on one line:
// white space collapsed, "null" dropped, the quoted string to sign removed,
// credential values masked, length bounded.
func cleanMessage(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "null" {
		return ""
	}
	if i := indexFold(s, "string to sign"); i >= 0 {
		s = strings.TrimRight(s[:i], " :") + " [string to sign omitted]"
	}
	s = maskCredentials(s)
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// maskCredentials replaces the value after any credential parameter name
// followed by '=', "%3D" or ':' with ****.
func maskCredentials(s string) string {
	lower := strings.ToLower(s)
	var b strings.Builder
	last := 0
	for i := 0; i < len(lower); i++ {
		name := credentialAt(lower, i)
		if name == 0 {
			continue
		}
		start := i + name
		start += sepLen(lower[start:])
		// An Authorization header value has spaces and commas in it
		// ("Basic x", "ACS3-HMAC-SHA256 Credential=...,Signature=...").
		header := strings.HasPrefix(lower[i:], "authorization")
		end := start
		for end < len(s) && !isValueEnd(s[end], header) && !strings.HasPrefix(lower[end:], "%26") {
			end++
		}
		if end == start {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString("****")
		last, i = end, end-1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// credentialAt returns the length of the credential name at lower[i:] when
// a separator follows it, or 0 if there is none. The names are request
// parameters or headers whose values are credentials or reveal them: OMS and
// the gateway echo parts of the request in some messages
// (SignatureDoesNotMatch quotes the string to sign).
func credentialAt(lower string, i int) int {
	names := [...]string{"accesskeyid", "accesskeysecret", "securitytoken", "signature",
		"authorization", "password"}
	for _, p := range names {
		if strings.HasPrefix(lower[i:], p) && sepLen(lower[i+len(p):]) > 0 {
			return len(p)
		}
	}
	return 0
}

func sepLen(s string) int {
	for _, sep := range []string{`":"`, "%3d", "=", ": ", ":"} {
		if strings.HasPrefix(s, sep) {
			return len(sep)
		}
	}
	return 0
}

func isValueEnd(c byte, header bool) bool {
	if c == '&' || c == '"' || c == '\'' || c == ';' {
		return true
	}
	return !header && (c == ' ' || c == ',')
}

// indexFold is the index of sub in s, ignoring case, or -1. It folds
// ASCII letters only, byte for byte: strings.ToLower turns each
// invalid UTF-8 byte into a 3-byte U+FFFD, and an index into its result
// would not be an index into s.
func indexFold(s, sub string) int {
	return strings.Index(asciiLower(s), asciiLower(sub))
}

// asciiLower is s with A-Z lowered and every other byte kept.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// excerpt returns the start of body as printable text, at most 64 bytes,
// for error messages that must show what was received.
func excerpt(body []byte) string {
	const max = 64
	var b strings.Builder
	for len(body) > 0 && b.Len() < max {
		r, size := utf8.DecodeRune(body)
		body = body[size:]
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte('?')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case !unicode.IsPrint(r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if len(body) > 0 {
		out += "..."
	}
	return out
}

// htmlTitle returns the text of an HTML page's <title>, if any, cleaned.
func htmlTitle(body []byte) string {
	s := string(body)
	i := indexFold(s, "<title")
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 {
		return ""
	}
	rest := s[i+j+1:]
	k := indexFold(rest, "</title")
	if k < 0 {
		return ""
	}
	return cleanMessage(rest[:k])
}
