package handlers

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

var (
	caseSpec = []arg{{name: "case", kind: argCaseOrOrder}}
	openSpec = []arg{{name: "seller", kind: argSeller, optional: true}}
)

// maxListed bounds a look-up's answer; the rest is counted, not shown.
const maxListed = 25

// members caches who is in a channel: look-ups must answer within Slack's
// 3 seconds, and membership changes rarely.
type members struct {
	mu    sync.Mutex
	cache map[string]memberEntry
	links map[string]string // channel/ts → permalink; a permalink never changes
}

type memberEntry struct {
	at    time.Time
	users map[string]bool
}

const membersTTL = 2 * time.Minute

// maxLinks bounds the permalink cache; past it the cache starts again.
const maxLinks = 10000

// lookupBudget is how long a look-up may wait for Slack (channel members,
// permalinks) before its acknowledgement. Past it, the look-up is answered
// through the command's response_url once Slack has answered: Slack gives
// the acknowledgement 3 seconds, and a Web API call can take longer.
const lookupBudget = time.Second

// canSee limits what people see of a case to admins, members of the
// seller's channel and the agent who asked; everyone else is told the case
// does not exist, which leaks nothing.
func (a *App) canSee(ctx context.Context, user string, c *sfp.Case) bool {
	if a.isAdmin(user) || (c.Asker != nil && c.Asker.UserID == user) {
		return true
	}
	return c.Channel != "" && a.isMember(ctx, c.Channel, user)
}

func (a *App) cachedMembers(channel string) (map[string]bool, bool) {
	a.members.mu.Lock()
	defer a.members.mu.Unlock()
	e, ok := a.members.cache[channel]
	if !ok || a.Clock.Now().Sub(e.at) > membersTTL {
		return nil, false
	}
	return e.users, true
}

func (a *App) isMember(ctx context.Context, channel, user string) bool {
	users, ok := a.cachedMembers(channel)
	if !ok {
		if users, ok = a.fetchMembers(ctx, channel); !ok {
			return false
		}
	}
	return users[user]
}

// fetchMembers reads a channel's members from Slack into the cache.
func (a *App) fetchMembers(ctx context.Context, channel string) (map[string]bool, bool) {
	users := map[string]bool{}
	cursor := ""
	for page := 0; page < 20; page++ {
		ids, next, err := a.Slack.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channel, Cursor: cursor, Limit: 1000})
		if err != nil {
			a.Log.Warn("reading channel members failed", "channel", channel, "err", err)
			return nil, false
		}
		for _, id := range ids {
			users[id] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	a.members.mu.Lock()
	if a.members.cache == nil {
		a.members.cache = map[string]memberEntry{}
	}
	a.members.cache[channel] = memberEntry{at: a.Clock.Now(), users: users}
	a.members.mu.Unlock()
	return users, true
}

func (a *App) cachedLink(channel, ts string) (string, bool) {
	a.members.mu.Lock()
	defer a.members.mu.Unlock()
	link, ok := a.members.links[channel+"/"+ts]
	return link, ok
}

func (a *App) storeLink(channel, ts, link string) {
	a.members.mu.Lock()
	defer a.members.mu.Unlock()
	if a.members.links == nil || len(a.members.links) >= maxLinks {
		a.members.links = map[string]string{}
	}
	a.members.links[channel+"/"+ts] = link
}

// permalinkWithin is permalink on the acknowledgement's path: it waits for
// Slack at most d and goes without the link after that.
func (a *App) permalinkWithin(ctx context.Context, channel, ts string, d time.Duration) string {
	if link, ok := a.cachedLink(channel, ts); ok || channel == "" || ts == "" {
		return link
	}
	got := make(chan string, 1)
	a.background(ctx, func(ctx context.Context) { got <- a.permalink(ctx, channel, ts) })
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case link := <-got:
		return link
	case <-t.C:
		return ""
	}
}

// prefetch makes sure what a look-up of cases needs from Slack is cached:
// the members of the channels that decide who sees them, and with links
// the permalinks of their cards. It fetches what is missing after the
// acknowledgement, waits for it at most lookupBudget, and reports whether
// everything is at hand; the fetch carries on and fills the caches anyway.
func (a *App) prefetch(ctx context.Context, user string, cases []*sfp.Case, links bool) bool {
	var chans, cards []sfp.MessageRef
	seen := map[string]bool{}
	for _, c := range cases {
		if !a.isAdmin(user) && (c.Asker == nil || c.Asker.UserID != user) && c.Channel != "" && !seen[c.Channel] {
			seen[c.Channel] = true
			if _, ok := a.cachedMembers(c.Channel); !ok {
				chans = append(chans, sfp.MessageRef{Channel: c.Channel})
			}
		}
		if links && c.Card.TS != "" {
			if _, ok := a.cachedLink(c.Card.Channel, c.Card.TS); !ok {
				cards = append(cards, c.Card)
			}
		}
	}
	if len(chans) == 0 && len(cards) == 0 {
		return true
	}
	done := make(chan struct{})
	a.background(ctx, func(ctx context.Context) {
		defer close(done)
		var wg sync.WaitGroup
		for _, ch := range chans {
			wg.Go(func() { a.fetchMembers(ctx, ch.Channel) })
		}
		for _, card := range cards {
			wg.Go(func() { a.permalink(ctx, card.Channel, card.TS) })
		}
		wg.Wait()
	})
	t := time.NewTimer(lookupBudget)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// later answers a look-up through its response_url, after the
// acknowledgement: run computes the answer again, with Slack's answers now
// cached or fetched without a deadline. Only look-ups may be run again, as
// they change nothing.
func (a *App) later(ctx context.Context, c *call, run func(*App, context.Context, *call) any) {
	again := *c
	again.deferred = true
	a.background(ctx, func(ctx context.Context) {
		msg, ok := run(a, ctx, &again).(*slack.Msg)
		if !ok || msg == nil {
			return
		}
		a.respondMsg(ctx, c.responseURL, msg)
	})
}

// respondMsg posts a private answer with its blocks to a command's
// response_url.
func (a *App) respondMsg(ctx context.Context, url string, msg *slack.Msg) {
	body := map[string]any{"response_type": "ephemeral", "replace_original": false, "text": msg.Text}
	if len(msg.Blocks.BlockSet) > 0 {
		body["blocks"] = msg.Blocks
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return
	}
	a.postResponse(ctx, url, raw)
}

// cmdCase shows one case, or every case on an order.
func (a *App) cmdCase(ctx context.Context, c *call) any {
	var cases []*sfp.Case
	err := a.Store.View(ctx, func(tx store.Tx) error {
		if id := c.args["case_id"]; id != "" {
			cs, err := loadCase(tx, id)
			if err != nil {
				return err
			}
			cases = []*sfp.Case{cs}
			return nil
		}
		var err error
		cases, err = tx.CasesByOrder(c.args["order_id"])
		return err
	})
	if err != nil && sfp.ErrorCode(err) != sfp.ENOTFOUND {
		return a.errorReply(c.lang, c.cmd, err)
	}
	if !c.deferred && c.responseURL != "" && !a.prefetch(ctx, c.user, cases, true) {
		a.later(ctx, c, (*App).cmdCase)
		return nil
	}
	cases = slices.DeleteFunc(cases, func(cs *sfp.Case) bool { return !a.canSee(ctx, c.user, cs) })
	if len(cases) == 0 {
		what := c.args["case_id"]
		if what == "" {
			what = c.args["order_id"]
		}
		return ephemeral(bot.T(c.lang, "lookup.not_found", what))
	}
	var blocks []slack.Block
	var texts []string
	for i, cs := range cases {
		if i == 5 {
			blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, bot.T(c.lang, "lookup.more", len(cases)-5), false, false)))
			break
		}
		v := bot.CaseDetail(cs, c.lang, a.permalink(ctx, cs.Card.Channel, cs.Card.TS), a.Settings.Location)
		blocks = append(blocks, v.Blocks...)
		if i < len(cases)-1 {
			blocks = append(blocks, slack.NewDividerBlock())
		}
		texts = append(texts, v.Text)
	}
	return ephemeral(strings.Join(texts, "\n"), blocks...)
}

// cmdOpen lists open cases, soonest deadline first.
func (a *App) cmdOpen(ctx context.Context, c *call) any {
	return a.listOpen(ctx, c, c.args["seller"], nil, "lookup.open_title", "lookup.open_none")
}

// listOpen lists the open cases the person may see, soonest deadline
// first (cases without a deadline last), filtered by keep.
func (a *App) listOpen(ctx context.Context, c *call, seller string, keep func(*sfp.Case) bool, title, none string) any {
	var open []*sfp.Case
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		open, err = tx.OpenCases(seller)
		return err
	})
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	if !c.deferred && c.responseURL != "" && !a.prefetch(ctx, c.user, open, false) {
		a.later(ctx, c, func(a *App, ctx context.Context, c *call) any {
			return a.listOpen(ctx, c, seller, keep, title, none)
		})
		return nil
	}
	open = slices.DeleteFunc(open, func(cs *sfp.Case) bool {
		return (keep != nil && !keep(cs)) || !a.canSee(ctx, c.user, cs)
	})
	sort.SliceStable(open, func(i, j int) bool { return dueBefore(open[i], open[j]) })
	if len(open) == 0 {
		return ephemeral(bot.T(c.lang, none))
	}
	lines := []string{"*" + bot.Tn(c.lang, title, len(open), len(open)) + "*"}
	for i, cs := range open {
		if i == maxListed {
			lines = append(lines, bot.T(c.lang, "lookup.more", len(open)-maxListed))
			break
		}
		lines = append(lines, bot.CaseLine(cs, c.lang, a.Clock.Now()))
	}
	return ephemeral(strings.Join(lines, "\n"), bot.Sections(lines)...)
}

func dueBefore(a, b *sfp.Case) bool {
	switch {
	case a.DueAt == nil && b.DueAt == nil:
		return a.Number < b.Number
	case a.DueAt == nil:
		return false
	case b.DueAt == nil:
		return true
	}
	return a.DueAt.Before(*b.DueAt)
}
