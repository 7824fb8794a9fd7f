package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/omswatch/omswatch/config"
)

// deployDir is the deployment material, from this package's directory.
const deployDir = "../../deploy"

// manifest is one Kubernetes object, decoded loosely.
type manifest map[string]any

// get follows a path of map keys and list indexes ("spec.template.spec").
func (m manifest) get(path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case manifest: // yaml.v3 decodes nested mappings as the outer map type
			cur = c[k]
		case map[string]any:
			cur = c[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func (m manifest) str(path string) string { s, _ := m.get(path).(string); return s }

func (m manifest) obj(path string) manifest { return asManifest(m.get(path)) }

func asManifest(v any) manifest {
	switch o := v.(type) {
	case manifest:
		return o
	case map[string]any:
		return o
	}
	return nil
}

func (m manifest) list(path string) []manifest {
	var out []manifest
	items, _ := m.get(path).([]any)
	for _, it := range items {
		if o := asManifest(it); o != nil {
			out = append(out, o)
		}
	}
	return out
}

// readManifests decodes every document of the YAML files, keyed
// "Kind/name", checking that each is a Kubernetes object.
func readManifests(t *testing.T, files ...string) map[string]manifest {
	t.Helper()
	out := map[string]manifest{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 0; ; i++ {
			var m manifest
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i+1, err)
			}
			if m == nil {
				continue
			}
			kind, name := m.str("kind"), m.str("metadata.name")
			if m.str("apiVersion") == "" || kind == "" || name == "" {
				t.Errorf("%s document %d: want apiVersion, kind and metadata.name", f, i+1)
				continue
			}
			if kind != "Namespace" && m.str("metadata.namespace") != "omswatch" {
				t.Errorf("%s: %s/%s is not in the omswatch namespace", f, kind, name)
			}
			out[kind+"/"+name] = m
		}
	}
	return out
}

// kubernetesManifests reads deploy/kubernetes and the NATS cluster's.
func kubernetesManifests(t *testing.T) map[string]manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	if err != nil || len(files) < 7 {
		t.Fatalf("deploy/kubernetes: %v (%d files)", err, len(files))
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "kustomization.yaml" })
	return readManifests(t, append(files, filepath.Join(deployDir, "nats", "kubernetes.yaml"))...)
}

func TestDeployKubernetesManifests(t *testing.T) {
	ms := kubernetesManifests(t)
	for _, want := range []string{"Namespace/omswatch", "ServiceAccount/omswatch", "Secret/omswatch-credentials",
		"ConfigMap/omswatch-config", "Deployment/omswatch", "Service/omswatch-metrics", "PodDisruptionBudget/omswatch",
		"StatefulSet/nats", "Service/nats", "Service/nats-headless", "ConfigMap/nats-config", "PodDisruptionBudget/nats"} {
		if ms[want] == nil {
			t.Errorf("no %s", want)
		}
	}
	b, err := os.ReadFile(filepath.Join(deployDir, "kubernetes", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k manifest
	if err := yaml.Unmarshal(b, &k); err != nil || k.str("kind") != "Kustomization" {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	res, _ := k.get("resources").([]any)
	if len(res) != 7 {
		t.Errorf("kustomization lists %d resources, want the 7 files beside it", len(res))
	}
	for _, r := range res {
		if _, err := os.Stat(filepath.Join(deployDir, "kubernetes", fmt.Sprint(r))); err != nil {
			t.Errorf("kustomization lists %v: %v", r, err)
		}
	}
	d := ms["Deployment/omswatch"]
	if d == nil {
		t.FailNow()
	}
	if r, _ := d.get("spec.replicas").(int); r != 2 {
		t.Errorf("Deployment replicas %v, want 2", d.get("spec.replicas"))
	}
	pod := d.obj("spec.template")
	c := pod.obj("spec.containers.0")
	port := 0
	for _, p := range c.list("ports") {
		if p.str("name") == "metrics" {
			port, _ = p.get("containerPort").(int)
		}
	}
	checks := []struct{ what, got, want string }{
		{"liveness probe", c.str("livenessProbe.httpGet.path") + " " + fmt.Sprint(c.get("livenessProbe.httpGet.port")), "/healthz metrics"},
		{"readiness probe", c.str("readinessProbe.httpGet.path") + " " + fmt.Sprint(c.get("readinessProbe.httpGet.port")), "/readyz metrics"},
		{"metrics port", fmt.Sprint(port), "9090"},
		{"run as non-root", fmt.Sprint(pod.get("spec.securityContext.runAsNonRoot")), "true"},
		{"no privilege escalation", fmt.Sprint(c.get("securityContext.allowPrivilegeEscalation")), "false"},
		{"read-only root", fmt.Sprint(c.get("securityContext.readOnlyRootFilesystem")), "true"},
		{"capabilities dropped", fmt.Sprint(c.get("securityContext.capabilities.drop")), "[ALL]"},
		{"memory limit", fmt.Sprint(c.get("resources.limits.memory") != nil && c.get("resources.requests.cpu") != nil), "true"},
		{"service port", fmt.Sprint(ms["Service/omswatch-metrics"].get("spec.ports.0.targetPort")), "metrics"},
		{"pdb", fmt.Sprint(ms["PodDisruptionBudget/omswatch"].get("spec.minAvailable")), "1"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	annotations := pod.obj("metadata.annotations")
	if annotations["prometheus.io/scrape"] != "true" || annotations["prometheus.io/port"] != fmt.Sprint(port) {
		t.Errorf("pod annotations %v: want prometheus.io/scrape true on port %d", annotations, port)
	}
}

// deploySecretFiles writes the Secret's keys that the Deployment mounts
// into dir, and returns the Secret's values by key.
func deploySecretFiles(t *testing.T, ms map[string]manifest, dir string) map[string]string {
	t.Helper()
	values := map[string]string{}
	for k, v := range ms["Secret/omswatch-credentials"].obj("stringData") {
		values[k] = fmt.Sprint(v)
	}
	for _, vol := range ms["Deployment/omswatch"].list("spec.template.spec.volumes") {
		if vol.str("secret.secretName") != "omswatch-credentials" {
			continue
		}
		for _, item := range vol.list("secret.items") {
			v, ok := values[item.str("key")]
			if !ok {
				t.Errorf("the Deployment mounts Secret key %q, which the Secret does not have", item.str("key"))
			}
			if err := os.WriteFile(filepath.Join(dir, item.str("path")), []byte(v+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return values
}

// envRef is a ${VAR} or ${VAR:-default} in a configuration.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// setDeployEnv gives the configuration exactly the environment the
// container gets: every variable it references is cleared first, so one
// the Deployment forgets fails the load.
func setDeployEnv(t *testing.T, text string, env map[string]string) {
	t.Helper()
	for _, m := range envRef.FindAllStringSubmatch(text, -1) {
		t.Setenv(m[1], "")
		if err := os.Unsetenv(m[1]); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestDeployConfigLoads(t *testing.T) {
	ms := kubernetesManifests(t)
	dir := t.TempDir()
	cfgDir, secDir := filepath.Join(dir, "config"), filepath.Join(dir, "secrets")
	for _, d := range []string{cfgDir, secDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	secrets := deploySecretFiles(t, ms, secDir)
	var text strings.Builder
	for name, content := range ms["ConfigMap/omswatch-config"].obj("data") {
		text.WriteString(fmt.Sprint(content))
		if err := os.WriteFile(filepath.Join(cfgDir, name), []byte(fmt.Sprint(content)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{}
	for _, e := range ms["Deployment/omswatch"].list("spec.template.spec.containers.0.env") {
		switch {
		case e.get("value") != nil:
			env[e.str("name")] = e.str("value")
		case e.str("valueFrom.fieldRef.fieldPath") == "metadata.name":
			env[e.str("name")] = "omswatch-6d5f7c9b8-x2x7q"
		case e.str("valueFrom.secretKeyRef.name") == "omswatch-credentials":
			v, ok := secrets[e.str("valueFrom.secretKeyRef.key")]
			if !ok {
				t.Errorf("env %s names Secret key %q, which the Secret does not have", e.str("name"), e.str("valueFrom.secretKeyRef.key"))
			}
			env[e.str("name")] = v
		}
	}
	setDeployEnv(t, text.String(), env)
	cfg, err := config.LoadFile(filepath.Join(cfgDir, "config.yaml"))
	if err != nil {
		t.Fatalf("the ConfigMap's configuration does not load:\n%v", err)
	}
	if !cfg.HA.Enabled || cfg.HA.ReplicaID != env["POD_NAME"] || cfg.Store.Replicas != 3 {
		t.Errorf("ha %+v, store.replicas %d: want leases per pod on a replicated store", cfg.HA, cfg.Store.Replicas)
	}
	if cfg.HTTP.Listen != ":9090" {
		t.Errorf("http.listen %q: the probes and Prometheus expect :9090 on every interface", cfg.HTTP.Listen)
	}
	if svc := ms["Service/nats"]; svc == nil || !strings.Contains(cfg.NATS.URL, "//"+svc.str("metadata.name")+"."+svc.str("metadata.namespace")+".svc:4222") {
		t.Errorf("nats.url %q does not name the NATS Service of deploy/nats/kubernetes.yaml", cfg.NATS.URL)
	}
	if len(cfg.Rules.Routes) == 0 || len(cfg.Rules.Conditions) == 0 {
		t.Errorf("the ConfigMap's rules.yaml was not included: %d routes, %d conditions", len(cfg.Rules.Routes), len(cfg.Rules.Conditions))
	}
}

func TestDeployComposeAndItsConfigLoad(t *testing.T) {
	dir := filepath.Join(deployDir, "nats")
	b, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose manifest
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	services := compose.obj("services")
	for _, name := range []string{"nats-1", "nats-2", "nats-3", "omswatch-1", "omswatch-2"} {
		svc := services.obj(name)
		if svc == nil {
			t.Errorf("compose.yaml has no service %s", name)
			continue
		}
		vols, _ := svc.get("volumes").([]any)
		for _, v := range vols {
			src, _, _ := strings.Cut(fmt.Sprint(v), ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			}
		}
	}
	build := services.obj("omswatch-1").obj("build")
	if _, err := os.Stat(filepath.Join(dir, build.str("context"), build.str("dockerfile"))); err != nil {
		t.Errorf("omswatch-1 builds from %s/%s: %v", build.str("context"), build.str("dockerfile"), err)
	}
	text, err := os.ReadFile(filepath.Join(dir, "omswatch-ha.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	setDeployEnv(t, string(text), map[string]string{"OMSWATCH_NATS_PASSWORD": "pw", "REPLICA_ID": "omswatch-1"})
	cfg, err := config.LoadFile(filepath.Join(dir, "omswatch-ha.yaml"))
	if err != nil {
		t.Fatalf("omswatch-ha.yaml:\n%v", err)
	}
	for _, host := range []string{"nats-1", "nats-2", "nats-3"} {
		if !strings.Contains(cfg.NATS.URL, "//"+host+":4222") {
			t.Errorf("nats.url %q does not name %s", cfg.NATS.URL, host)
		}
	}
	if !cfg.HA.Enabled || !slices.Contains(cfg.Rules.DefaultTo, "events") {
		t.Errorf("the compose replicas should share leases and publish events: %+v %v", cfg.HA, cfg.Rules.DefaultTo)
	}
}
