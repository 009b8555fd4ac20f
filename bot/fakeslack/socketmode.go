package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Bounds on Socket Mode traffic. slack-go refuses to send acks of 20 KB or
// more, so anything near the read limit is a bug worth an error.
const (
	maxSocketFrame = 1 << 20
	writeTimeout   = 5 * time.Second
	maxLinkKeys    = 1000
)

// ErrNoAck is returned when the bot did not acknowledge an envelope within
// the ack timeout (3 s by default, Slack's limit).
var ErrNoAck = errors.New("fakeslack: envelope not acknowledged in time")

type socketState struct {
	linkKeys map[string]time.Time
	conns    []*wsConn // live, oldest first
	connects int
	used     bool // an app opened a connection: events go over Socket Mode
	silent   bool
	pending  map[string]*pendingAck
	acks     []Ack
}

func newSocketState() socketState {
	return socketState{linkKeys: map[string]time.Time{}, pending: map[string]*pendingAck{}}
}

type wsConn struct {
	seq       int
	c         *websocket.Conn
	wmu       sync.Mutex // gorilla allows one writer at a time
	ready     bool       // hello sent; guarded by Server.mu
	draining  bool       // disconnect sent, no new envelopes; guarded by Server.mu
	greeted   bool       // hello claimed by one writer; guarded by Server.mu
	done      chan struct{}
	closeOnce sync.Once
}

func (wc *wsConn) writeJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	wc.wmu.Lock()
	defer wc.wmu.Unlock()
	_ = wc.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	return wc.c.WriteMessage(websocket.TextMessage, data)
}

// closeWith sends a close frame first so the client sees an orderly close;
// abrupt closes (KillConnections) skip it.
func (wc *wsConn) closeWith(code int, text string) {
	wc.closeOnce.Do(func() {
		if code != 0 {
			msg := websocket.FormatCloseMessage(code, text)
			_ = wc.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		}
		_ = wc.c.Close()
		close(wc.done)
	})
}

type pendingAck struct {
	envType string
	sent    time.Time
	ch      chan json.RawMessage
}

// Ack is the bot's answer to an envelope.
type Ack struct {
	EnvelopeID string
	Type       string          // envelope type: events_api, slash_commands, interactive; "" if unknown
	Payload    json.RawMessage // the response payload, nil when none
	Latency    time.Duration   // real time from sending the envelope to the ack
}

// appsConnectionsOpen hands out a one-time WebSocket URL, as Slack does.
func (s *Server) appsConnectionsOpen(req *request) result {
	if len(s.sock.linkKeys) >= maxLinkKeys {
		clear(s.sock.linkKeys)
	}
	key := newUUID()
	s.sock.linkKeys[key] = req.now
	s.sock.used = true
	wsURL := "ws" + strings.TrimPrefix(s.url, "http") + "/link/?key=" + key + "&app_id=" + s.cfg.appID
	return ok(map[string]any{"url": wsURL})
}

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin https://api.slack.com; any origin is fine
	// for a fake bound to loopback.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) handleSocket(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	s.mu.Lock()
	_, valid := s.sock.linkKeys[key]
	delete(s.sock.linkKeys, key)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid link key", http.StatusUnauthorized)
		return
	}
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c.SetReadLimit(maxSocketFrame)
	wc := &wsConn{c: c, done: make(chan struct{})}

	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		wc.closeWith(websocket.CloseGoingAway, "server closed")
		return
	default:
	}
	s.sock.connects++
	wc.seq = s.sock.connects
	s.sock.conns = append(s.sock.conns, wc)
	silent := s.sock.silent
	s.goLocked(func() { s.ping(wc) })
	s.bumpLocked()
	s.mu.Unlock()

	if !silent {
		s.hello(wc)
	}
	s.readAcks(wc)

	wc.closeWith(websocket.CloseNormalClosure, "")
	s.mu.Lock()
	s.sock.conns = slices.DeleteFunc(s.sock.conns, func(x *wsConn) bool { return x == wc })
	s.bumpLocked()
	s.mu.Unlock()
}

func (s *Server) hello(wc *wsConn) {
	s.mu.Lock()
	if wc.greeted {
		s.mu.Unlock()
		return
	}
	wc.greeted = true
	n := len(s.sock.conns)
	s.mu.Unlock()
	err := wc.writeJSON(map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info": map[string]any{
			"host": "fakeslack", "build_number": 1, "approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.cfg.appID},
	})
	if err != nil {
		wc.closeWith(0, "")
		return
	}
	s.mu.Lock()
	wc.ready = true
	s.bumpLocked()
	s.mu.Unlock()
}

// ping keeps slack-go's watchdog fed: its client reconnects when it sees no
// WebSocket ping for its ping interval.
func (s *Server) ping(wc *wsConn) {
	t := time.NewTicker(s.cfg.pingInterval)
	defer t.Stop()
	for n := 0; ; n++ {
		s.mu.Lock()
		silent := s.sock.silent
		s.mu.Unlock()
		if !silent {
			payload := fmt.Appendf(nil, "ping-%d", n)
			if err := wc.c.WriteControl(websocket.PingMessage, payload, time.Now().Add(writeTimeout)); err != nil {
				wc.closeWith(0, "")
				return
			}
		}
		select {
		case <-t.C:
		case <-wc.done:
			return
		case <-s.done:
			return
		}
	}
}

func (s *Server) readAcks(wc *wsConn) {
	for {
		_, data, err := wc.c.ReadMessage()
		if err != nil {
			return
		}
		var a struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &a) != nil || a.EnvelopeID == "" {
			continue
		}
		if string(a.Payload) == "null" {
			a.Payload = nil
		}
		s.mu.Lock()
		ack := Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload}
		if p := s.sock.pending[a.EnvelopeID]; p != nil {
			delete(s.sock.pending, a.EnvelopeID)
			ack.Type, ack.Latency = p.envType, time.Since(p.sent)
			p.ch <- a.Payload
		}
		s.sock.acks = appendBounded(s.sock.acks, ack, s.cfg.logLimit)
		s.bumpLocked()
		s.mu.Unlock()
	}
}

// pickConnLocked chooses the connection for the next envelope: the newest
// that said hello. Slack spreads envelopes over an app's connections; the
// newest keeps tests deterministic while a client is reconnecting.
func (s *Server) pickConnLocked() *wsConn {
	if s.sock.silent {
		return nil
	}
	for i := len(s.sock.conns) - 1; i >= 0; i-- {
		if wc := s.sock.conns[i]; wc.ready && !wc.draining {
			return wc
		}
	}
	return nil
}

// maxDeliveryAttempts bounds resends of an envelope whose connection died
// before the ack, as Slack retries on another connection.
const maxDeliveryAttempts = 3

// deliverEnvelope sends one envelope and waits for its ack. It first waits
// (until ctx ends) for a connection, so a test may send right after
// starting its client.
func (s *Server) deliverEnvelope(ctx context.Context, envType string, payload json.RawMessage, acceptsPayload bool) (json.RawMessage, error) {
	envID := newUUID()
	p := &pendingAck{envType: envType, ch: make(chan json.RawMessage, 1)}
	defer func() {
		s.mu.Lock()
		delete(s.sock.pending, envID)
		s.mu.Unlock()
	}()
	retryReason := ""
	for attempt := 0; attempt < maxDeliveryAttempts; attempt++ {
		var wc *wsConn
		err := s.WaitFor(ctx, func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			wc = s.pickConnLocked()
			return wc != nil
		})
		if err != nil {
			return nil, fmt.Errorf("fakeslack: no Socket Mode connection for %s: %w", envType, err)
		}
		s.mu.Lock()
		p.sent = time.Now()
		s.sock.pending[envID] = p
		s.mu.Unlock()
		err = wc.writeJSON(map[string]any{
			"envelope_id":              envID,
			"type":                     envType,
			"payload":                  payload,
			"accepts_response_payload": acceptsPayload,
			"retry_attempt":            attempt,
			"retry_reason":             retryReason,
		})
		if err != nil {
			wc.closeWith(0, "")
			retryReason = "connection_closed"
			continue
		}
		ack, err := s.awaitAck(ctx, p, wc)
		if errors.Is(err, errConnLost) {
			retryReason = "connection_closed"
			continue
		}
		return ack, err
	}
	return nil, fmt.Errorf("fakeslack: %s lost with %d connections", envType, maxDeliveryAttempts)
}

var errConnLost = errors.New("fakeslack: connection closed before the ack")

func (s *Server) awaitAck(ctx context.Context, p *pendingAck, wc *wsConn) (json.RawMessage, error) {
	timer := time.NewTimer(s.cfg.ackTimeout)
	defer timer.Stop()
	select {
	case ack := <-p.ch:
		return ack, nil
	case <-wc.done:
		// The ack may have raced the close.
		select {
		case ack := <-p.ch:
			return ack, nil
		default:
			return nil, errConnLost
		}
	case <-timer.C:
		return nil, fmt.Errorf("%w (%s after %s)", ErrNoAck, p.envType, s.cfg.ackTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, errClosed
	}
}

// Acks returns every ack received, oldest first.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sock.acks)
}

// Connections counts the live Socket Mode connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sock.conns)
}

// Connects counts every Socket Mode connection ever accepted, so a test
// can see a client reconnect.
func (s *Server) Connects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sock.connects
}

// WaitConnected waits until at least n connections have been accepted in
// total and one is live and greeted.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.sock.connects >= n && s.pickConnLocked() != nil
	})
}

// Disconnect sends Slack's disconnect envelope to every connection. For
// "refresh_requested" (Slack's periodic refresh) and other reasons the fake
// then closes the socket; for "warning" it leaves closing to the client, as
// Slack does a few seconds before a refresh.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	conns := slices.Clone(s.sock.conns)
	s.mu.Unlock()
	s.mu.Lock()
	for _, wc := range conns {
		wc.draining = true
	}
	s.bumpLocked()
	s.mu.Unlock()
	for _, wc := range conns {
		_ = wc.writeJSON(map[string]any{
			"type":       "disconnect",
			"reason":     reason,
			"debug_info": map[string]any{"host": "fakeslack"},
		})
		if reason != "warning" {
			wc.closeWith(websocket.CloseNormalClosure, reason)
		}
	}
}

// KillConnections drops every connection without a word, as a network
// failure would.
func (s *Server) KillConnections() {
	s.mu.Lock()
	conns := slices.Clone(s.sock.conns)
	s.mu.Unlock()
	for _, wc := range conns {
		wc.closeWith(0, "")
	}
}

// SetSilent makes Socket Mode go quiet while on: no pings, no hello to new
// connections, no envelopes (Send* wait). A client should notice the
// missing pings and reconnect. Turning it off greets waiting connections.
func (s *Server) SetSilent(on bool) {
	s.mu.Lock()
	s.sock.silent = on
	var greet []*wsConn
	if !on {
		for _, wc := range s.sock.conns {
			if !wc.ready {
				greet = append(greet, wc)
			}
		}
	}
	s.bumpLocked()
	s.mu.Unlock()
	for _, wc := range greet {
		s.hello(wc)
	}
}

func (s *Server) closeSockets() {
	s.mu.Lock()
	conns := slices.Clone(s.sock.conns)
	s.mu.Unlock()
	for _, wc := range conns {
		wc.closeWith(websocket.CloseGoingAway, "server closed")
	}
}
