package handlers

import (
	"context"
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
}

type memberEntry struct {
	at    time.Time
	users map[string]bool
}

const membersTTL = 2 * time.Minute

// canSee limits what people see of a case to admins, members of the
// seller's channel and the agent who asked; everyone else is told the case
// does not exist, which leaks nothing.
func (a *App) canSee(ctx context.Context, user string, c *sfp.Case) bool {
	if a.isAdmin(user) || (c.Asker != nil && c.Asker.UserID == user) {
		return true
	}
	return c.Channel != "" && a.isMember(ctx, c.Channel, user)
}

func (a *App) isMember(ctx context.Context, channel, user string) bool {
	a.members.mu.Lock()
	if a.members.cache == nil {
		a.members.cache = map[string]memberEntry{}
	}
	e, ok := a.members.cache[channel]
	a.members.mu.Unlock()
	if !ok || a.Clock.Now().Sub(e.at) > membersTTL {
		users := map[string]bool{}
		cursor := ""
		for page := 0; page < 20; page++ {
			ids, next, err := a.Slack.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channel, Cursor: cursor, Limit: 1000})
			if err != nil {
				a.Log.Warn("reading channel members failed", "channel", channel, "err", err)
				return false
			}
			for _, id := range ids {
				users[id] = true
			}
			if next == "" {
				break
			}
			cursor = next
		}
		e = memberEntry{at: a.Clock.Now(), users: users}
		a.members.mu.Lock()
		a.members.cache[channel] = e
		a.members.mu.Unlock()
	}
	return e.users[user]
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
	open = slices.DeleteFunc(open, func(cs *sfp.Case) bool {
		return (keep != nil && !keep(cs)) || !a.canSee(ctx, c.user, cs)
	})
	sort.SliceStable(open, func(i, j int) bool { return dueBefore(open[i], open[j]) })
	if len(open) == 0 {
		return ephemeral(bot.T(c.lang, none))
	}
	lines := []string{"*" + bot.T(c.lang, title, len(open)) + "*"}
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
