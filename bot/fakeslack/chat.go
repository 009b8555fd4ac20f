package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's limits on a message, enforced so the bot meets them before
// production does.
const (
	maxTextRunes     = 40000
	maxMessageBlocks = 50
)

type message struct {
	ts, threadTS string // threadTS is the parent's ts on replies, else ""
	user, botID  string
	text         string
	blocks       json.RawMessage
	attachments  json.RawMessage
	metadata     json.RawMessage // normalised {"event_type","event_payload"}
	subtype      string
	broadcast    bool
	files        []string
	editedTS     string
	unfurlLinks  *bool
	unfurlMedia  *bool
	clientMsgID  string
	replies      []*message
	at           time.Time
}

func (m *message) isReply() bool { return m.threadTS != "" && m.threadTS != m.ts }

// Message is a message as stored by the fake.
type Message struct {
	Channel string
	TS      string
	// ThreadTS is the parent's ts on a reply and the message's own ts on a
	// parent with replies, as in Slack's API; "" otherwise.
	ThreadTS       string
	User           string // the bot's user ID for the bot's messages
	BotID          string // set on messages from bots
	Text           string
	Blocks         json.RawMessage // as sent, nil when none
	Attachments    json.RawMessage
	Metadata       *slack.SlackMetadata // nil when none
	Subtype        string               // "thread_broadcast", "tombstone" (deleted parent), …
	ReplyBroadcast bool
	ReplyCount     int
	Files          []string // file IDs shared with the message
	Edited         bool
	UnfurlLinks    *bool // nil when the poster did not say
	UnfurlMedia    *bool
	Time           time.Time // the fake's clock when posted
}

// IsReply reports whether m is a reply in a thread.
func (m Message) IsReply() bool { return m.ThreadTS != "" && m.ThreadTS != m.TS }

// Ephemeral is a message only one user saw.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string // message_ts, never stored in history
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	Via      string // "chat.postEphemeral" or "response_url"
	Time     time.Time
}

// Update is one successful edit of a message.
type Update struct {
	Channel  string
	TS       string
	Text     string
	Blocks   json.RawMessage
	Metadata *slack.SlackMetadata
	Via      string // "chat.update" or "response_url"
	Time     time.Time
}

func (s *Server) chatPostMessage(req *request) result {
	ch, code := s.postTargetLocked(req.p.str("channel"))
	if code != "" {
		return fail(code)
	}
	if code := s.writableLocked(ch); code != "" {
		return fail(code)
	}
	m := &message{user: s.cfg.botUserID, botID: s.cfg.botID}
	if res, bad := s.readContentLocked(req.p, m, maxMessageBlocks); bad {
		return res
	}
	if m.text == "" && isEmptyJSONList(m.blocks) && isEmptyJSONList(m.attachments) {
		return fail("no_text")
	}
	if meta := req.p.raw("metadata"); meta != nil {
		norm, code := normaliseMetadata(meta)
		if code != "" {
			return fail(code)
		}
		m.metadata = norm
	}
	if ts := req.p.str("thread_ts"); ts != "" {
		if _, valid := parseTS(ts); !valid {
			return fail("invalid_thread_ts")
		}
		m.threadTS = ts
	}
	m.broadcast = m.threadTS != "" && req.p.boolean("reply_broadcast")
	m.unfurlLinks, m.unfurlMedia = req.p.optBool("unfurl_links"), req.p.optBool("unfurl_media")
	if wait, allowed := s.allowLocked(ch.id, req.now); !allowed {
		return result{status: 429, retryAfter: wait, err: "ratelimited"}
	}
	s.addMessageLocked(ch, m)
	if s.cfg.echoBotMessages {
		s.deliverMessageEventsLocked(ch, m)
	}
	return ok(map[string]any{
		"channel": ch.id,
		"ts":      m.ts,
		"message": s.messageJSON(ch, m, true),
	})
}

// readContentLocked fills text, blocks and attachments from p, checking them
// as Slack does. It reports bad with the error result to return.
func (s *Server) readContentLocked(p params, m *message, maxBlocks int) (result, bool) {
	m.text = p.str("text")
	if utf8.RuneCountInString(m.text) > maxTextRunes {
		return fail("msg_too_long"), true
	}
	m.blocks, m.attachments = nil, nil
	if b := p.raw("blocks"); b != nil {
		if code, msgs := validateBlocks(b, maxBlocks, "/blocks"); code != "" {
			return fail(code, msgs...), true
		}
		if !isEmptyJSONList(b) {
			m.blocks = compactJSON(b)
		}
	}
	if a := p.raw("attachments"); a != nil {
		var list []json.RawMessage
		if err := json.Unmarshal(a, &list); err != nil {
			return fail("invalid_attachments"), true
		}
		if len(list) > 0 {
			m.attachments = compactJSON(a)
		}
	}
	return result{}, false
}

// addMessageLocked stamps m with a fresh ts and stores it in ch, threading
// it the way Slack does: a reply to a reply joins the parent's thread, and
// a reply to a message that does not exist is posted unthreaded.
func (s *Server) addMessageLocked(ch *channel, m *message) {
	m.ts = s.nextTSLocked()
	m.at = s.now()
	if m.threadTS != "" {
		parent := ch.byTS[m.threadTS]
		if parent != nil && parent.isReply() {
			parent = ch.byTS[parent.threadTS]
		}
		if parent == nil {
			m.threadTS, m.broadcast = "", false
		} else {
			m.threadTS = parent.ts
			parent.replies = append(parent.replies, m)
		}
	}
	if m.broadcast {
		m.subtype = "thread_broadcast"
	}
	ch.msgs = append(ch.msgs, m)
	ch.byTS[m.ts] = m
	s.bumpLocked()
}

func (s *Server) chatUpdate(req *request) result {
	ch := s.channels[req.p.str("channel")]
	if ch == nil {
		return fail("channel_not_found")
	}
	m := ch.byTS[req.p.str("ts")]
	switch {
	case m == nil || m.subtype == "tombstone":
		return fail("message_not_found")
	case m.user != s.cfg.botUserID:
		return fail("cant_update_message")
	case ch.archived:
		return fail("is_archived")
	}
	// Only what is sent changes: Slack keeps blocks, attachments and
	// metadata the update leaves out, and "blocks=[]" clears them.
	next := *m
	if res, bad := s.readContentLocked(req.p, &next, maxMessageBlocks); bad {
		return res
	}
	if !req.p.has("text") {
		next.text = m.text
	}
	if !req.p.has("blocks") {
		next.blocks = m.blocks
	}
	if !req.p.has("attachments") {
		next.attachments = m.attachments
	}
	if !req.p.has("text") && !req.p.has("blocks") && !req.p.has("attachments") {
		return fail("no_text")
	}
	if meta := req.p.raw("metadata"); meta != nil {
		norm, code := normaliseMetadata(meta)
		if code != "" {
			return fail(code)
		}
		next.metadata = norm
	}
	next.editedTS = s.nextTSLocked()
	*m = next
	s.updates = appendBounded(s.updates, Update{
		Channel: ch.id, TS: m.ts, Text: m.text, Blocks: m.blocks,
		Metadata: parseMetadata(m.metadata), Via: "chat.update", Time: req.now,
	}, s.cfg.logLimit)
	s.bumpLocked()
	return ok(map[string]any{
		"channel": ch.id,
		"ts":      m.ts,
		"text":    m.text,
		"message": s.messageJSON(ch, m, true),
	})
}

func (s *Server) chatPostEphemeral(req *request) result {
	ch, code := s.postTargetLocked(req.p.str("channel"))
	if code != "" {
		return fail(code)
	}
	if code := s.writableLocked(ch); code != "" {
		return fail(code)
	}
	userID := req.p.str("user")
	if _, known := s.users[userID]; !known {
		return fail("user_not_found")
	}
	if !ch.isMember(userID) {
		return fail("user_not_in_channel")
	}
	var m message
	if res, bad := s.readContentLocked(req.p, &m, maxMessageBlocks); bad {
		return res
	}
	if m.text == "" && isEmptyJSONList(m.blocks) && isEmptyJSONList(m.attachments) {
		return fail("no_text")
	}
	e := Ephemeral{
		Channel: ch.id, User: userID, TS: s.nextTSLocked(), ThreadTS: req.p.str("thread_ts"),
		Text: m.text, Blocks: m.blocks, Via: "chat.postEphemeral", Time: req.now,
	}
	s.ephemerals = appendBounded(s.ephemerals, e, s.cfg.logLimit)
	s.bumpLocked()
	return ok(map[string]any{"message_ts": e.TS})
}

func (s *Server) chatGetPermalink(req *request) result {
	ch := s.channels[req.p.str("channel")]
	if ch == nil {
		return fail("channel_not_found")
	}
	m := ch.byTS[req.p.str("message_ts")]
	if m == nil {
		return fail("message_not_found")
	}
	return ok(map[string]any{"channel": ch.id, "permalink": s.permalink(ch.id, m)})
}

func (s *Server) permalink(channelID string, m *message) string {
	link := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s", s.cfg.teamDomain, channelID, strings.ReplaceAll(m.ts, ".", ""))
	if m.isReply() {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.threadTS, channelID)
	}
	return link
}

func (s *Server) chatDelete(req *request) result {
	ch := s.channels[req.p.str("channel")]
	if ch == nil {
		return fail("channel_not_found")
	}
	m := ch.byTS[req.p.str("ts")]
	switch {
	case m == nil || m.subtype == "tombstone":
		return fail("message_not_found")
	case m.user != s.cfg.botUserID:
		return fail("cant_delete_message")
	case ch.archived:
		return fail("is_archived")
	}
	s.deleteMessageLocked(ch, m)
	return ok(map[string]any{"channel": ch.id, "ts": m.ts})
}

// deleteMessageLocked removes m; a parent with replies stays as Slack's
// "This message was deleted." tombstone so its thread remains readable.
func (s *Server) deleteMessageLocked(ch *channel, m *message) {
	if len(m.replies) > 0 {
		*m = message{ts: m.ts, threadTS: m.threadTS, text: "This message was deleted.", subtype: "tombstone", replies: m.replies, at: m.at}
		s.bumpLocked()
		return
	}
	ch.msgs = slices.DeleteFunc(ch.msgs, func(x *message) bool { return x == m })
	delete(ch.byTS, m.ts)
	if m.isReply() {
		if parent := ch.byTS[m.threadTS]; parent != nil {
			parent.replies = slices.DeleteFunc(parent.replies, func(x *message) bool { return x == m })
		}
	}
	s.bumpLocked()
}

// messageJSON is the message object of history, replies and chat.* answers.
func (s *Server) messageJSON(ch *channel, m *message, withMetadata bool) map[string]any {
	j := map[string]any{
		"type": "message",
		"ts":   m.ts,
		"text": m.text,
		"team": s.cfg.teamID,
	}
	if m.user != "" {
		j["user"] = m.user
	}
	if m.botID != "" {
		j["bot_id"] = m.botID
		if m.user == s.cfg.botUserID {
			j["app_id"] = s.cfg.appID
			j["bot_profile"] = map[string]any{
				"id": s.cfg.botID, "app_id": s.cfg.appID, "name": s.cfg.botName,
				"team_id": s.cfg.teamID, "deleted": false,
			}
		}
	}
	if m.subtype != "" {
		j["subtype"] = m.subtype
	}
	if m.clientMsgID != "" {
		j["client_msg_id"] = m.clientMsgID
	}
	if m.blocks != nil {
		j["blocks"] = m.blocks
	}
	if m.attachments != nil {
		j["attachments"] = m.attachments
	}
	if withMetadata && m.metadata != nil {
		j["metadata"] = m.metadata
	}
	if m.editedTS != "" {
		j["edited"] = map[string]any{"user": m.user, "ts": m.editedTS}
	}
	if len(m.files) > 0 {
		var files []map[string]any
		for _, id := range m.files {
			if f := s.files[id]; f != nil {
				files = append(files, s.fileJSON(f))
			}
		}
		j["files"] = files
		j["upload"] = true
	}
	if m.isReply() {
		j["thread_ts"] = m.threadTS
		if parent := ch.byTS[m.threadTS]; parent != nil {
			j["parent_user_id"] = parent.user
		}
	} else if len(m.replies) > 0 {
		j["thread_ts"] = m.ts
		j["reply_count"] = len(m.replies)
		users := replyUsers(m)
		j["reply_users"] = users
		j["reply_users_count"] = len(users)
		j["latest_reply"] = m.replies[len(m.replies)-1].ts
		j["subscribed"] = false
	}
	return j
}

func replyUsers(m *message) []string {
	var users []string
	for _, r := range m.replies {
		if r.user != "" && !slices.Contains(users, r.user) {
			users = append(users, r.user)
		}
	}
	return users
}

func (s *Server) publicMessage(ch *channel, m *message) Message {
	out := Message{
		Channel: ch.id, TS: m.ts, User: m.user, BotID: m.botID, Text: m.text,
		Blocks: m.blocks, Attachments: m.attachments, Metadata: parseMetadata(m.metadata),
		Subtype: m.subtype, ReplyBroadcast: m.broadcast, ReplyCount: len(m.replies),
		Files: slices.Clone(m.files), Edited: m.editedTS != "",
		UnfurlLinks: m.unfurlLinks, UnfurlMedia: m.unfurlMedia, Time: m.at,
	}
	switch {
	case m.isReply():
		out.ThreadTS = m.threadTS
	case len(m.replies) > 0:
		out.ThreadTS = m.ts
	}
	return out
}

// Messages returns every message of channel, top-level and replies, in
// posting order. Unknown channels have none.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return nil
	}
	out := make([]Message, 0, len(ch.msgs))
	for _, m := range ch.msgs {
		out = append(out, s.publicMessage(ch, m))
	}
	return out
}

// Thread returns the parent at ts followed by its replies, or nil.
func (s *Server) Thread(channelID, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil || ch.byTS[ts] == nil {
		return nil
	}
	parent := ch.byTS[ts]
	out := []Message{s.publicMessage(ch, parent)}
	for _, r := range parent.replies {
		out = append(out, s.publicMessage(ch, r))
	}
	return out
}

// Message returns the message at ts in channel.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil || ch.byTS[ts] == nil {
		return Message{}, false
	}
	return s.publicMessage(ch, ch.byTS[ts]), true
}

// Ephemerals returns every ephemeral message, oldest first.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// Updates returns every successful message edit, oldest first.
func (s *Server) Updates() []Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.updates)
}

// normaliseMetadata checks message metadata the way Slack reads it: an
// object with a non-empty event_type and an object event_payload.
func normaliseMetadata(raw json.RawMessage) (json.RawMessage, string) {
	var md struct {
		EventType    string          `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if err := json.Unmarshal(raw, &md); err != nil || md.EventType == "" {
		return nil, "invalid_metadata_format"
	}
	payload := map[string]any{}
	if len(md.EventPayload) > 0 && string(md.EventPayload) != "null" {
		if err := json.Unmarshal(md.EventPayload, &payload); err != nil {
			return nil, "invalid_metadata_format"
		}
	}
	out, err := json.Marshal(map[string]any{"event_type": md.EventType, "event_payload": payload})
	if err != nil {
		return nil, "invalid_metadata_format"
	}
	return out, ""
}

func parseMetadata(raw json.RawMessage) *slack.SlackMetadata {
	if raw == nil {
		return nil
	}
	var md slack.SlackMetadata
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil
	}
	return &md
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return buf.Bytes()
}

func isEmptyJSONList(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "[]" || s == "null"
}
