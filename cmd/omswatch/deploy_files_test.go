package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// natsOptions parses a NATS server configuration with nats-server's own
// parser, passwords set in the environment as the servers get them.
func natsOptions(t *testing.T, file string, env map[string]string) *server.Options {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	o, err := server.ProcessConfigFile(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return o
}

func TestDeployNATSClusterConfs(t *testing.T) {
	env := map[string]string{"OMSWATCH_NATS_PASSWORD": "pw1", "NATS_SYS_PASSWORD": "pw2"}
	names := map[string]bool{}
	for i := 1; i <= 3; i++ {
		file := filepath.Join(deployDir, "nats", fmt.Sprintf("nats-%d.conf", i))
		o := natsOptions(t, file, env)
		names[o.ServerName] = true
		var routes []string
		for _, r := range o.Routes {
			routes = append(routes, r.Hostname())
		}
		slices.Sort(routes)
		var want []string
		for j := 1; j <= 3; j++ {
			if j != i {
				want = append(want, fmt.Sprintf("nats-%d", j))
			}
		}
		switch {
		case !o.JetStream || o.StoreDir != "/data/jetstream":
			t.Errorf("%s: JetStream %v under %q; want it on, under /data/jetstream", file, o.JetStream, o.StoreDir)
		case o.Cluster.Name != "omswatch" || o.Cluster.Port != 6222:
			t.Errorf("%s: cluster %q on %d; want omswatch on 6222", file, o.Cluster.Name, o.Cluster.Port)
		case !slices.Equal(routes, want):
			t.Errorf("%s: routes to %v; want the other two, %v", file, routes, want)
		case o.MaxPayload < 8<<20-1<<20:
			t.Errorf("%s: max_payload %d; omswatch's snapshots want about 8MB", file, o.MaxPayload)
		}
		if o.SystemAccount != "SYS" || len(o.Accounts) < 2 {
			t.Errorf("%s: system account %q, %d accounts; want OMSWATCH and SYS", file, o.SystemAccount, len(o.Accounts))
		}
	}
	if len(names) != 3 {
		t.Errorf("server names %v: want three distinct", names)
	}

	// The Kubernetes StatefulSet's conf: the pod name is the server name.
	ms := kubernetesManifests(t)
	conf := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprint(ms["ConfigMap/nats-config"].obj("data")["nats.conf"])), 0o600); err != nil {
		t.Fatal(err)
	}
	env["POD_NAME"] = "nats-1"
	o := natsOptions(t, conf, env)
	if o.ServerName != "nats-1" || !o.JetStream || len(o.Routes) != 3 {
		t.Errorf("StatefulSet conf: server %q, JetStream %v, %d routes; want nats-1, on, 3", o.ServerName, o.JetStream, len(o.Routes))
	}
	if r, _ := ms["StatefulSet/nats"].get("spec.replicas").(int); r != 3 {
		t.Errorf("NATS StatefulSet replicas %v, want 3", ms["StatefulSet/nats"].get("spec.replicas"))
	}
}

// unitFile reads a systemd unit: section -> key -> values (keys repeat).
func unitFile(t *testing.T, file string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", file, n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeploySystemdUnit(t *testing.T) {
	u := unitFile(t, filepath.Join(deployDir, "systemd", "omswatch.service"))
	want := []struct{ section, key, value string }{
		{"Unit", "After", "network-online.target"},
		{"Service", "ExecStart", "/usr/local/bin/omswatch run --config /etc/omswatch/config.yaml"},
		{"Service", "ExecReload", "/bin/kill -HUP $MAINPID"},
		{"Service", "EnvironmentFile", "/etc/omswatch/omswatch.env"},
		{"Service", "KillSignal", "SIGTERM"},
		{"Service", "DynamicUser", "yes"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "yes"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "CapabilityBoundingSet", ""},
		{"Service", "StateDirectory", "omswatch"},
		{"Service", "WorkingDirectory", "/var/lib/omswatch"},
		{"Service", "MemoryDenyWriteExecute", "yes"},
		{"Install", "WantedBy", "multi-user.target"},
	}
	for _, w := range want {
		if got := u[w.section][w.key]; !slices.Contains(got, w.value) {
			t.Errorf("[%s] %s=%v; want %q", w.section, w.key, got, w.value)
		}
	}
	if _, err := os.Stat(filepath.Join(deployDir, "systemd", "omswatch.env.example")); err != nil {
		t.Errorf("the EnvironmentFile's example: %v", err)
	}
}

// metricContract reads the metric table of deploy/README.md: name -> type.
func metricContract(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(omswatch_[a-z_]+)` \\| (counter|gauge|histogram) \\|")
	out := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	if len(out) != 15 {
		t.Fatalf("deploy/README.md's metric contract has %d metrics, want 15: %v", len(out), out)
	}
	return out
}

// dashboardExprs collects every PromQL expression of a Grafana dashboard:
// panel targets (rows' panels too) and template variable queries.
func dashboardExprs(v any, into *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && (k == "expr" || k == "definition") {
				*into = append(*into, s)
				continue
			}
			dashboardExprs(val, into)
		}
	case []any:
		for _, val := range x {
			dashboardExprs(val, into)
		}
	}
}

// promQLWords are the PromQL functions, operators and keywords the
// dashboard may use; any other word outside labels and ranges is taken
// for a metric name.
var promQLWords = map[string]bool{
	"sum": true, "max": true, "min": true, "avg": true, "count": true, "topk": true, "rate": true, "irate": true,
	"increase": true, "histogram_quantile": true, "by": true, "without": true, "and": true, "or": true,
	"unless": true, "label_values": true, "clamp_min": true, "delta": true, "deriv": true, "abs": true,
}

var (
	promStrings  = regexp.MustCompile(`"[^"]*"`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]|\b(by|without)\s*\([^)]*\)`)
	promWord     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	labelValues  = regexp.MustCompile(`label_values\(([^,()]+),[^)]*\)`) // Grafana's: the second argument is a label
)

// promMetrics lists the metric names an expression reads.
func promMetrics(expr string) []string {
	e := labelValues.ReplaceAllString(expr, "label_values($1)")
	e = promMatchers.ReplaceAllString(promStrings.ReplaceAllString(e, `""`), " ")
	var out []string
	for _, w := range promWord.FindAllString(e, -1) {
		if !promQLWords[w] && !strings.HasPrefix(w, "$") {
			out = append(out, w)
		}
	}
	return out
}

func TestDeployDashboardUsesTheMetricContract(t *testing.T) {
	contract := metricContract(t)
	b, err := os.ReadFile(filepath.Join(deployDir, "grafana", "omswatch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("omswatch.json: %v", err)
	}
	if dash["title"] == nil || dash["uid"] == nil || dash["panels"] == nil {
		t.Fatal("omswatch.json: want a title, uid and panels")
	}
	var exprs []string
	dashboardExprs(dash, &exprs)
	used := map[string]bool{}
	for _, e := range exprs {
		metrics := promMetrics(e)
		if len(metrics) == 0 {
			t.Errorf("expression reads no metric: %s", e)
		}
		for _, m := range metrics {
			name := m
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(m, suffix); ok && contract[base] == "histogram" {
					name = base
				}
			}
			typ, ok := contract[name]
			switch {
			case !ok:
				t.Errorf("%s is not in the metric contract (deploy/README.md): %s", m, e)
			case typ == "histogram" && name == m:
				t.Errorf("histogram %s is read without _bucket, _sum or _count: %s", m, e)
			case typ == "counter" && !regexp.MustCompile(`(rate|increase)\(`+m).MatchString(e):
				t.Errorf("counter %s is read without rate or increase: %s", m, e)
			}
			used[name] = true
		}
	}
	for name := range contract {
		if !used[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}

func TestDeployDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ") // join continued lines
	var from, user []string
	copies, build := 0, ""
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			from = append(from, strings.Join(f[1:], " "))
		case "USER":
			user = append(user, f[1])
		case "COPY":
			copies++
		case "RUN":
			if strings.Contains(line, "go build") {
				build = line
			}
		}
	}
	_ = version // the -X main.version flag sets this variable
	checks := []struct {
		what string
		ok   bool
	}{
		{"two stages, the first named build", len(from) >= 2 && strings.HasSuffix(from[0], "AS build")},
		{"a distroless or scratch final stage", len(from) > 0 && (strings.Contains(from[len(from)-1], "distroless/static") || from[len(from)-1] == "scratch")},
		{"a non-root USER last", len(user) > 0 && !slices.Contains([]string{"root", "0", "0:0"}, user[len(user)-1])},
		{"COPY of the sources and of the binary", copies >= 3 && strings.Contains(text, "COPY --from=build")},
		{"a static build", strings.Contains(build, "CGO_ENABLED=0")},
		{"the version linked in", strings.Contains(build, "-X main.version=${VERSION}")},
		{"the command built", strings.Contains(build, "./cmd/omswatch")},
		{"an ENTRYPOINT", strings.Contains(text, "\nENTRYPOINT [\"/usr/local/bin/omswatch\"]")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("Dockerfile: want %s", c.what)
		}
	}
}

func TestPromMetricsFindsTheMetricNames(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`sum by (result) (rate(omswatch_polls_total{instance=~"$instance"}[$__rate_interval]))`, []string{"omswatch_polls_total"}},
		{`histogram_quantile(0.95, sum by (target, le) (rate(omswatch_delivery_latency_seconds_bucket[5m])))`, []string{"omswatch_delivery_latency_seconds_bucket"}},
		{`label_values(omswatch_build_info, instance)`, []string{"omswatch_build_info"}},
		{`up{job="x"} or go_goroutines`, []string{"up", "go_goroutines"}},
	}
	for _, tc := range cases {
		if got := promMetrics(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("promMetrics(%s) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}
