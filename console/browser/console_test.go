//go:build browser

package browser

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
)

// The simulated fleet: a tick slow enough that no project ends its
// lifecycle (and leaves the fleet) while the test runs.
const (
	simProjects = 6
	simTick     = 5 * time.Second
)

// console runs omswatch on the simulator with a console user alice, and
// returns its address and the NATS the audit trail is in.
type console struct {
	addr string
	nats string
}

func startConsole(t *testing.T) console {
	t.Helper()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 3, Projects: simProjects, Step: simTick, Epoch: time.Now().UTC().Add(-90 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	_, sim := proctest.StartSim(t, omssim.Options{Scenario: hostileNames{g}, Seed: 3, Tick: simTick,
		AccessKeys: []omssim.AccessKey{{ID: "browser", Secret: "browser-secret"}}})
	ns, _ := proctest.StartNATS(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("alice-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omswatch.yaml")
	proctest.WriteFile(t, cfg, `oms:
  mode: cloud
  region: cn-hangzhou
  endpoint: %s
  credentials: static
  access_key_id: browser
  access_key_secret: browser-secret
discovery:
  list:
    enabled: true
schedule:
  default: "@every 1s"
  jitter: 0s
rules:
  group_wait: 1s
  conditions:
    - name: browser_running
      expr: 'project.Status == "RUNNING"'
store:
  dir: %s
nats:
  url: %s
log:
  format: json
incidents:
  enabled: true
http:
  listen: 127.0.0.1:0
  console:
    users:
      alice: %q
`, sim.URL, filepath.Join(dir, "data"), ns.ClientURL(), string(hash))
	p := proctest.Start(t, "omswatch", dir, exe, nil, "run", "--config", cfg)
	return console{addr: "http://" + p.HTTPAddr(60*time.Second), nats: ns.ClientURL()}
}

// browser starts headless Chromium; tabs share it.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab opens another tab of the browser, optionally logged in as alice.
func tab(t *testing.T, parent context.Context, login bool) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	if login {
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:alice-password"))
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
			t.Fatal(err)
		}
	}
	return ctx
}

// bounded gives a step a bound, so a page that never shows what the test
// waits for fails the test rather than hang it.
func bounded(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// within runs actions with a bound.
func within(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(bounded(t, ctx), actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one action that returns a value, with a bound.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(bounded(t, ctx), a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot saves the page into docs/ for the README.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	root, err := proctest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "docs", name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitJS polls a JavaScript condition until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, tg)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
}

// reloadUntil loads url again until the JavaScript condition holds.
func reloadUntil(url, expr string) chromedp.Action[chromedp.Void] {
	return reloadUntilBy(url, expr, time.Time{})
}

// reloadUntilBy is reloadUntil that gives up after deadline (zero: never),
// between two loads: a context that ends in the middle of a navigation
// can leave the tab detached ("Not attached to an active page") for the
// actions that follow.
func reloadUntilBy(url, expr string, deadline time.Time) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			if !deadline.IsZero() && time.Now().After(deadline) {
				return fmt.Errorf("loading %s until %s: not by %s", url, expr, deadline.Format(time.TimeOnly))
			}
			if _, err := chromedp.Navigate(url)(ctx, tg); err != nil {
				return err
			}
			ok, err := chromedp.Evaluate[bool](expr)(ctx, tg)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("loading %s until %s: %w", url, expr, ctx.Err())
			case <-time.After(500 * time.Millisecond):
			}
		}
	})
}

func TestConsoleInABrowser(t *testing.T) {
	c := startConsole(t)
	b := browser(t)
	anon := tab(t, b, false)

	// The fleet page shows every project of the simulator.
	within(t, anon, "the fleet lists the simulator's projects",
		reloadUntil(c.addr+"/", `document.querySelectorAll("#fleet tbody tr[data-project]").length == `+strconv.Itoa(simProjects)))

	// OMS text is shown, not run.
	ran := value(t, anon, "the hostile name did not run", chromedp.Evaluate[bool](`window.__omswatchXSS !== undefined`))
	shown := value(t, anon, "the names shown", chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll("#fleet td.name a")).map(a => a.textContent).join("\n")`))
	if ran || !strings.Contains(shown, xssName) {
		t.Fatalf("the project name ran (%v) or is not shown as text: %q", ran, shown)
	}
	screenshot(t, anon, "console-fleet.png")

	// A filter narrows the fleet: the free text of one project's id (one
	// in incremental sync, with a delay to chart, if there is one).
	id := strings.TrimSpace(value(t, anon, "a project's id", chromedp.Evaluate[string](`(() => {
		const rows = Array.from(document.querySelectorAll("#fleet tbody tr[data-project]"));
		const lag = rows.find(r => r.querySelector("td.num").textContent.trim() != "–");
		return (lag || rows[1]).getAttribute("data-project");
	})()`)))
	within(t, anon, "filter by text", chromedp.SendKeys(chromedp.CSS(`input[name=q]`), id),
		chromedp.Submit(chromedp.CSS(`input[name=q]`)),
		waitJS(`location.search.includes("q=") && document.querySelectorAll("#fleet tbody tr[data-project]").length == 1`))

	// The project page shows its chart, and follows new events live.
	within(t, anon, "open the project", chromedp.Click(chromedp.CSS(`#fleet td.name a`)),
		waitJS(`document.querySelector("svg#chart") != null && document.getElementById("timeline") != null`),
		waitJS(`document.getElementById("live-state").textContent == "live: on"`))

	// An unauthenticated write is refused.
	within(t, anon, "anonymous silence", chromedp.Navigate(c.addr+"/silences?project="+id),
		chromedp.Click(chromedp.CSS(`form.silence button`)),
		waitJS(`document.querySelector("p.problem") != null`))
	if refused := value(t, anon, "the refusal", chromedp.Text(chromedp.CSS(`p.problem`))); !strings.Contains(refused, "logged-in user") {
		t.Fatalf("an anonymous write was not refused: %q", refused)
	}

	// The project page (anonymous tab) follows live; the logged-in user
	// silences the project, and the action appears there without a reload,
	// then on the timeline the audit trail gives, and in the trail with
	// the user.
	user := tab(t, b, true)
	within(t, anon, "back to the project", chromedp.Navigate(c.addr+"/projects/"+id),
		waitJS(`document.getElementById("live-state").textContent == "live: on"`),
		waitJS(`(window.__notReloaded = true)`))
	within(t, user, "silence as alice", chromedp.Navigate(c.addr+"/silences?project="+id),
		chromedp.SetValue(chromedp.CSS(`input[name=comment]`), "browser test: planned switchover"),
		chromedp.Click(chromedp.CSS(`form.silence button`)),
		waitJS(`document.querySelector("#active") != null && document.querySelector("#active").textContent.includes("alice")`))
	within(t, anon, "the silence appears live on the project page",
		waitJS(`window.__notReloaded === true && Array.from(document.querySelectorAll("#timeline > li.fresh")).some(li => li.textContent.includes("omswatch.console.silence_created"))`))
	within(t, anon, "the timeline from the audit trail", chromedp.Navigate(c.addr+"/projects/"+id),
		waitJS(`Array.from(document.querySelectorAll("#timeline > li:not(.fresh)")).some(li => li.textContent.includes("silence_created by alice"))`))
	if got := auditTrail(t, c, id); !strings.Contains(got, `"user":"alice"`) {
		t.Fatalf("the audit trail does not record alice's silence: %s", got)
	}

	// A logged-in user acknowledges an incident (browser_running fires on
	// every running project) with a comment; the page then shows it taken by alice.
	within(t, user, "an incident to acknowledge", reloadUntil(c.addr+"/incidents", `document.querySelector("form.ack button") != null`))
	within(t, user, "acknowledge as alice",
		chromedp.SetValue(chromedp.CSS(`form.ack input[name=comment]`), "browser test: looking"),
		chromedp.Click(chromedp.CSS(`form.ack button`)),
		waitJS(`document.getElementById("acked") != null && Array.from(document.querySelectorAll("#incidents tr.state-acknowledged")).some(tr => tr.textContent.includes("alice") && tr.textContent.includes("browser test: looking"))`))

	// For the README: a project in incremental sync once its chart has a
	// few points, if one gets there within a minute (not a check).
	pick := id
	deadline := time.Now().Add(time.Minute)
	if chromedp.Do(anon, reloadUntilBy(c.addr+"/?sort=delay&desc=1", `(() => {
		const r = document.querySelector("#fleet tbody tr[data-project]");
		if (!r || !r.textContent.includes("RUNNING") || r.querySelector("td.num").textContent.trim() == "–") return false;
		window.__pick = r.getAttribute("data-project");
		return true;
	})()`, deadline)) == nil {
		if p, err := chromedp.Run(anon, chromedp.Evaluate[string](`window.__pick`)); err == nil && p != "" {
			pick = p
		}
	}
	_ = chromedp.Do(anon, reloadUntilBy(c.addr+"/projects/"+pick,
		`(document.querySelector("#chart polyline.delay") || {getAttribute: () => ""}).getAttribute("points").split(" ").length >= 4`, deadline))
	within(t, anon, "the project for the README", chromedp.Navigate(c.addr+"/projects/"+pick))
	screenshot(t, anon, "console-project.png")
}

// auditTrail returns the console's records about project in the audit
// stream, one JSON document a line.
func auditTrail(t *testing.T, c console, project string) string {
	t.Helper()
	nc, err := nats.Connect(c.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := proctest.StreamMsgs(t.Context(), js, "OMSWATCH_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if strings.Contains(m.Subject, "console") && strings.Contains(m.Subject, project) {
			out = append(out, string(m.Data))
		}
	}
	return strings.Join(out, "\n")
}
