package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Dockerfile's build step, run here: its go build command gives a
// static binary (no ELF interpreter: it runs on distroless/static) with
// the version linked in. Where a Docker engine answers, the image itself
// is built; this machine has none, which the test log says.
func TestDeployDockerfileBuilds(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	m := regexp.MustCompile(`CGO_ENABLED=0 GOOS=linux go build (.*) -o /out/omswatch (\./cmd/omswatch)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no go build step in the Dockerfile")
	}
	flags := strings.ReplaceAll(m[1], "${VERSION}", "v9.8.7-test")
	flags = strings.ReplaceAll(flags, `"`, "")
	// -ldflags "-s -w -X ..." is one argument: split on the flag names.
	args := []string{"build"}
	ld := regexp.MustCompile(`-ldflags (.*?)$`).FindStringSubmatch(flags)
	if ld == nil {
		t.Fatalf("no -ldflags in %q", flags)
	}
	args = append(args, strings.Fields(strings.TrimSuffix(flags, ld[0]))...)
	out := filepath.Join(t.TempDir(), "omswatch")
	args = append(args, "-ldflags", strings.TrimSpace(ld[1]), "-o", out, m[2])
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(deployDir, "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary needs a dynamic loader: it would not start on distroless/static")
		}
	}
	v, err := exec.Command(out, "version").Output()
	if err != nil || !strings.Contains(string(v), "v9.8.7-test") {
		t.Errorf("version: %q %v; want the linked-in version", v, err)
	}

	if _, err := exec.LookPath("docker"); err != nil || exec.Command("docker", "info").Run() != nil {
		t.Log("no Docker engine here: the image build step was not run (the Dockerfile's go build was)")
		return
	}
	build := exec.Command("docker", "build", "-f", filepath.Join(deployDir, "Dockerfile"), "-t", "omswatch:test", filepath.Join(deployDir, ".."))
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, msg)
	}
}
