package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
)

func TestSimBadFlags(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.jsonl")
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"bad faults", []string{"--faults", "throtle@0.2"}, `--faults: fault spec: rule 1 "throtle@0.2": unknown kind`},
		{"bad fault rate", []string{"--faults", "http500@2"}, `rate "2"`},
		{"basic auth without colon", []string{"--basic-auth", "admin"}, "--basic-auth: want USER:PASS"},
		{"basic auth empty password", []string{"--basic-auth", "admin:"}, "--basic-auth: want USER:PASS"},
		{"non-loopback listen", []string{"--listen", "0.0.0.0:8089"}, "not a loopback address; pass --allow-remote"},
		{"listen without port", []string{"--listen", "127.0.0.1"}, "want HOST:PORT"},
		{"no projects", []string{"--projects", "0"}, "--projects 0"},
		{"replay mode", []string{"--replay", "sideways"}, `--replay "sideways"`},
		{"unknown scenario", []string{"--scenario", "nap", "--listen", "127.0.0.1:0"}, `unknown template "nap"`},
		{"missing recording", []string{"--recording", missing, "--listen", "127.0.0.1:0"}, "--recording: open"},
		{"recording and scenario", []string{"--recording", missing, "--scenario", "alarm"}, "cannot be combined"},
		{"not a duration", []string{"--tick", "soon"}, "invalid argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"sim"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit 2 mentioning %q", code, errOut, tc.wantErr)
			}
		})
	}
}

func TestSimServesTheSDK(t *testing.T) {
	var out, errOut proctest.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	root := newRootCmd(&cli{stdout: &out, stderr: &errOut})
	root.SetArgs([]string{"sim", "--listen", "127.0.0.1:0", "--projects", "3", "--seed", "5", "--faults", "latency=1ms@0.5"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	addr := regexp.MustCompile(`listening on http://(127\.0\.0\.1:\d+)`)
	var endpoint string
	for deadline := time.Now().Add(10 * time.Second); endpoint == ""; time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			endpoint = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no address printed; stdout %q stderr %q", out.String(), errOut.String())
		}
	}
	id := regexp.MustCompile(`"id":"(np_[0-9a-z]+)"`).FindStringSubmatch(out.String())
	if id == nil {
		t.Fatalf("no example project id in the banner: %q", out.String())
	}
	client, err := openapi.NewClient(&openapi.Config{
		AccessKeyId: dara.String(omssim.DemoAccessKeyID), AccessKeySecret: dara.String(omssim.DemoAccessKeySecret),
		Endpoint: dara.String(endpoint), Protocol: dara.String("http"),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.CallApi(&openapi.Params{
		Action: dara.String("DescribeProject"), Version: dara.String("2019-09-01"), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"), Style: dara.String("RPC"),
		ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}, &openapi.OpenApiRequest{Body: map[string]any{"Id": id[1]}}, &dara.RuntimeOptions{})
	if err != nil {
		t.Fatalf("DescribeProject: %v", err)
	}
	body := res["body"].(map[string]any)
	if body["Success"] != true || body["Data"].(map[string]any)["Id"] != id[1] {
		t.Fatalf("answer %v", body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sim returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop after its context ended")
	}
	// The configuration the banner prints validates as printed.
	line := regexp.MustCompile(`(?m)^  (\{oms: .*\})$`).FindStringSubmatch(out.String())
	if line == nil {
		t.Fatalf("no configuration line in the banner: %q", out.String())
	}
	cfgFile := filepath.Join(t.TempDir(), "sim.yaml")
	if err := os.WriteFile(cfgFile, []byte(line[1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, vout, verr := runCLI(t, "validate", "--config", cfgFile); code != exitOK {
		t.Errorf("the printed configuration does not validate: exit %d\n%s%s", code, vout, verr)
	}
	logs := errOut.String()
	if !strings.Contains(logs, "action=DescribeProject") || !strings.Contains(logs, "simulator stopped") {
		t.Errorf("log lacks the request or the stop: %q", logs)
	}
	if strings.Contains(logs, omssim.DemoAccessKeySecret) || strings.Contains(logs, "ACS3-HMAC-SHA256") {
		t.Error("the log shows the secret or the Authorization header")
	}
}

func TestSimWriteRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alarm.jsonl")
	code, out, errOut := runCLI(t, "sim", "--scenario", "alarm", "--projects", "1", "--step", "1m", "--write-recording", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := omssim.ReadRecording(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) < 20 || !strings.Contains(out, "wrote") || obs[1].Time.Sub(obs[0].Time) != time.Minute {
		t.Fatalf("%d observations, %v apart; stdout %q", len(obs), obs[1].Time.Sub(obs[0].Time), out)
	}
	if _, err := omssim.NewReplay(obs, omssim.ReplayOptions{}); err != nil {
		t.Fatal(err)
	}
	// Writing into a directory that does not exist is an input error.
	code, _, errOut = runCLI(t, "sim", "--write-recording", filepath.Join(path, "x", "y.jsonl"))
	if code != exitUsage || !strings.Contains(errOut, "--write-recording") {
		t.Fatalf("exit %d %q, want exit 2", code, errOut)
	}
}
