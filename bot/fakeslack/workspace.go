package fakeslack

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

type channel struct {
	id, name string
	private  bool
	im, mpim bool
	user     string // the other side of a DM
	archived bool
	created  time.Time
	members  []string // in joining order
	msgs     []*message
	byTS     map[string]*message
}

func (c *channel) isMember(u string) bool { return slices.Contains(c.members, u) }

func (c *channel) addMember(u string) {
	if !c.isMember(u) {
		c.members = append(c.members, u)
	}
}

func (c *channel) removeMember(u string) {
	c.members = slices.DeleteFunc(c.members, func(m string) bool { return m == u })
}

// channelType is the channel_type Slack puts on message events.
func (c *channel) channelType() string {
	switch {
	case c.im:
		return "im"
	case c.mpim:
		return "mpim"
	case c.private:
		return "group"
	}
	return "channel"
}

type user struct {
	id, name, realName string
	isBot              bool
	botID              string
}

// AddChannel creates a channel: public C… or private (C… or legacy G…).
// members are user IDs; the bot is a member only if listed (or after
// SetBotMember or conversations.join). Re-adding an ID replaces its settings
// but keeps its messages. It panics on a D… ID: DMs come from OpenDM.
func (s *Server) AddChannel(id, name string, private bool, members ...string) {
	if !strings.HasPrefix(id, "C") && !strings.HasPrefix(id, "G") {
		panic(fmt.Sprintf("fakeslack: AddChannel(%q): channel IDs start with C or G", id))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[id]
	if ch == nil {
		ch = &channel{id: id, created: s.now(), byTS: map[string]*message{}}
		s.channels[id] = ch
	}
	ch.name, ch.private = name, private
	ch.members = nil
	for _, m := range members {
		ch.addMember(m)
	}
	s.bumpLocked()
}

// AddUser adds a person (or another bot) to the workspace.
func (s *Server) AddUser(id, name, realName string, isBot bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &user{id: id, name: name, realName: realName, isBot: isBot}
	if isBot {
		u.botID = "B" + strings.TrimPrefix(id, "U")
	}
	s.users[id] = u
	s.bumpLocked()
}

// SetBotMember puts the bot in or out of channel, as an invite or a kick
// would. It panics on an unknown channel.
func (s *Server) SetBotMember(channelID string, member bool) {
	s.SetMember(channelID, s.cfg.botUserID, member)
}

// SetMember puts a user in or out of channel. It panics on an unknown
// channel.
func (s *Server) SetMember(channelID, userID string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.mustChannelLocked(channelID)
	if member {
		ch.addMember(userID)
	} else {
		ch.removeMember(userID)
	}
	s.bumpLocked()
}

// Archive archives channel: posts then answer is_archived. It panics on an
// unknown channel.
func (s *Server) Archive(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustChannelLocked(channelID).archived = true
	s.bumpLocked()
}

// OpenDM returns the DM channel between the bot and userID, creating it as
// conversations.open would.
func (s *Server) OpenDM(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, _ := s.openDMLocked(userID)
	return ch.id
}

func (s *Server) mustChannelLocked(id string) *channel {
	ch := s.channels[id]
	if ch == nil {
		panic(fmt.Sprintf("fakeslack: unknown channel %q", id))
	}
	return ch
}

// openDMLocked returns the bot's DM with userID and whether it existed.
func (s *Server) openDMLocked(userID string) (*channel, bool) {
	if id, found := s.dms[userID]; found {
		return s.channels[id], true
	}
	ch := &channel{
		id:      s.newIDLocked("D"),
		im:      true,
		private: true,
		user:    userID,
		created: s.now(),
		members: []string{userID, s.cfg.botUserID},
		byTS:    map[string]*message{},
	}
	s.channels[ch.id] = ch
	s.dms[userID] = ch.id
	return ch, false
}

// postTargetLocked resolves a chat.* channel argument. Like Slack, a user ID
// there means the bot's DM with that user.
func (s *Server) postTargetLocked(id string) (*channel, string) {
	if ch := s.channels[id]; ch != nil {
		return ch, ""
	}
	if strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") {
		if _, found := s.users[id]; found {
			ch, _ := s.openDMLocked(id)
			return ch, ""
		}
	}
	return nil, "channel_not_found"
}

// writableLocked is the error Slack gives when the bot posts in ch.
func (s *Server) writableLocked(ch *channel) string {
	switch {
	case ch.archived:
		return "is_archived"
	case ch.isMember(s.cfg.botUserID):
		return ""
	case ch.private || ch.im || ch.mpim:
		// Slack does not reveal private conversations to non-members.
		return "channel_not_found"
	case s.cfg.chatWritePublic:
		return ""
	}
	return "not_in_channel"
}

// readableLocked is the error Slack gives when the bot reads ch's history.
func (s *Server) readableLocked(id string) (*channel, string) {
	ch := s.channels[id]
	switch {
	case ch == nil:
		return nil, "channel_not_found"
	case ch.isMember(s.cfg.botUserID):
		return ch, ""
	case ch.private || ch.im || ch.mpim:
		return nil, "channel_not_found"
	}
	return nil, "not_in_channel"
}

// channelJSON is the conversation object Slack returns.
func (s *Server) channelJSON(ch *channel, withMembers bool) map[string]any {
	m := map[string]any{
		"id":                    ch.id,
		"created":               ch.created.Unix(),
		"is_archived":           ch.archived,
		"is_channel":            !ch.im && !ch.mpim && !(ch.private && strings.HasPrefix(ch.id, "G")),
		"is_group":              ch.private && !ch.im && !ch.mpim && strings.HasPrefix(ch.id, "G"),
		"is_im":                 ch.im,
		"is_mpim":               ch.mpim,
		"is_private":            ch.private,
		"is_member":             ch.isMember(s.cfg.botUserID),
		"is_general":            false,
		"is_shared":             false,
		"is_ext_shared":         false,
		"is_org_shared":         false,
		"is_pending_ext_shared": false,
		"context_team_id":       s.cfg.teamID,
		"num_members":           len(ch.members),
	}
	if ch.im {
		m["user"] = ch.user
		m["is_open"] = true
		m["is_user_deleted"] = false
	} else {
		m["name"] = ch.name
		m["name_normalized"] = ch.name
		m["creator"] = ""
		m["topic"] = map[string]any{"value": "", "creator": "", "last_set": 0}
		m["purpose"] = map[string]any{"value": "", "creator": "", "last_set": 0}
	}
	if withMembers {
		m["members"] = append([]string{}, ch.members...)
	}
	return m
}

func (s *Server) userJSON(u *user) map[string]any {
	profile := map[string]any{
		"real_name":               u.realName,
		"real_name_normalized":    u.realName,
		"display_name":            u.name,
		"display_name_normalized": u.name,
		"team":                    s.cfg.teamID,
	}
	m := map[string]any{
		"id":        u.id,
		"team_id":   s.cfg.teamID,
		"name":      u.name,
		"real_name": u.realName,
		"deleted":   false,
		"is_bot":    u.isBot,
		"is_admin":  false,
		"is_owner":  false,
		"tz":        "Europe/Paris",
		"tz_label":  "Central European Time",
		"tz_offset": 3600,
		"locale":    "en-US",
		"profile":   profile,
	}
	if u.isBot {
		profile["bot_id"] = u.botID
		profile["api_app_id"] = s.cfg.appID
	}
	return m
}

func (s *Server) userName(id string) string {
	if u := s.users[id]; u != nil {
		return u.name
	}
	return strings.ToLower(id)
}
