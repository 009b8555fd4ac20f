package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// verificationToken fills the deprecated token field of payloads; bots
// must authenticate requests by signature, never by this value.
const verificationToken = "fake-verification-token"

func (s *Server) teamLocked() slack.Team {
	return slack.Team{ID: s.cfg.teamID, Domain: s.cfg.teamDomain}
}

func (s *Server) payloadUserLocked(id string) slack.User {
	return slack.User{ID: id, Name: s.userName(id), TeamID: s.cfg.teamID}
}

func (s *Server) channelNameLocked(id string) string {
	ch := s.channels[id]
	switch {
	case ch == nil:
		return ""
	case ch.im:
		return "directmessage"
	case ch.mpim:
		return "mpdm"
	}
	return ch.name
}

// PrepareSlashCommand fills what Slack adds to a slash command and a test
// would rather not write: team, app, user and channel names, the token, a
// fresh trigger ID and a response_url served by the fake.
func (s *Server) PrepareSlashCommand(cmd slack.SlashCommand) slack.SlashCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd.Token = orDefault(cmd.Token, verificationToken)
	cmd.TeamID = orDefault(cmd.TeamID, s.cfg.teamID)
	cmd.TeamDomain = orDefault(cmd.TeamDomain, s.cfg.teamDomain)
	cmd.APIAppID = orDefault(cmd.APIAppID, s.cfg.appID)
	cmd.UserName = orDefault(cmd.UserName, s.userName(cmd.UserID))
	cmd.ChannelName = orDefault(cmd.ChannelName, s.channelNameLocked(cmd.ChannelID))
	if cmd.TriggerID == "" {
		cmd.TriggerID = s.newTriggerLocked(cmd.UserID)
	} else {
		s.adoptTriggerLocked(cmd.TriggerID, cmd.UserID)
	}
	if cmd.ResponseURL == "" {
		cmd.ResponseURL = s.newResponseURLLocked(cmd.ChannelID, cmd.UserID, "", "")
	}
	return cmd
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// SendSlashCommand delivers cmd over Socket Mode (after PrepareSlashCommand)
// and returns the ack's payload: the command's immediate answer.
func (s *Server) SendSlashCommand(ctx context.Context, cmd slack.SlashCommand) (json.RawMessage, error) {
	cmd = s.PrepareSlashCommand(cmd)
	payload, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	return s.deliverEnvelope(ctx, "slash_commands", payload, true)
}

// SlashCommandRequest builds the signed form POST Slack makes to an app's
// command URL (after PrepareSlashCommand).
func (s *Server) SlashCommandRequest(ctx context.Context, commandURL, secret string, cmd slack.SlashCommand) (*http.Request, error) {
	cmd = s.PrepareSlashCommand(cmd)
	form := url.Values{
		"token":                 {cmd.Token},
		"team_id":               {cmd.TeamID},
		"team_domain":           {cmd.TeamDomain},
		"channel_id":            {cmd.ChannelID},
		"channel_name":          {cmd.ChannelName},
		"user_id":               {cmd.UserID},
		"user_name":             {cmd.UserName},
		"command":               {cmd.Command},
		"text":                  {cmd.Text},
		"api_app_id":            {cmd.APIAppID},
		"is_enterprise_install": {"false"},
		"response_url":          {cmd.ResponseURL},
		"trigger_id":            {cmd.TriggerID},
	}
	return NewSignedRequest(ctx, commandURL, secret, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// PrepareInteraction fills what Slack adds to an interaction payload:
// team, app, token, the user's name, a fresh trigger ID, and for
// interactions on a message a response_url served by the fake.
func (s *Server) PrepareInteraction(ic slack.InteractionCallback) slack.InteractionCallback {
	s.mu.Lock()
	defer s.mu.Unlock()
	ic.Token = orDefault(ic.Token, verificationToken)
	ic.APIAppID = orDefault(ic.APIAppID, s.cfg.appID)
	if ic.Team.ID == "" {
		ic.Team = s.teamLocked()
	}
	ic.User.Name = orDefault(ic.User.Name, s.userName(ic.User.ID))
	ic.User.TeamID = orDefault(ic.User.TeamID, s.cfg.teamID)
	switch ic.Type {
	case slack.InteractionTypeViewClosed, slack.InteractionTypeBlockSuggestion:
	default:
		if ic.TriggerID == "" {
			ic.TriggerID = s.newTriggerLocked(ic.User.ID)
		} else {
			s.adoptTriggerLocked(ic.TriggerID, ic.User.ID)
		}
	}
	channelID := orDefault(ic.Channel.ID, ic.Container.ChannelID)
	if ic.ResponseURL == "" && channelID != "" &&
		(ic.Type == slack.InteractionTypeBlockActions || ic.Type == slack.InteractionTypeMessageAction) {
		msgTS := orDefault(ic.Container.MessageTs, ic.MessageTs)
		ic.ResponseURL = s.newResponseURLLocked(channelID, ic.User.ID, msgTS, ic.Container.ThreadTs)
	}
	return ic
}

// marshalInteraction encodes ic with slack-go's own encoder, which lives on
// the pointer: marshalling the value would lose block_actions state.
func marshalInteraction(ic slack.InteractionCallback) ([]byte, error) {
	return json.Marshal(&ic)
}

// SendInteraction delivers ic over Socket Mode (after PrepareInteraction)
// and returns the ack's payload, e.g. a view_submission's response_action.
func (s *Server) SendInteraction(ctx context.Context, ic slack.InteractionCallback) (json.RawMessage, error) {
	ic = s.PrepareInteraction(ic)
	payload, err := marshalInteraction(ic)
	if err != nil {
		return nil, err
	}
	// Slack takes an answer in the ack only where it has a use for one.
	accepts := ic.Type == slack.InteractionTypeViewSubmission || ic.Type == slack.InteractionTypeBlockSuggestion
	return s.deliverEnvelope(ctx, "interactive", payload, accepts)
}

// InteractionRequest builds the signed POST Slack makes to an app's
// interactivity URL: a form whose payload field holds the JSON.
func (s *Server) InteractionRequest(ctx context.Context, interactivityURL, secret string, ic slack.InteractionCallback) (*http.Request, error) {
	ic = s.PrepareInteraction(ic)
	payload, err := marshalInteraction(ic)
	if err != nil {
		return nil, err
	}
	form := url.Values{"payload": {string(payload)}}
	return NewSignedRequest(ctx, interactivityURL, secret, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// SubmitView submits the open modal viewID as userID over Socket Mode,
// then applies the bot's answer to the modal stack (see
// ApplyViewSubmissionAnswer). It returns the ack's payload.
func (s *Server) SubmitView(ctx context.Context, viewID, userID string, values map[string]map[string]slack.BlockAction) (json.RawMessage, error) {
	ic, err := s.ViewSubmission(viewID, userID, values)
	if err != nil {
		return nil, err
	}
	ack, err := s.SendInteraction(ctx, ic)
	if err != nil {
		return nil, err
	}
	return ack, s.ApplyViewSubmissionAnswer(viewID, ack)
}

// ButtonClick builds the block_actions payload Slack sends when userID
// clicks the button actionID on the message at ts, taking block_id and
// value from the message as the bot posted it.
func (s *Server) ButtonClick(channelID, ts, userID, actionID string) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil || ch.byTS[ts] == nil {
		return slack.InteractionCallback{}, fmt.Errorf("fakeslack: no message %s in %s", ts, channelID)
	}
	m := ch.byTS[ts]
	action, found := findAction(m.blocks, actionID)
	if !found {
		return slack.InteractionCallback{}, fmt.Errorf("fakeslack: message %s has no action %q", ts, actionID)
	}
	action.ActionTs = s.nextTSLocked()
	msg, err := s.slackMessageLocked(ch, m)
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	container := slack.Container{Type: "message", MessageTs: ts, ChannelID: channelID}
	if m.isReply() {
		container.ThreadTs = m.threadTS
	}
	return slack.InteractionCallback{
		Type:           slack.InteractionTypeBlockActions,
		Token:          verificationToken,
		TriggerID:      s.newTriggerLocked(userID),
		Team:           s.teamLocked(),
		User:           s.payloadUserLocked(userID),
		APIAppID:       s.cfg.appID,
		Channel:        s.payloadChannelLocked(channelID),
		Container:      container,
		Message:        msg,
		MessageTs:      ts,
		ResponseURL:    s.newResponseURLLocked(channelID, userID, ts, container.ThreadTs),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{&action}},
	}, nil
}

// ClickButton sends ButtonClick's payload over Socket Mode and returns the
// ack's payload.
func (s *Server) ClickButton(ctx context.Context, channelID, ts, userID, actionID string) (json.RawMessage, error) {
	ic, err := s.ButtonClick(channelID, ts, userID, actionID)
	if err != nil {
		return nil, err
	}
	return s.SendInteraction(ctx, ic)
}

// MessageShortcut builds the message_action payload of userID choosing the
// shortcut callbackID on the message at ts.
func (s *Server) MessageShortcut(channelID, ts, userID, callbackID string) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil || ch.byTS[ts] == nil {
		return slack.InteractionCallback{}, fmt.Errorf("fakeslack: no message %s in %s", ts, channelID)
	}
	msg, err := s.slackMessageLocked(ch, ch.byTS[ts])
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	return slack.InteractionCallback{
		Type:        slack.InteractionTypeMessageAction,
		Token:       verificationToken,
		CallbackID:  callbackID,
		TriggerID:   s.newTriggerLocked(userID),
		Team:        s.teamLocked(),
		User:        s.payloadUserLocked(userID),
		APIAppID:    s.cfg.appID,
		Channel:     s.payloadChannelLocked(channelID),
		Message:     msg,
		MessageTs:   ts,
		ActionTs:    s.nextTSLocked(),
		ResponseURL: s.newResponseURLLocked(channelID, userID, ts, ""),
	}, nil
}

func (s *Server) payloadChannelLocked(id string) slack.Channel {
	var c slack.Channel
	c.ID = id
	c.Name = s.channelNameLocked(id)
	return c
}

func (s *Server) slackMessageLocked(ch *channel, m *message) (slack.Message, error) {
	raw, err := json.Marshal(s.messageJSON(ch, m, true))
	if err != nil {
		return slack.Message{}, err
	}
	var msg slack.Message
	if err := json.Unmarshal(raw, &msg); err != nil {
		return slack.Message{}, fmt.Errorf("fakeslack: message %s: %w", m.ts, err)
	}
	return msg, nil
}

// findAction finds an interactive element by action_id in actions blocks
// and section accessories.
func findAction(blocks json.RawMessage, actionID string) (slack.BlockAction, bool) {
	var list []struct {
		Type      string            `json:"type"`
		BlockID   string            `json:"block_id"`
		Elements  []json.RawMessage `json:"elements"`
		Accessory json.RawMessage   `json:"accessory"`
	}
	if json.Unmarshal(blocks, &list) != nil {
		return slack.BlockAction{}, false
	}
	for _, b := range list {
		candidates := b.Elements
		if b.Accessory != nil {
			candidates = append(candidates, b.Accessory)
		}
		for _, raw := range candidates {
			var e struct {
				Type     string                 `json:"type"`
				ActionID string                 `json:"action_id"`
				Value    string                 `json:"value"`
				Text     *slack.TextBlockObject `json:"text"`
			}
			if json.Unmarshal(raw, &e) != nil || e.ActionID != actionID {
				continue
			}
			a := slack.BlockAction{ActionID: e.ActionID, BlockID: b.BlockID, Type: slack.ActionType(e.Type), Value: e.Value}
			if e.Text != nil {
				a.Text = *e.Text
			}
			return a, true
		}
	}
	return slack.BlockAction{}, false
}

// newResponseURLLocked makes a response_url on the fake for an
// interaction in channelID by userID, on the message at messageTS if any.
func (s *Server) newResponseURLLocked(channelID, userID, messageTS, threadTS string) string {
	if len(s.responses) >= maxLiveHandles {
		for id, ru := range s.responses {
			if ru.uses >= responseURLUses || s.now().Sub(ru.created) > responseURLTTL {
				delete(s.responses, id)
			}
		}
	}
	id := strings.ToLower(s.newIDLocked("R")) + randomHex(4)
	s.responses[id] = &responseURL{
		id: id, channel: channelID, user: userID, messageTS: messageTS, threadTS: threadTS, created: s.now(),
	}
	return s.url + "/response/" + id
}
