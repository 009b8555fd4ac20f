package handlers

import (
	"errors"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// FireDue carries out one due entry in the scheduler's transaction (it is
// a bot.FireFunc): a reminder, an escalation or a closing, with the case
// change, its event and the messages it owes.
//
// Each kind checks the case again before it acts: an entry whose clock the
// case no longer runs (answered, no response needed, closed, or a deadline
// moved by a reopening) does nothing, should its deletion ever have been
// missed.
func (a *App) FireDue(tx store.Tx, e store.DueEntry, now time.Time, late bool) error {
	a.init()
	if e.Kind == DueReport {
		return a.fireReport(tx, e, now)
	}
	c, err := tx.Case(e.CaseID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // purged after retention: nothing left to remind about
	}
	if err != nil {
		return err
	}
	// An entry born overdue (a case that arrived already late) fires at
	// once; only one due while sfpdesk existed and ran late says so.
	late = late && e.At.After(c.CreatedAt)
	switch e.Kind {
	case DueRemind:
		return a.fireReminder(tx, c, e, now, late)
	case DueEscalate:
		return a.fireEscalation(tx, c, e, now, late)
	case DueClose:
		return a.fireClose(tx, c, e, now)
	case DuePurge:
		return a.firePurge(tx, c, now)
	case DueClaimRemind:
		return a.fireClaimReminder(tx, c, e, now, late)
	case DueClaimLapse:
		return a.fireClaimLapse(tx, c, e, now)
	case DueInfoRemind, DueInfoLapse:
		return a.fireInfo(tx, c, e, now, late)
	}
	a.Log.Warn("due entry of an unknown kind dropped", "case_id", e.CaseID, "kind", e.Kind)
	return nil
}

// runsClock reports whether the case still runs the clock the entry
// serves.
func runsClock(c *sfp.Case, e store.DueEntry) bool {
	return c.State == sfp.StateOpen && c.DueAt != nil && c.DueAt.Equal(e.Deadline)
}

// fireReminder posts a reminder in the case's thread: it names who took
// the case, else the seller's on-call group, and nobody during quiet
// hours, when it still arrives but wakes no one.
func (a *App) fireReminder(tx store.Tx, c *sfp.Case, e store.DueEntry, now time.Time, late bool) error {
	if !runsClock(c, e) || c.Card.Channel == "" {
		return nil
	}
	p := a.prefs(tx, c.Seller)
	who := a.whoToCall(c, p, now)
	var text string
	switch e.Detail {
	case detailToday:
		text = bot.T(p.lang, "due.remind.today", who, c.ID, orderOrDash(c), bot.DateTag(*c.DueAt, p.lang))
	case detailMorning:
		text = bot.T(p.lang, "due.remind.refund", who, c.ID, orderOrDash(c), bot.DateTag(*c.DueAt, p.lang))
	default:
		text = bot.T(p.lang, "due.remind", who, c.ID, bot.DateTag(*c.DueAt, p.lang), bot.Duration(c.DueAt.Sub(now), p.lang))
	}
	if err := enqueueReply(tx, c, c.Card, clockMessage(text, p.lang, e, late), now); err != nil {
		return err
	}
	c.AddEvent(now, sfp.EventReminded, "", e.Detail)
	return tx.PutCase(c)
}

// fireEscalation marks the case late at its deadline: Breached (which
// stays true, as Amazon keeps counting the reply late), the overdue marker
// on the card, a word in the case's thread and one message in the
// escalation channel. The "breached" event names the deadline, so that
// this deadline is escalated once whatever happens to the case after.
func (a *App) fireEscalation(tx store.Tx, c *sfp.Case, e store.DueEntry, now time.Time, late bool) error {
	if !runsClock(c, e) || escalated(c, e.Deadline) {
		return nil
	}
	p := a.prefs(tx, c.Seller)
	c.Breached = true
	c.AddEvent(now, sfp.EventBreached, "", deadlineKey(e.Deadline))
	if err := a.refreshCard(tx, c); err != nil {
		return err
	}
	due := bot.DateTag(e.Deadline, p.lang)
	who := a.whoToCall(c, p, now)
	word := bot.T(p.lang, "due.overdue", who, c.ID, due)
	if d, _ := a.Settings.SLA.For(c.Kind); d.IsBusiness() {
		word = bot.T(p.lang, "due.overdue.refund", who, c.ID, orderOrDash(c), due)
	}
	if err := enqueueReply(tx, c, c.Card, clockMessage(word, p.lang, e, late), now); err != nil {
		return err
	}
	if ch := a.Settings.EscalationChannel; ch != "" && ch != c.Card.Channel {
		l := a.Settings.Lang
		text := bot.T(l, "due.escalation", c.ID, bot.Escape(c.Seller), bot.T(l, "kind."+string(c.Kind)), due, bot.ChannelLink(c.Channel), c.ID)
		if c.TakenBy != "" {
			text += " " + bot.T(l, "due.escalation.taken", bot.Mention(c.TakenBy))
		} else {
			text += " " + bot.T(l, "due.escalation.nobody")
		}
		if _, err := enqueue(tx, c, ch, clockMessage(text, l, e, late), 0, now); err != nil {
			return err
		}
	}
	return tx.PutCase(c)
}

// fireClose closes an answered or no-response-needed case with no
// follow-up since (DESIGN §4.8). A case reopened since has another clock
// and is left alone.
func (a *App) fireClose(tx store.Tx, c *sfp.Case, e store.DueEntry, now time.Time) error {
	if c.State != sfp.StateAnswered && c.State != sfp.StateNoResponseNeeded {
		return nil
	}
	p := a.prefs(tx, c.Seller)
	if !a.closeAt(c, p.loc).Equal(e.At) {
		return nil
	}
	at := now
	c.State, c.ClosedAt = sfp.StateClosed, &at
	c.AddEvent(now, sfp.EventClosed, "", "after "+a.Settings.CloseAfter.String())
	if err := a.refreshCard(tx, c); err != nil {
		return err
	}
	if err := tx.PutCase(c); err != nil {
		return err
	}
	return a.schedule(tx, c)
}

// whoToCall is the mention a reminder starts with: the person who took the
// case, else the seller's on-call group, else nobody; nobody either during
// the seller's quiet hours.
func (a *App) whoToCall(c *sfp.Case, p sellerPrefs, now time.Time) string {
	if a.Settings.QuietHours.Contains(now, p.loc) {
		return ""
	}
	switch {
	case c.TakenBy != "":
		return bot.Mention(c.TakenBy) + " "
	case p.seller != nil && p.seller.OnCall != "":
		return p.seller.OnCall + " "
	}
	return ""
}

func orderOrDash(c *sfp.Case) string {
	if c.OrderID == "" {
		return "—"
	}
	return c.OrderID
}

// clockMessage lays out a reminder or an escalation; one that fires late
// says so, so that nobody wonders why it came after its time.
func clockMessage(text, lang string, e store.DueEntry, late bool) bot.Message {
	lines := []string{text}
	if late {
		lines = append(lines, bot.T(lang, "due.sent_late", bot.DateTag(e.At, lang)))
	}
	return bot.Message{Text: text, Blocks: bot.Sections(lines)}
}
