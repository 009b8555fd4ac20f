package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

var (
	sellerAddSpec    = []arg{{name: "seller", kind: argSeller}, {name: "channel", kind: argChannel}, {name: "marketplace", kind: argMarketplace, optional: true}}
	sellerSetSpec    = []arg{{name: "seller", kind: argSeller}, {name: "setting", kind: argSetting}, {name: "value", kind: argWord}}
	sellerRemoveSpec = []arg{{name: "seller", kind: argSeller}}
	subteamRe        = regexp.MustCompile(`^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$`)
)

// cmdSellerAdd routes a seller's cases (on one marketplace, or all) to a
// channel, joins the channel, and offers to move the seller's cases that
// waited in triage.
func (a *App) cmdSellerAdd(ctx context.Context, c *call) any {
	name, channel, mp := c.args["seller"], c.args["channel"], sfp.Marketplace(c.args["marketplace"])
	if strings.HasPrefix(channel, "#") {
		id, ok := a.channelByName(ctx, channel)
		if !ok {
			return usageError(c.lang, c.cmd, bot.T(c.lang, "arg.channel_unknown", bot.Escape(channel)))
		}
		channel = id
	}
	var triaged int
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		triaged = 0 // the transaction may run again
		s, err := tx.Seller(name)
		if errors.Is(err, store.ErrNotFound) {
			s, err = &sfp.Seller{Name: name}, nil
		}
		if err != nil {
			return err
		}
		replaced := false
		for i, r := range s.Routes {
			if r.Marketplace == mp {
				s.Routes[i].Channel, replaced = channel, true
			}
		}
		if !replaced {
			s.Routes = append(s.Routes, sfp.Route{Seller: name, Marketplace: mp, Channel: channel})
		}
		open, err := tx.OpenCases(name)
		if err != nil {
			return err
		}
		for _, cs := range open {
			if cs.Triage {
				triaged++
			}
		}
		if err := tx.PutSeller(s); err != nil {
			return err
		}
		return a.scheduleReports(tx)
	})
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	where := bot.ChannelLink(channel)
	if mp != "" {
		where += " (" + string(mp) + ")"
	}
	lines := []string{bot.T(c.lang, "seller.added", bot.Escape(name), where)}
	if !a.join(ctx, c, channel) {
		lines = append(lines, bot.T(c.lang, "seller.invite", bot.ChannelLink(channel)))
	}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Join(lines, "\n"), false, false), nil, nil)}
	if triaged > 0 {
		blocks = append(blocks, bot.MoveTriagePrompt(name, triaged, c.lang)...)
	}
	return ephemeral(strings.Join(lines, "\n"), blocks...)
}

// join joins a seller's channel after the acknowledgement, waiting for
// Slack at most lookupBudget. It reports false when Slack refused in time;
// a refusal that comes later reaches the admin through the response_url.
func (a *App) join(ctx context.Context, c *call, channel string) bool {
	// Whoever moves state first answers: the acknowledgement (waiting, 0 →
	// gave up, 1) or the join (0 → done in time, 2).
	var state atomic.Int32
	got := make(chan bool, 1)
	a.background(ctx, func(ctx context.Context) {
		_, _, _, err := a.Slack.JoinConversationContext(ctx, channel)
		if err != nil {
			a.Log.Warn("joining a seller's channel failed", "channel", channel, "err", err)
		}
		if state.CompareAndSwap(0, 2) {
			got <- err == nil
			return
		}
		if err != nil && c.responseURL != "" {
			a.respond(ctx, c.responseURL, bot.T(c.lang, "seller.invite", bot.ChannelLink(channel)))
		}
	})
	t := time.NewTimer(lookupBudget)
	defer t.Stop()
	select {
	case ok := <-got:
		return ok
	case <-t.C:
		if state.CompareAndSwap(0, 1) {
			return true
		}
		return <-got
	}
}

// cmdSellerSet stores a seller's time zone, language, on-call group or
// region (whose public holidays join the national ones on its refund
// clock; "none" drops it).
func (a *App) cmdSellerSet(ctx context.Context, c *call) any {
	name, setting, value := c.args["seller"], c.args["setting"], c.args["value"]
	var shown string
	switch setting {
	case "timezone":
		if _, err := time.LoadLocation(value); err != nil || value == "" || value == "Local" {
			return usageError(c.lang, c.cmd, bot.T(c.lang, "seller.bad_timezone", bot.Escape(value)))
		}
		shown = value
	case "lang":
		value = strings.ToLower(value)
		if !bot.ValidLang(value) {
			return usageError(c.lang, c.cmd, bot.T(c.lang, "seller.bad_lang", bot.Escape(value)))
		}
		shown = value
	case "oncall":
		if !subteamRe.MatchString(value) {
			return usageError(c.lang, c.cmd, bot.T(c.lang, "seller.bad_oncall", bot.Escape(value)))
		}
		shown = value
	case "region":
		if strings.EqualFold(value, "none") {
			value = ""
			break
		}
		r, err := sfp.ParseRegion(value)
		if err != nil {
			return usageError(c.lang, c.cmd, bot.T(c.lang, "seller.bad_region", bot.Escape(value), strings.Join(sfp.Regions(), ", ")))
		}
		value = r
	}
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		s, err := tx.Seller(name)
		if errors.Is(err, store.ErrNotFound) {
			return sfp.Errorf(sfp.ENOTFOUND, "unknown seller")
		}
		if err != nil {
			return err
		}
		switch setting {
		case "timezone":
			s.TimeZone = value
		case "lang":
			s.Lang = value
		case "oncall":
			s.OnCall = value
		case "region":
			s.Region = value
		}
		return tx.PutSeller(s)
	})
	if sfp.ErrorCode(err) == sfp.ENOTFOUND {
		return usageError(c.lang, c.cmd, bot.T(c.lang, "seller.unknown", bot.Escape(name)))
	}
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	switch {
	case setting == "region" && value == "":
		return ephemeral(bot.T(c.lang, "seller.region_cleared", bot.Escape(name)))
	case setting == "region":
		return ephemeral(bot.T(c.lang, "seller.region_set", bot.Escape(name), value))
	}
	return ephemeral(bot.T(c.lang, "seller.set", bot.Escape(name), setting, shown))
}

// cmdSellerList shows every seller with its routes and settings.
func (a *App) cmdSellerList(ctx context.Context, c *call) any {
	var sellers []*sfp.Seller
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		sellers, err = tx.Sellers()
		return err
	})
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	if len(sellers) == 0 {
		return ephemeral(bot.T(c.lang, "seller.none"))
	}
	sort.Slice(sellers, func(i, j int) bool { return sellers[i].Name < sellers[j].Name })
	var lines []string
	for _, s := range sellers {
		var routes []string
		for _, r := range s.Routes {
			mp := string(r.Marketplace)
			if mp == "" {
				mp = bot.T(c.lang, "seller.all_marketplaces")
			}
			routes = append(routes, bot.ChannelLink(r.Channel)+" ("+mp+")")
		}
		line := fmt.Sprintf("*%s* → %s", bot.Escape(s.Name), strings.Join(routes, ", "))
		var extra []string
		if s.TimeZone != "" {
			extra = append(extra, s.TimeZone)
		}
		if s.Lang != "" {
			extra = append(extra, s.Lang)
		}
		if s.OnCall != "" {
			extra = append(extra, s.OnCall)
		}
		if s.Region != "" {
			extra = append(extra, s.Region)
		}
		if len(extra) > 0 {
			line += " · " + strings.Join(extra, " · ")
		}
		lines = append(lines, line)
	}
	return ephemeral(strings.Join(lines, "\n"), bot.Sections(lines)...)
}

// cmdSellerRemove drops every route of a seller; its open cases stay where
// they are, and new ones go to triage.
func (a *App) cmdSellerRemove(ctx context.Context, c *call) any {
	name := c.args["seller"]
	err := a.Store.Update(ctx, func(tx store.Tx) error { return tx.DeleteSeller(name) })
	if errors.Is(err, store.ErrNotFound) {
		return usageError(c.lang, c.cmd, bot.T(c.lang, "seller.unknown", bot.Escape(name)))
	}
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	return ephemeral(bot.T(c.lang, "seller.removed", bot.Escape(name)))
}

// moveTriage moves a seller's open triage cases to its channel, after an
// admin routed the seller.
func (a *App) moveTriage(ctx context.Context, cb slack.InteractionCallback, seller string) error {
	if !a.isAdmin(cb.User.ID) {
		return sfp.Errorf(sfp.EFORBIDDEN, "admins only")
	}
	n := 0
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		n = 0 // the transaction may run again
		open, err := tx.OpenCases(seller)
		if err != nil {
			return err
		}
		for _, c := range open {
			if !c.Triage {
				continue
			}
			moved, err := a.moveCase(tx, c, seller, cb.User.ID)
			if err != nil {
				return err
			}
			if moved {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.notify()
	a.tellPrivately(ctx, cb, bot.Tn(a.Settings.Lang, "seller.moved", n, n, bot.Escape(seller)))
	return nil
}

// moveCase gives a triage case to a seller: a new card in the seller's
// channel (replies in its thread now answer the case) and, on the triage
// card, a note of where it went. It returns false when the seller has no
// route for the case's marketplace.
func (a *App) moveCase(tx store.Tx, c *sfp.Case, seller, by string) (bool, error) {
	p := a.prefs(tx, seller)
	if p.seller == nil {
		return false, nil
	}
	channel, ok := p.seller.RouteFor(c.Marketplace)
	if !ok {
		return false, nil
	}
	now := a.Clock.Now()
	old := c.Card
	oldLang := a.prefs(tx, c.Seller).lang
	c.Seller, c.Channel, c.Triage = seller, channel, false
	c.AddEvent(now, sfp.EventRouted, by, channel)
	if !old.IsZero() {
		note := bot.Message{Text: bot.T(oldLang, "route.moved", bot.ChannelLink(channel), bot.Mention(by))}
		if err := enqueueReply(tx, c, old, note, now); err != nil {
			return false, err
		}
		// The old card loses its buttons: the case is answered elsewhere.
		upd := bot.RoutedCard(c, oldLang, channel, by)
		if _, err := tx.Enqueue(&store.OutboxMessage{CaseID: c.ID, Channel: old.Channel, Op: store.OpUpdate, Target: old.OutboxID, TargetTS: old.TS, Text: upd.FallbackText(), Blocks: upd.BlocksJSON(), CreatedAt: now}); err != nil {
			return false, err
		}
	}
	card := bot.CaseCard(c, a.cardView(c, p.lang))
	id, err := enqueue(tx, c, channel, card, 0, now)
	if err != nil {
		return false, err
	}
	c.Card = sfp.MessageRef{Channel: channel, OutboxID: id}
	return true, tx.PutCase(c)
}
