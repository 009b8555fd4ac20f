package handlers

import (
	"context"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/prompts"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// askSpec is the grammar of "ask": shared by /sfp, @mentions and the
// message shortcut's validation.
var askSpec = []arg{{name: "seller", kind: argSeller}, {name: "order", kind: argOrderOpt}, {name: "question", kind: argRest}}

// ask opens a cs_contact case from a customer-service agent. The agent's
// side of the conversation is a thread in the agent's channel: the thread
// the agent asked in, or one the bot's confirmation starts.
func (a *App) cmdAsk(ctx context.Context, c *call) any {
	in := askInput{
		seller: c.args["seller"], orderID: c.args["order_id"], question: c.args["question"],
		user: c.user, userName: c.userName, channel: c.channel, threadTS: c.threadTS,
		responseURL: c.responseURL, lang: c.lang, guard: c.guard,
	}
	// On a busy machine the commit may come after Slack stops waiting for
	// the answer: the agent then hears that the question is on its way, and
	// the confirmation in the channel follows the commit, as always.
	type result struct {
		cs  *sfp.Case
		err error
	}
	done := make(chan result, 1)
	a.own(func() {
		cs, err := a.ask(ctx, in)
		done <- result{cs, err}
	})
	t := time.NewTimer(ackDeadline)
	defer t.Stop()
	var r result
	select {
	case r = <-done:
	case <-t.C:
		a.own(func() {
			if r := <-done; r.err != nil && c.responseURL != "" {
				a.respondMsg(ctx, c.responseURL, a.errorReply(c.lang, c.cmd, r.err))
			}
		})
		if c.mention {
			return nil
		}
		return ephemeral(bot.T(c.lang, "ask.ack.pending", bot.Escape(in.seller)))
	}
	cs, err := r.cs, r.err
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	if cs != nil {
		c.caseID = cs.ID
	}
	if cs == nil || c.mention {
		// A mention's confirmation is the reply in its thread.
		return nil
	}
	if cs.Triage {
		return ephemeral(bot.T(c.lang, "ask.ack.triage", cs.ID))
	}
	// The public confirmation says where the answer will come; this one,
	// which only the agent sees, says how to find the case again.
	return ephemeral(bot.T(c.lang, "ask.ack", cs.ID))
}

type askInput struct {
	seller, orderID, question string
	user, userName            string
	channel, threadTS         string
	responseURL               string
	lang                      string
	// permalink of the message a shortcut sent, shown on the card.
	permalink string
	guard     func(store.Tx) (bool, error)
}

// ask commits the case, its card and the agent's confirmation in one
// transaction. It returns nil, nil when guard says the request was already
// handled (a redelivered event).
//
// Everything that does not need the transaction is done before it: the
// seller read, the case number reserved, the question masked, the card
// and the confirmation rendered. Every other writer waits while a write
// transaction runs, so what is left in it is what must be: writing.
func (a *App) ask(ctx context.Context, in askInput) (*sfp.Case, error) {
	var p sellerPrefs
	if err := a.Store.View(ctx, func(tx store.Tx) error { p = a.prefs(tx, in.seller); return nil }); err != nil {
		return nil, err
	}
	n, err := a.Store.ReserveCaseNumber(ctx)
	if err != nil {
		return nil, err
	}
	// A Slack ask names no buyer: the masker needs nothing from the case.
	mask := newMasker(prompts.KnownPII{})
	nc := a.buildCase(n, p, newCase{
		Kind: sfp.KindCSContact, Seller: in.seller, OrderID: in.orderID, Source: sfp.SourceSlack, Body: in.question,
		Asker: &sfp.Asker{UserID: in.user, Name: in.userName, Channel: in.channel, ThreadTS: in.threadTS, ResponseURL: in.responseURL},
		By:    in.user, Mask: mask,
	})
	c := nc.c
	msgs := a.renderCase(nc)
	// The confirmation opens the CS-side thread, or replies in the thread
	// the agent asked in.
	confirm := render(bot.AskConfirmation(c, in.lang, in.permalink, mask))
	nc.in.Then = func(tx store.Tx, c *sfp.Case) error {
		if in.threadTS != "" {
			c.CSThread = sfp.MessageRef{Channel: in.channel, TS: in.threadTS}
			_, err := enqueueInThread(tx, c, c.CSThread, confirm, nc.now)
			return err
		}
		id, err := enqueueOut(tx, c, in.channel, confirm, 0, nc.now)
		c.CSThread = sfp.MessageRef{Channel: in.channel, OutboxID: id}
		return err
	}
	written := false
	err = a.Store.Batch(ctx, func(tx store.Tx) error {
		written = false
		if in.guard != nil {
			if first, err := in.guard(tx); err != nil || !first {
				return err
			}
		}
		if err := a.writeCase(tx, nc, msgs); err != nil {
			return err
		}
		written = true
		return nil
	})
	if err != nil || !written {
		a.Store.ReleaseCaseNumber(n)
		return nil, err
	}
	a.notify()
	return c, nil
}
