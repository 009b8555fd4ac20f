package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/mail"
	"github.com/sfpdesk/sfpdesk/prompts"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// mailBy is who brought a case from the mailbox, in its events;
// sellerCentralBy who answered when the reply was typed in Seller Central.
const (
	mailBy          = "mail"
	sellerCentralBy = "seller_central"
)

// Mailer sends the replies to e-mail cases (mail.Sender, one per seller).
type Mailer interface {
	// Notify is told when committed replies owe mail.
	Notify()
	// From is the seller's registered sender address, "" when the seller
	// has no SMTP server: a reply then stays in Slack.
	From(seller string) string
}

// Results of a message read from a mailbox, as the metrics name them.
const (
	MailCase      = "case"      // a new case
	MailFollowUp  = "follow_up" // a buyer's follow-up on a case
	MailAnswered  = "answered"  // a reply copy from Seller Central
	MailBounced   = "bounced"   // a reply of ours that did not reach the buyer
	MailTriage    = "triage"    // from Amazon, not read with confidence
	MailIgnored   = "ignored"   // not from Amazon
	MailRepeat    = "repeat"    // seen before: nothing made
	MailUnmatched = "unmatched" // a copy or bounce naming no case of ours
)

// HandleMail makes what one message from a seller's mailbox calls for — a
// case, a follow-up, an answered case, a reopened one, a triage notice —
// and commits it with the mailbox's cursor in one transaction
// (mail.Handler). It returns what became of the message.
func (a *App) HandleMail(ctx context.Context, f *mail.Fetched) (string, error) {
	a.init()
	m := f.Message
	seller := f.Account.Seller
	var result string
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		result = ""
		if _, ok, err := f.Seen(tx); err != nil {
			return err
		} else if ok {
			result = MailRepeat
			return f.Commit(tx, "", a.Clock.Now())
		}
		var made string
		var err error
		switch m.Class {
		case mail.ClassBuyerMessage:
			made, result, err = a.mailBuyerMessage(tx, seller, f)
		case mail.ClassReplyCopy:
			made, result, err = a.mailReplyCopy(tx, seller, m)
		case mail.ClassRefund, mail.ClassReturn, mail.ClassAToZ:
			made, result, err = a.mailNotice(tx, seller, f)
		case mail.ClassNotSent:
			made, result, err = a.mailNotSent(tx, m)
		case mail.ClassTriage:
			result, err = MailTriage, a.mailTriage(tx, seller, m)
		default:
			result = MailIgnored
		}
		if err != nil {
			return err
		}
		return f.Commit(tx, made, a.Clock.Now())
	})
	if err != nil {
		return "", err
	}
	if result != MailIgnored && result != MailRepeat {
		a.Log.Info("mail: message read", "seller", seller, "result", result, "class", string(m.Class))
		a.notify()
	}
	return result, nil
}

// mailCaseOf finds the case a message continues: one whose thread holds a
// Message-ID the message answers, else the case of the same buyer (alias)
// on the same order, else the buyer's open case without an order.
func (a *App) mailCaseOf(tx store.Tx, seller, alias, orderID string, refs []string) (*sfp.Case, error) {
	for _, ref := range refs {
		id, ok, err := tx.Seen(store.SeenMailMessage, ref)
		if err != nil {
			return nil, err
		}
		if !ok || id == "" {
			continue
		}
		c, err := tx.Case(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil || c.Seller == seller {
			return c, err
		}
	}
	if alias == "" {
		return nil, nil
	}
	same := func(c *sfp.Case) bool {
		return c.Seller == seller && c.Mail != nil && strings.EqualFold(c.Mail.ReplyTo, alias)
	}
	if orderID != "" {
		cs, err := tx.CasesByOrder(orderID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		for i := len(cs) - 1; i >= 0; i-- {
			if same(cs[i]) && cs[i].Kind.IsQuestion() {
				return cs[i], nil
			}
		}
		return nil, nil
	}
	open, err := tx.OpenCases(seller)
	if err != nil {
		return nil, err
	}
	for i := len(open) - 1; i >= 0; i-- {
		if same(open[i]) && open[i].OrderID == "" {
			return open[i], nil
		}
	}
	return nil, nil
}

func (a *App) mailBuyerMessage(tx store.Tx, seller string, f *mail.Fetched) (string, string, error) {
	m := f.Message
	body := m.Text
	if len(m.Attachments) > 0 {
		p := a.prefs(tx, seller)
		var names []string
		for _, at := range m.Attachments {
			names = append(names, fmt.Sprintf("%s (%s)", at.Name, sizeText(at.Size)))
		}
		body += "\n\n" + bot.T(p.lang, "mail.attachments", strings.Join(names, ", "))
	}
	received := m.Date
	if received.IsZero() || received.After(f.Arrived) && !f.Arrived.IsZero() {
		received = f.Arrived
	}
	c, err := a.mailCaseOf(tx, seller, m.ReplyTo, m.OrderID, m.Refs())
	if err != nil {
		return "", "", err
	}
	if c != nil {
		in := &intakeRequest{CaseID: c.ID, Customer: sfp.Customer{Name: m.BuyerName}, Subject: m.Subject, Body: body, ReceivedAt: received}
		c, _, err := a.followUp(tx, in)
		if err != nil {
			return "", "", err
		}
		if c.Mail != nil {
			c.Mail.MessageIDs = appendID(c.Mail.MessageIDs, m.MessageID)
			if m.NoResponseURL != "" {
				c.Mail.NoResponseURL = m.NoResponseURL
			}
			if err := tx.PutCase(c); err != nil {
				return "", "", err
			}
		}
		return c.ID, MailFollowUp, nil
	}
	c, err = a.createMailCase(tx, seller, sfp.Kind(m.Kind), f, body, received)
	if err != nil {
		return "", "", err
	}
	return c.ID, MailCase, nil
}

// createMailCase makes a case through the same path as the intake API's
// contacts, with the mail thread that lets the seller answer by mail.
func (a *App) createMailCase(tx store.Tx, seller string, kind sfp.Kind, f *mail.Fetched, body string, received time.Time) (*sfp.Case, error) {
	m := f.Message
	mp := m.Marketplace
	if mp == "" {
		mp = sfp.DefaultMarketplace
	}
	in := newCase{
		Kind: kind, Seller: seller, Marketplace: mp, OrderID: m.OrderID, ASIN: m.ASIN,
		Source: sfp.SourceEmail, SourceID: m.MessageID,
		Customer: sfp.Customer{Name: m.BuyerName, Language: mp.Info().Language},
		Subject:  m.Subject, Body: body, ReceivedAt: received, By: mailBy,
	}
	if kind == sfp.KindRefundNotice && m.Amount != nil {
		reason := m.RefundReason
		if reason == "" {
			reason = sfp.ReasonOther
		}
		in.Refund = &sfp.Refund{Amount: *m.Amount, Reason: string(reason)}
	}
	n, err := tx.NextCaseNumber()
	if err != nil {
		return nil, err
	}
	nc := a.buildCase(n, a.prefs(tx, seller), in)
	if m.ReplyTo != "" || kind.IsQuestion() {
		nc.c.Mail = &sfp.MailThread{ReplyTo: m.ReplyTo, Subject: m.Subject, NoResponseURL: m.NoResponseURL}
		nc.c.Mail.MessageIDs = appendID(nil, m.MessageID)
	}
	if err := a.writeCase(tx, nc, nil); err != nil {
		return nil, err
	}
	return nc.c, nil
}

func appendID(ids []string, id string) []string {
	if id == "" {
		return ids
	}
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// mailReplyCopy marks a case answered in Seller Central and shows the
// seller's words in its thread.
func (a *App) mailReplyCopy(tx store.Tx, seller string, m *mail.Message) (string, string, error) {
	c, err := a.mailCaseOf(tx, seller, m.ReplyTo, m.OrderID, m.Refs())
	if err != nil {
		return "", "", err
	}
	if c == nil && m.OrderID != "" {
		cs, err := tx.CasesByOrder(m.OrderID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", "", err
		}
		for i := len(cs) - 1; i >= 0 && c == nil; i-- {
			if cs[i].Seller == seller && cs[i].Source == sfp.SourceEmail && cs[i].Kind.IsQuestion() {
				c = cs[i]
			}
		}
	}
	if c == nil {
		return "", MailUnmatched, nil
	}
	now := a.Clock.Now()
	p := a.prefs(tx, c.Seller)
	if c.State == sfp.StateOpen {
		c.State = sfp.StateAnswered
		at := now
		c.AnsweredAt, c.AnsweredBy = &at, sellerCentralBy
		if c.DueAt != nil && now.After(*c.DueAt) {
			c.Breached = true
		}
		c.AddEvent(now, sfp.EventAnswered, sellerCentralBy, now.Sub(c.ReceivedAt).Round(1e9).String())
	} else {
		c.AddEvent(now, sfp.EventReply, sellerCentralBy, "")
	}
	c.AddAnswer(now, sellerCentralBy, m.Text)
	if c.Card.Channel != "" {
		lines := []string{bot.T(p.lang, "mail.answered_in_seller_central")}
		for _, part := range quoteParts(prompts.Mask(m.Text, prompts.KnownPII{Name: c.Customer.Name}), bot.MaxSectionText-100) {
			lines = append(lines, bot.Quote(part, bot.MaxSectionText-100))
		}
		msg := bot.Message{Text: lines[0], Blocks: bot.Sections(lines)}
		if err := enqueueReply(tx, c, c.Card, msg, now); err != nil {
			return "", "", err
		}
	}
	if err := a.refreshCard(tx, c); err != nil {
		return "", "", err
	}
	if err := tx.PutCase(c); err != nil {
		return "", "", err
	}
	return c.ID, MailAnswered, a.schedule(tx, c)
}

// mailNotice makes a case of a refund, return or A-to-z notice, through
// the same path as the intake API's: an A-to-z claim marks the order's
// refund notices there, and a refund notice learns of one on its order.
func (a *App) mailNotice(tx store.Tx, seller string, f *mail.Fetched) (string, string, error) {
	m := f.Message
	received := f.Arrived
	if received.IsZero() {
		received = m.Date
	}
	body := m.Text
	if m.Reason != "" && m.Class != mail.ClassRefund {
		body = m.Reason + "\n\n" + body
	}
	c, err := a.createMailCase(tx, seller, sfp.Kind(m.Kind), f, body, received)
	if err != nil {
		return "", "", err
	}
	return c.ID, MailCase, nil
}

// mailNotSent reopens the case whose reply did not reach the buyer, and
// says why in its thread.
func (a *App) mailNotSent(tx store.Tx, m *mail.Message) (string, string, error) {
	for _, id := range m.NotSent {
		caseID, ok, err := tx.Seen(store.SeenMailMessage, id)
		if err != nil {
			return "", "", err
		}
		if !ok || caseID == "" {
			continue
		}
		c, err := tx.Case(caseID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		now := a.Clock.Now()
		p := a.prefs(tx, c.Seller)
		if c.State != sfp.StateOpen {
			c.State, c.ClosedAt = sfp.StateOpen, nil
			c.AnsweredAt, c.AnsweredBy = nil, ""
			c.AddEvent(now, sfp.EventReopened, mailBy, "not delivered")
		}
		c.AddEvent(now, sfp.EventDelivery, mailBy, cutText(m.Reason, 200))
		if c.Card.Channel != "" {
			text := bot.T(p.lang, "mail.bounced", bot.EscapeCut(m.Reason, 500))
			if err := enqueueReply(tx, c, c.Card, bot.Message{Text: text, Blocks: bot.Sections([]string{text})}, now); err != nil {
				return "", "", err
			}
		}
		if err := a.refreshCard(tx, c); err != nil {
			return "", "", err
		}
		if err := tx.PutCase(c); err != nil {
			return "", "", err
		}
		return c.ID, MailBounced, a.schedule(tx, c)
	}
	return "", MailUnmatched, nil
}

func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// mailTriage tells the triage channel of mail from Amazon that could not
// be read, with its subject: nothing from Amazon is dropped unseen.
func (a *App) mailTriage(tx store.Tx, seller string, m *mail.Message) error {
	ch := a.Settings.TriageChannel
	if ch == "" {
		a.Log.Warn("mail: unreadable mail from Amazon and no triage channel", "seller", seller)
		return nil
	}
	p := a.prefs(tx, seller)
	subject := prompts.Mask(m.Subject, prompts.KnownPII{})
	text := bot.T(p.lang, "mail.triage", bot.Escape(seller), bot.EscapeCut(subject, maxSubject), bot.Escape(m.Why))
	_, err := tx.Enqueue(&store.OutboxMessage{
		Channel: ch, Text: text, Blocks: bot.Message{Text: text, Blocks: bot.Sections([]string{text})}.BlocksJSON(),
		CreatedAt: a.Clock.Now(),
	})
	return err
}

// enqueueMailReply queues the seller's reply to the buyer of an e-mail
// case, in the reply's transaction: its Message-ID is fixed now, and
// remembered, so that a bounce naming it finds the case.
func (a *App) enqueueMailReply(tx store.Tx, c *sfp.Case, text string, now time.Time) error {
	if c.Source != sfp.SourceEmail || c.Mail == nil || c.Mail.ReplyTo == "" || a.Mail == nil {
		return nil
	}
	from := a.Mail.From(c.Seller)
	if from == "" {
		if c.Card.Channel == "" {
			return nil
		}
		text := bot.T(a.prefs(tx, c.Seller).lang, "mail.no_smtp")
		return enqueueReply(tx, c, c.Card, bot.Message{Text: text, Blocks: bot.Sections([]string{text})}, now)
	}
	id := mail.NewMessageID(c.ID, from)
	out := &store.MailOut{
		Seller: c.Seller, CaseID: c.ID, MessageID: id, From: from, To: c.Mail.ReplyTo,
		Subject: mail.ReplySubject(c.Mail.Subject), Text: text, Date: now, CreatedAt: now,
	}
	if n := len(c.Mail.MessageIDs); n > 0 {
		out.InReplyTo = c.Mail.MessageIDs[n-1]
		out.References = append([]string(nil), c.Mail.MessageIDs...)
	}
	if _, err := tx.EnqueueMail(out); err != nil {
		return err
	}
	c.Mail.MessageIDs = appendID(c.Mail.MessageIDs, id)
	return tx.Remember(store.SeenMailMessage, id, c.ID, now)
}

// MailResult tells a case's thread what became of a reply by e-mail:
// sent to the buyer, or why not (mail.Sender's Done).
func (a *App) MailResult(ctx context.Context, m *store.MailOut, result, reason string) {
	a.init()
	if result == mail.SendRetry && m.Attempts > 1 {
		// The thread hears of the first delay, not of every retry.
		return
	}
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Case(m.CaseID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || c.Card.Channel == "" {
			return err
		}
		p := a.prefs(tx, c.Seller)
		var text string
		switch result {
		case mail.SendSent:
			text = bot.T(p.lang, "mail.sent")
		case mail.SendRetry:
			text = bot.T(p.lang, "mail.retrying", bot.EscapeCut(reason, 300))
		default:
			text = bot.T(p.lang, "mail.not_sent", bot.EscapeCut(reason, 300))
			c.AddEvent(a.Clock.Now(), sfp.EventDelivery, mailBy, cutText(reason, 200))
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return enqueueReply(tx, c, c.Card, bot.Message{Text: text, Blocks: bot.Sections([]string{text})}, a.Clock.Now())
	})
	if err != nil {
		a.Log.Error("mail: telling the thread about a reply", "case_id", m.CaseID, "err", err)
		return
	}
	a.notify()
}
