package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Delivery is one Events API callback the fake sent to the bot.
type Delivery struct {
	EventID string
	Type    string // the inner event's type: message, app_mention, …
	Via     string // "socket" or "http"
	Status  int    // HTTP status from the Events URL
	Ack     json.RawMessage
	Err     string // why delivery failed, "" on success
	Time    time.Time
}

// SetEventsURL switches event delivery to signed HTTP POSTs to url (see
// WithEventsURL); an empty url switches back to Socket Mode.
func (s *Server) SetEventsURL(url, signingSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventsURL, s.secret = url, signingSecret
}

// Deliveries returns every event delivery, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// PostAsUser posts text as userID (a reply when threadTS is set) and
// delivers the events Slack would. Give text as Slack sends it: mentions as
// <@U…>, and &, < and > already escaped. Events go out as: message, plus app_mention when the text
// mentions the bot outside a DM, each only where the bot is a member. It
// waits for the bot to take each event; failures are kept in Deliveries.
// It panics on an unknown channel; PostAsUserContext returns errors instead.
func (s *Server) PostAsUser(channelID, userID, text, threadTS string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*s.cfg.ackTimeout)
	defer cancel()
	ts, err := s.PostAsUserContext(ctx, channelID, userID, text, threadTS)
	if ts == "" {
		panic(err.Error())
	}
	return ts
}

// PostAsUserContext is PostAsUser with a context and the first delivery
// error. The message is stored (and ts returned) even when delivery fails.
func (s *Server) PostAsUserContext(ctx context.Context, channelID, userID, text, threadTS string) (string, error) {
	s.mu.Lock()
	ch := s.channels[channelID]
	if ch == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("fakeslack: PostAsUser: unknown channel %q", channelID)
	}
	m := &message{user: userID, text: text, threadTS: threadTS, clientMsgID: newUUID()}
	if u := s.users[userID]; u != nil && u.isBot {
		m.botID = u.botID
	}
	s.addMessageLocked(ch, m)
	events := s.messageEventsLocked(ch, m)
	s.mu.Unlock()

	var first error
	for _, ev := range events {
		if err := s.deliverEvent(ctx, ev); err != nil && first == nil {
			first = err
		}
	}
	return m.ts, first
}

// messageEventsLocked builds the inner events Slack sends for m.
func (s *Server) messageEventsLocked(ch *channel, m *message) []map[string]any {
	if !ch.isMember(s.cfg.botUserID) {
		return nil
	}
	msg := s.messageJSON(ch, m, false)
	msg["channel"] = ch.id
	msg["event_ts"] = m.ts
	msg["channel_type"] = ch.channelType()
	events := []map[string]any{msg}
	if m.user != s.cfg.botUserID && !ch.im && mentions(m.text, s.cfg.botUserID) {
		mention := map[string]any{
			"type": "app_mention", "user": m.user, "text": m.text, "ts": m.ts,
			"channel": ch.id, "event_ts": m.ts, "team": s.cfg.teamID,
			"client_msg_id": m.clientMsgID,
		}
		if m.isReply() {
			mention["thread_ts"] = m.threadTS
		}
		events = append(events, mention)
	}
	return events
}

// mentions reports whether text mentions userID the way Slack encodes it:
// <@U123> or <@U123|name>.
func mentions(text, userID string) bool {
	return strings.Contains(text, "<@"+userID+">") || strings.Contains(text, "<@"+userID+"|")
}

// deliverMessageEventsLocked sends the events of a bot post without holding
// up the API call, as Slack does.
func (s *Server) deliverMessageEventsLocked(ch *channel, m *message) {
	events := s.messageEventsLocked(ch, m)
	if len(events) == 0 || (s.eventsURL == "" && !s.sock.used) {
		return
	}
	s.goLocked(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*s.cfg.ackTimeout)
		defer cancel()
		for _, ev := range events {
			_ = s.deliverEvent(ctx, ev)
		}
	})
}

// eventCallbackLocked wraps an inner event in Slack's event_callback
// envelope with a fresh event_id.
func (s *Server) eventCallbackLocked(inner any) (body []byte, eventID, eventType string, err error) {
	raw, err := json.Marshal(inner)
	if err != nil {
		return nil, "", "", err
	}
	var typed struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &typed); err != nil || typed.Type == "" {
		return nil, "", "", fmt.Errorf("fakeslack: event %s has no type", raw)
	}
	eventID = s.newIDLocked("Ev")
	body, err = json.Marshal(map[string]any{
		"token":                 verificationToken,
		"team_id":               s.cfg.teamID,
		"context_team_id":       s.cfg.teamID,
		"api_app_id":            s.cfg.appID,
		"event":                 json.RawMessage(raw),
		"type":                  "event_callback",
		"event_id":              eventID,
		"event_time":            s.now().Unix(),
		"event_context":         "4-" + randomHex(16),
		"is_ext_shared_channel": false,
		"authorizations": []map[string]any{{
			"enterprise_id": nil, "team_id": s.cfg.teamID, "user_id": s.cfg.botUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
	})
	return body, eventID, typed.Type, err
}

// deliverEvent sends one inner event by the configured route: the Events
// URL when set, else Socket Mode once an app has connected, else nowhere.
func (s *Server) deliverEvent(ctx context.Context, inner any) error {
	s.mu.Lock()
	body, eventID, typ, err := s.eventCallbackLocked(inner)
	eventsURL, secret, socket := s.eventsURL, s.secret, s.sock.used
	s.mu.Unlock()
	if err != nil {
		return err
	}
	d := Delivery{EventID: eventID, Type: typ}
	switch {
	case eventsURL != "":
		d.Via = "http"
		d.Status, err = s.postEvent(ctx, eventsURL, secret, body)
	case socket:
		d.Via = "socket"
		d.Ack, err = s.deliverEnvelope(ctx, "events_api", body, false)
	default:
		return nil
	}
	if err != nil {
		d.Err = err.Error()
	}
	s.mu.Lock()
	d.Time = s.now()
	s.deliveries = appendBounded(s.deliveries, d, s.cfg.logLimit)
	s.bumpLocked()
	s.mu.Unlock()
	return err
}

func (s *Server) postEvent(ctx context.Context, url, secret string, body []byte) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	req, err := NewSignedRequest(ctx, url, secret, "application/json", body)
	if err != nil {
		return 0, err
	}
	resp, err := s.httpc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAPIBody))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("fakeslack: events URL answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// SendEvent delivers one Events API event (a map, a slackevents struct,
// anything that marshals to an object with "type") over Socket Mode,
// wrapped in an event_callback with a fresh event_id, and returns the
// ack's payload.
func (s *Server) SendEvent(ctx context.Context, event any) (json.RawMessage, error) {
	s.mu.Lock()
	body, _, _, err := s.eventCallbackLocked(event)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.deliverEnvelope(ctx, "events_api", body, false)
}

// EventRequest builds the signed POST Slack makes to an app's Events URL
// for event, wrapped as SendEvent wraps it.
func (s *Server) EventRequest(ctx context.Context, url, secret string, event any) (*http.Request, error) {
	s.mu.Lock()
	body, _, _, err := s.eventCallbackLocked(event)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return NewSignedRequest(ctx, url, secret, "application/json", body)
}

// URLVerificationRequest builds the signed challenge Slack sends when an
// Events URL is saved.
func URLVerificationRequest(ctx context.Context, url, secret, challenge string) (*http.Request, error) {
	body, err := json.Marshal(map[string]string{
		"token": verificationToken, "challenge": challenge, "type": "url_verification",
	})
	if err != nil {
		return nil, err
	}
	return NewSignedRequest(ctx, url, secret, "application/json", body)
}
