package proctest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// SlackSocket is Slack's side of Socket Mode, on loopback: the Web API's
// apps.connections.open, which checks the app-level token and answers
// with the address of its websocket endpoint, and that endpoint, which
// greets each connection with hello, pings it, sends the envelopes a test
// gives it and records the client's acknowledgements.
type SlackSocket struct {
	// APIURL is the Web API's base URL (slack.api_url).
	APIURL string

	token string
	srv   *httptest.Server
	up    websocket.Upgrader
	acks  chan string      // envelope ids, as acknowledged
	conns chan *socketConn // each connection, once greeted

	mu    sync.Mutex
	cur   *socketConn
	opens int
	fail  int // apps.connections.open calls still to answer 503
}

type socketConn struct {
	mu   sync.Mutex // one writer at a time
	c    *websocket.Conn
	done chan struct{}
}

func (c *socketConn) write(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.c.WriteJSON(v)
}

// StartSlackSocket starts the fake Slack, which takes appToken; it stops
// at the end of the test.
func StartSlackSocket(t *testing.T, appToken string) *SlackSocket {
	t.Helper()
	s := &SlackSocket{token: appToken, acks: make(chan string, 100), conns: make(chan *socketConn, 10),
		up: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}} // the client says it is https://api.slack.com
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/apps.connections.open", s.open)
	mux.HandleFunc("GET /link", s.serve)
	s.srv = httptest.NewServer(mux)
	s.APIURL = s.srv.URL + "/api/"
	t.Cleanup(func() {
		s.mu.Lock()
		if s.cur != nil {
			_ = s.cur.c.Close()
		}
		s.mu.Unlock()
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// open is apps.connections.open: the token in the Authorization header.
func (s *SlackSocket) open(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	s.mu.Lock()
	s.opens++
	down := s.fail > 0
	if down {
		s.fail--
	}
	s.mu.Unlock()
	if down {
		http.Error(w, "slack is down", http.StatusServiceUnavailable)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
		return
	}
	url := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link?ticket=t-1234"
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": url})
}

// serve is the websocket endpoint.
func (s *SlackSocket) serve(w http.ResponseWriter, r *http.Request) {
	c, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn := &socketConn{c: c, done: make(chan struct{})}
	defer close(conn.done)
	defer c.Close()
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"debug_info": map[string]any{"host": "applink-test", "approximate_connection_time": 18060}, "connection_info": map[string]any{"app_id": "A0TEST"}}
	if conn.write(hello) != nil {
		return
	}
	s.mu.Lock()
	s.cur = conn
	s.mu.Unlock()
	s.conns <- conn
	go func() { // Slack pings; a client that hears none reconnects
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-conn.done:
				return
			case <-tick.C:
				_ = c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
			}
		}
	}()
	for {
		var ack struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if err := c.ReadJSON(&ack); err != nil {
			return
		}
		s.acks <- ack.EnvelopeID
	}
}

// FailOpens makes the next n calls of apps.connections.open fail with
// 503, as during an outage of Slack.
func (s *SlackSocket) FailOpens(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Opens is how many times apps.connections.open was called.
func (s *SlackSocket) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// WaitConnected waits up to within for a connection's hello (a new one
// after each drop) and fails the test without one.
func (s *SlackSocket) WaitConnected(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-s.conns:
	case <-time.After(within):
		t.Fatalf("no Socket Mode connection within %s", within)
	}
}

// Send sends an envelope of typ (interactive, events_api...) with
// payload to the current connection.
func (s *SlackSocket) Send(t *testing.T, envelopeID, typ string, payload any) {
	t.Helper()
	s.mu.Lock()
	conn := s.cur
	s.mu.Unlock()
	if conn == nil {
		t.Fatal("no Socket Mode connection to send to")
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]any{"envelope_id": envelopeID, "type": typ, "payload": json.RawMessage(raw),
		"accepts_response_payload": false, "retry_attempt": 0, "retry_reason": ""}
	if err := conn.write(env); err != nil {
		t.Fatalf("send envelope %s: %v", envelopeID, err)
	}
}

// WaitAck waits up to within for the acknowledgement of envelopeID and
// fails the test without it; the acknowledgements of other envelopes
// before it are skipped.
func (s *SlackSocket) WaitAck(t *testing.T, envelopeID string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case id := <-s.acks:
			if id == envelopeID {
				return
			}
		case <-deadline:
			t.Fatalf("envelope %s not acknowledged within %s", envelopeID, within)
		}
	}
}

// Drop closes the current connection as Slack does when it rotates
// connections or a network fails; a client connects again.
func (s *SlackSocket) Drop() {
	s.mu.Lock()
	conn := s.cur
	s.cur = nil
	s.mu.Unlock()
	if conn != nil {
		_ = conn.c.Close()
		<-conn.done
	}
}

// SlackPress is the block_actions payload of a press of the button
// actionID (with value) by the user alice (U024BE7LH), as Slack sends it
// over Socket Mode or in an HTTP request's payload field; trigger is the
// press's trigger id ("": none, as in old payloads).
func SlackPress(trigger, responseURL, actionID, value string) map[string]any {
	return map[string]any{"type": "block_actions", "trigger_id": trigger,
		"user": map[string]any{"id": "U024BE7LH", "name": "alice"}, "response_url": responseURL,
		"actions": []any{map[string]any{"type": "button", "block_id": "omswatch_incident",
			"action_id": actionID, "value": value, "action_ts": "1733540000.000100"}}}
}
