package config

import "strings"

// includeSep separates an included file's name from a path in its index
// keys.
const includeSep = "\x00"

// index remembers where each value and key of the loaded files was written,
// keyed by YAML path. Semantic checks, which run on the typed values after
// decoding, use it to put file:line:column on their messages too. Paths of
// the main file are plain ("oms.mode"); paths of an included rule file are
// prefixed with that file's name and includeSep, which no file name holds.
type index struct {
	values  map[string]Position // non-null values
	keys    map[string]Position // the keys of mapping entries
	parents map[string]string
	failed  map[string]bool // paths the decoder already reported
	// files are the files the configuration read or refers to, in the
	// order met: a reload watches them.
	files []string
}

func newIndex() *index {
	return &index{values: map[string]Position{}, keys: map[string]Position{}, parents: map[string]string{}, failed: map[string]bool{}}
}

func (x *index) setValue(path string, p Position) { x.values[path] = p }
func (x *index) setKey(path string, p Position)   { x.keys[path] = p }
func (x *index) setParent(path, parent string)    { x.parents[path] = parent }

// addFile records a file the configuration reads (once).
func (x *index) addFile(name string) {
	for _, f := range x.files {
		if f == name {
			return
		}
	}
	x.files = append(x.files, name)
}

// has reports whether the file sets path to a non-null value.
func (x *index) has(path string) bool {
	_, ok := x.values[path]
	return ok
}

// valuePos is where the value at path was written. When the value comes
// from a default, it is the key of the nearest written ancestor: an error
// about a missing key is reported at the section that lacks it.
func (x *index) valuePos(path string) Position {
	if p, ok := x.values[path]; ok {
		return p
	}
	for {
		if p, ok := x.keys[path]; ok {
			return p
		}
		if p, ok := x.values[path]; ok {
			return p // a list item or the document root: no key
		}
		parent, ok := x.parents[path]
		if !ok {
			parent, ok = parentPath(path)
		}
		if !ok {
			return Position{}
		}
		path = parent
	}
}

// keyPos is where the key of path was written, falling back to valuePos for
// list items and the document root, which have no key.
func (x *index) keyPos(path string) Position {
	if p, ok := x.keys[path]; ok {
		return p
	}
	return x.valuePos(path)
}

// parentPath strips the last step of a path that was never decoded (a
// default). It may strip too little for a quoted key with a dot in it; the
// lookup then simply climbs one more step.
func parentPath(path string) (string, bool) {
	file, rest, hasFile := strings.Cut(path, includeSep)
	if !hasFile {
		file, rest = "", path
	} else {
		file += includeSep
	}
	if rest == "" {
		return "", false
	}
	i := strings.LastIndexAny(rest, ".[")
	if i < 0 {
		return file, true
	}
	return file + rest[:i], true
}

// displayPath drops the include-file prefix: the position already names the
// file, and the path reads as the user wrote it in that file.
func displayPath(path string) string {
	if _, rest, ok := strings.Cut(path, includeSep); ok {
		return rest
	}
	return path
}
