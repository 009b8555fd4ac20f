package fakeslack

import (
	"encoding/base64"
	"math"
	"slices"
	"strings"
)

// Slack's paging: limit defaults to 100 and is capped at 999 for history
// (1000 elsewhere); the fake caps both at 999.
const (
	defaultLimit = 100
	maxLimit     = 999
)

func (s *Server) apiTest(req *request) result {
	args := map[string]string{}
	for k := range req.p.v {
		if k != "token" {
			args[k] = req.p.str(k)
		}
	}
	return ok(map[string]any{"args": args})
}

func (s *Server) authTest(*request) result {
	return ok(map[string]any{
		"url":                   "https://" + s.cfg.teamDomain + ".slack.com/",
		"team":                  s.cfg.teamName,
		"user":                  s.cfg.botName,
		"team_id":               s.cfg.teamID,
		"user_id":               s.cfg.botUserID,
		"bot_id":                s.cfg.botID,
		"is_enterprise_install": false,
	})
}

func (s *Server) usersInfo(req *request) result {
	u := s.users[req.p.str("user")]
	if u == nil {
		return fail("user_not_found")
	}
	return ok(map[string]any{"user": s.userJSON(u)})
}

// pageLimit reads limit as Slack does: 0 or absent means the default.
func pageLimit(p params) (int, bool) {
	n, valid := p.integer("limit", defaultLimit)
	if !valid || n < 0 {
		return 0, false
	}
	if n == 0 {
		n = defaultLimit
	}
	return min(n, maxLimit), true
}

// Cursors are opaque to clients; the fake's, like Slack's, are base64 of
// where the next page starts.
func encodeCursor(kind, at string) string {
	return base64.StdEncoding.EncodeToString([]byte(kind + ":" + at))
}

func decodeCursor(kind, cursor string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), kind+":")
}

// tsRange is the oldest/latest/inclusive window of history and replies.
type tsRange struct {
	oldest, latest int64
	inclusive      bool
}

func readRange(p params) (tsRange, string) {
	r := tsRange{oldest: 0, latest: math.MaxInt64, inclusive: p.boolean("inclusive")}
	if v := p.str("oldest"); v != "" && v != "0" {
		n, valid := parseTS(v)
		if !valid {
			return r, "invalid_ts_oldest"
		}
		r.oldest = n
	}
	if v := p.str("latest"); v != "" && v != "0" {
		n, valid := parseTS(v)
		if !valid {
			return r, "invalid_ts_latest"
		}
		r.latest = n
	}
	return r, ""
}

func (r tsRange) contains(ts string) bool {
	n, _ := parseTS(ts)
	if r.inclusive {
		return n >= r.oldest && n <= r.latest
	}
	return n > r.oldest && n < r.latest
}

func (s *Server) conversationsHistory(req *request) result {
	ch, code := s.readableLocked(req.p.str("channel"))
	if code != "" {
		return fail(code)
	}
	limit, valid := pageLimit(req.p)
	if !valid {
		return fail("invalid_limit")
	}
	window, code := readRange(req.p)
	if code != "" {
		return fail(code)
	}
	// Newest first; replies appear only when broadcast to the channel.
	var visible []*message
	for i := len(ch.msgs) - 1; i >= 0; i-- {
		m := ch.msgs[i]
		if (!m.isReply() || m.broadcast) && window.contains(m.ts) {
			visible = append(visible, m)
		}
	}
	start := 0
	if c := req.p.str("cursor"); c != "" {
		at, valid := decodeCursor("next_ts", c)
		if !valid {
			return fail("invalid_cursor")
		}
		atMicros, _ := parseTS(at)
		start = len(visible)
		for i, m := range visible {
			if n, _ := parseTS(m.ts); n <= atMicros {
				start = i
				break
			}
		}
	}
	page, next := visible[start:], ""
	if len(page) > limit {
		next = encodeCursor("next_ts", page[limit].ts)
		page = page[:limit]
	}
	withMeta := req.p.boolean("include_all_metadata")
	msgs := make([]map[string]any, 0, len(page))
	for _, m := range page {
		msgs = append(msgs, s.messageJSON(ch, m, withMeta))
	}
	return ok(map[string]any{
		"messages":          msgs,
		"has_more":          next != "",
		"pin_count":         0,
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

func (s *Server) conversationsReplies(req *request) result {
	ch, code := s.readableLocked(req.p.str("channel"))
	if code != "" {
		return fail(code)
	}
	limit, valid := pageLimit(req.p)
	if !valid {
		return fail("invalid_limit")
	}
	window, code := readRange(req.p)
	if code != "" {
		return fail(code)
	}
	m := ch.byTS[req.p.str("ts")]
	if m == nil {
		return fail("thread_not_found")
	}
	// The ts of a reply yields that reply alone, as on Slack.
	thread := []*message{m}
	if !m.isReply() {
		for _, r := range m.replies {
			if window.contains(r.ts) {
				thread = append(thread, r)
			}
		}
	}
	start := 0
	if c := req.p.str("cursor"); c != "" {
		at, valid := decodeCursor("next_ts", c)
		if !valid {
			return fail("invalid_cursor")
		}
		start = slices.IndexFunc(thread, func(x *message) bool { return x.ts == at })
		if start < 0 {
			return fail("invalid_cursor")
		}
	}
	page, next := thread[start:], ""
	if len(page) > limit {
		next = encodeCursor("next_ts", page[limit].ts)
		page = page[:limit]
	}
	withMeta := req.p.boolean("include_all_metadata")
	msgs := make([]map[string]any, 0, len(page))
	for _, x := range page {
		msgs = append(msgs, s.messageJSON(ch, x, withMeta))
	}
	return ok(map[string]any{
		"messages":          msgs,
		"has_more":          next != "",
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

func (s *Server) conversationsInfo(req *request) result {
	ch := s.channels[req.p.str("channel")]
	if ch == nil || ((ch.private || ch.im || ch.mpim) && !ch.isMember(s.cfg.botUserID)) {
		return fail("channel_not_found")
	}
	return ok(map[string]any{"channel": s.channelJSON(ch, false)})
}

func (s *Server) conversationsMembers(req *request) result {
	ch := s.channels[req.p.str("channel")]
	if ch == nil || ((ch.private || ch.im || ch.mpim) && !ch.isMember(s.cfg.botUserID)) {
		return fail("channel_not_found")
	}
	limit, valid := pageLimit(req.p)
	if !valid {
		return fail("invalid_limit")
	}
	start := 0
	if c := req.p.str("cursor"); c != "" {
		at, valid := decodeCursor("user_id", c)
		start = slices.Index(ch.members, at)
		if !valid || start < 0 {
			return fail("invalid_cursor")
		}
	}
	page, next := ch.members[start:], ""
	if len(page) > limit {
		next = encodeCursor("user_id", page[limit])
		page = page[:limit]
	}
	return ok(map[string]any{
		"members":           slices.Clone(page),
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

func (s *Server) conversationsJoin(req *request) result {
	ch := s.channels[req.p.str("channel")]
	switch {
	case ch == nil:
		return fail("channel_not_found")
	case ch.im || ch.mpim || ch.private:
		// Private conversations take an invitation, never a join.
		return fail("method_not_supported_for_channel_type")
	case ch.archived:
		return fail("is_archived")
	}
	res := ok(nil)
	if ch.isMember(s.cfg.botUserID) {
		res.warning = "already_in_channel"
	}
	ch.addMember(s.cfg.botUserID)
	res.fields = map[string]any{"channel": s.channelJSON(ch, false)}
	s.bumpLocked()
	return res
}

func (s *Server) conversationsLeave(req *request) result {
	ch := s.channels[req.p.str("channel")]
	switch {
	case ch == nil:
		return fail("channel_not_found")
	case ch.im:
		return fail("method_not_supported_for_channel_type")
	case !ch.isMember(s.cfg.botUserID):
		return ok(map[string]any{"not_in_channel": true})
	}
	ch.removeMember(s.cfg.botUserID)
	s.bumpLocked()
	return ok(nil)
}

func (s *Server) conversationsOpen(req *request) result {
	if id := req.p.str("channel"); id != "" {
		ch := s.channels[id]
		if ch == nil || !(ch.im || ch.mpim) || !ch.isMember(s.cfg.botUserID) {
			return fail("channel_not_found")
		}
		return ok(map[string]any{"channel": s.channelJSON(ch, false), "already_open": true, "no_op": true})
	}
	users := req.p.list("users")
	if len(users) == 0 {
		return fail("users_list_not_supplied")
	}
	for _, u := range users {
		if s.users[u] == nil {
			return fail("user_not_found")
		}
	}
	if len(users) == 1 {
		ch, existed := s.openDMLocked(users[0])
		s.bumpLocked()
		return ok(map[string]any{"channel": s.channelJSON(ch, false), "already_open": existed, "no_op": existed})
	}
	members := append(slices.Clone(users), s.cfg.botUserID)
	slices.Sort(members)
	for _, ch := range s.channels {
		if ch.mpim && slices.Equal(sortedCopy(ch.members), members) {
			return ok(map[string]any{"channel": s.channelJSON(ch, false), "already_open": true, "no_op": true})
		}
	}
	ch := &channel{
		id: s.newIDLocked("G"), mpim: true, private: true, created: s.now(),
		name: "mpdm-" + strings.Join(users, "--") + "-1", members: members, byTS: map[string]*message{},
	}
	s.channels[ch.id] = ch
	s.bumpLocked()
	return ok(map[string]any{"channel": s.channelJSON(ch, false), "already_open": false, "no_op": false})
}

func sortedCopy(xs []string) []string {
	c := slices.Clone(xs)
	slices.Sort(c)
	return c
}

func (s *Server) conversationsList(req *request) result {
	types := req.p.list("types")
	if len(types) == 0 {
		types = []string{"public_channel"}
	}
	limit, valid := pageLimit(req.p)
	if !valid {
		return fail("invalid_limit")
	}
	var ids []string
	for id, ch := range s.channels {
		typ := "public_channel"
		switch {
		case ch.im:
			typ = "im"
		case ch.mpim:
			typ = "mpim"
		case ch.private:
			typ = "private_channel"
		}
		visible := typ == "public_channel" || ch.isMember(s.cfg.botUserID)
		if visible && slices.Contains(types, typ) && !(ch.archived && req.p.boolean("exclude_archived")) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	start := 0
	if c := req.p.str("cursor"); c != "" {
		at, valid := decodeCursor("next_id", c)
		start = slices.Index(ids, at)
		if !valid || start < 0 {
			return fail("invalid_cursor")
		}
	}
	page, next := ids[start:], ""
	if len(page) > limit {
		next = encodeCursor("next_id", page[limit])
		page = page[:limit]
	}
	chans := make([]map[string]any, 0, len(page))
	for _, id := range page {
		chans = append(chans, s.channelJSON(s.channels[id], false))
	}
	return ok(map[string]any{
		"channels":          chans,
		"response_metadata": map[string]any{"next_cursor": next},
	})
}
