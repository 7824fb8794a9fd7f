package config

import (
	"fmt"
	"path/filepath"
	"reflect"
)

// ruleFile is the shape of a file named in rules.include: routes,
// conditions and inhibitions, checked with the same strictness as the main file, with
// positions naming that file. Included files cannot include others.
type ruleFile struct {
	Routes     []Route     `yaml:"routes"`
	Conditions []Condition `yaml:"conditions"`
	Inhibit    []Inhibit   `yaml:"inhibit"`
}

// includeRules loads each included rule file and appends its routes,
// conditions and inhibitions after the main file's, in include order.
func (l *loader) includeRules(cfg *Config) {
	seen := map[string]string{}
	if abs, err := filepath.Abs(cfg.File); err == nil {
		seen[abs] = "the configuration file itself"
	}
	for i, inc := range cfg.Rules.Include {
		path := fmt.Sprintf("rules.include[%d]", i)
		name := string(inc)
		if name == "" {
			continue // unset through ${VAR:-}, or unreadable (already reported)
		}
		if abs, err := filepath.Abs(name); err == nil {
			if what, dup := seen[abs]; dup {
				l.errs.add(l.idx.valuePos(path), path, "%q is %s; include each rule file once", name, what)
				continue
			}
			seen[abs] = fmt.Sprintf("already included as %s", path)
		}
		data, err := readFile(name, maxConfigFile)
		if err != nil {
			l.errs.add(l.idx.valuePos(path), path, "cannot read %q: %v", name, err)
			continue
		}
		l.errs.files = append(l.errs.files, name)
		root := parseYAML(data, name, l.errs)
		if root == nil {
			continue
		}
		d := l.decoder(name, name+includeSep, filepath.Dir(name))
		d.idx.setValue(d.prefix, d.pos(root))
		var rf ruleFile
		d.decode(root, reflect.ValueOf(&rf).Elem(), "")
		if d.steps > maxSteps {
			continue // reported; checking a runaway file only costs time
		}
		part := Rules{Routes: rf.Routes, Conditions: rf.Conditions, Inhibit: rf.Inhibit}
		part.locate(d, "")
		cfg.Rules.Routes = append(cfg.Rules.Routes, part.Routes...)
		cfg.Rules.Conditions = append(cfg.Rules.Conditions, part.Conditions...)
		cfg.Rules.Inhibit = append(cfg.Rules.Inhibit, part.Inhibit...)
	}
}
