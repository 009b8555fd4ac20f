package handlers

import (
	"context"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// argArrival names the optional arrival date of "return".
const argArrival = "YYYY-MM-DD"

// returnSpec is the grammar of "return": a returned item reached the
// seller's warehouse, on the given day (today by default).
var returnSpec = []arg{
	{name: "seller", kind: argSeller},
	{name: "order-id", kind: argOrder},
	{name: argArrival, kind: argDate, optional: true},
}

// cmdReturn puts a returned item on the refund clock: under SFP the seller
// refunds it within 2 business days of its arrival, so the clock runs from
// the day it arrived, in the seller's time zone, not from when anyone said
// so.
func (a *App) cmdReturn(ctx context.Context, c *call) any {
	seller, order := c.args["seller"], c.args["order-id"]
	var cs *sfp.Case
	var existing string
	err := a.Store.Batch(ctx, func(tx store.Tx) error {
		cs, existing = nil, ""
		if c.guard != nil {
			if first, err := c.guard(tx); err != nil || !first {
				return err
			}
		}
		p := a.prefs(tx, seller)
		now := a.Clock.Now()
		arrived := now
		if d := c.args[argArrival]; d != "" {
			day, err := time.ParseInLocation("2006-01-02", d, p.loc)
			switch {
			case err != nil:
				return sfp.Invalid(argArrival, "%s", bot.T(c.lang, "arg.date", d))
			case day.After(now):
				return sfp.Invalid(argArrival, "%s", bot.T(c.lang, "return.future", d))
			case day.Format("2006-01-02") != now.In(p.loc).Format("2006-01-02"):
				arrived = day
			}
		}
		var err error
		if existing, err = openReturn(tx, seller, order); err != nil || existing != "" {
			return err
		}
		cs, err = a.createCase(tx, newCase{
			Kind: sfp.KindReturnReceived, Seller: seller, Marketplace: a.sellerMarketplace(tx, seller), OrderID: order,
			Source: sfp.SourceSlack, ReceivedAt: arrived, Return: &sfp.Return{ReceivedAt: arrived}, By: c.user,
		})
		return err
	})
	switch {
	case err != nil:
		return a.errorReply(c.lang, c.cmd, err)
	case existing != "":
		return ephemeral(bot.T(c.lang, "return.exists", order, existing))
	case cs == nil:
		return nil
	}
	a.notify()
	due := "—"
	if cs.DueAt != nil {
		due = bot.DateTag(*cs.DueAt, c.lang)
	}
	c.caseID = cs.ID
	if cs.Triage {
		return ephemeral(bot.T(c.lang, "return.posted.triage", cs.ID, bot.Escape(cs.Seller), due))
	}
	return ephemeral(bot.T(c.lang, "return.posted", cs.ID, order, bot.DateTag(cs.Return.ReceivedAt, c.lang), bot.Escape(cs.Seller), due))
}

// openReturn returns the seller's return on the order still waiting for
// its refund, if any: a second click, or a second command, must not start
// a second clock on the same parcel.
func openReturn(tx store.Tx, seller, order string) (string, error) {
	cases, err := tx.CasesByOrder(order)
	if err != nil {
		return "", err
	}
	for _, cs := range cases {
		if cs.Kind == sfp.KindReturnReceived && cs.Seller == seller && cs.State == sfp.StateOpen {
			return cs.ID, nil
		}
	}
	return "", nil
}

// returnReceived answers the return_received button of a case on an order
// (a refund notice, an order question): the returned item arrived now, and
// a return case starts the refund clock.
func (a *App) returnReceived(ctx context.Context, cb slack.InteractionCallback, value string) error {
	user := cb.User.ID
	var src *sfp.Case
	var lang string
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if src, _, err = actionCase(tx, value); err != nil {
			return err
		}
		lang = a.prefs(tx, src.Seller).lang
		return nil
	})
	if err != nil {
		return err
	}
	if src.OrderID == "" {
		return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "return.no_order"))
	}
	if !a.mayAct(ctx, user, src) {
		a.refuse(ctx, cb, src, lang)
		return nil
	}
	var existing string
	err = a.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		if existing, err = openReturn(tx, src.Seller, src.OrderID); err != nil || existing != "" {
			return err
		}
		now := a.Clock.Now()
		ret, err := a.createCase(tx, newCase{
			Kind: sfp.KindReturnReceived, Seller: src.Seller, Marketplace: src.Marketplace, OrderID: src.OrderID,
			Source: sfp.SourceSlack, ReceivedAt: now, Return: &sfp.Return{ReceivedAt: now}, By: user,
		})
		if err != nil {
			return err
		}
		due := "—"
		if ret.DueAt != nil {
			due = bot.DateTag(*ret.DueAt, lang)
		}
		s := bot.T(lang, "return.recorded", bot.Mention(user), src.OrderID, ret.ID, due)
		if err := enqueueReply(tx, src, src.Card, bot.Message{Text: s, Blocks: bot.Sections([]string{s})}, now); err != nil {
			return err
		}
		return a.returnBack(tx, src.ID, ret.ID, user, now)
	})
	if err != nil {
		return err
	}
	if existing != "" {
		a.tellPrivately(ctx, cb, bot.T(lang, "return.exists", src.OrderID, existing))
		return nil
	}
	a.notify()
	return nil
}

// returnBack settles a return request whose parcel came back: the return
// case ret now runs the refund clock, so the request has done its part
// and is answered, to close like any answered case.
func (a *App) returnBack(tx store.Tx, id, ret, user string, now time.Time) error {
	c, err := tx.Case(id)
	if err != nil {
		return err
	}
	if c.Kind != sfp.KindReturnRequested || c.State != sfp.StateOpen {
		return nil
	}
	c.State = sfp.StateAnswered
	c.AnsweredAt, c.AnsweredBy = &now, user
	c.AddEvent(now, sfp.EventReturnBack, user, ret)
	if err := a.refreshCard(tx, c); err != nil {
		return err
	}
	if err := tx.PutCase(c); err != nil {
		return err
	}
	return a.schedule(tx, c)
}

// refundOffer is the amount the refund_mark modal offers: what the return
// recorded, else the refund Amazon reported on the same order.
func refundOffer(tx store.Tx, c *sfp.Case) (sfp.Money, error) {
	offer := sfp.Money{Currency: c.Marketplace.Info().Currency}
	if c.Refund != nil && c.Refund.Amount.Minor > 0 {
		return c.Refund.Amount, nil
	}
	if c.OrderID == "" {
		return offer, nil
	}
	cases, err := tx.CasesByOrder(c.OrderID)
	if err != nil {
		return offer, err
	}
	for _, cs := range cases {
		if cs.Kind == sfp.KindRefundNotice && cs.Refund != nil && cs.Seller == c.Seller {
			offer = cs.Refund.Amount
		}
	}
	return offer, nil
}

// openRefundMark opens the refund_mark modal on a return.
func (a *App) openRefundMark(ctx context.Context, cb slack.InteractionCallback, id string) error {
	var c *sfp.Case
	var lang string
	var offer sfp.Money
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if c, err = loadCase(tx, id); err != nil {
			return err
		}
		lang = a.prefs(tx, c.Seller).lang
		offer, err = refundOffer(tx, c)
		return err
	})
	if err != nil {
		return err
	}
	if err := refundable(c, lang); err != nil {
		return err
	}
	if !a.mayAct(ctx, cb.User.ID, c) {
		a.refuse(ctx, cb, c, lang)
		return nil
	}
	_, err = a.openView(ctx, cb.TriggerID, bot.RefundMarkModal(c, offer, lang))
	return err
}

// refundable checks that c is a return still waiting for its refund.
func refundable(c *sfp.Case, lang string) error {
	switch {
	case c.Kind != sfp.KindReturnReceived:
		return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "refund_mark.not_return"))
	case c.State != sfp.StateOpen:
		return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "refund_mark.already"))
	}
	return nil
}

// submitRefundMark records the refund of a returned item: the amount and
// when, which stops the refund clock (the case is answered, late or not,
// and closes after SFPDESK_CLOSE_AFTER like any answered case).
func (a *App) submitRefundMark(ctx context.Context, cb slack.InteractionCallback) any {
	user := cb.User.ID
	id := cb.View.PrivateMetadata
	var c *sfp.Case
	var lang string
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if c, err = loadCase(tx, id); err != nil {
			return err
		}
		lang = a.prefs(tx, c.Seller).lang
		return nil
	})
	if err != nil {
		return fieldErrors(map[string]string{bot.FieldAmount: a.modalError(a.Settings.Lang, err)})
	}
	if !a.mayAct(ctx, user, c) {
		return fieldErrors(map[string]string{bot.FieldAmount: bot.T(lang, "claim.forbidden_plain")})
	}
	raw := selected(&cb.View, bot.FieldAmount)
	minor, ok := sfp.ParseAmount(raw)
	switch {
	case raw == "":
		return fieldErrors(map[string]string{bot.FieldAmount: bot.T(lang, "claim.err.required")})
	case !ok:
		return fieldErrors(map[string]string{bot.FieldAmount: bot.T(lang, "claim.err.amount")})
	case minor <= 0:
		return fieldErrors(map[string]string{bot.FieldAmount: bot.T(lang, "claim.err.amount_zero")})
	}
	err = a.updateCase(ctx, id, func(tx store.Tx, c *sfp.Case) (bool, error) {
		p := a.prefs(tx, c.Seller)
		if err := refundable(c, p.lang); err != nil {
			return false, err
		}
		offer, err := refundOffer(tx, c)
		if err != nil {
			return false, err
		}
		now := a.Clock.Now()
		amount := sfp.Money{Minor: minor, Currency: offer.Currency}
		at := now
		c.Refund = &sfp.Refund{Amount: amount, RefundedBy: string(sfp.RefundedBySeller), RefundedAt: &at}
		c.State = sfp.StateAnswered
		c.AnsweredAt, c.AnsweredBy = &at, user
		when := bot.T(p.lang, "refund_mark.on_time")
		if c.DueAt != nil && now.After(*c.DueAt) {
			c.Breached = true
			when = bot.T(p.lang, "refund_mark.late", bot.DateTag(*c.DueAt, p.lang))
		}
		c.AddEvent(now, sfp.EventRefunded, user, amount.Decimal("."))
		s := bot.T(p.lang, "refund_mark.done", bot.Mention(user), amount.Format(c.Marketplace), c.OrderID, when, c.ID)
		return true, enqueueReply(tx, c, c.Card, bot.Message{Text: s, Blocks: bot.Sections([]string{s})}, now)
	})
	if err != nil {
		return fieldErrors(map[string]string{bot.FieldAmount: a.modalError(lang, err)})
	}
	return nil
}
