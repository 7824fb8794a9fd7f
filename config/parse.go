package config

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// parseYAML reads one YAML document into a node tree and returns its top
// mapping, or nil after reporting why there is none: a syntax error, an
// empty file, a second document, a top level that is not a mapping.
func parseYAML(data []byte, file string, errs *errorList) (root *yaml.Node) {
	defer func() {
		// yaml.v3 is not known to panic on any input, but a configuration
		// loader must not take the process down on a bad file.
		if r := recover(); r != nil {
			errs.add(Position{File: file, Line: 1, Column: 1}, "", "the YAML parser failed on this file: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || (err == nil && (len(doc.Content) == 0 || isNull(doc.Content[0]))) {
		errs.add(Position{File: file, Line: 1, Column: 1}, "", "the file is empty; see config/example.yaml for what it can hold")
		return nil
	}
	if err != nil {
		syntaxError(data, file, err, errs)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		errs.add(Position{File: file, Line: extra.Line, Column: extra.Column}, "",
			"a second YAML document starts here; the configuration is one document (remove the ---)")
	case !errors.Is(err, io.EOF):
		// Text that is not YAML (an INI file) often parses as a first
		// document and fails after it: the syntax error is the news.
		syntaxError(data, file, err, errs)
		return nil
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		errs.add(Position{File: file, Line: root.Line, Column: root.Column}, "",
			"the top level must be a mapping of sections (oms, discovery, schedule, ...), got %s", describe(root))
		return nil
	}
	return root
}

var yamlLine = lazyRegexp(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). The parser reports the 0-based line of the construct it was in
// (a mapping, a flow list) and prints no line at all for line 0; the scanner
// reports the 1-based line of the problem itself.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"did not find expected '-' indicator": true, "did not find expected key": true,
	"did not find expected node content": true, "did not find expected <document start>": true,
	"did not find expected <stream-start>": true, "found duplicate %TAG directive": true,
	"found duplicate %YAML directive": true, "found incompatible YAML document": true,
	"found undefined tag handle": true,
}

// syntaxError reports a yaml.v3 parse error at a position. yaml.v3 gives a
// line but no column, so the column is found in the text: the offending
// tab, byte or alias if the message names one, else the first non-blank
// character of the line.
func syntaxError(data []byte, file string, err error, errs *errorList) {
	data = normalizeBreaks(data)
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine().FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if parserProblems[msg] {
		line++
		if strings.Contains(msg, "expected key") || strings.Contains(msg, "or ']'") || strings.Contains(msg, "or '}'") ||
			strings.Contains(msg, "'-' indicator") || strings.Contains(msg, "node content") {
			msg += " (in the block or flow collection that starts on this line)"
		}
	}
	// An error at the end of the stream can name the line after the last.
	line = min(line, bytes.Count(data, []byte("\n"))+1)
	pos := Position{File: file, Line: max(line, 1), Column: 1}
	switch {
	case strings.Contains(msg, "control characters") || strings.Contains(msg, "UTF-8"):
		pos.Line, pos.Column = badBytePos(data)
		msg += " (this does not look like a YAML text file)"
	case strings.HasPrefix(msg, "unknown anchor"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		if i := bytes.Index(data, []byte("*"+name)); i >= 0 {
			pos.Line, pos.Column = lineCol(data, i)
		}
	case strings.Contains(msg, "tab character") || strings.Contains(msg, "cannot start any token"):
		pos.Column = columnOf(data, pos.Line, func(b byte) bool { return b == '\t' })
		if lineHasTab(data, pos.Line) {
			msg += " (YAML indents with spaces, never tabs)"
		}
	default:
		pos.Column = columnOf(data, pos.Line, func(b byte) bool { return b != ' ' })
	}
	errs.add(pos, "", "not valid YAML: %s", msg)
}

// normalizeBreaks turns every line break yaml.v3 counts (CR LF, a lone CR,
// NEL, LS, PS) into LF, so that line numbers computed here agree with the
// parser's.
func normalizeBreaks(data []byte) []byte {
	if !bytes.ContainsAny(data, "\r\u0085\u2028\u2029") {
		return data
	}
	r := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")
	return []byte(r.Replace(string(data)))
}

// lineText returns line n (1-based) of data without its newline.
func lineText(data []byte, n int) []byte {
	lines := bytes.SplitN(data, []byte("\n"), n+1)
	if n < 1 || n > len(lines) {
		return nil
	}
	return bytes.TrimRight(lines[n-1], "\r")
}

// columnOf returns the 1-based column of the first byte of line n that
// satisfies ok, or 1.
func columnOf(data []byte, n int, ok func(byte) bool) int {
	text := lineText(data, n)
	for i := range text {
		if ok(text[i]) {
			return utf8.RuneCount(text[:i]) + 1
		}
	}
	return 1
}

func lineHasTab(data []byte, n int) bool { return bytes.IndexByte(lineText(data, n), '\t') >= 0 }

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int) (int, int) {
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// badBytePos finds the first byte YAML does not allow: a control character
// other than tab and line breaks, or invalid UTF-8.
func badBytePos(data []byte) (int, int) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return lineCol(data, i)
		}
		i += size
	}
	return 1, 1
}
