package bot

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// ErrFatalAuth means Slack refused the app token for good (invalid_auth,
// token_revoked…): reconnecting cannot help, the operator must act.
var ErrFatalAuth = errors.New("slack refused the app-level token")

// SocketTransport receives Slack's requests over Socket Mode and feeds them
// to the same Handler as HTTP mode. It supervises slack-go's client:
// reconnects with back-off when the connection drops or Slack asks for a
// refresh, and stops with ErrFatalAuth when the token is refused.
type SocketTransport struct {
	API     *slack.Client // built with slack.OptionAppLevelToken
	Handler Handler
	Log     *slog.Logger
	Metrics *Metrics
	// MaxSilence is how long the connection may stay without any frame
	// (event or ping) before Ready reports it dead. Default 2 minutes.
	MaxSilence time.Duration
	// Workers bounds the requests handled at once. Default 32.
	Workers int

	connected atomic.Bool
	lastSeen  atomic.Int64 // unix nanoseconds of the last frame received
	inflight  atomic.Int64 // requests being handled, events after their ack included
	wg        sync.WaitGroup
}

// Ready reports whether the connection is up and alive.
func (s *SocketTransport) Ready() (bool, string) {
	if !s.connected.Load() {
		return false, "socket mode not connected"
	}
	silence := s.MaxSilence
	if silence == 0 {
		silence = 2 * time.Minute
	}
	if last := time.Unix(0, s.lastSeen.Load()); time.Since(last) > silence {
		return false, "socket mode silent since " + last.UTC().Format(time.RFC3339)
	}
	return true, "connected"
}

// Idle reports whether no request is being handled: an event is
// acknowledged before it is handled, so the ack alone does not say its
// effects are committed.
func (s *SocketTransport) Idle() bool { return s.inflight.Load() == 0 }

func (s *SocketTransport) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Run connects and serves until ctx is cancelled (nil) or the token is
// refused (ErrFatalAuth). Requests in flight are finished before it returns.
func (s *SocketTransport) Run(ctx context.Context) error {
	defer s.wg.Wait()
	workers := s.Workers
	if workers == 0 {
		workers = 32
	}
	sem := make(chan struct{}, workers)
	backoff := time.Second
	for {
		dialer := &websocket.Dialer{
			HandshakeTimeout: 10 * time.Second,
			NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &seenConn{Conn: c, seen: &s.lastSeen}, nil
			},
		}
		client := socketmode.New(s.API, socketmode.OptionDialer(dialer))
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.consume(runCtx, client, sem)
		}()
		start := time.Now()
		err := client.RunContext(runCtx)
		cancel()
		<-done
		s.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if isFatalAuth(err) {
			return errors.Join(ErrFatalAuth, err)
		}
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		s.log().Warn("socket mode disconnected; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func isFatalAuth(err error) bool {
	if err == nil {
		return false
	}
	for _, code := range []string{"invalid_auth", "token_revoked", "not_allowed_token_type", "account_inactive", "not_authed"} {
		if strings.Contains(err.Error(), code) {
			return true
		}
	}
	return false
}

func (s *SocketTransport) consume(ctx context.Context, client *socketmode.Client, sem chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-client.Events:
			if !ok {
				return
			}
			s.lastSeen.Store(time.Now().UnixNano())
			switch evt.Type {
			case socketmode.EventTypeConnected, socketmode.EventTypeHello:
				s.connected.Store(true)
			case socketmode.EventTypeDisconnect, socketmode.EventTypeConnectionError:
				s.connected.Store(false)
			case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
				if evt.Request == nil {
					continue
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				s.wg.Add(1)
				s.inflight.Add(1)
				go func() {
					defer func() { <-sem; s.inflight.Add(-1); s.wg.Done() }()
					s.serve(context.WithoutCancel(ctx), client, evt)
				}()
			}
		}
	}
}

// serve answers one envelope. Commands and interactions carry their answer
// in the ack, as HTTP mode carries it in the response body; events are
// acknowledged first and handled after.
func (s *SocketTransport) serve(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			s.log().Error("socket mode handler panicked", "type", evt.Type, "panic", r)
		}
	}()
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		var payload any
		if ok {
			payload = s.Handler.Command(ctx, cmd)
		}
		s.ack(client, evt.Request, payload)
		s.Metrics.ObserveAck("commands", time.Since(start))
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		var payload any
		if ok {
			payload = s.Handler.Interaction(ctx, cb)
		}
		s.ack(client, evt.Request, payload)
		s.Metrics.ObserveAck("interactivity", time.Since(start))
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		s.ack(client, evt.Request, nil)
		s.Metrics.ObserveAck("events", time.Since(start))
		if ok {
			ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := s.Handler.Event(ectx, ev); err != nil {
				s.log().Error("event failed", "event_id", EventID(ev), "err", err)
			}
		}
	}
}

func (s *SocketTransport) ack(client *socketmode.Client, req *socketmode.Request, payload any) {
	var err error
	if payload == nil {
		err = client.Ack(*req)
	} else {
		err = client.Ack(*req, payload)
	}
	if err != nil {
		s.log().Warn("socket mode ack failed", "err", err)
	}
}

// seenConn notes the time of every read: any frame from Slack, a ping
// included, proves the connection alive.
type seenConn struct {
	net.Conn
	seen *atomic.Int64
}

func (c *seenConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.seen.Store(time.Now().UnixNano())
	}
	return n, err
}
