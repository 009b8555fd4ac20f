package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxSlackBody bounds what we read from Slack before the signature is
// checked; Slack's own payloads are far smaller.
const maxSlackBody = 1 << 20

// HTTPTransport serves Slack's HTTP-mode endpoints: /slack/events,
// /slack/commands and /slack/interactivity, each behind the v0 signature
// check.
type HTTPTransport struct {
	Handler       Handler
	SigningSecret string
	Log           *slog.Logger
	Metrics       *Metrics
	// EventTimeout bounds the work done before an event is acknowledged.
	EventTimeout time.Duration
}

// Register mounts the endpoints on mux.
func (t *HTTPTransport) Register(mux *http.ServeMux) {
	mux.Handle("POST /slack/events", t.verified("events", t.events))
	mux.Handle("POST /slack/commands", t.verified("commands", t.commands))
	mux.Handle("POST /slack/interactivity", t.verified("interactivity", t.interactivity))
}

// verified checks Slack's v0 signature (HMAC-SHA256 of "v0:ts:body" with the
// signing secret, constant-time compare, five-minute window) before next
// sees the body. Anything unsigned, forged or stale gets 401 and no effect.
func (t *HTTPTransport) verified(entry string, next func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() { t.Metrics.ObserveAck(entry, time.Since(start)) }()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSlackBody))
		if err != nil {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, t.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if t.SigningSecret == "" || err != nil {
			t.log().Warn("slack request refused: bad signature", "entry", entry)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r, body)
	})
}

func (t *HTTPTransport) log() *slog.Logger {
	if t.Log == nil {
		return slog.Default()
	}
	return t.Log
}

func (t *HTTPTransport) commands(w http.ResponseWriter, r *http.Request, _ []byte) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "bad slash command", http.StatusBadRequest)
		return
	}
	writeAck(w, t.Handler.Command(r.Context(), cmd))
}

func (t *HTTPTransport) interactivity(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		http.Error(w, "missing payload", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	writeAck(w, t.Handler.Interaction(r.Context(), cb))
}

func (t *HTTPTransport) events(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil {
			http.Error(w, "bad challenge", http.StatusBadRequest)
			return
		}
		writeAck(w, map[string]string{"challenge": ch.Challenge})
		return
	}
	// The event is committed before Slack hears back: an event that failed
	// is retried by Slack, and a repeated one is recognised by its id.
	timeout := t.EventTimeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), timeout)
	defer cancel()
	if err := t.Handler.Event(ctx, ev); err != nil {
		t.log().Error("event failed", "event_id", EventID(ev), "err", err)
		http.Error(w, "event failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeAck(w http.ResponseWriter, payload any) {
	if payload == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(payload)
}
