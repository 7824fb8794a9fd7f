package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/oms"
)

// Tests that keep README.md and docs/ true: the quickstart is what CI runs,
// the README stays short with a table of contents, every link resolves,
// every cookbook recipe loads and routes as it says, the event catalog
// names every event type the code emits.

// fence is one fenced code block of a Markdown file.
type fence struct {
	lang  string // the info string: yaml, sh, json...
	first string // its first line
	body  string
	line  int // of the opening fence
}

func readFences(t *testing.T, file string) []fence {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []fence
	var cur *fence
	var body []string
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fence{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: i + 1}
			body = nil
		case cur != nil && strings.TrimSpace(line) == "```":
			cur.body = strings.Join(body, "\n") + "\n"
			if len(body) > 0 {
				cur.first = body[0]
			}
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body = append(body, line)
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: a code block is not closed", file, cur.line)
	}
	return out
}

// TestReadmeQuickstart: the first two commands of README.md are the demo
// and exactly the test command .ci/run runs first (the browser tests
// follow it there).
func TestReadmeQuickstart(t *testing.T) {
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	var ciCmd string
	for _, line := range strings.Split(string(ci), "\n") {
		if strings.HasPrefix(line, "go test ") {
			ciCmd = line
			break
		}
	}
	if ciCmd == "" {
		t.Fatal(".ci/run has no go test line")
	}
	var sh []fence
	for _, f := range readFences(t, "../../README.md") {
		if f.lang == "sh" {
			sh = append(sh, f)
		}
	}
	want := []string{"go run ./cmd/omswatch run\n", ciCmd + "\n"}
	if len(sh) < 2 {
		t.Fatalf("README.md has %d sh blocks; want the quickstart's two first", len(sh))
	}
	for i, w := range want {
		if sh[i].body != w {
			t.Errorf("README.md:%d: quickstart command %d is %q; want %q", sh[i].line, i+1, sh[i].body, w)
		}
	}
}

// TestReadmeListsEveryCommand: the command table has a row for every
// subcommand the binary has.
func TestReadmeListsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	root := newRootCmd(&cli{})
	n := 0
	for _, cmd := range root.Commands() {
		if cmd.Hidden || cmd.Name() == "help" || cmd.Name() == "completion" {
			continue
		}
		n++
		if !strings.Contains(string(b), "| `omswatch "+cmd.Name()) {
			t.Errorf("README.md's command table has no row for omswatch %s", cmd.Name())
		}
	}
	if n < 9 {
		t.Fatalf("found %d commands; the root command is not what this test expects", n)
	}
}

// TestDocsLinksResolve: relative links in README.md and docs/ name files
// that exist, and #anchors headings that exist.
func TestDocsLinksResolve(t *testing.T) {
	files := []string{"../../README.md", "../../deploy/README.md"}
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(docs) < 3 {
		t.Fatalf("docs/*.md: %v (%d files)", err, len(docs))
	}
	files = append(files, docs...)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(stripFences(string(b)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), path)
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s links to %s, which does not exist", f, target)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(dest, ".md") && !slices.Contains(anchors(t, dest), anchor) {
				t.Errorf("%s links to %s, but %s has no heading with that anchor", f, target, dest)
			}
		}
	}
}

// stripFences removes code blocks, whose text is not Markdown.
func stripFences(s string) string {
	var out []string
	in := false
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "```") {
			in = !in
			continue
		}
		if !in {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// anchors lists the GitHub anchors of a Markdown file's headings.
func anchors(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	drop := regexp.MustCompile("[^a-z0-9 _-]")
	var out []string
	for _, line := range strings.Split(stripFences(string(b)), "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		out = append(out, strings.ReplaceAll(drop.ReplaceAllString(h, ""), " ", "-"))
	}
	return out
}

// TestReadmeRAMPolicy: the RAM policy README.md gives is a valid policy
// document granting exactly what the poller calls.
func TestReadmeRAMPolicy(t *testing.T) {
	var policies []fence
	for _, f := range readFences(t, "../../README.md") {
		if f.lang == "json" && strings.Contains(f.body, `"Statement"`) {
			policies = append(policies, f)
		}
	}
	if len(policies) != 1 {
		t.Fatalf("README.md has %d RAM policy blocks; want 1", len(policies))
	}
	var p struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource any
		}
	}
	dec := json.NewDecoder(strings.NewReader(policies[0].body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("README.md:%d: the RAM policy is not a policy document: %v", policies[0].line, err)
	}
	if p.Version != "1" || len(p.Statement) != 1 || p.Statement[0].Effect != "Allow" {
		t.Fatalf("README.md:%d: want Version \"1\" and one Allow statement: %+v", policies[0].line, p)
	}
	got := slices.Sorted(slices.Values(p.Statement[0].Action))
	if want := []string{"oceanbase:DescribeProject", "oceanbase:ListProjects"}; !reflect.DeepEqual(got, want) {
		t.Errorf("the RAM policy allows %v; the poller calls %v", got, want)
	}
}

// TestDocsTroubleshootingCodes: the error codes docs/TROUBLESHOOTING.md explains
// are the codes OMS answers with (as the oms package spells them), each in
// a row of its table, and the README's Troubleshooting section points there.
func TestDocsTroubleshootingCodes(t *testing.T) {
	b, err := os.ReadFile("../../docs/TROUBLESHOOTING.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(stripFences(string(b)), "\n") {
		if strings.HasPrefix(line, "| ") {
			rows = append(rows, line)
		}
	}
	table := strings.Join(rows, "\n")
	for _, code := range []string{oms.CodeSignatureDoesNotMatch, oms.CodeInvalidAccessKeyID, oms.CodeThrottlingUser,
		oms.CodeIllegalTimestamp, oms.CodeForbiddenRAM, oms.CodeProjectNotFound, "invalid_auth", "channel_not_found", "not_in_channel"} {
		if !strings.Contains(table, "`"+code+"`") {
			t.Errorf("docs/TROUBLESHOOTING.md's table does not explain `%s`", code)
		}
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, trouble, ok := strings.Cut(string(readme), "\n## Troubleshooting\n")
	trouble, _, _ = strings.Cut(trouble, "\n## ")
	if !ok {
		t.Fatal("README.md has no Troubleshooting section")
	}
	if !strings.Contains(trouble, "](docs/TROUBLESHOOTING.md)") {
		t.Error("README.md's Troubleshooting section does not link to docs/TROUBLESHOOTING.md")
	}
}

// readmeMaxBytes bounds README.md: it is for users (what omswatch is, how to
// start, install and point it at OMS, the commands); design, figures and
// development notes live in docs/.
const readmeMaxBytes = 20_000

// TestReadmeSizeAndContents: README.md stays under readmeMaxBytes and opens
// with a table of contents that links every one of its sections.
func TestReadmeSizeAndContents(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > readmeMaxBytes {
		t.Errorf("README.md is %d bytes; keep it under %d and move details to docs/", len(b), readmeMaxBytes)
	}
	var h2 []string
	for _, line := range strings.Split(stripFences(string(b)), "\n") {
		if strings.HasPrefix(line, "## ") {
			h2 = append(h2, strings.TrimPrefix(line, "## "))
		}
	}
	if len(h2) < 2 || h2[0] != "Contents" {
		t.Fatalf("README.md's first section is %q; want the table of contents (## Contents)", h2)
	}
	_, toc, _ := strings.Cut(string(b), "\n## Contents\n")
	toc, _, _ = strings.Cut(toc, "\n## ")
	drop := regexp.MustCompile("[^a-z0-9 _-]")
	for _, h := range h2[1:] {
		anchor := strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(h), ""), " ", "-")
		if !strings.Contains(toc, "](#"+anchor+")") {
			t.Errorf("README.md's table of contents has no link to section %q (#%s)", h, anchor)
		}
	}
}

// TestReadmeConfigSnippetsLoad: the configuration snippets README.md gives
// (the sections starting with oms:) load with the real loader, the files
// they name standing in as empty files.
func TestReadmeConfigSnippetsLoad(t *testing.T) {
	abs := regexp.MustCompile(`(/(?:run|etc)/[A-Za-z0-9_./-]+)`)
	n := 0
	for _, f := range readFences(t, "../../README.md") {
		if f.lang != "yaml" || !strings.HasPrefix(f.first, "oms:") {
			continue
		}
		n++
		dir := t.TempDir()
		doc := abs.ReplaceAllStringFunc(f.body, func(p string) string {
			local := filepath.Join(dir, filepath.Base(p))
			if err := os.WriteFile(local, []byte("stand-in\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return local
		})
		if _, err := config.Load([]byte(doc), "README.md"); err != nil {
			t.Errorf("README.md:%d: the snippet does not load:\n%v", f.line, err)
		}
	}
	if n < 2 {
		t.Fatalf("found %d oms snippets in README.md; want the cloud and the on-premise one", n)
	}
}
