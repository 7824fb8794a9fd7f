package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad checks that loading never panics and that every failure is a
// list of located messages, whatever the bytes. Seeds: the example, the
// valid and the invalid configurations.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/config/*/*.yaml")
	seeds = append(seeds, "example.yaml", "example-rules.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("schedule: {default: 'CRON_TZ=UTC'}"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load(data, "fuzz.yaml")
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without an error")
			}
			return
		}
		var list Errors
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is %T, not a non-empty Errors: %v", err, err)
		}
		for _, e := range list {
			if e.Pos.Line < 1 || e.Pos.Column < 1 || e.Pos.File == "" {
				t.Fatalf("message without a position: %q", e.Error())
			}
			if strings.Contains(e.Pos.File, "fuzz.yaml") && e.Pos.Line > bytes.Count(normalizeBreaks(data), []byte("\n"))+1 {
				t.Fatalf("message past the end of the file: %q", e.Error())
			}
		}
	})
}
