package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
)

// echo answers a slash command with its text and holds events until
// released, so a test can see what happens while one is being handled.
type echo struct {
	mu      sync.Mutex
	events  []string
	hold    chan struct{} // events wait on it when set
	started chan struct{} // told when an event starts
}

func (e *echo) Command(ctx context.Context, cmd slack.SlashCommand) any {
	return map[string]string{"text": "echo: " + cmd.Text}
}

func (e *echo) Interaction(ctx context.Context, cb slack.InteractionCallback) any { return nil }

func (e *echo) Event(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	e.mu.Lock()
	hold, started := e.hold, e.started
	e.events = append(e.events, ev.InnerEvent.Type)
	e.mu.Unlock()
	if started != nil {
		started <- struct{}{}
	}
	if hold != nil {
		<-hold
	}
	return nil
}

type socketRun struct {
	tr     *bot.SocketTransport
	cancel context.CancelFunc
	done   chan error
}

// runSocket starts the transport against the fake with app token appToken.
func runSocket(t *testing.T, fake *fakeslack.Server, appToken string, h bot.Handler, configure func(*bot.SocketTransport)) *socketRun {
	t.Helper()
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(appToken))
	tr := &bot.SocketTransport{API: api, Handler: h, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	if configure != nil {
		configure(tr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &socketRun{tr: tr, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- tr.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *socketRun) stop(t *testing.T) error {
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the transport did not stop")
		return nil
	}
}

// eventually polls cond, for states the fake cannot signal (the
// transport's own view of its connection).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func ready(r *socketRun) func() bool {
	return func() bool { ok, _ := r.tr.Ready(); return ok }
}

func slash(t *testing.T, fake *fakeslack.Server, text string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ack, err := fake.SendSlashCommand(ctx, slack.SlashCommand{Command: "/sfp", Text: text, UserID: lea, ChannelID: acme})
	if err != nil {
		t.Fatalf("/sfp %s: %v", text, err)
	}
	return string(ack)
}

func TestSocketModeStaysUp(t *testing.T) {
	tests := []struct {
		name string
		drop func(fake *fakeslack.Server)
	}{
		{"Slack's periodic refresh", func(f *fakeslack.Server) { f.Disconnect("refresh_requested") }},
		{"a warning that a refresh is coming", func(f *fakeslack.Server) { f.Disconnect("warning") }},
		{"a connection dropped without a word", func(f *fakeslack.Server) { f.KillConnections() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakeslack.New()
			t.Cleanup(fake.Close)
			r := runSocket(t, fake, "xapp-test", &echo{}, nil)
			eventually(t, "the first connection", ready(r))
			if got := slash(t, fake, "one"); !strings.Contains(got, "echo: one") {
				t.Fatalf("ack = %s", got)
			}
			tc.drop(fake)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := fake.WaitConnected(ctx, 2); err != nil {
				t.Fatalf("never reconnected: %v", err)
			}
			if got := slash(t, fake, "two"); !strings.Contains(got, "echo: two") {
				t.Fatalf("ack after reconnecting = %s", got)
			}
			eventually(t, "ready again", ready(r))
		})
	}
}

func TestSocketModeSilenceIsNotReadiness(t *testing.T) {
	fake := fakeslack.New(fakeslack.WithPingInterval(time.Hour))
	t.Cleanup(fake.Close)
	clock := sfp.NewFakeClock(monday)
	r := runSocket(t, fake, "xapp-test", &echo{}, func(tr *bot.SocketTransport) {
		tr.Clock, tr.MaxSilence = clock, 30*time.Second
	})
	eventually(t, "the first connection", ready(r))

	fake.SetSilent(true)
	clock.Advance(31 * time.Second)
	if ok, why := r.tr.Ready(); ok || !strings.Contains(why, "silent") && !strings.Contains(why, "not connected") {
		t.Fatalf("Ready = %v, %q after 31 s of silence", ok, why)
	}
	// The transport gives up on the silent socket and connects again; the
	// fake stays silent, so the new connection is not greeted.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for fake.Connects() < 2 {
		// The reconnect back-off runs on the clock: let it pass.
		if err := clock.WaitTimers(ctx, 1); err != nil {
			t.Fatal("no new connection after the silence")
		}
		clock.Advance(time.Second)
		wctx, wcancel := context.WithTimeout(ctx, 50*time.Millisecond)
		fake.WaitFor(wctx, func() bool { return fake.Connects() >= 2 })
		wcancel()
	}
	if ok, _ := r.tr.Ready(); ok {
		t.Fatal("ready on a connection Slack has not greeted")
	}
	fake.SetSilent(false)
	eventually(t, "ready once Slack speaks again", ready(r))
	if got := slash(t, fake, "back"); !strings.Contains(got, "echo: back") {
		t.Fatalf("ack = %s", got)
	}
}

func TestSocketModeStopsWhenTheTokenIsRefused(t *testing.T) {
	t.Run("a token of the wrong kind", func(t *testing.T) {
		fake := fakeslack.New()
		t.Cleanup(fake.Close)
		r := runSocket(t, fake, "xoxb-not-an-app-token", &echo{}, nil)
		err := <-r.done
		r.done <- err
		if !errors.Is(err, bot.ErrFatalAuth) || !strings.Contains(err.Error(), "not_allowed_token_type") {
			t.Fatalf("Run = %v, want ErrFatalAuth naming not_allowed_token_type", err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("the error spans lines: %q", err)
		}
	})
	t.Run("a token revoked while connected", func(t *testing.T) {
		fake := fakeslack.New()
		t.Cleanup(fake.Close)
		r := runSocket(t, fake, "xapp-test", &echo{}, nil)
		eventually(t, "the first connection", ready(r))
		fake.SetInvalidAuth(true)
		fake.KillConnections()
		err := <-r.done
		r.done <- err
		if !errors.Is(err, bot.ErrFatalAuth) || !strings.Contains(err.Error(), "invalid_auth") {
			t.Fatalf("Run = %v, want ErrFatalAuth naming invalid_auth", err)
		}
	})
	t.Run("Check refuses a revoked token at start", func(t *testing.T) {
		fake := fakeslack.New()
		t.Cleanup(fake.Close)
		api := slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken("xapp-test"))
		tr := &bot.SocketTransport{API: api}
		if err := tr.Check(context.Background()); err != nil {
			t.Fatalf("Check with a good token = %v", err)
		}
		fake.SetInvalidAuth(true)
		if err := tr.Check(context.Background()); !errors.Is(err, bot.ErrFatalAuth) {
			t.Fatalf("Check with a revoked token = %v, want ErrFatalAuth", err)
		}
		fake.Close()
		if err := tr.Check(context.Background()); err != nil {
			t.Fatalf("Check with Slack unreachable = %v; only a refusal is fatal", err)
		}
	})
}

func TestSocketModeAcksEventsBeforeHandlingThem(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	h := &echo{hold: make(chan struct{}), started: make(chan struct{}, 1)}
	r := runSocket(t, fake, "xapp-test", h, nil)
	eventually(t, "the first connection", ready(r))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// SendEvent returns with the ack, while the handler still holds the
	// event: the ack came first.
	if _, err := fake.SendEvent(ctx, map[string]any{"type": "app_mention", "user": lea, "channel": acme, "text": "hi", "ts": "1.000001"}); err != nil {
		t.Fatalf("no ack while the event is being handled: %v", err)
	}
	<-h.started
	if r.tr.Idle() {
		t.Error("Idle while an event is being handled")
	}
	close(h.hold)
	eventually(t, "the event handled", r.tr.Idle)
	if err := r.stop(t); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
