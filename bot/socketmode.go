package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// ErrFatalAuth means Slack refused the app token for good (invalid_auth,
// token_revoked…): reconnecting cannot help, the operator must act.
var ErrFatalAuth = errors.New("slack refused the app-level token")

// SocketTransport receives Slack's requests over Socket Mode and feeds them
// to the same Handler as HTTP mode. It supervises slack-go's client: Slack
// closes every connection after a few hours (a "refresh"), drops some
// without a word, and may fall silent; the transport reconnects with
// back-off, reconnects a connection that stayed silent past MaxSilence, and
// stops with ErrFatalAuth when the token is refused, since no retry can fix
// that.
type SocketTransport struct {
	API     *slack.Client // built with slack.OptionAppLevelToken
	Handler Handler
	Log     *slog.Logger
	Metrics *Metrics
	// MaxSilence is how long the connection may stay without any frame
	// (event or ping) before Ready reports it dead and the transport
	// reconnects. Slack pings every few seconds. Default 2 minutes.
	MaxSilence time.Duration
	// Workers bounds the requests handled at once; past it the transport
	// stops reading envelopes and Slack redelivers what waits too long.
	// Default 32.
	Workers int
	// Clock times silence and reconnect back-off. Default the real clock:
	// they guard a real socket, as slack-go's own ping watchdog does, so
	// the bot's simulated clock in the demo must not drive them.
	Clock sfp.Clock

	connected atomic.Bool
	lastSeen  atomic.Int64 // the clock's unix nanoseconds of the last frame received
	inflight  atomic.Int64 // requests being handled, events after their ack included
	wg        sync.WaitGroup
}

const (
	minReconnect = time.Second
	maxReconnect = time.Minute
	// ackTimeout bounds sending an ack: Slack gives up on it after 3 s.
	ackTimeout = 5 * time.Second
)

func (s *SocketTransport) clock() sfp.Clock {
	if s.Clock == nil {
		return sfp.RealClock{}
	}
	return s.Clock
}

func (s *SocketTransport) maxSilence() time.Duration {
	if s.MaxSilence <= 0 {
		return 2 * time.Minute
	}
	return s.MaxSilence
}

func (s *SocketTransport) seen() { s.lastSeen.Store(s.clock().Now().UnixNano()) }

func (s *SocketTransport) silence() (time.Duration, time.Time) {
	last := time.Unix(0, s.lastSeen.Load())
	return s.clock().Now().Sub(last), last
}

// Ready reports whether the connection is up and alive: greeted by Slack
// and heard from within MaxSilence.
func (s *SocketTransport) Ready() (bool, string) {
	if !s.connected.Load() {
		return false, "socket mode not connected"
	}
	if quiet, last := s.silence(); quiet > s.maxSilence() {
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

// Check asks Slack for a connection URL once, so that a refused app token
// stops serve at start with one clear line. It returns ErrFatalAuth only
// for a refusal; Slack being unreachable is for Run to ride out.
func (s *SocketTransport) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, _, err := s.API.StartSocketModeContext(ctx)
	if code, fatal := fatalAuth(err); fatal {
		return fmt.Errorf("%w: %s", ErrFatalAuth, code)
	}
	return nil
}

// Run connects and serves until ctx is cancelled (nil) or the token is
// refused (ErrFatalAuth). Requests in flight are finished before it returns.
func (s *SocketTransport) Run(ctx context.Context) error {
	defer s.wg.Wait()
	workers := s.Workers
	if workers <= 0 {
		workers = 32
	}
	sem := make(chan struct{}, workers)
	backoff := minReconnect
	for {
		start := s.clock().Now()
		err := s.connectOnce(ctx, sem)
		s.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if code, fatal := fatalAuth(err); fatal {
			return fmt.Errorf("%w: %s", ErrFatalAuth, code)
		}
		if s.clock().Now().Sub(start) > maxReconnect {
			// The connection lived: this is a fresh failure, not a streak.
			backoff = minReconnect
		}
		// Jitter keeps many instances from reconnecting in step after an
		// outage on Slack's side.
		wait := backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1))
		s.log().Warn("socket mode disconnected; reconnecting", "err", errString(err), "in", wait.Round(time.Millisecond).String())
		if sfp.Sleep(ctx, s.clock(), wait) != nil {
			return nil
		}
		backoff = min(backoff*2, maxReconnect)
	}
}

// connectOnce runs one slack-go client until it fails for good, goes
// silent, or ctx ends. slack-go reconnects by itself when Slack asks for a
// refresh; what reaches here is what it gave up on.
func (s *SocketTransport) connectOnce(ctx context.Context, sem chan struct{}) error {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	dialer := &websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &seenConn{Conn: c, seen: s.seen}, nil
		},
	}
	client := socketmode.New(s.API, socketmode.OptionDialer(dialer))
	s.seen() // silence counts from the attempt, not from the last connection
	var loops sync.WaitGroup
	loops.Add(2)
	go func() {
		defer loops.Done()
		s.consume(runCtx, cancel, client, sem)
	}()
	go func() {
		defer loops.Done()
		s.watch(runCtx, cancel)
	}()
	err := client.RunContext(runCtx)
	cancel(err)
	loops.Wait()
	if cause := context.Cause(runCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	return err
}

// errSilent is why a connection heard nothing for MaxSilence is dropped.
var errSilent = errors.New("socket mode connection silent")

// watch drops the connection when Slack has been silent for MaxSilence:
// a socket can stay open while nothing reaches it.
func (s *SocketTransport) watch(ctx context.Context, drop context.CancelCauseFunc) {
	limit := s.maxSilence()
	for {
		quiet, _ := s.silence()
		if quiet > limit {
			s.log().Warn("socket mode silent; reconnecting", "silent_for", quiet.Round(time.Second).String())
			s.connected.Store(false)
			drop(errSilent)
			return
		}
		if sfp.Sleep(ctx, s.clock(), limit-quiet+time.Millisecond) != nil {
			return
		}
	}
}

// fatalAuth reports whether Slack refused the token itself, which no
// reconnect can cure, and with which code.
func fatalAuth(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var se slack.SlackErrorResponse
	code := err.Error()
	if errors.As(err, &se) {
		code = se.Err
	}
	switch code {
	case "invalid_auth", "token_revoked", "token_expired", "not_allowed_token_type", "account_inactive", "not_authed", "missing_scope":
		return code, true
	}
	return "", false
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (s *SocketTransport) consume(ctx context.Context, drop context.CancelCauseFunc, client *socketmode.Client, sem chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-client.Events:
			if !ok {
				return
			}
			switch evt.Type {
			case socketmode.EventTypeHello:
				s.connected.Store(true)
			case socketmode.EventTypeConnecting, socketmode.EventTypeDisconnect:
				s.connected.Store(false)
			case socketmode.EventTypeInvalidAuth:
				drop(slack.SlackErrorResponse{Err: "invalid_auth"})
				return
			case socketmode.EventTypeConnectionError:
				s.connected.Store(false)
				// slack-go retries every connection error except a few auth
				// codes; a token of the wrong kind would loop for ever.
				if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
					if _, fatal := fatalAuth(ce.ErrorObj); fatal {
						drop(ce.ErrorObj)
						return
					}
				}
			case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
				if evt.Request == nil {
					continue
				}
				s.inflight.Add(1)
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					s.inflight.Add(-1)
					return
				}
				s.wg.Add(1)
				go func() {
					defer func() { <-sem; s.inflight.Add(-1); s.wg.Done() }()
					s.serve(ctx, client, evt)
				}()
			}
		}
	}
}

// serve answers one envelope. Commands and interactions carry their answer
// in the ack, as HTTP mode carries it in the response body; events are
// acknowledged first and handled after. The handler runs to its end even
// when the connection drops meanwhile (its transaction is what the ack
// promised), bounded by its own timeout.
func (s *SocketTransport) serve(connCtx context.Context, client *socketmode.Client, evt socketmode.Event) {
	start := time.Now()
	ctx := context.WithoutCancel(connCtx)
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
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			payload = s.Handler.Command(hctx, cmd)
			cancel()
		}
		s.ack(connCtx, client, evt.Request, payload)
		s.Metrics.ObserveAck("commands", time.Since(start))
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		var payload any
		if ok {
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			payload = s.Handler.Interaction(hctx, cb)
			cancel()
		}
		s.ack(connCtx, client, evt.Request, payload)
		s.Metrics.ObserveAck("interactivity", time.Since(start))
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		s.ack(connCtx, client, evt.Request, nil)
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

// ack answers an envelope. A connection that is gone cannot carry it:
// Slack then redelivers the envelope on the next one.
func (s *SocketTransport) ack(connCtx context.Context, client *socketmode.Client, req *socketmode.Request, payload any) {
	ctx, cancel := context.WithTimeout(connCtx, ackTimeout)
	defer cancel()
	if err := client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		s.log().Warn("socket mode ack failed", "err", err)
	}
}

// seenConn notes the time of every read: any frame from Slack, a ping
// included, proves the connection alive.
type seenConn struct {
	net.Conn
	seen func()
}

func (c *seenConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.seen()
	}
	return n, err
}
