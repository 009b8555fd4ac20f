package handlers

import (
	"errors"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/prompts"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// newCase is a contact about to become a case, from any source.
type newCase struct {
	Kind        sfp.Kind
	Seller      string
	Marketplace sfp.Marketplace
	OrderID     string
	ASIN, SKU   string
	Source      sfp.Source
	SourceID    string
	Customer    sfp.Customer
	Subject     string
	Body        string
	Asker       *sfp.Asker
	CallbackURL string
	ReceivedAt  time.Time
	Refund      *sfp.Refund
	Return      *sfp.Return
	By          string // who brought it: a Slack user id, or "intake"
	// Mask, when set, is the masker to show the case's text with, prepared
	// before the transaction: masking is the costliest part of a new case,
	// and a write transaction holds every other writer back.
	Mask func(string) string
}

// sellerPrefs are a seller's language and zone with the deployment's
// defaults filled in.
type sellerPrefs struct {
	seller *sfp.Seller // nil for an unknown seller
	lang   string
	loc    *time.Location
}

func (a *App) prefs(tx store.Tx, seller string) sellerPrefs {
	p := sellerPrefs{lang: a.Settings.Lang, loc: a.Settings.Location}
	s, err := tx.Seller(seller)
	if err != nil {
		return p
	}
	p.seller = s
	if s.Lang != "" {
		p.lang = s.Lang
	}
	if s.TimeZone != "" {
		if loc, err := loadLocation(s.TimeZone); err == nil {
			p.loc = loc
		}
	}
	return p
}

// createCase writes a case, its card and the messages it owes in tx. An
// unknown seller's case goes to the triage channel: never dropped.
func (a *App) createCase(tx store.Tx, in newCase) (*sfp.Case, error) {
	now := a.Clock.Now()
	n, err := tx.NextCaseNumber()
	if err != nil {
		return nil, err
	}
	if in.Marketplace == "" {
		in.Marketplace = sfp.DefaultMarketplace
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = now
	}
	p := a.prefs(tx, in.Seller)
	c := &sfp.Case{
		ID: sfp.CaseID(n), Number: n, Kind: in.Kind, State: sfp.StateOpen,
		Seller: in.Seller, Marketplace: in.Marketplace, OrderID: in.OrderID,
		ASIN: in.ASIN, SKU: in.SKU, Source: in.Source, SourceID: in.SourceID,
		Customer: in.Customer, Subject: in.Subject, Body: in.Body,
		Asker: in.Asker, CallbackURL: in.CallbackURL,
		ReceivedAt: in.ReceivedAt.In(p.loc), CreatedAt: now.In(p.loc),
		Refund: in.Refund, Return: in.Return,
	}
	if p.seller != nil {
		c.Channel, _ = p.seller.RouteFor(in.Marketplace)
	}
	if c.Channel == "" {
		c.Channel, c.Triage = a.Settings.TriageChannel, true
	}
	if due, ok := a.Settings.SLA.DueAt(c.Kind, c.ReceivedAt, c.Marketplace, p.loc); ok {
		c.DueAt = &due
		if !due.After(now) {
			c.Breached = true
		}
	}
	c.AddEvent(now, sfp.EventCreated, in.By, string(in.Source))
	if err := a.openRefund(tx, c, p.loc, now); err != nil {
		return nil, err
	}
	if c.Channel != "" {
		mask := in.Mask
		if mask == nil {
			mask = a.masker(c)
		}
		card := bot.CaseCard(c, a.cardViewWith(c, p.lang, mask))
		id, err := enqueue(tx, c, c.Channel, card, 0, now)
		if err != nil {
			return nil, err
		}
		c.Card = sfp.MessageRef{Channel: c.Channel, OutboxID: id}
		// A question longer than the card shows follows in full in the
		// thread, so nothing the buyer wrote is out of the seller's reach.
		if utf8.RuneCountInString(c.Body) > bot.QuestionMax-10 {
			for _, part := range quoteParts(mask(c.Body), bot.MaxSectionText-100) {
				full := bot.Message{Text: bot.T(p.lang, "card.full_text", bot.EscapeCut(part, bot.MaxSectionText-100))}
				if _, err := enqueue(tx, c, c.Channel, full, id, now); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := tx.PutCase(c); err != nil {
		return nil, err
	}
	if err := a.schedule(tx, c); err != nil {
		return nil, err
	}
	return c, nil
}

func (a *App) cardView(c *sfp.Case, lang string) bot.CardView {
	return a.cardViewWith(c, lang, a.masker(c))
}

func (a *App) cardViewWith(c *sfp.Case, lang string, mask func(string) string) bot.CardView {
	v := bot.CardView{Lang: lang, Now: a.Clock.Now(), Mask: mask}
	if c.CallbackURL != "" {
		if u, err := url.Parse(c.CallbackURL); err == nil {
			v.ReplyHost = u.Host
		}
	}
	return v
}

// refreshCard queues an update of the case's card to its current state.
// The outbox merges queued updates of one card: only the latest is sent.
func (a *App) refreshCard(tx store.Tx, c *sfp.Case) error {
	if c.Card.OutboxID == 0 && c.Card.TS == "" {
		return nil
	}
	p := a.prefs(tx, c.Seller)
	card := bot.CaseCard(c, a.cardView(c, p.lang))
	_, err := tx.Enqueue(&store.OutboxMessage{
		CaseID: c.ID, Channel: c.Card.Channel, Op: store.OpUpdate,
		Target: c.Card.OutboxID, TargetTS: c.Card.TS,
		Text: card.Text, Blocks: card.BlocksJSON(), CreatedAt: a.Clock.Now(),
	})
	return err
}

// enqueue queues a message of case c in channel, as a reply in the thread
// of the outbox message threadOf when it is not 0.
func enqueue(tx store.Tx, c *sfp.Case, channel string, m bot.Message, threadOf uint64, now time.Time) (uint64, error) {
	caseID := ""
	if c != nil {
		caseID = c.ID
	}
	return tx.Enqueue(&store.OutboxMessage{
		CaseID: caseID, Channel: channel, ThreadOf: threadOf,
		Text: bot.Cut(m.Text, bot.MaxMessageText), Blocks: m.BlocksJSON(), CreatedAt: now,
	})
}

// enqueueReply queues a message in the thread of ref: by ts when Slack has
// given it one, else by the outbox id of the message that will become it.
func enqueueReply(tx store.Tx, c *sfp.Case, ref sfp.MessageRef, m bot.Message, now time.Time) error {
	if ref.Channel == "" {
		return nil
	}
	_, err := tx.Enqueue(&store.OutboxMessage{
		CaseID: c.ID, Channel: ref.Channel, ThreadTS: ref.TS, ThreadOf: ref.OutboxID,
		Text: bot.Cut(m.Text, bot.MaxMessageText), Blocks: m.BlocksJSON(), CreatedAt: now,
	})
	return err
}

// loadCase reads a case for update, turning a missing one into ENOTFOUND.
func loadCase(tx store.Tx, id string) (*sfp.Case, error) {
	c, err := tx.Case(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, sfp.Errorf(sfp.ENOTFOUND, "no case %s", id)
	}
	return c, err
}

// masker hides a buyer's contact data in what Slack shows of a case: the
// whole seller team reads its channel, and none of them needs the buyer's
// e-mail, phone or address to answer (first names and order ids stay).
//
// A card shows the same text twice (quote and fallback): the masker
// remembers its last answer. It is for one goroutine.
func (a *App) masker(c *sfp.Case) func(string) string {
	return newMasker(prompts.KnownPII{Name: c.Customer.Name})
}

func newMasker(known prompts.KnownPII) func(string) string {
	var lastIn, lastOut string
	return func(s string) string {
		if s == "" {
			return ""
		}
		if s != lastIn {
			lastIn, lastOut = s, prompts.Mask(s, known)
		}
		return lastOut
	}
}
