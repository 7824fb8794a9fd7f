package service

import (
	"fmt"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
)

// slackCounter is a Slack Web API stand-in for the figures: it answers
// chat.postMessage and chat.update as Slack does (ok, the channel and the
// message's ts) and keeps every message, so a run can be counted by
// method and by whether it went into a thread.
type slackCounter struct {
	mu    sync.Mutex
	n     int
	calls []slackCall
}

// slackCall is one request: its method, the message's ts (the new one of
// a post, the edited one of an update), its thread and what it showed
// (the text, the attachments and the blocks, as sent).
type slackCall struct {
	method, ts, threadTS, body string
}

func (c *slackCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	c.mu.Lock()
	c.n++
	call := slackCall{method: path.Base(r.URL.Path), ts: r.FormValue("ts"), threadTS: r.FormValue("thread_ts"),
		body: r.FormValue("text") + "\n" + r.FormValue("attachments") + "\n" + r.FormValue("blocks")}
	if call.method == "chat.postMessage" {
		call.ts = fmt.Sprintf("1700000000.%06d", c.n)
	}
	c.calls = append(c.calls, call)
	c.mu.Unlock()
	fmt.Fprintf(w, `{"ok":true,"channel":"C0FIGURE","ts":%q}`, call.ts)
}

// slackCounts are the messages of a run: top-level posts (incident
// parents among them), thread replies and edits (of incident parents
// among them), and any other method.
type slackCounts struct {
	top, parents, replies, edits, parentEdits, other int
}

func (s slackCounts) String() string {
	return fmt.Sprintf("%d top-level messages (%d incident parents), %d thread replies, %d edits (%d of incident parents)",
		s.top, s.parents, s.replies, s.edits, s.parentEdits)
}

// isIncidentParent reports whether a post is an incident's (or a fleet's)
// parent message: its fallback text is its state.
func isIncidentParent(c slackCall) bool {
	for _, p := range []string{"FIRING ", "RECOVERING ", "ACKNOWLEDGED ", "RESOLVED ", "FLEET "} {
		if strings.HasPrefix(c.body, p) {
			return true
		}
	}
	return strings.Contains(c.body, "take it: `omswatch incident ack")
}

// counts counts the calls so far.
func (c *slackCounter) counts() slackCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s slackCounts
	parents := map[string]bool{}
	for _, call := range c.calls {
		switch {
		case call.method == "chat.postMessage" && call.threadTS == "":
			s.top++
			if isIncidentParent(call) {
				s.parents++
				parents[call.ts] = true
			}
		case call.method == "chat.postMessage":
			s.replies++
		case call.method == "chat.update":
			s.edits++
			if parents[call.ts] {
				s.parentEdits++
			}
		default:
			s.other++
		}
	}
	return s
}

// unresolvedParents lists the incident parents whose thread says every
// incident in it resolved ("Resolved after" replies as many as "Incident
// opened" ones) but whose last version does not say "resolved after".
func (c *slackCounter) unresolvedParents() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	last := map[string]string{}
	opened, resolved := map[string]int{}, map[string]int{}
	for _, call := range c.calls {
		switch {
		case call.method == "chat.postMessage" && call.threadTS == "" && isIncidentParent(call):
			last[call.ts] = call.body
		case call.method == "chat.update" && last[call.ts] != "":
			last[call.ts] = call.body
		case call.method == "chat.postMessage" && call.threadTS != "":
			opened[call.threadTS] += strings.Count(call.body, "Incident opened")
			resolved[call.threadTS] += strings.Count(call.body, "Resolved after")
		}
	}
	var bad []string
	for ts, body := range last {
		if opened[ts] > 0 && opened[ts] == resolved[ts] && !strings.Contains(body, "resolved after") {
			bad = append(bad, ts+": "+firstLine(body))
		}
	}
	sort.Strings(bad)
	return bad
}

// repeats lists the messages posted more than once with the same text
// in the same place (the channel or one thread), most repeated first:
// what a reader of the channel would see twice.
func (c *slackCounter) repeats() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]int{}
	for _, call := range c.calls {
		if call.method == "chat.postMessage" {
			seen[call.threadTS+"|"+call.body]++
		}
	}
	keys := make([]string, 0, len(seen))
	for k, n := range seen {
		if n > 1 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if seen[keys[i]] != seen[keys[j]] {
			return seen[keys[i]] > seen[keys[j]]
		}
		return keys[i] < keys[j]
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		where, text, _ := strings.Cut(k, "|")
		if where == "" {
			where = "the channel"
		}
		out[i] = fmt.Sprintf("%d× in %s: %s", seen[k], where, firstLine(text))
	}
	return out
}

// parentTitles counts the incident parents by what they are about (the
// project and the problem of their first version), most first.
func (c *slackCounter) parentTitles() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := map[string]int{}
	for _, call := range c.calls {
		if call.method == "chat.postMessage" && call.threadTS == "" && isIncidentParent(call) {
			_, about, _ := strings.Cut(firstLine(call.body), ": ")
			n[about]++
		}
	}
	return byCount(n)
}

// byCount is "N× key" for each key, most first.
func byCount(n map[string]int) []string {
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if n[keys[i]] != n[keys[j]] {
			return n[keys[i]] > n[keys[j]]
		}
		return keys[i] < keys[j]
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%d× %s", n[k], k)
	}
	return out
}

// texts are the first lines of the posts, in order, each with its place.
func (c *slackCounter) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, call := range c.calls {
		where := "channel"
		switch {
		case call.method == "chat.update":
			where = "edit " + call.ts
		case call.threadTS != "":
			where = "thread " + call.threadTS
		default:
			where = "post " + call.ts
		}
		out = append(out, where+": "+firstLine(call.body))
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}
