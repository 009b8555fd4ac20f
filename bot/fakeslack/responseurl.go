package fakeslack

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"
)

// Slack lets an app use a response_url up to 5 times within 30 minutes.
const (
	responseURLUses = 5
	responseURLTTL  = 30 * time.Minute
)

type responseURL struct {
	id, channel, user   string
	messageTS, threadTS string
	created             time.Time
	uses                int
}

// Response is one POST the bot made to a response_url.
type Response struct {
	URLID           string // the last path element of the response_url
	Channel         string
	User            string // who triggered the interaction
	ResponseType    string // "ephemeral" (Slack's default) or "in_channel"
	ReplaceOriginal bool
	DeleteOriginal  bool
	Text            string
	Blocks          json.RawMessage
	Body            json.RawMessage // as sent
	Time            time.Time
}

// Responses returns every response_url POST, oldest first.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.responseLog)
}

// handleResponseURL applies a response_url POST the way Slack shows it:
// replace or delete the original message, post in the channel, or show the
// user an ephemeral message.
func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
		Metadata        json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if isEmptyJSONList(msg.Blocks) {
		msg.Blocks = nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ru := s.responses[r.PathValue("id")]
	switch {
	case ru == nil:
		http.Error(w, "no_active_hooks", http.StatusNotFound)
		return
	case ru.uses >= responseURLUses:
		http.Error(w, "used_url", http.StatusNotFound)
		return
	case now.Sub(ru.created) > responseURLTTL:
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	}
	if msg.Blocks != nil {
		if code, _ := validateBlocks(msg.Blocks, maxMessageBlocks, "/blocks"); code != "" {
			http.Error(w, code, http.StatusBadRequest)
			return
		}
		msg.Blocks = compactJSON(msg.Blocks)
	}
	ru.uses++
	if msg.ResponseType == "" {
		msg.ResponseType = "ephemeral"
	}
	s.responseLog = appendBounded(s.responseLog, Response{
		URLID: ru.id, Channel: ru.channel, User: ru.user, ResponseType: msg.ResponseType,
		ReplaceOriginal: msg.ReplaceOriginal, DeleteOriginal: msg.DeleteOriginal,
		Text: msg.Text, Blocks: msg.Blocks, Body: compactJSON(body), Time: now,
	}, s.cfg.logLimit)

	ch := s.channels[ru.channel]
	var original *message
	if ch != nil && ru.messageTS != "" {
		original = ch.byTS[ru.messageTS]
	}
	switch {
	case msg.DeleteOriginal && original != nil:
		s.deleteMessageLocked(ch, original)
	case msg.ReplaceOriginal && original != nil:
		original.text, original.blocks = msg.Text, msg.Blocks
		original.editedTS = s.nextTSLocked()
		s.updates = appendBounded(s.updates, Update{
			Channel: ch.id, TS: original.ts, Text: original.text, Blocks: original.blocks,
			Metadata: parseMetadata(original.metadata), Via: "response_url", Time: now,
		}, s.cfg.logLimit)
	case msg.ResponseType == "in_channel" && ch != nil:
		m := &message{
			user: s.cfg.botUserID, botID: s.cfg.botID, text: msg.Text, blocks: msg.Blocks,
			threadTS: orDefault(msg.ThreadTS, ru.threadTS),
		}
		if msg.Metadata != nil {
			m.metadata, _ = normaliseMetadata(msg.Metadata)
		}
		s.addMessageLocked(ch, m)
	default:
		s.ephemerals = appendBounded(s.ephemerals, Ephemeral{
			Channel: ru.channel, User: ru.user, TS: s.nextTSLocked(),
			ThreadTS: orDefault(msg.ThreadTS, ru.threadTS), Text: msg.Text, Blocks: msg.Blocks,
			Via: "response_url", Time: now,
		}, s.cfg.logLimit)
	}
	s.bumpLocked()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = io.WriteString(w, `{"ok":true}`)
}
