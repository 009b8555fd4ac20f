package handlers

import (
	"context"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// DuePurge erases a closed case's buyer data SFPDESK_RETENTION after it
// closed.
const DuePurge = "purge"

// Compacter is a store that can rewrite its file so that erased data is
// gone from the disk too (store/bolt keeps deleted values in free pages).
type Compacter interface {
	Compact() (before, after int64, err error)
}

// PurgeResult says what a purge did.
type PurgeResult struct {
	Cases []string
	// Erased are the values erased, for the caller to prove they are gone
	// from the file; personal data: never log them.
	Erased        []string
	BytesBefore   int64
	BytesAfter    int64
	CompactFailed error
}

// purgeAt is when a closed case's buyer data is erased.
func (a *App) purgeAt(c *sfp.Case, loc *time.Location) (time.Time, bool) {
	if c.State != sfp.StateClosed || c.ClosedAt == nil || c.PurgedAt != nil {
		return time.Time{}, false
	}
	r := a.Settings.Retention
	if r.IsZero() {
		r = sfp.Duration{N: 30, Unit: sfp.Days}
	}
	return sfp.DueAfter(*c.ClosedAt, r, c.Marketplace, loc), true
}

// purgeCase erases the buyer's data from a case and from everything sfpdesk
// keeps about it — the case's text and the buyer's name, drafts, held and
// sent replies, the bot's messages in the outbox, the callbacks' records —
// and queues edits of the bot's Slack messages that carried the buyer's
// words. The case's skeleton (ids, kind, seller, times, states) stays, so
// figures and look-ups still work. It returns false for a case already
// purged.
func (a *App) purgeCase(tx store.Tx, c *sfp.Case, by string) (bool, error) {
	if c.PurgedAt != nil {
		return false, nil
	}
	now := a.Clock.Now()
	c.Customer.Name = ""
	c.Subject, c.Body = "", ""
	c.Mail.Erase()
	c.DropReplies()
	if c.Refund != nil {
		c.Refund.Note = ""
	}
	if c.Asker != nil {
		c.Asker.ResponseURL = ""
	}
	// A claim's justification and photo links may show the buyer's item,
	// address label or words; the claim's figures stay.
	for _, cl := range []*sfp.Claim{c.Claim, c.CarrierClaim} {
		if cl != nil {
			cl.Evidence.Justification, cl.Evidence.Photos = "", nil
		}
	}
	if c.OrderID != "" {
		claims, err := tx.ClaimsByOrder(c.OrderID)
		if err != nil {
			return false, err
		}
		for _, cl := range claims {
			if cl.CaseID != c.ID {
				continue
			}
			cl.Evidence.Justification, cl.Evidence.Photos = "", nil
			if err := tx.PutClaim(cl); err != nil {
				return false, err
			}
		}
	}
	c.PurgedAt = &now
	c.AddEvent(now, sfp.EventPurged, by, "")

	p := a.prefs(tx, c.Seller)
	msgs, err := tx.OutboxForCase(c.ID)
	if err != nil {
		return false, err
	}
	erased := bot.ErasedMessage(p.lang)
	for _, m := range msgs {
		if m.Op == store.OpPost && m.ID != c.Card.OutboxID {
			// A message of ours that quoted the buyer is edited in Slack:
			// the bot cannot edit people's messages, only its own.
			switch m.State {
			case store.OutboxSent:
				if _, err := tx.Enqueue(&store.OutboxMessage{
					CaseID: c.ID, Channel: m.Channel, Op: store.OpUpdate, Target: m.ID, TargetTS: m.TS,
					Text: erased.FallbackText(), Blocks: erased.BlocksJSON(), CreatedAt: now,
				}); err != nil {
					return false, err
				}
			case store.OutboxPending:
				m.Text, m.Blocks = erased.Text, erased.BlocksJSON()
				if err := tx.PutOutbox(m); err != nil {
					return false, err
				}
				continue
			}
		}
		if m.Op == store.OpUpdate && m.State == store.OutboxPending {
			// A redraw still waiting holds the case as it was: the card
			// refreshed below supersedes a redraw of the card, and any
			// other edit carries the erased message instead.
			if m.Target == c.Card.OutboxID && m.Target != 0 || m.TargetTS != "" && m.TargetTS == c.Card.TS {
				m.State, m.LastError = store.OutboxSent, "superseded"
				m.Text, m.Blocks = "", nil
			} else {
				m.Text, m.Blocks = erased.FallbackText(), erased.BlocksJSON()
			}
			if err := tx.PutOutbox(m); err != nil {
				return false, err
			}
			continue
		}
		if m.State != store.OutboxPending && (m.Text != "" || len(m.Blocks) > 0) {
			m.Text, m.Blocks = "", nil
			if err := tx.PutOutbox(m); err != nil {
				return false, err
			}
		}
	}
	cbs, err := tx.CaseCallbacks(c.ID)
	if err != nil {
		return false, err
	}
	for _, cb := range cbs {
		cb.Answer, cb.ByName = "", ""
		if err := tx.PutCallback(cb); err != nil {
			return false, err
		}
	}
	if err := a.refreshCard(tx, c); err != nil {
		return false, err
	}
	return true, tx.PutCase(c)
}

// firePurge is the retention entry of a closed case.
func (a *App) firePurge(tx store.Tx, c *sfp.Case, now time.Time) error {
	if c.State != sfp.StateClosed {
		return nil // reopened since: a new close sets a new date
	}
	purged, err := a.purgeCase(tx, c, "retention")
	if err == nil && purged {
		a.purged.Store(true)
		// The message a shortcut carried waits a short while only; it goes
		// with the sweeps that erase buyer data.
		_, err = tx.Forget(seenShortcut, now.Add(-24*time.Hour))
	}
	return err
}

// AfterFire compacts the store once a sweep of the scheduler erased buyer
// data: until then the erased values are still in the file's free pages.
// It runs outside any transaction (the scheduler calls it after commit).
func (a *App) AfterFire() {
	if a.purged.Swap(false) {
		a.compact()
	}
}

func (a *App) compact() (before, after int64, err error) {
	c, ok := a.Store.(Compacter)
	if !ok {
		return 0, 0, nil
	}
	defer a.compactions.Add(1)
	before, after, err = c.Compact()
	if err != nil {
		a.Log.Error("compacting the database after a purge failed", "err", err)
	} else {
		a.Log.Info("database compacted after a purge", "bytes_before", before, "bytes_after", after)
	}
	return before, after, err
}

// Purge erases at once the buyer data of one case, or of every case on an
// order (a data-subject request), then compacts the store so that the data
// is gone from the file. by names who asked.
func (a *App) Purge(ctx context.Context, caseID, orderID, by string) (PurgeResult, error) {
	a.init()
	var res PurgeResult
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		res.Cases, res.Erased = nil, nil
		var cases []*sfp.Case
		switch {
		case caseID != "":
			c, err := loadCase(tx, caseID)
			if err != nil {
				return err
			}
			cases = []*sfp.Case{c}
		case orderID != "":
			var err error
			if cases, err = tx.CasesByOrder(orderID); err != nil {
				return err
			}
			if len(cases) == 0 {
				return sfp.Errorf(sfp.ENOTFOUND, "no case on order %s", orderID)
			}
		default:
			return sfp.Invalid("case", "name a case or an order")
		}
		for _, c := range cases {
			res.Erased = append(res.Erased, personalValues(c)...)
			if _, err := a.purgeCase(tx, c, by); err != nil {
				return err
			}
			res.Cases = append(res.Cases, c.ID)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	a.notify()
	res.BytesBefore, res.BytesAfter, res.CompactFailed = a.compact()
	return res, nil
}

// personalValues lists the buyer's data a case holds.
func personalValues(c *sfp.Case) []string {
	out := []string{c.Customer.Name, c.Subject, c.Body}
	for _, d := range c.Drafts {
		out = append(out, d.Text)
	}
	for _, h := range c.Held {
		out = append(out, h.Text)
		if h.Markup != "" {
			out = append(out, h.Markup)
		}
	}
	for _, a := range c.Answers {
		out = append(out, a.Text)
	}
	if c.Refund != nil {
		out = append(out, c.Refund.Note)
	}
	for _, cl := range []*sfp.Claim{c.Claim, c.CarrierClaim} {
		if cl != nil {
			out = append(out, cl.Evidence.Justification)
			out = append(out, cl.Evidence.Photos...)
		}
	}
	var keep []string
	for _, v := range out {
		if len(v) >= 4 {
			keep = append(keep, v)
		}
	}
	return keep
}

// Compactions counts the compactions done after purges.
func (a *App) Compactions() int64 { return a.compactions.Load() }
