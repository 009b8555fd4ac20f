package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
)

// harness runs the real bot — Main, with the same handlers, store and
// outbox as serve — against the fake Slack, on a simulated clock. The demo
// plays its day on it and end-to-end tests drive it.
type harness struct {
	Fake   *fakeslack.Server
	Main   *Main
	Clock  *sfp.FakeClock
	Secret string
	Socket bool

	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

type harnessOptions struct {
	Dir    string // where the database goes
	Start  time.Time
	Socket bool // Socket Mode instead of HTTP
	Log    io.Writer
	// Configure adjusts the configuration before the bot starts.
	Configure func(*Config)
	// HTTPClient, when set, carries the bot's calls to the fake Slack.
	HTTPClient *http.Client
}

const harnessSecret = "demo-signing-secret"

func startHarness(ctx context.Context, o harnessOptions) (*harness, error) {
	clock := sfp.NewFakeClock(o.Start)
	fake := fakeslack.New(fakeslack.WithClock(clock.Now), fakeslack.WithBot("U0BOT", "B0BOT", "sfpdesk"))
	h := &harness{Fake: fake, Clock: clock, Secret: harnessSecret, Socket: o.Socket}
	env := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-demo",
		"SLACK_SIGNING_SECRET": harnessSecret,
		"SLACK_API_URL":        fake.APIURL(),
		"SFPDESK_DB":           filepath.Join(o.Dir, "sfpdesk.db"),
		"SFPDESK_ADDR":         "127.0.0.1:0",
		"SFPDESK_ADMIN_ADDR":   "127.0.0.1:0",
	}
	if o.Socket {
		env["SLACK_APP_TOKEN"] = "xapp-demo"
	}
	cfg, problems := LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if p, bad := firstError(problems); bad {
		fake.Close()
		return nil, fmt.Errorf("harness configuration: %s", p)
	}
	if o.Configure != nil {
		o.Configure(cfg)
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	h.Main = &Main{Config: cfg, Clock: clock, Log: slog.New(slog.NewJSONHandler(logw, nil)), HTTPClient: o.HTTPClient}
	if err := h.Main.Open(ctx); err != nil {
		fake.Close()
		return nil, err
	}
	if !o.Socket {
		fake.SetEventsURL(h.URL("/slack/events"), harnessSecret)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.Main.Run(runCtx) }()
	if o.Socket {
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		for {
			if ok, _ := h.Main.Socket.Ready(); ok {
				break
			}
			if wctx.Err() != nil {
				h.Stop()
				return nil, fmt.Errorf("socket mode did not connect")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return h, nil
}

// URL of a path on the bot's public listener.
func (h *harness) URL(path string) string { return "http://" + h.Main.PublicAddr() + path }

// Stop stops the bot as a signal would, then the fake.
func (h *harness) Stop() error {
	h.stopOnce.Do(func() {
		h.StopBot()
		h.Fake.Close()
	})
	return h.stopErr
}

// StopBot stops the bot as a signal would and closes its database, leaving
// the fake Slack up; Stop may still be called after it.
func (h *harness) StopBot() error {
	if h.cancel != nil {
		h.cancel()
		h.stopErr = <-h.done
		h.cancel = nil
		h.Main.Close()
	}
	return h.stopErr
}

// Slash runs "/sfp text" as user in channel, the way the transport in use
// delivers it, and returns the private answer.
func (h *harness) Slash(ctx context.Context, user, channel, text string) (*slack.Msg, error) {
	cmd := slack.SlashCommand{Command: "/sfp", Text: text, UserID: user, ChannelID: channel}
	var body []byte
	if h.Socket {
		ack, err := h.Fake.SendSlashCommand(ctx, cmd)
		if err != nil {
			return nil, err
		}
		body = ack
	} else {
		req, err := h.Fake.SlashCommandRequest(ctx, h.URL("/slack/commands"), h.Secret, cmd)
		if body, err = send(req, err); err != nil {
			return nil, err
		}
	}
	var msg slack.Msg
	if len(body) > 0 && string(body) != "null" {
		if err := json.Unmarshal(body, &msg); err != nil {
			return nil, err
		}
	}
	return &msg, nil
}

// Click presses the button actionID on a message of ours as user.
func (h *harness) Click(ctx context.Context, channel, ts, user, actionID string) (json.RawMessage, error) {
	ic, err := h.Fake.ButtonClick(channel, ts, user, actionID)
	if err != nil {
		return nil, err
	}
	return h.interact(ctx, ic)
}

func (h *harness) interact(ctx context.Context, ic slack.InteractionCallback) (json.RawMessage, error) {
	if h.Socket {
		return h.Fake.SendInteraction(ctx, ic)
	}
	return send(h.Fake.InteractionRequest(ctx, h.URL("/slack/interactivity"), h.Secret, ic))
}

// send sends a signed request as Slack would and returns the answer's
// body, or an error naming the path for anything but 200.
func send(req *http.Request, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", req.URL.Path, resp.Status)
	}
	return body, nil
}

// Settle waits until every message the bot owes has been delivered. It
// gives up after 10 seconds in which nothing reached the fake Slack: a
// loaded machine delivers slowly, a stuck outbox not at all.
func (h *harness) Settle(ctx context.Context) error {
	const stuck = 10 * time.Second
	progress, since := -1, time.Now()
	for {
		if (h.Main.Socket == nil || h.Main.Socket.Idle()) && h.Main.App.Idle() && h.Main.Outbox.Idle(ctx) {
			return nil
		}
		if n := h.Fake.Calls("chat.postMessage") + h.Fake.Calls("chat.update"); n != progress {
			progress, since = n, time.Now()
		} else if time.Since(since) > stuck {
			return fmt.Errorf("outbox did not drain: nothing delivered for %s", stuck)
		}
		// The outbox waits on the simulated clock for Slack's rate limits
		// and its back-off: move the clock rather than wait for nothing.
		if at, ok := h.Main.Outbox.NextWake(); ok {
			if now := h.Clock.Now(); !at.After(now) {
				at = now.Add(time.Millisecond)
			}
			h.Clock.Set(at)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("outbox did not drain: %w", ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// busy keeps every CPU busy, as other test suites on the same machine do,
// until the returned function is called.
func busy() (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for n := 0; !done.Load(); n++ {
			}
		})
	}
	return func() { done.Store(true); wg.Wait() }
}

// Shortcut uses the message shortcut callbackID on a message as user.
func (h *harness) Shortcut(ctx context.Context, channel, ts, user, callbackID string) (json.RawMessage, error) {
	ic, err := h.Fake.MessageShortcut(channel, ts, user, callbackID)
	if err != nil {
		return nil, err
	}
	return h.interact(ctx, ic)
}

// Submit submits the open modal viewID as user with values (block id →
// action id → value) and applies the bot's answer to the modal, as Slack
// does. It returns the answer.
func (h *harness) Submit(ctx context.Context, viewID, user string, values map[string]map[string]slack.BlockAction) (json.RawMessage, error) {
	ic, err := h.Fake.ViewSubmission(viewID, user, values)
	if err != nil {
		return nil, err
	}
	ack, err := h.interact(ctx, ic)
	if err != nil {
		return nil, err
	}
	return ack, h.Fake.ApplyViewSubmissionAnswer(viewID, ack)
}

// Event delivers an Events API event (as the transport in use would).
func (h *harness) Event(ctx context.Context, event any) error {
	if h.Socket {
		_, err := h.Fake.SendEvent(ctx, event)
		return err
	}
	_, err := send(h.Fake.EventRequest(ctx, h.URL("/slack/events"), h.Secret, event))
	return err
}
