package handlers

import (
	"context"
	"errors"
	"strings"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// internalPrefix starts a reply that stays with the seller's team.
const internalPrefix = "//"

// onMessage relays a reply in a case's thread to the other side: from the
// card's thread to the agent's thread (or the integration's callback), and
// from the agent's thread to the card's. The first reply from the seller's
// side answers the case.
func (a *App) onMessage(ctx context.Context, m incoming) error {
	if m.threadTS == "" || m.threadTS == m.ts {
		return nil
	}
	var pre *ruleCheck
	if text := strings.TrimSpace(m.text); !strings.HasPrefix(text, internalPrefix) {
		pre = a.precheckReply(ctx, m.channel, m.threadTS, text)
	}
	relayed := false
	var (
		checked        *checkedReply
		caseID, result string
	)
	// Batched: replies arrive many at once, and share a commit.
	err := a.Store.Batch(ctx, func(tx store.Tx) error {
		relayed, checked, caseID, result = false, nil, "", ""
		c, err := tx.CaseByMessage(m.channel, m.threadTS)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if first, err := a.firstTime(m)(tx); err != nil || !first {
			return err
		}
		now := a.Clock.Now()
		text := strings.TrimSpace(m.text)
		caseID = c.ID
		switch {
		case c.Card.Channel == m.channel && c.Card.TS == m.threadTS:
			if strings.HasPrefix(text, internalPrefix) {
				result = "note"
				c.AddEvent(now, sfp.EventNote, m.user, "")
				return tx.PutCase(c)
			}
			// A reply to a buyer that breaks a messaging rule waits for
			// its author's decision (drafts.go).
			if checked, err = a.checkReply(tx, c, m.user, text, strings.TrimSpace(m.markup), fileLinks(m), pre); err != nil || (checked != nil && checked.held != nil) {
				result = "held"
				return err
			}
			result = "relayed"
			if err := a.answerFromSlack(tx, c, m.user, text, strings.TrimSpace(m.markup), fileLinks(m)); err != nil {
				return err
			}
		case c.CSThread.Channel == m.channel && c.CSThread.TS == m.threadTS:
			if c.Card.Channel == "" {
				return nil
			}
			p := a.prefs(tx, c.Seller)
			msg := bot.RelayToSeller(c, p.lang, m.user, text, fileLinks(m))
			if err := enqueueReply(tx, c, c.Card, msg, now); err != nil {
				return err
			}
			c.AddEvent(now, sfp.EventFollowUp, m.user, "")
			result = "to_seller"
		default:
			return nil
		}
		relayed = true
		return tx.PutCase(c)
	})
	if err == nil && result != "" {
		a.logHandled("reply", "thread", "", caseID, m.user, result)
	}
	if err == nil && relayed {
		a.notify()
	}
	if err == nil && checked != nil {
		a.tellChecked(ctx, m.channel, m.threadTS, m.user, checked)
	}
	return err
}

// answer records a seller's reply and relays it to where the case came
// from. The first reply answers the case: who, when, and so the response
// time Amazon will count. text is what the seller typed, as in a modal.
func (a *App) answer(tx store.Tx, c *sfp.Case, user, text string, files []string) error {
	return a.answerFromSlack(tx, c, user, text, "", files)
}

// answerFromSlack is answer for a reply written in Slack: markup is the
// message as Slack sent it, from which an integration gets links as
// "label (url)" and typed text as typed.
func (a *App) answerFromSlack(tx store.Tx, c *sfp.Case, user, text, markup string, files []string) error {
	now := a.Clock.Now()
	first := c.State != sfp.StateAnswered || c.AnsweredAt == nil
	// The reply that answers an open case is the integration's "answer";
	// every other reply is a "follow_up" (DESIGN §4.4).
	callbackType := bot.CallbackFollowUp
	if c.State == sfp.StateOpen {
		callbackType = bot.CallbackAnswer
	}
	if c.State == sfp.StateOpen && answeredByReply(c) {
		c.State = sfp.StateAnswered
		at := now
		c.AnsweredAt, c.AnsweredBy = &at, user
		if c.DueAt != nil && now.After(*c.DueAt) {
			c.Breached = true
		}
		c.AddEvent(now, sfp.EventAnswered, user, now.Sub(c.ReceivedAt).Round(1e9).String())
		if err := a.refreshCard(tx, c); err != nil {
			return err
		}
		if err := a.schedule(tx, c); err != nil {
			return err
		}
	} else {
		c.AddEvent(now, sfp.EventReply, user, "")
	}
	// Kept for later drafts on the same product (drafts.go).
	c.AddAnswer(now, user, text)
	if c.Asker != nil && c.CSThread.Channel != "" {
		msg := bot.RelayToAgent(c, a.Settings.Lang, user, text, files, first)
		if err := enqueueReply(tx, c, c.CSThread, msg, now); err != nil {
			return err
		}
	}
	if err := a.enqueueMailReply(tx, c, text, now); err != nil {
		return err
	}
	if c.CallbackURL != "" {
		at := now.In(a.prefs(tx, c.Seller).loc)
		answer := text
		if markup != "" {
			answer = bot.PlainText(markup)
		}
		if err := bot.EnqueueCallback(tx, bot.NewCallback(c, callbackType, user, "", answer, at)); err != nil {
			return err
		}
	}
	return nil
}

func fileLinks(m incoming) []string {
	var out []string
	for _, f := range m.files {
		link := f.Permalink
		if link == "" {
			link = f.URLPrivate
		}
		if link != "" {
			out = append(out, link)
		}
	}
	return out
}
